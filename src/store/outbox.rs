//! The event outbox: rows written in a change's transaction, leased and settled by the delivery worker.

use super::sql::{params, Db, DbResult, DbRow};
use super::StoreError;
use crate::domain::credentials::Scopes;
use crate::domain::events::{
    Attempt, DeliveryState, EventQuery, EventRecord, NewEvent, OutboxEntry,
};
use crate::domain::live::Update;

/// An event record as stored (JSON).
pub(super) fn encode_record(record: &EventRecord) -> DbResult<String> {
    serde_json::to_string(record)
        .map_err(|e| StoreError::Database(format!("cannot encode an event: {e}")))
}

pub(super) fn insert_event(conn: &impl Db, ev: &NewEvent, now_ms: i64) -> DbResult<()> {
    let record = encode_record(&ev.record)?;
    conn.exec(
        "INSERT INTO outbox (event, handler, handler_id, client_id, scopes, auth_user, record,
             next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            ev.record.kind.name(),
            ev.handler,
            ev.handler_id,
            ev.client_id,
            ev.scopes.to_list(),
            ev.auth_user,
            record,
            now_ms
        ],
    )?;
    conn.publish(Update::Outbox);
    Ok(())
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) const OUTBOX_COLUMNS: &str =
    "id, handler, handler_id, client_id, scopes, auth_user, record,
     state, attempts, last_error, created_at, next_attempt_at, delivered_at,
     last_status, last_latency_ms";

pub(super) fn outbox_from_row(r: &dyn DbRow) -> DbResult<OutboxEntry> {
    let unreadable = |col: usize, e: String| {
        StoreError::Database(format!("outbox column {col} is unreadable: {e}"))
    };
    let scopes: String = r.get(4)?;
    let record: String = r.get(6)?;
    let state: String = r.get(7)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        handler: r.get(1)?,
        handler_id: r.get(2)?,
        client_id: r.get(3)?,
        scopes: Scopes::parse(&scopes).unwrap_or_default(),
        auth_user: r.get(5)?,
        record: serde_json::from_str(&record).map_err(|e| unreadable(6, e.to_string()))?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| unreadable(7, format!("unknown event state {state}")))?,
        attempts: r.get(8)?,
        last_error: r.get(9)?,
        created_at: r.get(10)?,
        next_attempt_at: r.get(11)?,
        delivered_at: r.get(12)?,
        last_status: r.get(13)?,
        last_latency_ms: r.get(14)?,
    })
}

pub(super) fn claim_events(
    conn: &impl Db,
    now_ms: i64,
    lease_ms: i64,
    limit: usize,
) -> DbResult<Vec<OutboxEntry>> {
    // Several nodes claim at once on PostgreSQL: each skips the rows
    // another is claiming, so no event is leased twice.
    let skip_locked = conn.dialect().skip_locked();
    let mut rows = conn.rows(
        &format!(
            "UPDATE outbox SET claimed_until = ?1
                     WHERE id IN (SELECT id FROM outbox
                                  WHERE state = 'pending' AND next_attempt_at <= ?2
                                    AND claimed_until <= ?2
                                  ORDER BY id LIMIT CAST(?3 AS BIGINT) {skip_locked})
                     RETURNING {OUTBOX_COLUMNS}"
        ),
        params![now_ms + lease_ms, now_ms, limit as i64],
        outbox_from_row,
    )?;
    rows.sort_by_key(|e| e.id);
    Ok(rows)
}

pub(super) fn event_delivered(
    conn: &impl Db,
    id: i64,
    now_ms: i64,
    attempt: Attempt,
) -> DbResult<()> {
    conn.exec(
        "UPDATE outbox SET state = 'delivered', attempts = attempts + 1,
                     delivered_at = ?2, claimed_until = 0, last_error = '',
                     last_status = ?3, last_latency_ms = ?4
                 WHERE id = ?1",
        params![
            id,
            now_ms,
            attempt.status.map(i64::from),
            attempt.latency_ms
        ],
    )?;
    Ok(())
}

pub(super) fn event_failed(
    conn: &impl Db,
    id: i64,
    error: String,
    retry_at_ms: Option<i64>,
    attempt: Attempt,
) -> DbResult<()> {
    let status = attempt.status.map(i64::from);
    match retry_at_ms {
        Some(at) => conn.exec(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2,
                         claimed_until = 0, last_error = ?3, last_status = ?4,
                         last_latency_ms = ?5
                     WHERE id = ?1",
            params![id, at, error, status, attempt.latency_ms],
        )?,
        None => conn.exec(
            "UPDATE outbox SET state = 'dead', attempts = attempts + 1,
                         claimed_until = 0, last_error = ?2, last_status = ?3,
                         last_latency_ms = ?4
                     WHERE id = ?1",
            params![id, error, status, attempt.latency_ms],
        )?,
    };
    Ok(())
}

pub(super) fn events(conn: &impl Db, q: EventQuery) -> DbResult<Vec<OutboxEntry>> {
    let rows = conn.rows(
        &format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox
                     WHERE (CAST(?1 AS TEXT) IS NULL OR state = ?1)
                       AND (CAST(?2 AS TEXT) IS NULL OR client_id = ?2)
                       AND id < ?3
                     ORDER BY id DESC LIMIT CAST(?4 AS BIGINT)"
        ),
        params![
            q.state.map(|s| s.as_str()),
            q.client_id,
            q.before.unwrap_or(i64::MAX),
            q.limit
        ],
        outbox_from_row,
    )?;
    Ok(rows)
}

pub(super) fn replay_events(conn: &impl Db, ids: Vec<i64>, now_ms: i64) -> DbResult<usize> {
    const REPLAY: &str = "UPDATE outbox SET state = 'pending', attempts = 0,
                 next_attempt_at = ?1, claimed_until = 0";
    if ids.is_empty() {
        conn.publish(Update::Outbox);
        return conn.exec(&format!("{REPLAY} WHERE state = 'dead'"), params![now_ms]);
    }
    conn.publish(Update::Outbox);
    let mut n = 0;
    for id in ids {
        n += conn.exec(&format!("{REPLAY} WHERE id = ?2"), params![now_ms, id])?;
    }
    Ok(n)
}
