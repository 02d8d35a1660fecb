//! One file per Bitrix namespace. Each handler decodes `Params` into domain
//! values, calls one domain function, and encodes the answer with [`views`].
//! No SQL, no transactions here.

pub mod access;
pub mod batch;
pub mod confine;
pub mod ctx;
pub mod deliveries;
pub mod department;
pub mod events;
pub mod im_chat;
pub mod im_counters;
pub mod im_department;
pub mod im_dialog;
pub mod im_file;
pub mod im_message;
pub mod im_notify;
pub mod im_recent;
pub mod im_search;
pub mod im_user;
pub mod imbot;
pub mod imbot_v2;
pub mod imbot_v2_chat;
pub mod message_parts;
pub mod meta;
pub mod options;
pub mod registry;
pub mod table;
pub mod user;
pub mod user_field;
pub mod views;

use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// Refuses a handler `url` a non-administrator gives that points at a
/// private or loopback address, when the server says so
/// (`--refuse-private-handlers`; events/reach.rs): the method's own error
/// `code`, saying why.
async fn handler_allowed(cx: &ctx::Ctx, url: &str, code: &str) -> Result<(), ApiError> {
    let url = url.trim();
    if url.is_empty() || !cx.state.config.delivery.refuse_private {
        return Ok(());
    }
    // A bot event's token acts for its user only in the event's chat: it
    // never passes for an administrator here.
    let admin = cx.caller.ties.chat.is_none() && cx.is_admin().await?;
    if admin || !crate::events::reach::points_private(url).await {
        return Ok(());
    }
    Err(ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        code.to_owned(),
        "The handler points at a private or loopback address, which this server allows \
         only administrators (--refuse-private-handlers)",
    ))
}

/// A positive id from `name`, falling back to `alias` (Bitrix accepts `ID` for
/// `MESSAGE_ID`), or the method's documented error.
fn required_id(
    p: &Params,
    name: &str,
    alias: Option<&str>,
    error: (&'static str, &'static str),
) -> Result<i64, ApiError> {
    let raw = if p.has(name) {
        p.intval(name)
    } else {
        alias.and_then(|a| p.intval(a))
    };
    raw.filter(|n| *n > 0)
        .ok_or_else(|| ApiError::param(error.0, error.1))
}

/// `DIALOG_ID` (`chatN` or a user id), or the docs' `DIALOG_ID_EMPTY`.
fn dialog_id(p: &Params) -> Result<crate::domain::DialogRef, ApiError> {
    crate::domain::DialogRef::parse(&p.str("DIALOG_ID").unwrap_or_default())
        .ok_or_else(|| ApiError::param(DIALOG_ID_EMPTY.0, DIALOG_ID_EMPTY.1))
}

/// A date parameter in ATOM / RFC 3339 format; absent or unreadable: `None`.
fn atom_date(p: &Params, name: &str) -> Option<crate::domain::Timestamp> {
    p.str(name)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|d| crate::domain::Timestamp(d.timestamp()))
}

/// More users named in one call than `--max-users-per-call` allows.
fn too_many_users(limit: usize) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "TOO_MANY_USERS",
        format!("At most {limit} users can be named in one call"),
    )
}

const MESSAGE_ID_ERROR: (&str, &str) = ("MESSAGE_ID_ERROR", "Message ID can't be empty");
const CHAT_ID_EMPTY: (&str, &str) = ("CHAT_ID_EMPTY", "Chat ID can't be empty");
const USER_ID_EMPTY: (&str, &str) = ("USER_ID_EMPTY", "User ID can't be empty");
const DIALOG_ID_EMPTY: (&str, &str) = ("DIALOG_ID_EMPTY", "Dialog ID can't be empty");
