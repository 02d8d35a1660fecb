//! b24im's own methods behind the web client's events panel: the event
//! deliveries to bots' and applications' handlers, and their replay.
//! Portals have no such log, so these are not Bitrix24 methods; they are
//! named under `b24im.` so that no Bitrix24 method ever collides with them.
//!
//! - `b24im.event.delivery.list` (`CLIENT_ID`, `STATE`: pending, delivered
//!   or dead, `BEFORE`: an id, for the next page, `LIMIT`: 1..200, 50): the
//!   newest deliveries first, each with its event, target URL, state,
//!   attempts, the last attempt's HTTP status, latency and error, when the
//!   next attempt is due, and the payload as the handler gets it (the
//!   tokens in `auth` hidden).
//! - `b24im.event.delivery.replay` (`ID`: a list of at most 200 ids): makes
//!   them pending again, due now, as `b24im events replay` does; the number
//!   replayed.
//!
//! An administrator sees every delivery; an application's token sees its
//! own application's; anyone else gets `ACCESS_DENIED`. Only an
//! administrator replays.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::ctx::Ctx;
use crate::domain::events::{DeliveryState, EventQuery, OutboxEntry};
use crate::domain::Timestamp;
use crate::events::payload::{self, IssuedToken, Portal};
use crate::protocol::envelope::{iso_date, Reply};
use crate::protocol::error::ApiError;
use crate::protocol::params::{list_of, Params};

const MAX_LIMIT: i64 = 200;
const DEFAULT_LIMIT: i64 = 50;

fn denied() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "ACCESS_DENIED", "Access denied!")
}

/// Whose deliveries the caller sees: its own application's (its token's,
/// or the one its user names with `CLIENT_ID`); an administrator's webhook
/// sees every application's (`None`), or the one whose key (as the rows
/// show it) `CLIENT_ID` gives.
async fn visible(cx: &Ctx, p: &Params) -> Result<Option<String>, ApiError> {
    let given = p.str("CLIENT_ID").filter(|c| !c.trim().is_empty());
    if cx.caller.client_id.is_none() && cx.is_admin().await? {
        if let Some(key) = given
            .as_deref()
            .filter(|c| crate::domain::applications::is_app_key(c))
        {
            return Ok(Some(key.to_owned()));
        }
        return Ok(given.and_then(|name| cx.app(Some(name))));
    }
    cx.app(given).map(Some).ok_or_else(denied)
}

fn ms_date(ms: i64) -> String {
    iso_date(Timestamp(ms.div_euclid(1000)))
}

/// `b24im.event.delivery.list`.
pub async fn list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let client_id = visible(cx, p).await?;
    let state = match p.str("STATE").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            DeliveryState::parse(&s.to_ascii_lowercase()).ok_or_else(|| {
                ApiError::param("INVALID_STATE", "STATE must be pending, delivered or dead")
            })?,
        ),
    };
    let limit = p
        .intval("LIMIT")
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, MAX_LIMIT);
    let entries = cx
        .store()
        .events(EventQuery {
            state,
            client_id,
            before: p.positive_id("BEFORE"),
            limit,
        })
        .await?;
    let portal = crate::events::portal(cx.store(), &cx.state.config.delivery.public_url).await?;
    let rows: Vec<Value> = entries.iter().map(|e| view(e, &portal)).collect();
    Ok(Reply::value(Value::Array(rows)))
}

/// One delivery as the panel shows it.
fn view(e: &OutboxEntry, portal: &Portal) -> Value {
    let hidden = |user: i64| IssuedToken {
        access_token: "(hidden)".into(),
        expires: 0,
        user_id: user,
        scope: e.scopes.to_list(),
    };
    let bot_token = payload::bot_token_user(e).map(hidden);
    let user_token = hidden(e.auth_user);
    let tokens = payload::Tokens {
        bot: bot_token.as_ref(),
        user: &user_token,
        application: "(hidden)",
    };
    let body = payload::of_entry(e, portal, tokens);
    let pending = e.state == DeliveryState::Pending;
    json!({
        "ID": e.id,
        "EVENT": e.record.kind.name(),
        "HANDLER": e.handler,
        "CLIENT_ID": e.client_id,
        "BOT_ID": e.record.bot_id,
        "STATE": e.state.as_str(),
        "ATTEMPTS": e.attempts,
        "LAST_STATUS": e.last_status,
        "LAST_LATENCY_MS": e.last_latency_ms,
        "LAST_ERROR": e.last_error,
        "CREATED": ms_date(e.created_at),
        "DELIVERED": e.delivered_at.map(ms_date),
        "NEXT_ATTEMPT": pending.then(|| ms_date(e.next_attempt_at)),
        "PAYLOAD": body,
    })
}

/// `b24im.event.delivery.replay`.
pub async fn replay(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    if !cx.is_admin().await? {
        return Err(denied());
    }
    let ids: Vec<i64> = list_of(p.get("ID"))
        .unwrap_or_default()
        .iter()
        .map(crate::protocol::params::intval)
        .filter(|id| *id > 0)
        .collect();
    if ids.is_empty() {
        return Err(ApiError::param(
            "ID_EMPTY",
            "ID must list the deliveries to replay",
        ));
    }
    // Each id is a statement in the writer's transaction: bounded, as a page is.
    if ids.len() > MAX_LIMIT as usize {
        return Err(ApiError::param(
            "TOO_MANY_IDS",
            "ID may list at most 200 deliveries",
        ));
    }
    let n = cx
        .store()
        .replay_events(ids, chrono::Utc::now().timestamp_millis())
        .await?;
    Ok(Reply::value(n as i64))
}
