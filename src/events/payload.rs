//! An outbox entry as Bitrix24 POSTs it: `event`, `event_handler_id`,
//! `data`, `ts` and `auth`, with the field names and string values of the
//! chat-bot pages (api-reference/chat-bots/outdated/.../events/).

use serde_json::{json, Map, Value};

use crate::domain::events::{
    ChatSnapshot, EventKind, EventRecord, MessageSnapshot, OutboxEntry, UserSnapshot,
};
use crate::domain::users::{color_for, display_name};
use crate::domain::UserId;

/// What the `auth` blocks say about this server.
#[derive(Debug, Clone)]
pub struct Portal {
    /// `host:port`, as `domain`.
    pub domain: String,
    /// `http(s)://host:port/rest/`.
    pub client_endpoint: String,
    pub member_id: String,
    /// What makes applications' `application_token`s.
    pub app_tokens: AppTokens,
}

impl Portal {
    /// The portal at `public_url` (`http(s)://host:port`).
    pub fn new(public_url: &str, member_id: String, app_tokens: AppTokens) -> Portal {
        let base = public_url.trim_end_matches('/');
        Portal {
            domain: crate::config::host_of(base).to_owned(),
            client_endpoint: format!("{base}/rest/"),
            member_id,
            app_tokens,
        }
    }
}

/// Makes the `application_token` an application's events carry, by which
/// its handler knows an event is genuine: an HMAC-SHA256, under a secret
/// only the server keeps (made on first use, in the data store), of the
/// application's subject ([`crate::domain::applications::token_subject`]),
/// 32 hex digits. Nothing a client sees (the `member_id`, a client id, a
/// webhook) derives it.
#[derive(Clone)]
pub struct AppTokens(ring::hmac::Key);

impl AppTokens {
    pub fn new(secret: &str) -> AppTokens {
        AppTokens(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            secret.as_bytes(),
        ))
    }

    /// The `application_token` of `subject`.
    pub fn token(&self, subject: &str) -> String {
        let tag = ring::hmac::sign(&self.0, subject.as_bytes());
        let mut hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        hex.truncate(32);
        hex
    }
}

impl std::fmt::Debug for AppTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppTokens(..)")
    }
}

/// The tokens one delivery carries: the bot's (for bot events), the one
/// acting for the user in `auth`, and the application's `application_token`.
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'a> {
    pub bot: Option<&'a IssuedToken>,
    pub user: &'a IssuedToken,
    pub application: &'a str,
}

/// An access token minted for one delivery.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires: i64,
    pub user_id: i64,
    pub scope: String,
}

/// The `auth` block: top-level (the user who caused the event) or a bot's.
pub(super) fn auth_block(
    t: &IssuedToken,
    portal: &Portal,
    client_id: Option<&str>,
    app: &str,
) -> Map<String, Value> {
    let now = chrono::Utc::now().timestamp();
    let mut m = Map::new();
    m.insert("access_token".into(), t.access_token.clone().into());
    m.insert("expires".into(), t.expires.to_string().into());
    m.insert(
        "expires_in".into(),
        (t.expires - now).max(0).to_string().into(),
    );
    m.insert("scope".into(), t.scope.clone().into());
    m.insert("domain".into(), portal.domain.clone().into());
    m.insert(
        "server_endpoint".into(),
        portal.client_endpoint.clone().into(),
    );
    // Every b24im application is a local one (`app.info` STATUS `L`).
    m.insert("status".into(), "L".into());
    m.insert(
        "client_endpoint".into(),
        portal.client_endpoint.clone().into(),
    );
    m.insert("member_id".into(), portal.member_id.clone().into());
    // Events bring no refresh token: a new access token comes with every
    // event (an OAuth application renews its own at /oauth/token/).
    m.insert("refresh_token".into(), "".into());
    m.insert("user_id".into(), t.user_id.to_string().into());
    if let Some(c) = client_id {
        let shown = crate::domain::applications::shown_client_id(c);
        m.insert("client_id".into(), shown.into());
    }
    m.insert("application_token".into(), app.into());
    m
}

fn user_block(u: &UserSnapshot) -> Value {
    let name = display_name(&u.first_name, &u.last_name);
    json!({
        "ID": u.id.to_string(),
        "NAME": name,
        "FIRST_NAME": u.first_name,
        "LAST_NAME": u.last_name,
        "WORK_POSITION": u.work_position,
        "GENDER": "",
        "IS_BOT": yn(u.bot),
        "IS_CONNECTOR": "N",
        "IS_NETWORK": "N",
        "IS_EXTRANET": "N",
    })
}

fn yn(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// Removes `[USER=bot]...[/USER]` mentions of the receiving bot, as Bitrix24
/// does in `MESSAGE` (the original stays in `MESSAGE_ORIGINAL`).
fn strip_mention(text: &str, bot: i64) -> String {
    let open = format!("[USER={bot}]");
    let mut out = String::new();
    let mut rest = text;
    loop {
        let upper = rest.to_ascii_uppercase();
        let Some(at) = upper.find(&open) else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        match after.to_ascii_uppercase().find("[/USER]") {
            Some(end) => rest = &after[end + "[/USER]".len()..],
            None => {
                out.push_str(after);
                break;
            }
        }
    }
    out.trim().to_owned()
}

fn chat_fields(params: &mut Map<String, Value>, c: &ChatSnapshot) {
    params.insert("CHAT_ID".into(), c.id.to_string().into());
    params.insert("CHAT_TITLE".into(), c.title.clone().into());
    params.insert("CHAT_AUTHOR_ID".into(), c.owner.to_string().into());
    params.insert("CHAT_TYPE".into(), c.kind.clone().into());
    params.insert("CHAT_AVATAR".into(), "0".into());
    params.insert("CHAT_COLOR".into(), c.color.clone().into());
    params.insert("CHAT_ENTITY_TYPE".into(), c.entity_type.clone().into());
    params.insert("CHAT_ENTITY_ID".into(), c.entity_id.clone().into());
    for n in 1..=3 {
        params.insert(format!("CHAT_ENTITY_DATA_{n}"), "".into());
    }
    params.insert("CHAT_EXTRANET".into(), "N".into());
}

/// Where a command came from: typed (`TEXTAREA`), or pressed on a keyboard
/// or menu (`KEYBOARD`, `im.message.command`).
fn context(r: &crate::domain::events::EventRecord) -> &'static str {
    if r.keyboard {
        "KEYBOARD"
    } else {
        "TEXTAREA"
    }
}

/// The form body Bitrix24 would POST for `entry`.
pub fn payload(entry: &OutboxEntry, portal: &Portal, tokens: Tokens) -> Value {
    let r = &entry.record;
    let (bot_token, user_token, app) = (tokens.bot, tokens.user, tokens.application);
    let mut data = Map::new();
    if let (Some(t), true) = (bot_token, r.kind != EventKind::BotDelete) {
        // Bitrix24 repeats the bot's auth fields inside `AUTH`.
        let auth = auth_block(t, portal, Some(&entry.client_id), app);
        let mut bot = auth.clone();
        bot.insert("AUTH".into(), Value::Object(auth));
        bot.insert("BOT_ID".into(), r.bot_id.to_string().into());
        bot.insert("BOT_CODE".into(), r.bot_code.clone().into());
        match (&r.command, &r.message) {
            (Some((id, command, args)), Some(m)) => {
                // ONIMCOMMANDADD: the block is keyed by the command, not the bot.
                bot.insert("COMMAND".into(), command.clone().into());
                bot.insert("COMMAND_ID".into(), id.to_string().into());
                bot.insert("COMMAND_PARAMS".into(), args.clone().into());
                bot.insert("COMMAND_CONTEXT".into(), context(r).into());
                bot.insert("MESSAGE_ID".into(), m.id.to_string().into());
                data.insert(
                    "COMMAND".into(),
                    json!({ id.to_string(): Value::Object(bot) }),
                );
            }
            _ => {
                data.insert(
                    "BOT".into(),
                    json!({ r.bot_id.to_string(): Value::Object(bot) }),
                );
            }
        }
    }
    let mut params = Map::new();
    let private = r.chat.as_ref().is_some_and(|c| c.kind == "P");
    match (r.kind, &r.chat, &r.message) {
        (EventKind::BotMessageAdd | EventKind::CommandAdd, Some(c), Some(m)) => {
            params.insert("MESSAGE".into(), strip_mention(&m.text, r.bot_id).into());
            params.insert("TEMPLATE_ID".into(), "".into());
            params.insert("MESSAGE_TYPE".into(), c.kind.clone().into());
            params.insert("FROM_USER_ID".into(), m.author.to_string().into());
            params.insert("DIALOG_ID".into(), c.dialog_id.clone().into());
            params.insert("TO_CHAT_ID".into(), c.id.to_string().into());
            params.insert("AUTHOR_ID".into(), m.author.to_string().into());
            params.insert("SYSTEM".into(), "N".into());
            if !private {
                chat_fields(&mut params, c);
            }
            params.insert("CHAT_USER_COUNT".into(), c.member_count.to_string().into());
            if !m.mentioned.is_empty() {
                let list: Map<String, Value> = m
                    .mentioned
                    .iter()
                    .map(|id| (id.to_string(), Value::from(id.to_string())))
                    .collect();
                params.insert("MENTIONED_LIST".into(), Value::Object(list));
            }
            params.insert("PLATFORM_CONTEXT".into(), "web".into());
            if r.kind == EventKind::BotMessageAdd {
                params.insert("COMMAND_CONTEXT".into(), "TEXTAREA".into());
            }
            if !private {
                params.insert("MESSAGE_ORIGINAL".into(), m.text.clone().into());
            }
            if private || m.mentioned.contains(&r.bot_id) {
                params.insert("TO_USER_ID".into(), r.bot_id.to_string().into());
            }
            params.insert("MESSAGE_ID".into(), m.id.to_string().into());
            params.insert("CHAT_TYPE".into(), c.kind.clone().into());
            params.insert("LANGUAGE".into(), "en".into());
        }
        (EventKind::BotMessageUpdate | EventKind::BotMessageDelete, Some(c), Some(m)) => {
            params.insert("ID".into(), m.id.to_string().into());
            params.insert("CHAT_ID".into(), c.id.to_string().into());
            params.insert("AUTHOR_ID".into(), m.author.to_string().into());
            params.insert("MESSAGE".into(), m.text.clone().into());
            params.insert("MESSAGE_TYPE".into(), c.kind.clone().into());
            params.insert("CHAT_AUTHOR_ID".into(), c.owner.to_string().into());
            params.insert("CHAT_ENTITY_TYPE".into(), c.entity_type.clone().into());
            params.insert("CHAT_ENTITY_ID".into(), c.entity_id.clone().into());
            params.insert("FROM_USER_ID".into(), m.author.to_string().into());
            if private {
                params.insert("TO_USER_ID".into(), r.bot_id.to_string().into());
            }
            params.insert("CHAT_USER_COUNT".into(), c.member_count.to_string().into());
            params.insert("DIALOG_ID".into(), c.dialog_id.clone().into());
            params.insert("MESSAGE_ID".into(), m.id.to_string().into());
            params.insert("CHAT_TYPE".into(), c.kind.clone().into());
            params.insert("LANGUAGE".into(), "en".into());
        }
        (EventKind::BotJoinChat, Some(c), _) => {
            let user = r.user.as_ref().map_or(0, |u| u.id);
            params.insert("CHAT_TYPE".into(), c.kind.clone().into());
            params.insert("MESSAGE_TYPE".into(), c.kind.clone().into());
            params.insert("BOT_ID".into(), r.bot_id.to_string().into());
            params.insert("USER_ID".into(), user.to_string().into());
            if private {
                params.insert("TO_USER_ID".into(), user.to_string().into());
                params.insert("FROM_USER_ID".into(), r.bot_id.to_string().into());
            } else {
                chat_fields(&mut params, c);
                params.insert("CHAT_USER_COUNT".into(), c.member_count.to_string().into());
            }
            params.insert("DIALOG_ID".into(), c.dialog_id.clone().into());
            params.insert("LANGUAGE".into(), "en".into());
        }
        _ => {}
    }
    if r.kind == EventKind::BotDelete {
        data.insert("BOT_ID".into(), r.bot_id.to_string().into());
        data.insert("BOT_CODE".into(), r.bot_code.clone().into());
    } else {
        data.insert("PARAMS".into(), Value::Object(params));
        if let Some(u) = &r.user {
            data.insert("USER".into(), user_block(u));
        }
    }
    json!({
        "event": r.kind.name(),
        "event_handler_id": entry.handler_id.to_string(),
        "data": Value::Object(data),
        "ts": r.at.to_string(),
        "auth": Value::Object(auth_block(user_token, portal, None, app)),
    })
}

/// The v2 `Bot` object in its extended form (fetch mode, method answers).
pub fn v2_bot(bot: &crate::domain::bots::Bot) -> Value {
    let v2 = bot.v2.as_ref();
    json!({
        "id": bot.id.0,
        "code": bot.code,
        "type": bot.kind.v2_name(),
        "isHidden": false,
        "isSupportOpenline": bot.openline,
        "isReactionsEnabled": v2.is_none_or(|v| v.reactions_enabled),
        "backgroundId": null,
        "language": "en",
        "moduleId": "rest",
        "eventMode": v2.map_or("webhook", |v| v.event_mode.as_str()),
        "countMessage": 0,
        "countCommand": 0,
        "countChat": 0,
        "countUser": 0,
    })
}

fn v2_chat_type(kind: &str) -> &'static str {
    match kind {
        "P" => "private",
        "O" => "open",
        _ => "chat",
    }
}

fn color_hex(name: &str) -> &'static str {
    crate::domain::chats::Color::parse(name)
        .unwrap_or(crate::domain::chats::Color::Gray)
        .hex()
}

fn v2_chat(c: &ChatSnapshot) -> Value {
    json!({
        "id": c.id,
        "dialogId": c.dialog_id,
        "type": v2_chat_type(&c.kind),
        "name": c.title,
        "entityType": c.entity_type,
        "owner": c.owner,
        "avatar": "",
        "color": color_hex(&c.color),
    })
}

pub fn v2_user(u: &UserSnapshot, at: i64) -> Value {
    let name = display_name(&u.first_name, &u.last_name);
    let color = color_for(UserId(u.id));
    json!({
        "id": u.id,
        "active": true,
        "name": name,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "workPosition": u.work_position,
        "color": color,
        "avatar": "",
        "gender": "",
        "birthday": "",
        "extranet": false,
        "bot": u.bot,
        "connector": false,
        "externalAuthId": if u.bot { "bot" } else { "default" },
        "status": "online",
        "idle": false,
        "lastActivityDate": crate::protocol::envelope::iso_date(crate::domain::Timestamp(at)),
        "absent": false,
        "departments": if u.departments.is_empty() && !u.bot {
            vec![crate::domain::departments::HEAD_DEPARTMENT]
        } else {
            u.departments.clone()
        },
        "phones": false,
        "type": if u.bot { "bot" } else { "employee" },
    })
}

/// The v2 `Message` of an event.
fn v2_message(m: &MessageSnapshot, c: &ChatSnapshot, at: i64) -> Value {
    json!({
        "id": m.id,
        "chatId": c.id,
        "authorId": m.author,
        "date": crate::protocol::envelope::iso_date(crate::domain::Timestamp(at)),
        "text": m.text,
        "isSystem": false,
        "uuid": "",
        "forward": null,
        "params": {},
        "viewedByOthers": false,
    })
}

/// The `data` of a v2 event, with `bot` as given (webhook: `{id, code,
/// auth}`; fetch: the full object).
pub fn v2_data(r: &EventRecord, bot: Option<Value>) -> Value {
    let mut d = Map::new();
    if let Some(bot) = bot {
        d.insert("bot".into(), bot);
    }
    let at = r.at;
    match r.kind {
        EventKind::V2MessageAdd
        | EventKind::V2MessageUpdate
        | EventKind::V2ReactionChange
        | EventKind::UserMessageAdd
        | EventKind::UserMessageUpdate
        | EventKind::UserReactionChange => {
            if let Some((code, added)) = &r.reaction {
                d.insert("reaction".into(), code.clone().into());
                d.insert(
                    "action".into(),
                    if *added { "add" } else { "delete" }.into(),
                );
            }
            if let (Some(m), Some(c)) = (&r.message, &r.chat) {
                d.insert("message".into(), v2_message(m, c, at));
            }
        }
        EventKind::V2MessageDelete | EventKind::UserMessageDelete => {
            if let Some(m) = &r.message {
                d.insert("messageId".into(), m.id.into());
            }
        }
        EventKind::V2CommandAdd => {
            if let Some((id, word, params)) = &r.command {
                d.insert(
                    "command".into(),
                    json!({
                        "id": id,
                        "command": format!("/{word}"),
                        "params": params,
                        "context": if r.keyboard { "keyboard" } else { "textarea" },
                    }),
                );
            }
            if let (Some(m), Some(c)) = (&r.message, &r.chat) {
                d.insert("message".into(), v2_message(m, c, at));
            }
        }
        EventKind::V2ContextGet => {
            if let Some(c) = &r.chat {
                d.insert("dialogId".into(), c.dialog_id.clone().into());
            }
            d.insert(
                "context".into(),
                r.context.clone().unwrap_or_else(|| json!({})),
            );
        }
        EventKind::V2JoinChat | EventKind::UserJoinChat => {
            if let Some(c) = &r.chat {
                d.insert("dialogId".into(), c.dialog_id.clone().into());
            }
        }
        _ => {}
    }
    if r.kind != EventKind::V2Delete {
        if let Some(c) = &r.chat {
            d.insert("chat".into(), v2_chat(c));
        }
        if let Some(u) = &r.user {
            d.insert("user".into(), v2_user(u, at));
        }
        d.insert("language".into(), "en".into());
    }
    Value::Object(d)
}

/// A v2 event as POSTed in webhook mode.
pub fn v2_payload(
    entry: &OutboxEntry,
    portal: &Portal,
    bot_token: &IssuedToken,
    tokens: Tokens,
) -> Value {
    let r = &entry.record;
    let (user_token, app) = (tokens.user, tokens.application);
    let bot = json!({
        "id": r.bot_id,
        "code": r.bot_code,
        "auth": Value::Object(auth_block(bot_token, portal, Some(&entry.client_id), app)),
    });
    json!({
        "event": r.kind.name(),
        "data": v2_data(r, Some(bot)),
        "ts": r.at,
        "auth": Value::Object(auth_block(user_token, portal, None, app)),
    })
}

/// Whose token an entry's `auth` carries as the bot's (`None`: no bot token).
pub fn bot_token_user(entry: &OutboxEntry) -> Option<i64> {
    match entry.record.kind {
        EventKind::BotDelete => None,
        k if k.is_user() => None,
        // The bot is gone; the token in its `auth` acts as its owner.
        EventKind::V2Delete => Some(entry.auth_user),
        _ => Some(entry.record.bot_id),
    }
}

/// The payload of an entry as its handler gets it (form-encoded by the caller).
pub fn of_entry(entry: &OutboxEntry, portal: &Portal, tokens: Tokens) -> Value {
    let kind = entry.record.kind;
    match tokens.bot {
        _ if kind.is_user() => user_payload(entry, portal, tokens),
        Some(bot) if kind.is_v2() => v2_payload(entry, portal, bot, tokens),
        _ => payload(entry, portal, tokens),
    }
}

/// An im.v2 user event as POSTed to an `event.bind` handler.
pub fn user_payload(entry: &OutboxEntry, portal: &Portal, tokens: Tokens) -> Value {
    let r = &entry.record;
    let (user_token, app) = (tokens.user, tokens.application);
    json!({
        "event": r.kind.name(),
        "event_handler_id": entry.handler_id.to_string(),
        "data": v2_data(r, None),
        "ts": r.at.to_string(),
        "auth": Value::Object(auth_block(user_token, portal, None, app)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_receiving_bots_mention_is_stripped() {
        assert_eq!(
            strip_mention("[USER=567]NewBot[/USER] , how to set up the left menu", 567),
            ", how to set up the left menu"
        );
        assert_eq!(
            strip_mention("hi [user=5]x[/user]", 6),
            "hi [user=5]x[/user]"
        );
        assert_eq!(strip_mention("[USER=5]x", 5), "[USER=5]x");
    }
}
