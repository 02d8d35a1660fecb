//! Notifications: each user's notification chat, the notifications, their
//! read marks and tags.

use super::sql::{marks, params, Db, DbResult, DbRow, Param};
use crate::domain::chats::Color;
use crate::domain::live::Update;
use crate::domain::notifications::{
    DeleteScope, NewNotification, Notification, NotifyPage, NotifyQuery, ReadScope, REST_EVENT,
    REST_MODULE,
};
use crate::domain::{ChatId, Timestamp, UserId};

const COLUMNS: &str = "id, chat_id, author_id, notify_type, module, event, tag, sub_tag, text, \
                       attach, is_read, created_at";

fn notification(r: &dyn DbRow) -> DbResult<Notification> {
    Ok(Notification {
        id: r.get(0)?,
        chat: ChatId(r.get(1)?),
        author: r.get::<Option<i64>>(2)?.map(UserId),
        kind_code: r.get(3)?,
        module: r.get(4)?,
        event: r.get(5)?,
        tag: r.get(6)?,
        sub_tag: r.get(7)?,
        text: r.get(8)?,
        attach: r.get(9)?,
        read: r.get(10)?,
        created_at: Timestamp(r.get(11)?),
    })
}

/// The private key of `user`'s notification chat (one per user).
fn chat_key(user: UserId) -> String {
    format!("notify:{}", user.0)
}

/// `user`'s notification chat, if one was made.
fn notify_chat(conn: &impl Db, user: UserId) -> DbResult<Option<ChatId>> {
    Ok(conn
        .row_opt(
            "SELECT id FROM chats WHERE private_key = ?1",
            params![chat_key(user)],
            |r| r.get(0),
        )?
        .map(ChatId))
}

pub(super) fn add(conn: &impl Db, new: NewNotification, now: Timestamp) -> DbResult<Option<i64>> {
    if !conn.exists("SELECT 1 FROM users WHERE id = ?1", params![new.to.0])? {
        return Ok(None);
    }
    // Made once per user; two first notifications at once meet on the key.
    conn.exec(
        "INSERT INTO chats (kind, title, color, owner_id, private_key, created_at)
         VALUES ('S', '', ?1, ?2, ?3, ?4) ON CONFLICT (private_key) DO NOTHING",
        params![
            Color::for_id(new.to.0).name(),
            new.to.0,
            chat_key(new.to),
            now.0
        ],
    )?;
    let Some(chat) = notify_chat(conn, new.to)? else {
        return Err(super::StoreError::Database(
            "the notification chat was not made".into(),
        ));
    };
    if let Some(tag) = &new.tag {
        // Two sends of one tag at once (several writers, several nodes) go
        // one after the other, so the second replaces the first.
        if let Some(lock) = conn.dialect().named_lock() {
            conn.row(
                lock,
                params![format!("notify-tag:{}:{tag}", new.to.0)],
                |_| Ok(()),
            )?;
        }
        conn.exec(
            "DELETE FROM notifications WHERE user_id = ?1 AND tag = ?2",
            params![new.to.0, tag.as_str()],
        )?;
    }
    conn.publish(Update::User { user: new.to.0 });
    let id = conn.insert(
        "INSERT INTO notifications
             (chat_id, user_id, author_id, notify_type, module, event, tag, sub_tag,
              text, text_out, attach, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        params![
            chat.0,
            new.to.0,
            new.author.map(|a| a.0),
            new.kind.code(),
            REST_MODULE,
            REST_EVENT,
            new.tag.unwrap_or_default(),
            new.sub_tag.unwrap_or_default(),
            new.text,
            new.text_out,
            new.attach,
            now.0
        ],
    )?;
    Ok(Some(id))
}

/// A bound value of a query built from a filter.
enum Arg {
    Int(i64),
    Text(String),
}

impl Arg {
    fn param(&self) -> &dyn Param {
        match self {
            Arg::Int(n) => n,
            Arg::Text(t) => t,
        }
    }
}

pub(super) fn page(conn: &impl Db, q: NotifyQuery) -> DbResult<NotifyPage> {
    let mut conds = vec!["user_id = ?".to_owned()];
    let mut args = vec![Arg::Int(q.user.0)];
    if let Some(f) = &q.filter {
        if let Some(text) = &f.text {
            conds.push("instr(lower(text), lower(?)) > 0".into());
            args.push(Arg::Text(text.clone()));
        }
        if !f.types.is_empty() {
            // `IN` lists: a long list of types makes no deep expression.
            let modules: Vec<&String> = f
                .types
                .iter()
                .filter(|(_, e)| e.is_none())
                .map(|(m, _)| m)
                .collect();
            let pairs: Vec<String> = f
                .types
                .iter()
                .filter_map(|(m, e)| e.as_ref().map(|e| format!("{m}|{e}")))
                .collect();
            let mut alts = Vec::new();
            if !modules.is_empty() {
                alts.push(format!("module IN ({})", marks(modules.len())));
                args.extend(modules.into_iter().map(|m| Arg::Text(m.clone())));
            }
            if !pairs.is_empty() {
                alts.push(format!(
                    "module || '|' || event IN ({})",
                    marks(pairs.len())
                ));
                args.extend(pairs.into_iter().map(Arg::Text));
            }
            conds.push(format!("({})", alts.join(" OR ")));
        }
        if let Some(from) = f.from {
            conds.push("created_at >= ?".into());
            args.push(Arg::Int(from.0));
        }
        if let Some(to) = f.to {
            conds.push("created_at <= ?".into());
            args.push(Arg::Int(to.0));
        }
        if !f.authors.is_empty() {
            conds.push(format!("author_id IN ({})", marks(f.authors.len())));
            args.extend(f.authors.iter().map(|a| Arg::Int(a.0)));
        }
        if !f.group_tags.is_empty() {
            let n = f.group_tags.len();
            conds.push(format!("(tag IN ({0}) OR sub_tag IN ({0}))", marks(n)));
            for _ in 0..2 {
                args.extend(f.group_tags.iter().map(|t| Arg::Text(t.clone())));
            }
        }
    }
    let matching = conds.join(" AND ");
    let bound: Vec<&dyn Param> = args.iter().map(Arg::param).collect();
    let total: i64 = conn.row(
        &format!("SELECT COUNT(*) FROM notifications WHERE {matching}"),
        &bound,
        |r| r.get(0),
    )?;
    let unread: i64 = conn.row(
        "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND NOT is_read",
        params![q.user.0],
        |r| r.get(0),
    )?;
    let mut page_args = bound.clone();
    let mut page_conds = matching;
    if let Some(before) = &q.before {
        page_conds.push_str(" AND id < ?");
        page_args.push(before);
    }
    page_args.push(&q.limit);
    let items = conn.rows(
        &format!("SELECT {COLUMNS} FROM notifications WHERE {page_conds} ORDER BY id DESC LIMIT CAST(? AS BIGINT)"),
        &page_args,
        notification,
    )?;
    Ok(NotifyPage {
        chat: notify_chat(conn, q.user)?,
        total,
        unread,
        items,
    })
}

pub(super) fn mark(conn: &impl Db, user: UserId, scope: ReadScope, read: bool) -> DbResult<i64> {
    match scope {
        ReadScope::One(id) => conn.exec(
            "UPDATE notifications SET is_read = ?3 WHERE user_id = ?1 AND id = ?2",
            params![user.0, id, read],
        )?,
        ReadScope::From(id) => conn.exec(
            "UPDATE notifications SET is_read = ?3 WHERE user_id = ?1 AND id >= ?2",
            params![user.0, id, read],
        )?,
        ReadScope::List(mut ids) => {
            ids.sort_unstable();
            ids.dedup();
            let mut changed = 0;
            for chunk in ids.chunks(IDS_PER_STATEMENT) {
                let mut args: Vec<&dyn Param> = vec![&read, &user.0];
                args.extend(chunk.iter().map(|i| i as &dyn Param));
                changed += conn.exec(
                    &format!(
                        "UPDATE notifications SET is_read = ? WHERE user_id = ? AND id IN ({})",
                        marks(chunk.len())
                    ),
                    &args,
                )?;
            }
            changed
        }
        ReadScope::All => conn.exec(
            "UPDATE notifications SET is_read = ?2 WHERE user_id = ?1",
            params![user.0, read],
        )?,
    };
    conn.publish(Update::User { user: user.0 });
    unread(conn, user)
}

/// Far below SQLite's 32,766 bound values and PostgreSQL's 65,535.
const IDS_PER_STATEMENT: usize = 500;

/// How many of `user`'s notifications are unread.
pub(super) fn unread(conn: &impl Db, user: UserId) -> DbResult<i64> {
    conn.row(
        "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND NOT is_read",
        params![user.0],
        |r| r.get(0),
    )
}

pub(super) fn delete(conn: &impl Db, user: UserId, scope: DeleteScope) -> DbResult<bool> {
    conn.publish(Update::User { user: user.0 });
    let n = match scope {
        DeleteScope::Id(id) => conn.exec(
            "DELETE FROM notifications WHERE id = ?1 AND user_id = ?2",
            params![id, user.0],
        )?,
        DeleteScope::Tag(tag) => {
            conn.exec("DELETE FROM notifications WHERE tag = ?1", params![tag])?
        }
        DeleteScope::SubTag(tag) => {
            conn.exec("DELETE FROM notifications WHERE sub_tag = ?1", params![tag])?
        }
    };
    Ok(n > 0)
}
