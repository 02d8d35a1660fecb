//! Application events: `event.bind`, `event.unbind`, `event.get`
//! (api-reference/events/) for the im.v2 user events, and their polling form
//! `im.v2.Event.subscribe`, `.unsubscribe`, `.get`
//! (api-reference/chat-bots/chat-bots-v2/im.v2/events/).

use serde_json::{json, Value};

use super::ctx::Ctx;
use super::views;
use crate::domain::bots::valid_handler;
use crate::domain::cases;
use crate::domain::events::{Binding, EventKind, OfflineEvent, OfflineTake};
use crate::domain::Timestamp;
use crate::protocol::envelope::{iso_date, Reply};
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, scalar_text, truthy, Params};

fn client_id(cx: &Ctx) -> String {
    cx.app_or_own()
}

/// `event.bind`: docs api-reference/events/event-bind.md
pub async fn bind(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let name = p.str("event").unwrap_or_default();
    // As on a portal, a credential sees only the events of the scopes it
    // holds: without `im`, the im.v2 events (message text) are not found.
    let Some(kind) = EventKind::bindable(&name).filter(|k| cx.caller.scopes.contains(k.scope()))
    else {
        return Err(ApiError::param("ERROR_EVENT_NOT_FOUND", "Event not found"));
    };
    if is_offline(p) {
        require_admin(
            cx,
            "Access denied! Offline events binding requires administrator access rights",
        )
        .await?;
        let connector = p.str("auth_connector").unwrap_or_default();
        let event = kind.name().to_owned();
        cx.store()
            .bind_offline(event, client_id(cx), connector, cx.user(), Timestamp::now())
            .await?;
        return Ok(Reply::value(true));
    }
    let handler = p.str("handler").unwrap_or_default();
    if !valid_handler(handler.trim()) {
        return Err(ApiError::param("WRONG_HANDLER_URL", "Wrong handler URL"));
    }
    super::handler_allowed(cx, &handler, "WRONG_HANDLER_URL").await?;
    let me = cx.user();
    let user = match p.positive_id("auth_type") {
        Some(id) if id != me.0 => {
            require_admin(
                cx,
                "Access denied! Event binding with AUTH_TYPE requires administrator access rights",
            )
            .await?;
            // Events would be delivered with this user's token: it must exist.
            cases::users::get(cx.store(), me, Some(crate::domain::UserId(id))).await?;
            id
        }
        _ => me.0,
    };
    cx.store()
        .bind_event(
            Binding {
                event: kind.name().to_owned(),
                handler: handler.trim().to_owned(),
                user,
                client_id: client_id(cx),
                scopes: cx.caller.scopes.clone(),
                credential: Some(cx.caller.ties.parent.unwrap_or(cx.caller.credential)),
            },
            Timestamp::now(),
        )
        .await?;
    Ok(Reply::value(true))
}

fn is_offline(p: &Params) -> bool {
    p.str("event_type")
        .is_some_and(|t| t.eq_ignore_ascii_case("offline"))
}

async fn require_admin(cx: &Ctx, message: &'static str) -> Result<(), ApiError> {
    if cx.is_admin().await? {
        Ok(())
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            message,
        ))
    }
}

/// `event.unbind`: docs api-reference/events/event-unbind.md
pub async fn unbind(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let name = p.str("event").unwrap_or_default();
    let event =
        EventKind::bindable(&name).map_or(name.to_ascii_uppercase(), |k| k.name().to_owned());
    if is_offline(p) {
        require_admin(
            cx,
            "Access denied! Offline events unbinding requires administrator access rights",
        )
        .await?;
        let count = cx.store().unbind_offline(event, client_id(cx)).await?;
        return Ok(Reply::value(json!({"count": count})));
    }
    let handler = p.str("handler").filter(|h| !h.trim().is_empty());
    let count = cx
        .store()
        .unbind_event(event, handler, client_id(cx))
        .await?;
    Ok(Reply::value(json!({"count": count})))
}

/// `event.get`: docs api-reference/events/event-get.md
pub async fn get(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let mut list: Vec<Value> = cx
        .store()
        .bindings(client_id(cx))
        .await?
        .into_iter()
        .map(|b| {
            json!({
                "event": b.event,
                "handler": b.handler,
                "auth_type": b.user.to_string(),
                "offline": 0,
            })
        })
        .collect();
    for (event, user) in cx.store().offline_bindings(client_id(cx)).await? {
        list.push(
            json!({"event": event, "handler": "", "auth_type": user.to_string(), "offline": 1}),
        );
    }
    Ok(Reply::value(list))
}

fn offline_view(e: &OfflineEvent, with_process: bool) -> Value {
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Bool(false));
    let mut v = json!({
        "ID": e.id.to_string(),
        "TIMESTAMP_X": iso_date(Timestamp(e.changed_at)),
        "EVENT_NAME": e.event,
        "EVENT_DATA": data,
        "EVENT_ADDITIONAL": false,
        "MESSAGE_ID": e.message_id,
    });
    if with_process {
        v["PROCESS_ID"] = e.process_id.clone().unwrap_or_default().into();
        v["ERROR"] = if e.error { "1" } else { "0" }.into();
    }
    v
}

fn string_list(p: &Params, name: &str) -> Vec<String> {
    p.list(name)
        .unwrap_or_default()
        .iter()
        .filter_map(scalar_text)
        .collect()
}

/// `event.offline.get`: docs api-reference/events/event-offline-get.md
/// (`filter` and `order` are not supported: oldest change first).
pub async fn offline_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    require_admin(cx, "Access denied!").await?;
    let take = OfflineTake {
        client_id: client_id(cx),
        connector: p.str("auth_connector").unwrap_or_default(),
        limit: p.get("limit").map(intval).unwrap_or(50).clamp(1, 1000),
        clear: p.get("clear").is_none_or(truthy),
        process_id: p.str("process_id").filter(|s| !s.is_empty()),
        errors: p.get("error").is_some_and(truthy),
    };
    let (events, process) = cx.store().take_offline(take).await?;
    let list: Vec<Value> = events.iter().map(|e| offline_view(e, false)).collect();
    Ok(Reply::value(json!({"process_id": process, "events": list})))
}

/// `event.offline.clear`: docs api-reference/events/event-offline-clear.md
pub async fn offline_clear(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    settle(cx, p, false).await
}

/// `event.offline.error`: docs api-reference/events/event-offline-error.md
pub async fn offline_error(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    settle(cx, p, true).await
}

async fn settle(cx: &Ctx, p: &Params, error: bool) -> Result<Reply, ApiError> {
    require_admin(cx, "Access denied!").await?;
    let process = p
        .str("process_id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::param("PROCESS_ID_EMPTY", "process_id is required"))?;
    let ids: Vec<i64> = p
        .list("id")
        .unwrap_or_default()
        .iter()
        .map(intval)
        .filter(|n| *n > 0)
        .collect();
    let message_ids = if ids.is_empty() {
        string_list(p, "message_id")
    } else {
        Vec::new()
    };
    cx.store()
        .settle_offline(client_id(cx), process, ids, message_ids, error)
        .await?;
    Ok(Reply::value(true))
}

/// `event.offline.list`: docs api-reference/events/event-offline-list.md
/// (`filter` and `order` are not supported: by id).
pub async fn offline_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    require_admin(cx, "Access denied!").await?;
    let start = p.intval("start").unwrap_or(0).max(0);
    let connector = p.str("auth_connector").unwrap_or_default();
    let (events, total) = cx
        .store()
        .list_offline(client_id(cx), connector, start)
        .await?;
    let list: Vec<Value> = events.iter().map(|e| offline_view(e, true)).collect();
    let next = (start + 50 < total).then_some(start + 50);
    Ok(Reply::page(Value::Array(list), Some(total), next))
}

/// `im.v2.Event.subscribe`
pub async fn subscribe(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    cx.store()
        .subscribe_user_events(cx.user(), true, Timestamp::now())
        .await?;
    Ok(Reply::value(true))
}

/// `im.v2.Event.unsubscribe`
pub async fn unsubscribe(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    cx.store()
        .subscribe_user_events(cx.user(), false, Timestamp::now())
        .await?;
    Ok(Reply::value(true))
}

/// `im.v2.Event.get`: confirms the events below `offset`, returns the next.
pub async fn user_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (offset, limit) = views::queue_window(p);
    let (events, has_more) = cx.store().user_events(cx.user(), offset, limit).await?;
    Ok(Reply::value(views::event_page(
        &events, has_more, offset, None,
    )))
}
