//! `im.user.*`: docs api-reference/chats/users/.

use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::{too_many_users, views};
use crate::domain::cases;
use crate::domain::users::{UserStatus, DEFAULT_IDLE_AGO_MINUTES};
use crate::domain::{Timestamp, UserId};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, Params};

/// `im.user.get`: docs api-reference/chats/users/im-user-get.md
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = match p.intval("ID") {
        None => None,
        Some(n) if n > 0 => Some(UserId(n)),
        Some(_) => return Err(ApiError::param("ID_EMPTY", "User ID can't be empty")),
    };
    let user = cases::users::get(cx.store(), cx.user(), id).await?;
    Ok(Reply::value(views::user(&user)))
}

/// `im.user.status.get`: docs api-reference/chats/users/im-user-status-get.md
pub async fn status_get(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let me = cases::users::get(cx.store(), cx.user(), None).await?;
    Ok(Reply::value(me.status.as_str()))
}

/// `im.user.status.set`: docs api-reference/chats/users/im-user-status-set.md
/// (the value is case-sensitive: `DND` is refused, as the page says).
pub async fn status_set(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let status = p
        .str("STATUS")
        .as_deref()
        .and_then(UserStatus::parse)
        .ok_or_else(|| ApiError::param("STATUS_ERROR", "Status is not available"))?;
    cases::users::set_status(cx.store(), cx.user(), status).await?;
    Ok(Reply::value(true))
}

/// `im.user.status.idle.start`: docs api-reference/chats/users/im-user-status-idle-start.md
pub async fn idle_start(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let ago = p.intval("AGO").unwrap_or(DEFAULT_IDLE_AGO_MINUTES);
    cases::users::set_idle(cx.store(), cx.user(), Some(ago), Timestamp::now()).await?;
    Ok(Reply::value(true))
}

/// `im.user.status.idle.end`: docs api-reference/chats/users/im-user-status-idle-end.md
pub async fn idle_end(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    cases::users::set_idle(cx.store(), cx.user(), None, Timestamp::now()).await?;
    Ok(Reply::value(true))
}

/// `im.user.list.get`: docs api-reference/chats/users/im-user-list-get.md
/// `ID` as a list, or a string holding a JSON list; the users that exist, as
/// `im.user.get` shows them, keyed by id (or a list with `RESULT_TYPE=array`).
pub async fn list_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let invalid = || {
        ApiError::param(
            "INVALID_FORMAT",
            "A wrong format for the ID field is passed",
        )
    };
    let listed = match p.get("ID") {
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Array(items)) => items,
            _ => return Err(invalid()),
        },
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(map)) => map.values().cloned().collect(),
        _ => return Err(invalid()),
    };
    let limit = cx.state.config.limits.max_users_per_call;
    if listed.len() > limit {
        return Err(too_many_users(limit));
    }
    let ids: Vec<UserId> = listed
        .iter()
        .filter_map(|v| UserId::new(intval(v)))
        .collect();
    let users = cases::users::list_by_id(cx.store(), ids).await?;
    let as_array = p
        .str("RESULT_TYPE")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("array"));
    Ok(Reply::value(if as_array {
        Value::Array(users.iter().map(views::user).collect())
    } else {
        Value::Object(
            users
                .iter()
                .map(|u| (u.id.0.to_string(), views::user(u)))
                .collect::<Map<String, Value>>(),
        )
    }))
}
