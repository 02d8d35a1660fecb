//! Chat-bots: users of their own kind, registered by an application, told
//! about messages through the event handlers the application gave.
//!
//! An application is named by its client id: the `CLIENT_ID` parameter of a
//! webhook call, or the one carried by an access token that b24im handed to
//! the application's event handler.

use super::credentials::Scopes;
use super::{Timestamp, UserId};

/// At most this many bots per application, as in Bitrix24.
pub const MAX_BOTS_PER_APP: usize = 5;

/// Bitrix24's bot types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotType {
    /// `B`: sees private messages and group messages that mention it.
    Bot,
    /// `H`: like `B`, "typing" before answering.
    Human,
    /// `O`: an Open Channels bot.
    Openline,
    /// `S`: a supervisor, sees every message of its chats.
    Supervisor,
    /// v2 `personal`: a personal assistant, also sees every message of its chats.
    Personal,
}

impl BotType {
    pub fn code(self) -> &'static str {
        match self {
            BotType::Bot => "B",
            BotType::Human => "H",
            BotType::Openline => "O",
            BotType::Supervisor => "S",
            BotType::Personal => "P",
        }
    }

    /// The v2 name (`bot`, `supervisor`, ...).
    pub fn v2_name(self) -> &'static str {
        match self {
            BotType::Bot | BotType::Human => "bot",
            BotType::Openline => "openline",
            BotType::Supervisor => "supervisor",
            BotType::Personal => "personal",
        }
    }

    pub fn parse_v2(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "bot" => BotType::Bot,
            "openline" => BotType::Openline,
            "supervisor" => BotType::Supervisor,
            "personal" => BotType::Personal,
            _ => return None,
        })
    }

    pub fn parse(code: &str) -> Option<Self> {
        Some(match code.to_ascii_uppercase().as_str() {
            "B" => BotType::Bot,
            "H" => BotType::Human,
            "O" => BotType::Openline,
            "S" => BotType::Supervisor,
            "P" => BotType::Personal,
            _ => return None,
        })
    }
}

/// How a v2 bot gets its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventMode {
    /// POSTed to its `webhookUrl`.
    Webhook,
    /// Queued for `imbot.v2.Event.get`.
    Fetch,
}

impl EventMode {
    pub fn as_str(self) -> &'static str {
        match self {
            EventMode::Webhook => "webhook",
            EventMode::Fetch => "fetch",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "webhook" => Some(EventMode::Webhook),
            "fetch" => Some(EventMode::Fetch),
            _ => None,
        }
    }
}

/// What the v2 API adds to a bot; `None` for bots made with `imbot.register`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2 {
    pub event_mode: EventMode,
    pub webhook_url: String,
    pub reactions_enabled: bool,
    /// SHA-256 (hex) of the botToken, for webhook callers.
    pub token_hash: Option<String>,
}

/// The handler URLs of a bot (empty: none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Handlers {
    pub message_add: String,
    pub message_update: String,
    pub message_delete: String,
    pub welcome: String,
    pub bot_delete: String,
}

impl Handlers {
    /// Each handler with the parameter that names it.
    pub fn each(&self) -> [(HandlerParam, &str); 5] {
        [
            (HandlerParam::MessageAdd, self.message_add.as_str()),
            (HandlerParam::MessageUpdate, self.message_update.as_str()),
            (HandlerParam::MessageDelete, self.message_delete.as_str()),
            (HandlerParam::Welcome, self.welcome.as_str()),
            (HandlerParam::BotDelete, self.bot_delete.as_str()),
        ]
    }

    /// Each handler as given on its own, else `common` (`EVENT_HANDLER`), else
    /// the one in `base` (the bot's current handlers, or none).
    pub fn resolve(given: &Handlers, common: &str, base: &Handlers) -> Handlers {
        let pick = |own: &str, current: &str| match (own.trim(), common.trim()) {
            ("", "") => current.to_owned(),
            ("", common) => common.to_owned(),
            (own, _) => own.to_owned(),
        };
        Handlers {
            message_add: pick(&given.message_add, &base.message_add),
            message_update: pick(&given.message_update, &base.message_update),
            message_delete: pick(&given.message_delete, &base.message_delete),
            welcome: pick(&given.welcome, &base.welcome),
            bot_delete: pick(&given.bot_delete, &base.bot_delete),
        }
    }

    /// Every handler is empty or a valid URL; with `require`, the ones
    /// Bitrix24 requires (message add, welcome, bot delete) are present.
    pub fn check(&self, require: bool) -> Result<(), BotError> {
        let all = [
            (HandlerParam::MessageAdd, &self.message_add, true),
            (HandlerParam::MessageUpdate, &self.message_update, false),
            (HandlerParam::MessageDelete, &self.message_delete, false),
            (HandlerParam::Welcome, &self.welcome, true),
            (HandlerParam::BotDelete, &self.bot_delete, true),
        ];
        for (param, url, required) in all {
            if url.is_empty() {
                if required && require {
                    return Err(BotError::HandlerMissing(param));
                }
            } else if !valid_handler(url) {
                return Err(BotError::HandlerInvalid(param));
            }
        }
        Ok(())
    }
}

/// A registered bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    pub id: UserId,
    pub code: String,
    pub client_id: String,
    pub kind: BotType,
    pub openline: bool,
    /// The user whose credential registered it.
    pub owner: UserId,
    /// The scopes of the registering credential: what the tokens handed to
    /// its handlers grant.
    pub scopes: Scopes,
    pub handlers: Handlers,
    pub first_name: String,
    pub last_name: String,
    pub work_position: String,
    pub created_at: Timestamp,
    pub v2: Option<V2>,
}

impl Bot {
    pub fn full_name(&self) -> String {
        super::users::display_name(&self.first_name, &self.last_name)
    }

    /// Whether message edits and deletions reach this bot: Bitrix24 ignores
    /// those handlers for `B`/`H` bots without Open Channels support.
    pub fn gets_edits(&self) -> bool {
        !matches!(self.kind, BotType::Bot | BotType::Human) || self.openline
    }
}

/// A validated `imbot.register`.
#[derive(Debug, Clone)]
pub struct NewBot {
    pub code: String,
    pub client_id: String,
    pub kind: BotType,
    pub openline: bool,
    pub owner: UserId,
    pub scopes: Scopes,
    pub handlers: Handlers,
    pub first_name: String,
    pub last_name: String,
    pub work_position: String,
    pub v2: Option<V2>,
}

/// Which handler a validation error is about, named as the parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerParam {
    MessageAdd,
    MessageUpdate,
    MessageDelete,
    Welcome,
    BotDelete,
}

impl HandlerParam {
    pub fn name(self) -> &'static str {
        match self {
            HandlerParam::MessageAdd => "EVENT_MESSAGE_ADD",
            HandlerParam::MessageUpdate => "EVENT_MESSAGE_UPDATE",
            HandlerParam::MessageDelete => "EVENT_MESSAGE_DELETE",
            HandlerParam::Welcome => "EVENT_WELCOME_MESSAGE",
            HandlerParam::BotDelete => "EVENT_BOT_DELETE",
        }
    }

    /// The event's name in Bitrix24's "isn't specified" message.
    pub fn event_label(self) -> &'static str {
        match self {
            HandlerParam::MessageAdd => "Message add",
            HandlerParam::MessageUpdate => "Message update",
            HandlerParam::MessageDelete => "Message delete",
            HandlerParam::Welcome => "Welcome message",
            HandlerParam::BotDelete => "Bot delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BotError {
    #[error("Access denied! Client ID not specified")]
    NoClientId,
    #[error("Bot code isn't specified")]
    CodeEmpty,
    #[error("Bot name isn't specified")]
    NameEmpty,
    #[error("Handler for \"{}\" event isn't specified", .0.event_label())]
    HandlerMissing(HandlerParam),
    #[error("Wrong handler URL")]
    HandlerInvalid(HandlerParam),
    #[error("Has reached the maximum number of bots for application (max: {MAX_BOTS_PER_APP})")]
    TooMany,
    #[error("Bot not found")]
    NotFound,
    #[error("Bot was installed by another REST application")]
    OtherApp,
    #[error("Another bot of this application already has this code")]
    CodeTaken,
}

/// A handler URL must be an absolute http(s) URL with a host.
pub fn valid_handler(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// The raw `imbot.register` input, before validation.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub code: String,
    pub kind: String,
    pub openline: bool,
    /// `EVENT_HANDLER`: copied to every handler not given on its own.
    pub common_handler: String,
    pub handlers: Handlers,
    pub first_name: String,
    pub last_name: String,
    pub work_position: String,
}

impl NewBot {
    /// Validates a registration in the order Bitrix24 reports errors.
    pub fn parse(
        r: Registration,
        client_id: Option<String>,
        owner: UserId,
        scopes: Scopes,
    ) -> Result<NewBot, BotError> {
        let client_id = client_id
            .filter(|c| !c.trim().is_empty())
            .ok_or(BotError::NoClientId)?;
        let code = r.code.trim().to_owned();
        if code.is_empty() {
            return Err(BotError::CodeEmpty);
        }
        let handlers = Handlers::resolve(&r.handlers, &r.common_handler, &Handlers::default());
        handlers.check(true)?;
        let first_name = r.first_name.trim().to_owned();
        let last_name = r.last_name.trim().to_owned();
        if first_name.is_empty() && last_name.is_empty() {
            return Err(BotError::NameEmpty);
        }
        let kind = BotType::parse(&r.kind).unwrap_or(BotType::Bot);
        Ok(NewBot {
            code,
            client_id,
            openline: r.openline || kind == BotType::Openline,
            kind,
            owner,
            scopes,
            handlers,
            first_name,
            last_name,
            work_position: r.work_position.trim().to_owned(),
            v2: None,
        })
    }
}

/// What `imbot.update` changes; `None` (or an empty handler) keeps a value.
#[derive(Debug, Clone, Default)]
pub struct BotChanges {
    pub code: Option<String>,
    pub common_handler: String,
    pub handlers: Handlers,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub work_position: Option<String>,
}

/// The bot `bot` becomes with `c` applied: the rule of `imbot.update`, on the
/// bot as it is at the moment of the change (the store calls it inside the
/// change's transaction).
pub fn apply_changes(bot: &Bot, c: &BotChanges) -> Result<Bot, BotError> {
    let handlers = Handlers::resolve(&c.handlers, &c.common_handler, &bot.handlers);
    handlers.check(false)?;
    let mut updated = bot.clone();
    updated.handlers = handlers;
    if let Some(code) = c.code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        updated.code = code.to_owned();
    }
    if let Some(n) = &c.first_name {
        updated.first_name = n.trim().to_owned();
    }
    if let Some(n) = &c.last_name {
        updated.last_name = n.trim().to_owned();
    }
    if let Some(w) = &c.work_position {
        updated.work_position = w.trim().to_owned();
    }
    if updated.first_name.is_empty() && updated.last_name.is_empty() {
        return Err(BotError::NameEmpty);
    }
    Ok(updated)
}

/// A change to a bot, applied by the store to the bot as stored.
pub type BotChange = std::sync::Arc<dyn Fn(&Bot) -> Result<Bot, BotError> + Send + Sync>;

/// What became of an update.
#[derive(Debug)]
pub enum BotUpdated {
    Done,
    NotFound,
    /// Another bot of the same application has the new code.
    CodeTaken,
    /// Another bot was registered with the new botToken (v2 rotation).
    TokenTaken,
    /// The change's own rule refused it.
    Refused(BotError),
}

/// A registered slash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub id: i64,
    pub bot: UserId,
    pub command: String,
    /// Usable in every chat, not only those the bot is in.
    pub common: bool,
    pub hidden: bool,
    pub handler: String,
    pub client_id: String,
    /// Usable by extranet users too.
    pub extranet: bool,
    /// (LANGUAGE_ID, TITLE, PARAMS) as given.
    pub lang: Vec<(String, String, String)>,
}

/// What `imbot.command.update` / `imbot.v2.Command.update` change (`None`:
/// left as it is).
#[derive(Debug, Clone, Default)]
pub struct CommandChanges {
    pub command: Option<String>,
    pub handler: Option<String>,
    pub common: Option<bool>,
    pub hidden: Option<bool>,
    pub extranet: Option<bool>,
    pub lang: Option<Vec<(String, String, String)>>,
}

impl CommandChanges {
    pub fn is_empty(&self) -> bool {
        self.command.is_none()
            && self.handler.is_none()
            && self.common.is_none()
            && self.hidden.is_none()
            && self.extranet.is_none()
            && self.lang.is_none()
    }
}

/// A command name as registered: no leading `/`, lowercase, letters and
/// digits only.
pub fn command_name(raw: &str) -> Option<String> {
    let command = raw.trim().trim_start_matches('/').to_ascii_lowercase();
    (!command.is_empty() && command.chars().all(|c| c.is_ascii_alphanumeric())).then_some(command)
}

/// The outcome of a command update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandUpdated {
    Done,
    NotFound,
    /// The bot has another command of the new name.
    Taken,
}

/// A validated `imbot.command.register`.
#[derive(Debug, Clone)]
pub struct NewCommand {
    pub bot: UserId,
    pub command: String,
    pub common: bool,
    pub hidden: bool,
    pub handler: String,
    pub client_id: String,
    pub extranet: bool,
    /// (LANGUAGE_ID, TITLE, PARAMS) as given.
    pub lang: Vec<(String, String, String)>,
    /// Registering the bot's command again replaces it (v1); `false`: the
    /// one registered stays as it is (v2, idempotent).
    pub replace: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("Command isn't specified")]
    Empty,
    #[error("Handler for \"Command add\" event isn't specified")]
    HandlerMissing,
    #[error("Wrong handler URL")]
    HandlerInvalid,
    #[error("Lang set can't be empty")]
    LangEmpty,
    #[error("Command not found")]
    NotFound,
    #[error("Command was installed by another rest application")]
    OtherApp,
}

impl NewCommand {
    pub fn parse(
        bot: &Bot,
        command: &str,
        handler: &str,
        lang: Vec<(String, String, String)>,
        common: bool,
        hidden: bool,
    ) -> Result<NewCommand, CommandError> {
        let command = command_name(command).ok_or(CommandError::Empty)?;
        let handler = handler.trim();
        if handler.is_empty() {
            return Err(CommandError::HandlerMissing);
        }
        if !valid_handler(handler) {
            return Err(CommandError::HandlerInvalid);
        }
        if lang.is_empty() {
            return Err(CommandError::LangEmpty);
        }
        Ok(NewCommand {
            bot: bot.id,
            command,
            common,
            hidden,
            handler: handler.to_owned(),
            client_id: bot.client_id.clone(),
            extranet: false,
            lang,
            replace: true,
        })
    }
}

/// A message that uses a command: `/echo some text` is (`echo`, `some text`).
pub fn parse_command(text: &str) -> Option<(String, String)> {
    let rest = text.trim_start().strip_prefix('/')?;
    let (word, params) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((word.to_ascii_lowercase(), params.trim().to_owned()))
}

/// The user ids a message mentions with `[USER=id]...[/USER]`.
pub fn mentions(text: &str) -> Vec<UserId> {
    let mut out = Vec::new();
    let upper = text.to_ascii_uppercase();
    let mut rest = upper.as_str();
    while let Some(at) = rest.find("[USER=") {
        rest = &rest[at + 6..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(id) = digits.parse::<i64>() {
            if rest[digits.len()..].starts_with(']') && !out.contains(&UserId(id)) {
                out.push(UserId(id));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registration {
        Registration {
            code: "newbot".into(),
            common_handler: "https://example.com/bot".into(),
            first_name: "NewBot".into(),
            ..Registration::default()
        }
    }

    #[test]
    fn registration_errors_follow_the_docs() {
        let parse = |r: Registration, c: Option<&str>| {
            NewBot::parse(r, c.map(str::to_owned), UserId(1), Scopes::all())
        };
        assert_eq!(parse(reg(), None).unwrap_err(), BotError::NoClientId);
        let mut r = reg();
        r.code = " ".into();
        assert_eq!(parse(r, Some("app")).unwrap_err(), BotError::CodeEmpty);
        let mut r = reg();
        r.common_handler = String::new();
        assert_eq!(
            parse(r, Some("app")).unwrap_err(),
            BotError::HandlerMissing(HandlerParam::MessageAdd)
        );
        let mut r = reg();
        r.handlers.welcome = "ftp://x".into();
        assert_eq!(
            parse(r, Some("app")).unwrap_err(),
            BotError::HandlerInvalid(HandlerParam::Welcome)
        );
        let mut r = reg();
        r.first_name = String::new();
        assert_eq!(parse(r, Some("app")).unwrap_err(), BotError::NameEmpty);
        let bot = parse(reg(), Some("app")).unwrap();
        assert_eq!(bot.handlers.bot_delete, "https://example.com/bot");
        assert_eq!(bot.kind, BotType::Bot);
    }

    #[test]
    fn commands_are_recognised() {
        assert_eq!(
            parse_command("/echo test me"),
            Some(("echo".into(), "test me".into()))
        );
        assert_eq!(parse_command("/Help"), Some(("help".into(), String::new())));
        assert_eq!(parse_command("hello /echo"), None);
        assert_eq!(parse_command("/ spaced"), None);
        assert_eq!(parse_command("/a-b"), None);
    }

    #[test]
    fn mentions_are_found() {
        assert_eq!(
            mentions("[USER=5]Bot[/USER], hi [user=7]x[/user] [USER=5]again[/USER] [USER=x]"),
            [UserId(5), UserId(7)]
        );
    }
}

/// Errors of the v2 bot methods, as `imbot.v2.*` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BotV2Error {
    #[error("Bot token is not specified")]
    TokenMissing,
    #[error("Bot ID is required")]
    IdRequired,
    #[error("Bot not found")]
    NotFound,
    #[error("Bot is registered by another application")]
    Ownership,
    #[error("Bot code is required")]
    CodeRequired,
    #[error("Bot properties are required")]
    PropertiesRequired,
    #[error("Bot code is already taken")]
    CodeTaken,
    #[error("Invalid bot type")]
    InvalidType,
    #[error("Invalid event mode")]
    InvalidEventMode,
    #[error("Webhook URL is required")]
    WebhookUrlRequired,
    #[error("Invalid callback URL")]
    InvalidCallback,
    #[error("Bot limit exceeded")]
    LimitExceeded,
}

/// At most this many v2 bots per application, as in Bitrix24.
pub const MAX_V2_BOTS_PER_APP: usize = 100;

/// The SHA-256 (hex) of a botToken.
pub fn token_hash(token: &str) -> String {
    super::credentials::TokenHash::of(token).0
}

/// The application a v2 call acts for: the caller's token's, else the one a
/// `botToken` names (webhook callers).
pub fn v2_app(caller_client: Option<&str>, bot_token: Option<&str>) -> Result<String, BotV2Error> {
    if let Some(c) = caller_client.filter(|c| !c.is_empty()) {
        return Ok(c.to_owned());
    }
    match bot_token.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(format!("bot-token:{}", &token_hash(t)[..16])),
        None => Err(BotV2Error::TokenMissing),
    }
}

/// What `imbot.v2.Bot.update` changes (`None`: as it is), checked.
#[derive(Debug, Clone, Default)]
pub struct BotV2Changes {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub work_position: Option<String>,
    pub reactions_enabled: Option<bool>,
    pub openline: Option<bool>,
    pub event_mode: Option<EventMode>,
    pub webhook_url: Option<String>,
    /// A new botToken (rotation): the bot's application becomes the one it
    /// names.
    pub bot_token: Option<String>,
}

impl BotV2Changes {
    /// Checks the changes against the bot as it is: a webhook mode needs a
    /// valid URL.
    pub fn check(&self, bot: &Bot) -> Result<(), BotV2Error> {
        if let Some(url) = &self.webhook_url {
            if !url.is_empty() && !valid_handler(url) {
                return Err(BotV2Error::InvalidCallback);
            }
        }
        let mode = self
            .event_mode
            .or(bot.v2.as_ref().map(|v| v.event_mode))
            .unwrap_or(EventMode::Webhook);
        let url = self
            .webhook_url
            .clone()
            .or(bot.v2.as_ref().map(|v| v.webhook_url.clone()))
            .unwrap_or_default();
        if mode == EventMode::Webhook && url.is_empty() {
            return Err(BotV2Error::WebhookUrlRequired);
        }
        Ok(())
    }

    /// The bot with these changes.
    pub fn apply(&self, bot: &Bot) -> Bot {
        let mut b = bot.clone();
        if let Some(n) = &self.first_name {
            b.first_name = n.trim().to_owned();
        }
        if let Some(n) = &self.last_name {
            b.last_name = n.trim().to_owned();
        }
        if let Some(w) = &self.work_position {
            b.work_position = w.trim().to_owned();
        }
        if let Some(o) = self.openline {
            b.openline = o;
        }
        let mut v2 = b.v2.clone().unwrap_or(V2 {
            event_mode: EventMode::Webhook,
            webhook_url: String::new(),
            reactions_enabled: true,
            token_hash: None,
        });
        if let Some(r) = self.reactions_enabled {
            v2.reactions_enabled = r;
        }
        if let Some(m) = self.event_mode {
            v2.event_mode = m;
        }
        if let Some(u) = &self.webhook_url {
            v2.webhook_url = u.trim().to_owned();
        }
        if let Some(t) = &self.bot_token {
            let t = t.trim();
            v2.token_hash = Some(token_hash(t));
            if b.client_id.starts_with("bot-token:") {
                b.client_id = format!("bot-token:{}", &token_hash(t)[..16]);
            }
        }
        b.v2 = Some(v2);
        b
    }
}

/// The raw `imbot.v2.Bot.register` fields.
#[derive(Debug, Clone, Default)]
pub struct RegistrationV2 {
    pub code: String,
    pub bot_token: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub work_position: String,
    pub kind: Option<String>,
    pub event_mode: Option<String>,
    pub webhook_url: String,
    pub reactions_enabled: Option<bool>,
    pub openline: bool,
}

impl NewBot {
    /// Validates a v2 registration in the order of the docs' error list.
    pub fn parse_v2(
        r: RegistrationV2,
        caller_client: Option<&str>,
        owner: UserId,
        scopes: Scopes,
    ) -> Result<NewBot, BotV2Error> {
        let client_id = v2_app(caller_client, r.bot_token.as_deref())?;
        let code = r.code.trim().to_owned();
        if code.is_empty() {
            return Err(BotV2Error::CodeRequired);
        }
        let first_name = r.first_name.trim().to_owned();
        if first_name.is_empty() {
            return Err(BotV2Error::PropertiesRequired);
        }
        let kind = match r.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => BotType::Bot,
            Some(k) => BotType::parse_v2(k).ok_or(BotV2Error::InvalidType)?,
        };
        let event_mode = match r
            .event_mode
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            None => EventMode::Fetch,
            Some(m) => EventMode::parse(m).ok_or(BotV2Error::InvalidEventMode)?,
        };
        let webhook_url = r.webhook_url.trim().to_owned();
        if event_mode == EventMode::Webhook && webhook_url.is_empty() {
            return Err(BotV2Error::WebhookUrlRequired);
        }
        if !webhook_url.is_empty() && !valid_handler(&webhook_url) {
            return Err(BotV2Error::InvalidCallback);
        }
        Ok(NewBot {
            code,
            client_id,
            kind,
            openline: r.openline || kind == BotType::Openline,
            owner,
            scopes,
            handlers: Handlers::default(),
            first_name,
            last_name: r.last_name.trim().to_owned(),
            work_position: r.work_position.trim().to_owned(),
            v2: Some(V2 {
                event_mode,
                webhook_url,
                reactions_enabled: r.reactions_enabled.unwrap_or(true),
                token_hash: r
                    .bot_token
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(token_hash),
            }),
        })
    }
}
