//! Polled events and bindings: fetch-mode bot queues, im.v2 user events, `event.bind`, the offline queue.

use super::sql::{params, Db, DbResult, DbRow};
use super::StoreError;
use crate::domain::credentials::Scopes;
use crate::domain::events::{Binding, EventRecord, OfflineEvent, OfflineTake};
use crate::domain::{Timestamp, UserId};

/// The two polled event queues: a fetch-mode bot's and a subscribed user's.
#[derive(Debug, Clone, Copy)]
pub(super) enum Queue {
    Bot,
    User,
}

/// Confirms the events of `owner`'s queue below `offset` and returns the next
/// `limit` (id, record), and whether more are waiting.
pub(super) fn fetch_queue(
    conn: &impl Db,
    queue: Queue,
    owner: UserId,
    offset: Option<i64>,
    limit: i64,
) -> DbResult<(Vec<(i64, EventRecord)>, bool)> {
    // Table and column names come from this match only, never from input.
    let (table, column) = match queue {
        Queue::Bot => ("bot_event_queue", "bot_id"),
        Queue::User => ("user_event_queue", "user_id"),
    };
    if let Some(offset) = offset {
        conn.exec(
            &format!("DELETE FROM {table} WHERE {column} = ?1 AND id < ?2"),
            params![owner.0, offset],
        )?;
    }
    let rows = conn.rows(
        &format!("SELECT id, record FROM {table} WHERE {column} = ?1 ORDER BY id LIMIT CAST(?2 AS BIGINT)"),
        params![owner.0, limit + 1],
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
    )?;
    let more = rows.len() as i64 > limit;
    let mut out = Vec::new();
    for (id, json) in rows.into_iter().take(limit as usize) {
        let record = serde_json::from_str(&json)
            .map_err(|e| StoreError::Database(format!("queued event {id} is unreadable: {e}")))?;
        out.push((id, record));
    }
    Ok((out, more))
}

pub(super) fn offline_from_row(r: &dyn DbRow) -> DbResult<OfflineEvent> {
    Ok(OfflineEvent {
        id: r.get(0)?,
        event: r.get(1)?,
        message_id: r.get(2)?,
        data: r.get(3)?,
        changed_at: r.get(4)?,
        process_id: r.get(5)?,
        error: r.get(6)?,
    })
}

pub(super) const OFFLINE_COLUMNS: &str =
    "id, event, message_id, data, changed_at, process_id, error";

pub(super) fn bot_events(
    conn: &impl Db,
    bot: UserId,
    offset: Option<i64>,
    limit: i64,
) -> DbResult<(Vec<(i64, EventRecord)>, bool)> {
    fetch_queue(conn, Queue::Bot, bot, offset, limit)
}

pub(super) fn subscribe_user_events(
    conn: &impl Db,
    user: UserId,
    on: bool,
    now: Timestamp,
) -> DbResult<()> {
    if on {
        conn.exec(
            "INSERT INTO user_event_subscriptions (user_id, created_at)
                     VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![user.0, now.0],
        )?;
    } else {
        conn.exec(
            "DELETE FROM user_event_subscriptions WHERE user_id = ?1",
            params![user.0],
        )?;
    }
    Ok(())
}

pub(super) fn user_events(
    conn: &impl Db,
    user: UserId,
    offset: Option<i64>,
    limit: i64,
) -> DbResult<(Vec<(i64, EventRecord)>, bool)> {
    fetch_queue(conn, Queue::User, user, offset, limit)
}

pub(super) fn bind_event(conn: &impl Db, b: Binding, now: Timestamp) -> DbResult<bool> {
    Ok(conn.exec(
        "INSERT INTO event_bindings
                         (event, handler, user_id, client_id, scopes, created_at, credential_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        params![
            b.event,
            b.handler,
            b.user,
            b.client_id,
            b.scopes.to_list(),
            now.0,
            b.credential
        ],
    )? == 1)
}

pub(super) fn unbind_event(
    conn: &impl Db,
    event: String,
    handler: Option<String>,
    client_id: String,
) -> DbResult<usize> {
    conn.exec(
                    "DELETE FROM event_bindings
                     WHERE event = ?1 AND client_id = ?2 AND (CAST(?3 AS TEXT) IS NULL OR handler = ?3)",
                    params![event, client_id, handler],
                )
}

pub(super) fn bindings(conn: &impl Db, client_id: String) -> DbResult<Vec<Binding>> {
    let rows = conn.rows(
        "SELECT event, handler, user_id, client_id, scopes, credential_id FROM event_bindings
                     WHERE client_id = ?1 ORDER BY id",
        params![client_id],
        |r| {
            let scopes: String = r.get(4)?;
            Ok(Binding {
                event: r.get(0)?,
                handler: r.get(1)?,
                user: r.get(2)?,
                client_id: r.get(3)?,
                scopes: Scopes::parse(&scopes).unwrap_or_default(),
                credential: r.get(5)?,
            })
        },
    )?;
    Ok(rows)
}

pub(super) fn bind_offline(
    conn: &impl Db,
    event: String,
    client_id: String,
    connector: String,
    user: UserId,
    now: Timestamp,
) -> DbResult<bool> {
    Ok(conn.exec(
        "INSERT INTO offline_bindings
                         (event, client_id, auth_connector, user_id, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        params![event, client_id, connector, user.0, now.0],
    )? == 1)
}

pub(super) fn unbind_offline(conn: &impl Db, event: String, client_id: String) -> DbResult<usize> {
    conn.exec(
        "DELETE FROM offline_bindings WHERE event = ?1 AND client_id = ?2",
        params![event, client_id],
    )
}

pub(super) fn offline_bindings(conn: &impl Db, client_id: String) -> DbResult<Vec<(String, i64)>> {
    let rows = conn.rows(
        "SELECT event, user_id FROM offline_bindings WHERE client_id = ?1 ORDER BY id",
        params![client_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(rows)
}

pub(super) fn take_offline(
    conn: &impl Db,
    t: OfflineTake,
) -> DbResult<(Vec<OfflineEvent>, Option<String>)> {
    let rows = conn.rows(
        &format!(
            "SELECT {} FROM offline_events
                     WHERE client_id = ?1 AND auth_connector = ?2 AND error = ?3
                       AND (process_id IS NULL OR process_id = ?4)
                     ORDER BY changed_at, id LIMIT CAST(?5 AS BIGINT) {}",
            OFFLINE_COLUMNS,
            // Nodes answering event.offline.get at once take different records.
            conn.dialect().skip_locked()
        ),
        params![t.client_id, t.connector, t.errors, t.process_id, t.limit],
        offline_from_row,
    )?;
    if t.clear {
        for e in &rows {
            conn.exec("DELETE FROM offline_events WHERE id = ?1", params![e.id])?;
        }
        return Ok((rows, None));
    }
    let process = t
        .process_id
        .clone()
        .unwrap_or_else(|| crate::domain::credentials::Secret::webhook().0);
    for e in &rows {
        conn.exec(
            "UPDATE offline_events SET process_id = ?2 WHERE id = ?1",
            params![e.id, process],
        )?;
    }
    Ok((rows, Some(process)))
}

pub(super) fn settle_offline(
    conn: &impl Db,
    client_id: String,
    process_id: String,
    ids: Vec<i64>,
    message_ids: Vec<String>,
    error: bool,
) -> DbResult<usize> {
    let action = if error {
        "UPDATE offline_events SET error = TRUE, process_id = NULL"
    } else {
        "DELETE FROM offline_events"
    };
    let scope = "WHERE client_id = ?1 AND process_id = ?2";
    if ids.is_empty() && message_ids.is_empty() {
        return conn.exec(&format!("{action} {scope}"), params![client_id, process_id]);
    }
    let mut n = 0;
    for id in ids {
        n += conn.exec(
            &format!("{action} {scope} AND id = ?3"),
            params![client_id, process_id, id],
        )?;
    }
    for m in message_ids {
        n += conn.exec(
            &format!("{action} {scope} AND message_id = ?3"),
            params![client_id, process_id, m],
        )?;
    }
    Ok(n)
}

pub(super) fn list_offline(
    conn: &impl Db,
    client_id: String,
    connector: String,
    start: i64,
) -> DbResult<(Vec<OfflineEvent>, i64)> {
    let rows = conn.rows(
        &format!(
            "SELECT {} FROM offline_events WHERE client_id = ?1 AND auth_connector = ?2
                     ORDER BY id LIMIT 50 OFFSET CAST(?3 AS BIGINT)",
            OFFLINE_COLUMNS
        ),
        params![client_id, connector, start.max(0)],
        offline_from_row,
    )?;
    let total = conn.row(
        "SELECT COUNT(*) FROM offline_events WHERE client_id = ?1 AND auth_connector = ?2",
        params![client_id, connector],
        |r| r.get(0),
    )?;
    Ok((rows, total))
}

/// Drops queued im.v2 user events and v2 bot events (fetch mode) older
/// than `before`: both are kept 24 hours.
pub(super) fn purge_user_events(conn: &impl Db, before: Timestamp) -> DbResult<usize> {
    Ok(conn.exec(
        "DELETE FROM user_event_queue WHERE created_at < ?1",
        params![before.0],
    )? + conn.exec(
        "DELETE FROM bot_event_queue WHERE created_at < ?1",
        params![before.0],
    )?)
}
