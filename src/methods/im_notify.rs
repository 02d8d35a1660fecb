//! `im.notify.*`: docs api-reference/chats/notifications/.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::ctx::Ctx;
use super::{atom_date, too_many_users, views, USER_ID_EMPTY};
use crate::domain::cases;
use crate::domain::messages::MAX_TEXT_CHARS;
use crate::domain::notifications::{
    AppKey, DeleteScope, HistoryFilter, NewNotification, NotifyKind, NotifyQuery, ReadScope,
    MAX_TYPES, PAGE_LIMIT, REST_EVENT, REST_MODULE,
};
use crate::domain::{Error, Timestamp, UserId};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, scalar_text, Params};

/// `im.notify`: docs api-reference/chats/notifications/im-notify.md
/// (`TYPE`: `USER`, the default, or `SYSTEM`).
pub async fn notify(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    send(cx, p, NotifyKind::parse(p.str("TYPE").as_deref())).await
}

/// `im.notify.personal.add`: docs .../im-notify-personal-add.md
pub async fn personal_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    send(cx, p, NotifyKind::Personal).await
}

/// `im.notify.system.add`: docs .../im-notify-system-add.md
pub async fn system_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    send(cx, p, NotifyKind::System).await
}

/// The application that owns the tags of this call, if any: the access
/// token's, or the one a webhook's user names with `CLIENT_ID`.
fn app_key(cx: &Ctx, p: &Params) -> Option<AppKey> {
    AppKey::new(cx.app(p.str("CLIENT_ID")))
}

/// The three send methods: the new notification's id, or `false` when the
/// recipient does not exist. `TAG`/`SUB_TAG` belong to the application
/// (without one, a webhook call without `CLIENT_ID`, they are not kept).
async fn send(cx: &Ctx, p: &Params, kind: NotifyKind) -> Result<Reply, ApiError> {
    let to = p
        .positive_id("USER_ID")
        .or_else(|| p.positive_id("TO"))
        .ok_or_else(|| ApiError::param(USER_ID_EMPTY.0, USER_ID_EMPTY.1))?;
    let text = p.str("MESSAGE").unwrap_or_default().trim().to_owned();
    if text.is_empty() {
        return Err(ApiError::param("MESSAGE_EMPTY", "Message can't be empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::MessageTooLong.into());
    }
    let attach = super::message_parts::Given::v1(p).attach_only()?;
    let app = app_key(cx, p);
    let tag_of = |name: &str| {
        let tag = p.str(name).unwrap_or_default();
        app.as_ref()
            .filter(|_| !tag.is_empty())
            .map(|app| app.tag(&tag))
    };
    let new = NewNotification {
        to: UserId(to),
        author: (kind == NotifyKind::Personal).then(|| cx.user()),
        kind,
        text,
        text_out: p.str("MESSAGE_OUT").unwrap_or_default().trim().to_owned(),
        tag: tag_of("TAG"),
        sub_tag: tag_of("SUB_TAG"),
        attach,
    };
    let id = cases::notifications::send(cx.store(), new, Timestamp::now()).await?;
    Ok(Reply::value(id.map_or(Value::Bool(false), Value::from)))
}

/// `LAST_ID`: a number, or `LAST_ID_STRING`.
fn last_id(p: &Params) -> Result<Option<i64>, ApiError> {
    match p.get("LAST_ID") {
        None | Some(Value::Null) => Ok(None),
        Some(_) if !p.is_numeric("LAST_ID") => Err(ApiError::param(
            "LAST_ID_STRING",
            "Last notification ID can't be string",
        )),
        Some(v) => Ok(Some(intval(v)).filter(|id| *id > 0)),
    }
}

/// `LIMIT`: 50 by default and at most.
fn limit(p: &Params) -> i64 {
    p.positive_id("LIMIT")
        .map_or(PAGE_LIMIT, |n| n.min(PAGE_LIMIT))
}

/// `im.notify.get`: docs .../im-notify-get.md. b24im has no confirmation
/// notifications (none can be sent through REST), so the `LAST_TYPE` stage
/// changes nothing: one cursor, newest first.
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    if p.has("LAST_ID") != p.has("LAST_TYPE") {
        return Err(ApiError::param(
            "LAST_ID_AND_LAST_TYPE",
            "Parameters LAST_ID and LAST_TYPE should be used together.",
        ));
    }
    let query = NotifyQuery {
        user: cx.user(),
        before: last_id(p)?,
        limit: limit(p),
        filter: None,
    };
    let (page, users) = cases::notifications::page(cx.store(), query).await?;
    let notifications: Vec<Value> = page.items.iter().map(views::notification).collect();
    let users: Vec<Value> = users.iter().map(views::user).collect();
    // The page: with no notification chat, or an empty one, only these two.
    let Some(chat) = page.chat.filter(|_| page.total > 0) else {
        return Ok(Reply::value(
            json!({"notifications": notifications, "users": users}),
        ));
    };
    Ok(Reply::value(json!({
        "total_count": page.total,
        "total_unread_count": page.unread,
        "chat_id": chat.0,
        "notifications": notifications,
        "users": users,
    })))
}

/// `GROUP_TAG` as given and, for an application, as its own tag (REST
/// tags are stored as `MP|key|TAG`).
fn group_tags(cx: &Ctx, p: &Params) -> Vec<String> {
    let Some(tag) = p.str("GROUP_TAG").filter(|t| !t.is_empty()) else {
        return Vec::new();
    };
    let mut tags = vec![tag.clone()];
    tags.extend(app_key(cx, p).map(|app| app.tag(&tag)));
    tags
}

/// `im.notify.history.search`: docs .../im-notify-history-search.md.
/// `SEARCH_DATE` is the 24 hours from the given moment (as
/// `im.dialog.messages.search`'s `DATE`), `SEARCH_DATE_FROM`/`_TO` include
/// both ends; `GROUP_TAG` matches a stored tag or sub-tag exactly, or as
/// the calling application's tag; `SEARCH_AUTHORS` as many users as a
/// call may name, `SEARCH_TYPES` at most 100.
pub async fn history_search(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let text = p.str("SEARCH_TEXT").unwrap_or_default().trim().to_owned();
    let mut types: Vec<(String, Option<String>)> = p
        .str("SEARCH_TYPE")
        .and_then(|t| HistoryFilter::parse_type(&t))
        .into_iter()
        .collect();
    types.extend(
        p.list("SEARCH_TYPES")
            .unwrap_or_default()
            .iter()
            .filter_map(scalar_text)
            .filter_map(|t| HistoryFilter::parse_type(&t)),
    );
    types.sort();
    types.dedup();
    if types.len() > MAX_TYPES {
        return Err(ApiError::param(
            "SEARCH_TYPE_ERROR",
            "Too many notification types in one search",
        ));
    }
    let (from, to) = match atom_date(p, "SEARCH_DATE") {
        Some(day) => (Some(day), Some(Timestamp(day.0 + 24 * 3600 - 1))),
        None => match (
            atom_date(p, "SEARCH_DATE_FROM"),
            atom_date(p, "SEARCH_DATE_TO"),
        ) {
            (Some(f), Some(t)) => (Some(f), Some(t)),
            _ => (None, None),
        },
    };
    let mut authors: Vec<UserId> = p
        .list("SEARCH_AUTHORS")
        .unwrap_or_default()
        .iter()
        .map(intval)
        .filter(|id| *id > 0)
        .map(UserId)
        .collect();
    authors.sort_by_key(|a| a.0);
    authors.dedup();
    let most = cx.state.config.limits.max_users_per_call;
    if authors.len() > most {
        return Err(too_many_users(most));
    }
    let filtered = !types.is_empty() || from.is_some() || !authors.is_empty();
    if !filtered && text.chars().count() < 3 {
        return Err(ApiError::param(
            "SEARCH_TEXT_ERROR",
            "SEARCH_TEXT can't be less than 3 symbols",
        ));
    }
    let before = last_id(p)?;
    let query = NotifyQuery {
        user: cx.user(),
        before,
        limit: limit(p),
        filter: Some(HistoryFilter {
            text: Some(text).filter(|t| !t.is_empty()),
            types,
            from,
            to,
            authors,
            group_tags: group_tags(cx, p),
        }),
    };
    let (page, users) = cases::notifications::page(cx.store(), query).await?;
    let mut answer = serde_json::Map::new();
    answer.insert("chat_id".into(), json!(page.chat.map_or(0, |c| c.0)));
    // "Returned only on the first page of the search."
    if before.is_none() {
        answer.insert("total_results".into(), json!(page.total));
    }
    answer.insert(
        "notifications".into(),
        page.items.iter().map(views::notification).collect(),
    );
    answer.insert("users".into(), users.iter().map(views::user).collect());
    Ok(Reply::value(Value::Object(answer)))
}

/// `ACTION`: `Y` (the default) reads, anything else unreads.
fn reads(p: &Params) -> bool {
    p.str("ACTION").is_none_or(|a| a.eq_ignore_ascii_case("Y"))
}

/// `im.notify.read`: docs .../im-notify-read.md. `ID` with `ONLY_CURRENT=Y`
/// that one, `ID` alone it and every later one (the page: "equal to or
/// greater than"); no `ID`: nothing. Always `true`.
pub async fn read(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let Some(id) = p.positive_id("ID") else {
        return Ok(Reply::value(true));
    };
    let only = p
        .str("ONLY_CURRENT")
        .is_some_and(|v| v.eq_ignore_ascii_case("Y"));
    let scope = if only {
        ReadScope::One(id)
    } else {
        ReadScope::From(id)
    };
    cases::notifications::mark(cx.store(), cx.user(), scope, reads(p)).await?;
    Ok(Reply::value(true))
}

/// `im.notify.read.list`: docs .../im-notify-read-list.md. The ids up to
/// the first that is not positive.
pub async fn read_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let ids = match p.get("IDS") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Object(map)) => map.values().cloned().collect(),
        _ => {
            return Err(ApiError::param(
                "PARAMS_ERROR",
                "No IDS param or it is not an array",
            ))
        }
    };
    let ids: Vec<i64> = ids.iter().map(intval).take_while(|id| *id > 0).collect();
    cases::notifications::mark(cx.store(), cx.user(), ReadScope::List(ids), reads(p)).await?;
    Ok(Reply::value(true))
}

/// `im.notify.read.all`: docs .../im-notify-read-all.md
pub async fn read_all(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let unread = cases::notifications::mark(cx.store(), cx.user(), ReadScope::All, true).await?;
    Ok(Reply::value(json!({"result": true, "newCounter": unread})))
}

fn notify_id(p: &Params) -> Result<i64, ApiError> {
    p.positive_id("NOTIFY_ID")
        .ok_or_else(|| ApiError::param("ID_ERROR", "Notification ID can't be empty"))
}

/// `im.notify.answer`: docs .../im-notify-answer.md. No notification sent
/// through REST offers a quick reply (no send parameter makes one), so
/// there is no handler to answer: `result_message: false`, as the page
/// gives for that case.
pub async fn answer(_cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    notify_id(p)?;
    if p.str("ANSWER_TEXT").unwrap_or_default().trim().is_empty() {
        return Err(ApiError::param(
            "ANSWER_TEXT_ERROR",
            "ANSWER_TEXT can't be empty",
        ));
    }
    Ok(Reply::value(json!({"result_message": false})))
}

/// `im.notify.confirm`: docs .../im-notify-confirm.md. As with `answer`: no
/// notification sent through REST has buttons, so `result_message: false`.
pub async fn confirm(_cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    notify_id(p)?;
    if p.str("NOTIFY_VALUE").unwrap_or_default().is_empty() {
        return Err(ApiError::param(
            "NOTIFY_VALUE_ERROR",
            "Notification Value can't be empty",
        ));
    }
    Ok(Reply::value(json!({"result_message": false})))
}

/// `im.notify.delete`: docs .../im-notify-delete.md. By `ID` (one the caller
/// received, as portals check), else by the application's `TAG` or
/// `SUB_TAG` (its notifications to anyone: whoever calls with that
/// application's `CLIENT_ID` may); whether anything was deleted.
pub async fn delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let scope = if let Some(id) = p.positive_id("ID") {
        DeleteScope::Id(id)
    } else {
        let app = app_key(cx, p).ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "ACCESS_DENIED",
                "Access denied! Client ID not specified",
            )
        })?;
        match (
            p.str("TAG").filter(|t| !t.is_empty()),
            p.str("SUB_TAG").filter(|t| !t.is_empty()),
        ) {
            (Some(tag), _) => DeleteScope::Tag(app.tag(&tag)),
            (None, Some(sub)) => DeleteScope::SubTag(app.tag(&sub)),
            (None, None) => return Err(ApiError::param("PARAMS_ERROR", "Incorrect params")),
        }
    };
    let deleted = cases::notifications::delete(cx.store(), cx.user(), scope).await?;
    Ok(Reply::value(deleted))
}

/// `im.notify.schema.get`: docs .../im-notify-schema-get.md. The kinds of
/// notification b24im has: those applications send (module `rest`).
pub async fn schema_get(_cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    Ok(Reply::value(json!({
        REST_MODULE: {
            "NAME": "Applications",
            "MODULE_ID": REST_MODULE,
            "LIST": [{
                "ID": format!("{REST_MODULE}|{REST_EVENT}"),
                "NAME": "Notifications from applications",
            }],
        }
    })))
}
