//! What a credential confined to one chat may call (docs/security.md).
//!
//! A bot's event carries, in `auth`, a token acting for the user who caused
//! it, with the scopes of the bot's application: on a portal that token acts
//! as the user everywhere, so whoever runs a bot could read and write as
//! everyone who writes to it. b24im keeps what bots do with it (the
//! founding page likes the message with `$_REQUEST['auth']`; the docs' bot
//! examples call `imbot.*` with it) and nothing more: the token acts only in
//! the event's chat, and dies with the bot.
//!
//! - `imbot.*` methods act as the application's bots, not as the user: all
//!   of them but those that register a bot (which would be the user's).
//! - Methods aimed at a chat (`im.message.like`, the chat's history and
//!   description, its members) when every chat they name (`DIALOG_ID`,
//!   `CHAT_ID`, the chat of `MESSAGE_ID`) is the event's.
//! - `batch` (its commands are checked one by one) and what describes the
//!   call itself (`server.time`, `scope`, `methods`, `app.info`).
//!
//! Everything else, a user-wide read (`im.recent.list`, `im.notify.get`,
//! `user.current`) or a method aimed at another chat, answers 403
//! `ACCESS_DENIED`.

use super::ctx::Ctx;
use crate::domain::cases;
use crate::domain::{ChatId, DialogRef, MessageId};
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// Methods that describe the call, open to any credential.
const ALWAYS: &[&str] = &["batch", "server.time", "scope", "methods", "app.info"];

/// Methods aimed at one chat, allowed in the confining chat.
const IN_CHAT: &[&str] = &[
    "im.message.like",
    "im.dialog.messages.get",
    "im.dialog.get",
    "im.chat.get",
    "im.chat.user.list",
];

/// `imbot.*` methods that would register a bot as the token's user.
const REGISTERING: &[&str] = &["imbot.register", "imbot.v2.bot.register"];

fn denied() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "ACCESS_DENIED",
        "This token acts only in the chat of the event that handed it out",
    )
}

fn one_of(list: &[&str], method: &str) -> bool {
    list.iter().any(|m| m.eq_ignore_ascii_case(method))
}

/// Whether the caller, confined to `chat`, may call `method` with `p`.
pub async fn check(cx: &Ctx, method: &str, p: &Params, chat: ChatId) -> Result<(), ApiError> {
    if one_of(ALWAYS, method) {
        return Ok(());
    }
    let lower = method.to_ascii_lowercase();
    if lower.starts_with("imbot.") && !one_of(REGISTERING, method) {
        return Ok(());
    }
    if !one_of(IN_CHAT, method) || chat.0 == 0 {
        return Err(denied());
    }
    let mut named = 0;
    if let Some(id) = p.positive_id("MESSAGE_ID") {
        named += 1;
        if cx.store().message_chat(MessageId(id)).await? != Some(chat) {
            return Err(denied());
        }
    }
    if let Some(raw) = p.str("DIALOG_ID").filter(|d| !d.trim().is_empty()) {
        named += 1;
        let dialog = DialogRef::parse(&raw).ok_or_else(denied)?;
        let found = cases::chats::dialog_chat(cx.store(), cx.user(), dialog)
            .await
            .map_err(|_| denied())?;
        if found != Some(chat) {
            return Err(denied());
        }
    }
    if p.has("CHAT_ID") {
        named += 1;
        if p.positive_id("CHAT_ID") != Some(chat.0) {
            return Err(denied());
        }
    }
    if named == 0 {
        return Err(denied());
    }
    Ok(())
}
