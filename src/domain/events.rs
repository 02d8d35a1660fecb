//! Events: what happened, recorded in the transaction of the change that
//! caused it (the outbox), and delivered after commit by `crate::events`.
//!
//! An [`EventRecord`] is a snapshot of everything the event's payload needs,
//! taken when the event happened, so a later edit never changes what an
//! earlier event says. How the snapshot becomes Bitrix24's form-encoded POST
//! is the delivery layer's business.

use serde::{Deserialize, Serialize};

use super::credentials::{Scopes, Ties};
use super::{ChatId, MessageId, Timestamp, UserId};

/// The events b24im sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    BotMessageAdd,
    BotMessageUpdate,
    BotMessageDelete,
    BotJoinChat,
    BotDelete,
    /// ONIMCOMMANDADD: a message used one of the bot's slash commands.
    CommandAdd,
    V2MessageAdd,
    V2MessageUpdate,
    V2MessageDelete,
    V2JoinChat,
    V2Delete,
    V2ReactionChange,
    /// ONIMBOTV2COMMANDADD: a message used a v2 bot's command.
    V2CommandAdd,
    /// ONIMBOTV2CONTEXTGET: a user opened a dialog with the bot, with context
    /// (`im.v2.Chat.Bot.sendContext`).
    V2ContextGet,
    /// im.v2 user events (polled with im.v2.Event.get, or bound with event.bind).
    UserMessageAdd,
    UserMessageUpdate,
    UserMessageDelete,
    UserReactionChange,
    UserJoinChat,
}

impl EventKind {
    /// The Bitrix24 event name.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::BotMessageAdd => "ONIMBOTMESSAGEADD",
            EventKind::BotMessageUpdate => "ONIMBOTMESSAGEUPDATE",
            EventKind::BotMessageDelete => "ONIMBOTMESSAGEDELETE",
            EventKind::BotJoinChat => "ONIMBOTJOINCHAT",
            EventKind::BotDelete => "ONIMBOTDELETE",
            EventKind::CommandAdd => "ONIMCOMMANDADD",
            EventKind::V2MessageAdd => "ONIMBOTV2MESSAGEADD",
            EventKind::V2MessageUpdate => "ONIMBOTV2MESSAGEUPDATE",
            EventKind::V2MessageDelete => "ONIMBOTV2MESSAGEDELETE",
            EventKind::V2JoinChat => "ONIMBOTV2JOINCHAT",
            EventKind::V2Delete => "ONIMBOTV2DELETE",
            EventKind::V2ReactionChange => "ONIMBOTV2REACTIONCHANGE",
            EventKind::V2CommandAdd => "ONIMBOTV2COMMANDADD",
            EventKind::V2ContextGet => "ONIMBOTV2CONTEXTGET",
            EventKind::UserMessageAdd => "ONIMV2MESSAGEADD",
            EventKind::UserMessageUpdate => "ONIMV2MESSAGEUPDATE",
            EventKind::UserMessageDelete => "ONIMV2MESSAGEDELETE",
            EventKind::UserReactionChange => "ONIMV2REACTIONCHANGE",
            EventKind::UserJoinChat => "ONIMV2JOINCHAT",
        }
    }

    /// The user event of the same happening.
    pub fn user(self) -> Option<Self> {
        Some(match self {
            EventKind::BotMessageAdd | EventKind::V2MessageAdd => EventKind::UserMessageAdd,
            EventKind::BotMessageUpdate | EventKind::V2MessageUpdate => {
                EventKind::UserMessageUpdate
            }
            EventKind::BotMessageDelete | EventKind::V2MessageDelete => {
                EventKind::UserMessageDelete
            }
            EventKind::V2ReactionChange => EventKind::UserReactionChange,
            EventKind::BotJoinChat | EventKind::V2JoinChat => EventKind::UserJoinChat,
            _ => return None,
        })
    }

    /// The events `event.bind` accepts (the im.v2 user events).
    pub const BINDABLE: [EventKind; 5] = [
        EventKind::UserMessageAdd,
        EventKind::UserMessageUpdate,
        EventKind::UserMessageDelete,
        EventKind::UserReactionChange,
        EventKind::UserJoinChat,
    ];

    /// The bindable event of that name (any casing).
    pub fn bindable(name: &str) -> Option<Self> {
        Self::BINDABLE
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The scope whose data the event carries: binding it needs that scope
    /// (the im.v2 user events carry message text, so `im`).
    pub fn scope(self) -> &'static str {
        if self.is_user() {
            "im"
        } else {
            "imbot"
        }
    }

    /// The same event in the v2 format, for bots registered through v2.
    pub fn v2(self) -> Self {
        match self {
            EventKind::BotMessageAdd => EventKind::V2MessageAdd,
            EventKind::BotMessageUpdate => EventKind::V2MessageUpdate,
            EventKind::BotMessageDelete => EventKind::V2MessageDelete,
            EventKind::BotJoinChat => EventKind::V2JoinChat,
            EventKind::BotDelete => EventKind::V2Delete,
            EventKind::CommandAdd => EventKind::V2CommandAdd,
            v2 => v2,
        }
    }

    pub fn is_v2(self) -> bool {
        matches!(
            self,
            EventKind::V2MessageAdd
                | EventKind::V2MessageUpdate
                | EventKind::V2MessageDelete
                | EventKind::V2JoinChat
                | EventKind::V2Delete
                | EventKind::V2ReactionChange
                | EventKind::V2CommandAdd
                | EventKind::V2ContextGet
        )
    }

    pub fn is_user(self) -> bool {
        matches!(
            self,
            EventKind::UserMessageAdd
                | EventKind::UserMessageUpdate
                | EventKind::UserMessageDelete
                | EventKind::UserReactionChange
                | EventKind::UserJoinChat
        )
    }
}

/// The chat an event happened in, as the receiving bot sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSnapshot {
    pub id: i64,
    /// `P`, `C` or `O`.
    pub kind: String,
    pub title: String,
    pub owner: i64,
    /// The colour's Bitrix name (`BROWN`).
    pub color: String,
    pub entity_type: String,
    pub entity_id: String,
    pub member_count: i64,
    /// How the bot addresses this chat: the other user's id in a private
    /// dialog, `chatN` otherwise.
    pub dialog_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSnapshot {
    pub id: i64,
    pub text: String,
    pub author: i64,
    pub mentioned: Vec<i64>,
}

impl MessageSnapshot {
    /// Message `id` as written by `author`, with the users its text mentions.
    pub fn of(id: MessageId, text: &str, author: UserId) -> Self {
        MessageSnapshot {
            id: id.0,
            text: text.to_owned(),
            author: author.0,
            mentioned: super::bots::mentions(text)
                .into_iter()
                .map(|u| u.0)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSnapshot {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub work_position: String,
    pub bot: bool,
    /// Events recorded before departments were kept have none: a person
    /// was then always in the head department.
    #[serde(default)]
    pub departments: Vec<i64>,
}

/// Everything one event's payload says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    pub kind: EventKind,
    pub bot_id: i64,
    pub bot_code: String,
    pub chat: Option<ChatSnapshot>,
    pub message: Option<MessageSnapshot>,
    /// The user who caused it (the author; the one who added the bot).
    pub user: Option<UserSnapshot>,
    /// Unix seconds when it happened.
    pub at: i64,
    /// For ONIMBOTV2REACTIONCHANGE: the code and whether it was added.
    #[serde(default)]
    pub reaction: Option<(String, bool)>,
    /// For ONIMCOMMANDADD: (command id, command, its parameters).
    #[serde(default)]
    pub command: Option<(i64, String, String)>,
    /// For ONIMBOTV2CONTEXTGET: the context the user passed.
    #[serde(default)]
    pub context: Option<serde_json::Value>,
    /// For ONIMCOMMANDADD: pressed on a keyboard or menu
    /// (`im.message.command`, `COMMAND_CONTEXT=KEYBOARD`), not typed.
    #[serde(default)]
    pub keyboard: bool,
}

impl EventRecord {
    /// An event of `kind` at `at` for `bot` (`None`: a user event), with
    /// nothing else yet; callers fill in the rest with struct-update syntax.
    pub fn new(kind: EventKind, bot: Option<(UserId, &str)>, at: Timestamp) -> Self {
        EventRecord {
            kind,
            bot_id: bot.map_or(0, |(id, _)| id.0),
            bot_code: bot.map_or_else(String::new, |(_, code)| code.to_owned()),
            chat: None,
            message: None,
            user: None,
            at: at.0,
            reaction: None,
            command: None,
            context: None,
            keyboard: false,
        }
    }
}

/// An event to write into the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub handler: String,
    /// `event_handler_id`: the bot's id for bot handlers.
    pub handler_id: i64,
    pub client_id: String,
    /// What the tokens handed to the handler grant.
    pub scopes: Scopes,
    /// The user whose token goes in the top-level `auth` block.
    pub auth_user: i64,
    pub record: EventRecord,
}

/// An `event.bind` registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub event: String,
    pub handler: String,
    /// The user in whose context events arrive (`auth_type`).
    pub user: i64,
    pub client_id: String,
    pub scopes: Scopes,
    /// The credential that bound it (the one a web client's session was
    /// made from): the binding ends with it.
    pub credential: Option<i64>,
}

/// A record of the offline event queue (event.offline.*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineEvent {
    pub id: i64,
    pub event: String,
    /// Identifies the changed object: one record per object and event.
    pub message_id: String,
    /// The changed object's ids, as JSON (`{"MESSAGE_ID": 5, "CHAT_ID": 2}`).
    pub data: String,
    pub changed_at: i64,
    pub process_id: Option<String>,
    pub error: bool,
}

/// Which offline records `event.offline.get` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineTake {
    pub client_id: String,
    pub connector: String,
    pub limit: i64,
    /// Delete what is taken (`clear=1`), or reserve it under a new process id.
    pub clear: bool,
    /// Re-take the records of this process.
    pub process_id: Option<String>,
    /// Take the records marked as erroneous instead.
    pub errors: bool,
}

/// Where an outbox entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Every attempt failed; kept for an operator to see and replay.
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => DeliveryState::Pending,
            "delivered" => DeliveryState::Delivered,
            "dead" => DeliveryState::Dead,
            _ => return None,
        })
    }
}

/// An outbox entry, as the dispatcher and the CLI see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The event's stable id: the same on every attempt.
    pub id: i64,
    pub handler: String,
    pub handler_id: i64,
    pub client_id: String,
    pub scopes: Scopes,
    pub auth_user: i64,
    pub record: EventRecord,
    pub state: DeliveryState,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: i64,
    /// When the next attempt is due (ms), while pending.
    pub next_attempt_at: i64,
    /// When the handler took it (ms).
    pub delivered_at: Option<i64>,
    /// The last attempt's answer: the HTTP status (`None`: no answer) and
    /// how long it took.
    pub last_status: Option<i64>,
    pub last_latency_ms: Option<i64>,
}

impl OutboxEntry {
    /// What binds the token in this event's `auth`, which acts for
    /// `auth_user`. A bot's event hands the bot's application a token of
    /// the user who caused it, as a portal does, so the handler can like
    /// the message with it (the founding page); that token acts only in the
    /// event's chat (none for an event without one) and dies with the bot
    /// (docs/security.md). A user event goes to a handler its own user
    /// bound: nothing more than the binding's scopes.
    pub fn user_token_ties(&self) -> Ties {
        if self.record.kind.is_user() {
            return Ties::default();
        }
        Ties {
            chat: Some(ChatId(self.record.chat.as_ref().map_or(0, |c| c.id))),
            bot: Some(UserId(self.record.bot_id)),
            parent: None,
        }
    }

    /// What binds the bot's own token (`data[BOT]`): it dies with the bot.
    pub fn bot_token_ties(&self) -> Ties {
        Ties {
            bot: Some(UserId(self.record.bot_id)),
            ..Ties::default()
        }
    }
}

/// How one attempt went: the handler's HTTP status, if it answered, and how
/// long the attempt took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub status: Option<u16>,
    pub latency_ms: i64,
}

/// Which deliveries `events` lists: newest first, below `before` (an id).
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub state: Option<DeliveryState>,
    pub client_id: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// The wait before retry number `attempt` (1-based): 1 s, 2 s, 4 s, ... at
/// most 10 minutes.
pub fn backoff_ms(attempt: i64) -> i64 {
    let exp = attempt.clamp(1, 20) - 1;
    (1000_i64 << exp).min(600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        assert_eq!(backoff_ms(1), 1000);
        assert_eq!(backoff_ms(2), 2000);
        assert_eq!(backoff_ms(5), 16_000);
        assert_eq!(backoff_ms(30), 600_000);
    }
}
