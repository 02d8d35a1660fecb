//! Application events: `event.bind`, `event.unbind`, `event.get`
//! (api-reference/events/) for the im.v2 user events, and their polling form
//! `im.v2.Event.subscribe`, `.unsubscribe`, `.get`
//! (api-reference/chat-bots/chat-bots-v2/im.v2/events/).

use serde_json::{json, Map, Value};

use crate::delivery::render::v2_data;
use crate::domain::bots::valid_handler;
use crate::domain::events::{Binding, EventKind};
use crate::domain::Timestamp;
use crate::protocol::envelope::{iso_date, Reply};
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, Params};
use crate::protocol::registry::Ctx;

fn client_id(cx: &Ctx) -> String {
    cx.caller.client_id.clone().unwrap_or_default()
}

/// `event.bind`: docs api-reference/events/event-bind.md
pub async fn bind(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let name = p.str("event").unwrap_or_default();
    let Some(kind) = EventKind::bindable(&name) else {
        return Err(ApiError::param("ERROR_EVENT_NOT_FOUND", "Event not found"));
    };
    if p.str("event_type")
        .is_some_and(|t| t.eq_ignore_ascii_case("offline"))
    {
        return Err(ApiError::param(
            "ERROR_EVENT_NOT_FOUND",
            "Offline events are not supported by b24im",
        ));
    }
    let handler = p.str("handler").unwrap_or_default();
    if !valid_handler(handler.trim()) {
        return Err(ApiError::param("WRONG_HANDLER_URL", "Wrong handler URL"));
    }
    let me = cx.user();
    let user = match p.positive_id("auth_type") {
        Some(id) if id != me.0 => {
            let admin = cx.store().user(me).await?.is_some_and(|u| u.admin);
            if !admin {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "ACCESS_DENIED",
                    "Access denied! Event binding with AUTH_TYPE requires administrator access rights",
                ));
            }
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
            },
            Timestamp::now(),
        )
        .await?;
    Ok(Reply::value(true))
}

/// `event.unbind`: docs api-reference/events/event-unbind.md
pub async fn unbind(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let name = p.str("event").unwrap_or_default();
    let event =
        EventKind::bindable(&name).map_or(name.to_ascii_uppercase(), |k| k.name().to_owned());
    let handler = p.str("handler").filter(|h| !h.trim().is_empty());
    let count = cx
        .store()
        .unbind_event(event, handler, client_id(cx))
        .await?;
    Ok(Reply::value(json!({"count": count})))
}

/// `event.get`: docs api-reference/events/event-get.md
pub async fn get(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let list: Vec<Value> = cx
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
    Ok(Reply::value(list))
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
    let offset = p.get("offset").map(intval).filter(|o| *o > 0);
    let limit = p.get("limit").map(intval).unwrap_or(100).clamp(1, 1000);
    let (events, has_more) = cx.store().user_events(cx.user(), offset, limit).await?;
    let next = events.last().map(|(id, _)| id + 1).or(offset).unwrap_or(0);
    let list: Vec<Value> = events
        .iter()
        .map(|(id, r)| {
            json!({
                "eventId": id,
                "type": r.kind.name(),
                "date": iso_date(Timestamp(r.at)),
                "data": v2_data(r, None),
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("events".into(), Value::Array(list));
    out.insert("nextOffset".into(), next.into());
    out.insert("hasMore".into(), has_more.into());
    Ok(Reply::value(Value::Object(out)))
}
