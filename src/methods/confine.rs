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
//!   of them but those that register a bot (which would be the user's) or
//!   read as the user (`imbot.chat.get`, `imbot.dialog.get`).
//! - Methods aimed at one chat (`im.message.like`, the chat's history and
//!   description, its members) when that chat, read from the parameters
//!   exactly as the method reads it, is the event's.
//! - `batch` (its commands are checked one by one) and what describes the
//!   call itself (`server.time`, `scope`, `methods`, `app.info`).
//!
//! Everything else, a user-wide read (`im.recent.list`, `im.notify.get`,
//! `user.current`, `user.admin`, `user.access`, `access.name`), a method
//! aimed at another chat, or the application's and the user's options
//! (`app.option.*`, `user.option.*`: they are the application's, which
//! only a full application token reads or writes; an event's token acting
//! as an administrator must not change them), answers 403 `ACCESS_DENIED`.

use super::ctx::Ctx;
use crate::domain::cases;
use crate::domain::{ChatId, MessageId};
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// Methods that describe the call, open to any credential.
const ALWAYS: &[&str] = &["batch", "server.time", "scope", "methods", "app.info"];

/// `imbot.*` methods that do not act as one of the application's bots: they
/// would register a bot as the token's user, or read as the user.
const NOT_AS_BOT: &[&str] = &[
    "imbot.register",
    "imbot.v2.bot.register",
    "imbot.chat.get",
    "imbot.dialog.get",
];

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
    if lower.starts_with("imbot.") && !one_of(NOT_AS_BOT, method) {
        return Ok(());
    }
    if chat.0 == 0 {
        return Err(denied());
    }
    match target(cx, &lower, p).await {
        Some(aimed) if aimed == chat => Ok(()),
        _ => Err(denied()),
    }
}

/// The one chat an in-chat method acts in, read from `p` exactly as its
/// handler reads it (`None`: not such a method, or no chat to be had).
async fn target(cx: &Ctx, method: &str, p: &Params) -> Option<ChatId> {
    match method {
        "im.message.like" => {
            let id = super::required_id(p, "MESSAGE_ID", Some("ID"), super::MESSAGE_ID_ERROR);
            cx.store().message_chat(MessageId(id.ok()?)).await.ok()?
        }
        "im.dialog.messages.get" | "im.dialog.get" => {
            let dialog = super::dialog_id(p).ok()?;
            cases::chats::dialog_chat(cx.store(), cx.user(), dialog)
                .await
                .ok()?
        }
        "im.chat.user.list" => {
            let id = super::required_id(p, "CHAT_ID", None, super::CHAT_ID_EMPTY);
            Some(ChatId(id.ok()?))
        }
        _ => None,
    }
}
