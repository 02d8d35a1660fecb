//! Messages: posting, editing, deleting, and a page of history in a fixed number of statements.

use std::sync::LazyLock;

use super::events::enqueue_message;
use super::rows::{chat_kind, is_member};
use super::sql::{marks, params, Db, DbResult, DbRow, Dialect, Param};
use super::{
    ChatCounter, EditOutcome, HistoryPage, MessageSearch, PostOutcome, ReadMark, ReadState,
    ReadView,
};
use crate::domain::events::EventKind;
use crate::domain::live::Update;
use crate::domain::message_params::{after_delete, ParamsChange};
use crate::domain::messages::{Message, Page};
use crate::domain::reactions::LIKE;
use crate::domain::{ChatId, MessageId, Timestamp, UserId};

/// The page statement of a history, for one direction: `?1` chat, `?2`
/// the bound, `?3` the limit. The limit is a `CAST`, not a bare `?3`:
/// SQLite (3.50) codes a bare bound `LIMIT ?` as the value bound when it
/// prepared the statement, and so expires the prepared statement whenever
/// `?3` is bound again, re-preparing it on every page (a tenth of a read's
/// CPU when measured).
pub(super) struct PageSql {
    messages: String,
}

impl PageSql {
    pub(super) fn new(cond: &str, order: &str) -> PageSql {
        PageSql {
            messages: format!(
                "SELECT id, chat_id, author_id, text, system_code, edited, deleted, created_at, params
                 FROM messages WHERE chat_id = ?1 AND {cond} ORDER BY id {order} LIMIT CAST(?3 AS BIGINT)"
            ),
        }
    }
}

pub(super) static PAGE_BEFORE: LazyLock<PageSql> =
    LazyLock::new(|| PageSql::new("id < ?2", "DESC"));

pub(super) static PAGE_AFTER: LazyLock<PageSql> = LazyLock::new(|| PageSql::new("id > ?2", "ASC"));

/// Every like of a page, in the order given: `?1` chat, `?2` and `?3` the
/// page's first and last message, `?4` the like reaction.
const PAGE_LIKES: &str = "SELECT r.message_id, r.user_id FROM reactions r
      JOIN messages m ON m.id = r.message_id
     WHERE m.chat_id = ?1 AND r.message_id BETWEEN ?2 AND ?3 AND r.reaction = ?4
     ORDER BY r.message_id, r.rowid";

pub(super) fn insert_message(
    conn: &impl Db,
    chat: ChatId,
    author: Option<UserId>,
    text: &str,
    system_code: Option<&str>,
    now: Timestamp,
) -> DbResult<MessageId> {
    let id = conn.insert(
        "INSERT INTO messages (chat_id, author_id, text, system_code, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        params![chat.0, author.map(|a| a.0), text, system_code, now.0],
    )?;
    // Writing reads the chat up to one's own message, as on a portal.
    if let Some(author) = author {
        conn.exec(
            "UPDATE chat_members SET last_read_id = ?1, last_read_at = ?4
              WHERE chat_id = ?2 AND user_id = ?3",
            params![id, chat.0, author.0, now.0],
        )?;
    }
    conn.publish(Update::Message { chat: chat.0, id });
    Ok(MessageId(id))
}

/// A new message's keyboard, menu and attachments (nothing for `None`).
pub(super) fn set_params(conn: &impl Db, id: MessageId, params: Option<&str>) -> DbResult<()> {
    if let Some(params) = params {
        conn.exec(
            "UPDATE messages SET params = ?1 WHERE id = ?2",
            params![params, id.0],
        )?;
    }
    Ok(())
}

/// The one definition of "unread" for a member (`cm`, their chat_members
/// row): the messages after their read mark, not their own, not deleted.
/// `counter`s, `unread_id`, counters and the recent list all count this.
pub(super) const UNREAD_OF_CM: &str = "FROM messages u
     WHERE u.chat_id = cm.chat_id AND u.id > cm.last_read_id AND u.deleted = FALSE
       AND (u.author_id IS NULL OR u.author_id <> cm.user_id)";

/// A member's unread count and first unread message (0: none), `?1` the
/// chat, `?2` the user.
static READ_VIEW: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT cm.last_read_id, (SELECT COUNT(*) {UNREAD_OF_CM}),
                (SELECT COALESCE(MIN(u.id), 0) {UNREAD_OF_CM})
         FROM chat_members cm WHERE cm.chat_id = ?1 AND cm.user_id = ?2"
    )
});

/// Every chat of `?1` with its unread count (and the other member, for
/// private dialogs).
static COUNTERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT cm.chat_id, c.kind, cm.muted, (SELECT COUNT(*) {UNREAD_OF_CM}),
                (SELECT MIN(o.user_id) FROM chat_members o
                  WHERE o.chat_id = cm.chat_id AND o.user_id <> cm.user_id)
         FROM chat_members cm JOIN chats c ON c.id = cm.chat_id
         WHERE cm.user_id = ?1 ORDER BY cm.chat_id"
    )
});

/// `im.dialog.read` (`up_to`: a message id, or everything) and
/// `im.dialog.unread` (`unread_from`): moves `user`'s read mark in `chat`;
/// `None` when `user` is not a member.
pub(super) fn mark_read(
    conn: &impl Db,
    chat: ChatId,
    user: UserId,
    mark: ReadMark,
    now: Timestamp,
) -> DbResult<Option<ReadState>> {
    let Some(current) = conn.row_opt(
        "SELECT last_read_id FROM chat_members WHERE chat_id = ?1 AND user_id = ?2",
        params![chat.0, user.0],
        |r| r.get::<i64>(0),
    )?
    else {
        return Ok(None);
    };
    let last: i64 = conn.row(
        "SELECT COALESCE(MAX(id), 0) FROM messages WHERE chat_id = ?1",
        params![chat.0],
        |r| r.get(0),
    )?;
    let target = match mark {
        ReadMark::All => last,
        // Reading never moves the mark back; it stops at the chat's last message.
        ReadMark::UpTo(id) => current.max(id.0.min(last)),
        ReadMark::UnreadFrom(id) => (id.0 - 1).clamp(0, last),
    };
    // Reading also takes away a hand-set "unread" mark (im.recent.unread).
    let marked = !matches!(mark, ReadMark::UnreadFrom(_));
    if target != current || marked {
        conn.exec(
            "UPDATE chat_members SET last_read_id = ?1,
                 marked_unread = CASE WHEN ?4 THEN FALSE ELSE marked_unread END,
                 last_read_at = CASE WHEN ?1 <> last_read_id THEN ?5 ELSE last_read_at END
             WHERE chat_id = ?2 AND user_id = ?3",
            params![target, chat.0, user.0, marked, now.0],
        )?;
        conn.publish(Update::Read {
            chat: chat.0,
            user: user.0,
            message: target,
        });
    }
    Ok(read_view(conn, chat, user)?.map(|view| view.state))
}

/// `im.dialog.get`'s `counter` and `unread_id`, in one statement.
pub(super) fn read_view(conn: &impl Db, chat: ChatId, user: UserId) -> DbResult<Option<ReadView>> {
    conn.row_opt(&READ_VIEW, params![chat.0, user.0], |r| {
        Ok(ReadView {
            state: ReadState {
                last_read: r.get(0)?,
                counter: r.get(1)?,
            },
            first_unread: r.get(2)?,
        })
    })
}

/// `im.dialog.read.all`: every chat of `user` read, in one statement.
pub(super) fn read_all(conn: &impl Db, user: UserId, now: Timestamp) -> DbResult<()> {
    conn.exec(
        "UPDATE chat_members SET last_read_id = COALESCE(
             (SELECT MAX(m.id) FROM messages m WHERE m.chat_id = chat_members.chat_id), 0),
             last_read_at = ?2
         WHERE user_id = ?1 AND last_read_id < COALESCE(
             (SELECT MAX(m.id) FROM messages m WHERE m.chat_id = chat_members.chat_id), 0)",
        params![user.0, now.0],
    )?;
    conn.publish(Update::User { user: user.0 });
    Ok(())
}

/// `im.counters.get`: the chats of `user` with unread messages.
pub(super) fn counters(conn: &impl Db, user: UserId) -> DbResult<Vec<ChatCounter>> {
    let rows = conn.rows(&COUNTERS, params![user.0], |r| {
        Ok(ChatCounter {
            chat: ChatId(r.get(0)?),
            private: r.get::<String>(1)? == "P",
            muted: r.get(2)?,
            unread: r.get(3)?,
            other: r.get::<Option<i64>>(4)?.map(UserId),
        })
    })?;
    Ok(rows.into_iter().filter(|c| c.unread > 0).collect())
}

pub(super) fn post_message(
    conn: &impl Db,
    chat: ChatId,
    author: UserId,
    text: String,
    params: Option<String>,
    now: Timestamp,
) -> DbResult<PostOutcome> {
    if !is_member(conn, chat, author)? {
        return Ok(match chat_kind(conn, chat)? {
            Some(_) => PostOutcome::NotMember,
            None => PostOutcome::NoChat,
        });
    }
    let id = insert_message(conn, chat, Some(author), &text, None, now)?;
    set_params(conn, id, params.as_deref())?;
    enqueue_message(
        conn,
        EventKind::BotMessageAdd,
        chat,
        id,
        Some(author),
        &text,
        now,
    )?;
    Ok(PostOutcome::Posted(id))
}

pub(super) fn can_edit_message(conn: &impl Db, id: MessageId, actor: UserId) -> DbResult<bool> {
    conn.exists(
        "SELECT 1 FROM messages m
                     WHERE m.id = ?1 AND m.author_id = ?2 AND m.deleted = FALSE
                       AND EXISTS (SELECT 1 FROM chat_members cm
                                   WHERE cm.chat_id = m.chat_id AND cm.user_id = ?2)",
        params![id.0, actor.0],
    )
}

pub(super) fn edit_message(
    conn: &impl Db,
    id: MessageId,
    actor: UserId,
    text: Option<String>,
    change: &ParamsChange,
    now: Timestamp,
) -> DbResult<EditOutcome> {
    // The author, still a member, of a message not deleted.
    let stored: Option<(i64, Option<String>)> = conn.row_opt(
        &format!(
            "SELECT m.chat_id, m.params FROM messages m
              WHERE m.id = ?1 AND m.author_id = ?2 AND m.deleted = FALSE
                AND EXISTS (SELECT 1 FROM chat_members cm
                             WHERE cm.chat_id = m.chat_id AND cm.user_id = ?2){}",
            row_lock(conn)
        ),
        params![id.0, actor.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let Some((chat, params)) = stored else {
        return Ok(EditOutcome::NotAllowed);
    };
    if !change.is_empty() {
        conn.exec(
            "UPDATE messages SET params = ?1 WHERE id = ?2",
            params![change.apply(params.as_deref()), id.0],
        )?;
    }
    if let Some(text) = &text {
        conn.exec(
            "UPDATE messages SET text = ?1, edited = TRUE WHERE id = ?2",
            params![text, id.0],
        )?;
    }
    if text.is_none() && change.is_empty() {
        return Ok(EditOutcome::Done);
    }
    conn.publish(Update::Edit { chat, id: id.0 });
    if let Some(text) = text {
        enqueue_message(
            conn,
            EventKind::BotMessageUpdate,
            ChatId(chat),
            id,
            Some(actor),
            &text,
            now,
        )?;
    }
    Ok(EditOutcome::Done)
}

/// On PostgreSQL, a read of a message row that a change then writes locks
/// it (two writers' groups run at once); SQLite has one writer.
fn row_lock(conn: &impl Db) -> &'static str {
    match conn.dialect() {
        Dialect::Postgres => " FOR UPDATE OF m",
        Dialect::Sqlite => "",
    }
}

pub(super) fn delete_message(
    conn: &impl Db,
    id: MessageId,
    actor: UserId,
    complete: bool,
    now: Timestamp,
) -> DbResult<EditOutcome> {
    // The author, or the owner of a group chat, who is still a member; the
    // message not deleted yet, or (for good) deleted by its author before.
    type Row = (i64, Option<i64>, String, Option<String>, bool);
    let before: Option<Row> = conn.row_opt(
        &format!(
            "SELECT m.chat_id, m.author_id, m.text, m.params, m.deleted FROM messages m
              WHERE m.id = ?1
                AND EXISTS (SELECT 1 FROM chat_members cm
                             WHERE cm.chat_id = m.chat_id AND cm.user_id = ?2)
                AND (m.author_id = ?2 OR EXISTS (
                     SELECT 1 FROM chats c WHERE c.id = m.chat_id
                       AND c.kind <> 'P' AND c.owner_id = ?2)){}",
            row_lock(conn)
        ),
        params![id.0, actor.0],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let Some((chat, author, text, params, deleted)) = before else {
        return Ok(EditOutcome::NotAllowed);
    };
    if deleted && !(complete && author == Some(actor.0)) {
        return Ok(EditOutcome::NotAllowed);
    }
    conn.exec("DELETE FROM reactions WHERE message_id = ?1", params![id.0])?;
    // A deleted message's files go with it.
    conn.exec(
        "UPDATE files SET deleted = TRUE WHERE message_id = ?1",
        params![id.0],
    )?;
    if complete {
        conn.exec(
            "UPDATE files SET message_id = NULL WHERE message_id = ?1",
            params![id.0],
        )?;
        conn.exec("DELETE FROM messages WHERE id = ?1", params![id.0])?;
    } else {
        conn.exec(
            "UPDATE messages SET text = '', deleted = TRUE, params = ?2 WHERE id = ?1",
            params![id.0, after_delete(params.as_deref())],
        )?;
    }
    conn.publish(Update::Delete { chat, id: id.0 });
    if !deleted {
        enqueue_message(
            conn,
            EventKind::BotMessageDelete,
            ChatId(chat),
            id,
            author.map(UserId),
            &text,
            now,
        )?;
    }
    Ok(EditOutcome::Done)
}

pub(super) fn history(
    conn: &impl Db,
    chat: ChatId,
    reader: UserId,
    page: Page,
) -> DbResult<Option<HistoryPage>> {
    // Membership and the reader's read mark in one look.
    let Some(last_read) = conn.row_opt(
        "SELECT last_read_id FROM chat_members WHERE chat_id = ?1 AND user_id = ?2",
        params![chat.0, reader.0],
        |r| r.get::<i64>(0),
    )?
    else {
        return Ok(None);
    };
    let (sql, bound, limit) = match page {
        Page::Latest { limit } => (&*PAGE_BEFORE, i64::MAX, limit),
        Page::Before { before, limit } => (&*PAGE_BEFORE, before, limit),
        Page::After { after, limit } => (&*PAGE_AFTER, after, limit),
    };
    let mut messages = conn.rows(
        &sql.messages,
        params![chat.0, bound, i64::from(limit)],
        message_from_row,
    )?;
    messages.sort_by_key(|m| m.id);
    let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
        return Ok(Some(HistoryPage {
            messages,
            authors: Vec::new(),
            files: Vec::new(),
            last_read,
        }));
    };
    // A page is every message of the chat from its first id to its last:
    // its likes and files are read by that range (an index range, no list
    // of ids to build and probe), each in one statement.
    let (first, last) = (first.id.0, last.id.0);
    let likes: Vec<(i64, i64)> =
        conn.rows(PAGE_LIKES, params![chat.0, first, last, LIKE], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    for (message, user) in likes {
        if let Ok(i) = messages.binary_search_by_key(&message, |m| m.id.0) {
            messages[i].likes.push(UserId(user));
        }
    }
    let authors = super::users::users(conn, messages.iter().filter_map(|m| m.author).collect())?;
    let files = super::files::of_page(conn, chat, first, last)?;
    Ok(Some(HistoryPage {
        messages,
        authors,
        files,
        last_read,
    }))
}

pub(super) fn message_chat(conn: &impl Db, id: MessageId) -> DbResult<Option<ChatId>> {
    conn.row_opt(
        "SELECT chat_id FROM messages WHERE id = ?1",
        params![id.0],
        |r| r.get::<i64>(0).map(ChatId),
    )
}

/// A message `reader` may see: not deleted, in a chat they are in.
pub(super) fn visible_message(
    conn: &impl Db,
    id: MessageId,
    reader: UserId,
) -> DbResult<Option<Message>> {
    conn.row_opt(
        "SELECT m.id, m.chat_id, m.author_id, m.text, m.system_code, m.edited, m.deleted,
                m.created_at, m.params
           FROM messages m
          WHERE m.id = ?1 AND m.deleted = FALSE
            AND EXISTS (SELECT 1 FROM chat_members cm
                         WHERE cm.chat_id = m.chat_id AND cm.user_id = ?2)",
        params![id.0, reader.0],
        message_from_row,
    )
}

/// A message row (`id, chat_id, author_id, text, system_code, edited,
/// deleted, created_at, params`), its likes to be filled in.
fn message_from_row(r: &dyn DbRow) -> DbResult<Message> {
    Ok(Message {
        id: MessageId(r.get(0)?),
        chat: ChatId(r.get(1)?),
        author: r.get::<Option<i64>>(2)?.map(UserId),
        text: r.get(3)?,
        system_code: r.get(4)?,
        edited: r.get(5)?,
        deleted: r.get(6)?,
        date: Timestamp(r.get(7)?),
        likes: Vec::new(),
        params: r.get(8)?,
    })
}

/// `im.dialog.messages.search`: one statement for the messages, one for
/// their likes, one for their authors.
pub(super) fn search(
    conn: &impl Db,
    chat: ChatId,
    reader: UserId,
    q: MessageSearch,
) -> DbResult<Option<HistoryPage>> {
    if !is_member(conn, chat, reader)? {
        return Ok(None);
    }
    let pattern = q.text.as_deref().map(|t| {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let (cmp, order) = if q.ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let after = q
        .after_id
        .map_or(if q.ascending { 0 } else { i64::MAX }, |m| m.0);
    let text_cond = if pattern.is_some() {
        "AND lower(text) LIKE lower(?6) ESCAPE '\\'"
    } else {
        "AND CAST(?6 AS TEXT) IS NULL"
    };
    let sql = format!(
        "SELECT id, chat_id, author_id, text, system_code, edited, deleted, created_at, params
         FROM messages
         WHERE chat_id = ?1 AND deleted = FALSE AND id {cmp} ?2
           AND created_at >= ?3 AND created_at < ?4 {text_cond}
         ORDER BY id {order} LIMIT CAST(?5 AS BIGINT)"
    );
    let from = q.from.map_or(i64::MIN, |t| t.0);
    let to = q.to.map_or(i64::MAX, |t| t.0);
    let mut messages = conn.rows(
        &sql,
        params![chat.0, after, from, to, q.limit, pattern],
        message_from_row,
    )?;
    if messages.is_empty() {
        return Ok(Some(HistoryPage {
            messages,
            authors: Vec::new(),
            files: Vec::new(),
            last_read: 0,
        }));
    }
    let marks = marks(messages.len());
    let ids: Vec<i64> = messages.iter().map(|m| m.id.0).collect();
    let mut bound: Vec<&dyn Param> = vec![&LIKE];
    bound.extend(ids.iter().map(|id| id as &dyn Param));
    let likes: Vec<(i64, i64)> = conn.rows(
        &format!(
            "SELECT message_id, user_id FROM reactions
             WHERE reaction = ?1 AND message_id IN ({marks}) ORDER BY message_id, created_at, user_id"
        ),
        &bound,
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (message, user) in likes {
        if let Some(m) = messages.iter_mut().find(|m| m.id.0 == message) {
            m.likes.push(UserId(user));
        }
    }
    let mut authors: Vec<UserId> = messages.iter().filter_map(|m| m.author).collect();
    authors.sort_unstable();
    authors.dedup();
    let authors = super::users::users(conn, authors)?;
    Ok(Some(HistoryPage {
        messages,
        authors,
        files: Vec::new(),
        last_read: 0,
    }))
}
