//! The recent list: a member's chats by their last message, with unread
//! counters and the member's own marks (pinned, marked unread, hidden).
//! A page is three statements whatever its size: the entries, the muted
//! members of their chats, and nothing per row.

use super::messages::UNREAD_OF_CM;
use super::sql::{marks, params, Db, DbResult, Param};
use super::{RecentEntry, RecentMark, RecentMessage, RecentQuery, StoreError};
use crate::domain::chats::{ChatKind, Color};
use crate::domain::live::Update;
use crate::domain::{ChatId, MessageId, Timestamp, UserId};

/// The entries of `?1`'s recent list whose last message is older than `?2`
/// and not older than `?4`, filtered by `extra`, newest first, at most `?3`.
/// A group chat with no message yet is listed from its creation (message
/// id 0), as on portals, where its welcome message lists it.
fn page_sql(extra: &str) -> String {
    format!(
        "SELECT * FROM (
           SELECT c.id, c.kind, c.title, c.color, c.owner_id, c.entity_type, c.entity_id,
                  c.created_at,
                  (SELECT COUNT(*) FROM chat_members a WHERE a.chat_id = c.id) AS member_count,
                  COALESCE(m.id, 0) AS message_id, COALESCE(m.text, '') AS text, m.author_id,
                  COALESCE(m.created_at, c.created_at) AS message_date,
                  (SELECT COUNT(*) {UNREAD_OF_CM}) AS counter,
                  cm.last_read_id, cm.pinned, cm.marked_unread,
                  (SELECT MIN(o.user_id) FROM chat_members o
                    WHERE o.chat_id = c.id AND o.user_id <> cm.user_id) AS other,
                  m.params AS message_params
           FROM chat_members cm
           JOIN chats c ON c.id = cm.chat_id
           LEFT JOIN messages m ON m.id = (SELECT MAX(x.id) FROM messages x
                                            WHERE x.chat_id = c.id AND x.deleted = FALSE)
           WHERE cm.user_id = ?1
             AND (m.id > cm.hidden_below
                  OR (m.id IS NULL AND c.kind <> 'P' AND cm.hidden_below = 0))
             AND COALESCE(m.created_at, c.created_at) < ?2
         ) r
         WHERE message_date >= ?4 {extra}
         ORDER BY message_date DESC, message_id DESC
         LIMIT CAST(?3 AS BIGINT)"
    )
}

pub(super) fn recent(conn: &impl Db, user: UserId, q: RecentQuery) -> DbResult<Vec<RecentEntry>> {
    let mut extra = String::new();
    if q.skip_chats {
        extra.push_str(" AND kind = 'P'");
    }
    if q.skip_dialogs {
        extra.push_str(" AND kind <> 'P'");
    }
    if q.unread_only {
        extra.push_str(" AND (counter > 0 OR marked_unread = TRUE)");
    }
    let before = q.before.map_or(i64::MAX, |t| t.0);
    let since = q.since.map_or(i64::MIN, |t| t.0);
    let mut entries = conn.rows(
        &page_sql(&extra),
        params![user.0, before, q.limit + 1, since],
        |r| {
            let kind: String = r.get(1)?;
            let color: String = r.get(3)?;
            let id = ChatId(r.get(0)?);
            Ok(RecentEntry {
                chat: id,
                kind: ChatKind::from_code(&kind)
                    .ok_or_else(|| StoreError::Database(format!("unknown chat kind {kind}")))?,
                title: r.get(2)?,
                color: Color::parse(&color).unwrap_or(Color::for_id(id.0)),
                owner: UserId(r.get(4)?),
                entity_type: r.get(5)?,
                entity_id: r.get(6)?,
                created_at: Timestamp(r.get(7)?),
                member_count: r.get(8)?,
                muted: Vec::new(),
                message: RecentMessage {
                    id: MessageId(r.get(9)?),
                    text: r.get(10)?,
                    author: r.get::<Option<i64>>(11)?.map(UserId),
                    date: Timestamp(r.get(12)?),
                    attach: r
                        .get::<Option<String>>(18)?
                        .is_some_and(|p| p.contains("\"ATTACH\"")),
                },
                counter: r.get(13)?,
                last_read: r.get(14)?,
                pinned: r.get(15)?,
                marked_unread: r.get(16)?,
                other: r.get::<Option<i64>>(17)?.map(UserId),
            })
        },
    )?;
    if entries.is_empty() {
        return Ok(entries);
    }
    // The muted members of the page's chats, in one statement.
    let marks = marks(entries.len());
    let ids: Vec<i64> = entries.iter().map(|e| e.chat.0).collect();
    let bound: Vec<&dyn Param> = ids.iter().map(|id| id as &dyn Param).collect();
    let muted: Vec<(i64, i64)> = conn.rows(
        &format!(
            "SELECT chat_id, user_id FROM chat_members
             WHERE muted = TRUE AND chat_id IN ({marks}) ORDER BY chat_id, user_id"
        ),
        &bound,
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for e in &mut entries {
        e.muted = muted
            .iter()
            .filter(|(c, _)| *c == e.chat.0)
            .map(|(_, u)| UserId(*u))
            .collect();
    }
    Ok(entries)
}

/// `im.recent.pin`, `im.recent.hide`, `im.recent.unread`; `false` if `user`
/// is not a member of `chat`.
pub(super) fn mark(conn: &impl Db, chat: ChatId, user: UserId, mark: RecentMark) -> DbResult<bool> {
    let n = match mark {
        RecentMark::Pin(on) => conn.exec(
            "UPDATE chat_members SET pinned = ?1 WHERE chat_id = ?2 AND user_id = ?3",
            params![on, chat.0, user.0],
        )?,
        RecentMark::Unread(true) => conn.exec(
            "UPDATE chat_members SET marked_unread = TRUE WHERE chat_id = ?1 AND user_id = ?2",
            params![chat.0, user.0],
        )?,
        RecentMark::Hide => conn.exec(
            // -1: hidden while the chat has no message.
            "UPDATE chat_members SET hidden_below = COALESCE(
                 (SELECT MAX(m.id) FROM messages m WHERE m.chat_id = ?1), -1)
             WHERE chat_id = ?1 AND user_id = ?2",
            params![chat.0, user.0],
        )?,
        // Unmarking reads the chat, as the page says.
        RecentMark::Unread(false) => conn.exec(
            "UPDATE chat_members SET marked_unread = FALSE, last_read_id = COALESCE(
                 (SELECT MAX(m.id) FROM messages m WHERE m.chat_id = ?1), 0)
             WHERE chat_id = ?1 AND user_id = ?2",
            params![chat.0, user.0],
        )?,
    };
    conn.publish(Update::User { user: user.0 });
    Ok(n == 1)
}
