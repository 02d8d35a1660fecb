//! Notifications: each user's notification chat, the notifications, their
//! read marks and tags.

use super::sql::{marks, params, Db, DbResult, DbRow, Param};
use crate::domain::chats::Color;
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
        conn.exec(
            "DELETE FROM notifications WHERE user_id = ?1 AND tag = ?2",
            params![new.to.0, tag.as_str()],
        )?;
    }
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
            let alts: Vec<&str> = f
                .types
                .iter()
                .map(|(module, event)| {
                    args.push(Arg::Text(module.clone()));
                    match event {
                        Some(e) => {
                            args.push(Arg::Text(e.clone()));
                            "(module = ? AND event = ?)"
                        }
                        None => "module = ?",
                    }
                })
                .collect();
            conds.push(format!("({})", alts.join(" OR ")));
        }
        if let Some(from) = f.from {
            conds.push("created_at >= ?".into());
            args.push(Arg::Int(from.0));
        }
        if let Some(to) = f.to {
            conds.push("created_at < ?".into());
            args.push(Arg::Int(to.0));
        }
        if !f.authors.is_empty() {
            conds.push(format!("author_id IN ({})", marks(f.authors.len())));
            args.extend(f.authors.iter().map(|a| Arg::Int(a.0)));
        }
        if let Some(tag) = &f.group_tag {
            conds.push("(tag = ? OR sub_tag = ?)".into());
            args.push(Arg::Text(tag.clone()));
            args.push(Arg::Text(tag.clone()));
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
        &format!("SELECT {COLUMNS} FROM notifications WHERE {page_conds} ORDER BY id DESC LIMIT ?"),
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

pub(super) fn one(conn: &impl Db, user: UserId, id: i64) -> DbResult<Option<Notification>> {
    conn.row_opt(
        &format!("SELECT {COLUMNS} FROM notifications WHERE id = ?1 AND user_id = ?2"),
        params![id, user.0],
        notification,
    )
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
        ReadScope::List(ids) if ids.is_empty() => 0,
        ReadScope::List(ids) => {
            let mut args: Vec<&dyn Param> = vec![&read, &user.0];
            args.extend(ids.iter().map(|i| i as &dyn Param));
            conn.exec(
                &format!(
                    "UPDATE notifications SET is_read = ? WHERE user_id = ? AND id IN ({})",
                    marks(ids.len())
                ),
                &args,
            )?
        }
        ReadScope::All => conn.exec(
            "UPDATE notifications SET is_read = ?2 WHERE user_id = ?1",
            params![user.0, read],
        )?,
    };
    unread(conn, user)
}

/// How many of `user`'s notifications are unread.
pub(super) fn unread(conn: &impl Db, user: UserId) -> DbResult<i64> {
    conn.row(
        "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND NOT is_read",
        params![user.0],
        |r| r.get(0),
    )
}

pub(super) fn delete(conn: &impl Db, user: UserId, scope: DeleteScope) -> DbResult<bool> {
    let n = match scope {
        DeleteScope::Id(id) => conn.exec(
            "DELETE FROM notifications WHERE id = ?1 AND (user_id = ?2 OR author_id = ?2)",
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
