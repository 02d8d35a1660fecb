//! Search: users and chats by the start of a word, and each user's recent
//! search picks.

use super::messages::read_view;
use super::rows::{is_member, load_chat};
use super::sql::{params, Db, DbResult, Param};
use super::users::{load_user, user_from_row, IN_DEPARTMENT, USER_COLUMNS};
use crate::domain::chats::Chat;
use crate::domain::search::{Find, Found, Pick, MAX_LAST};
use crate::domain::store::ReadView;
use crate::domain::users::User;
use crate::domain::{DialogRef, Timestamp, UserId};

/// `' ' || <text, lowercase, '-' as ' '>`: a `LIKE '% word%'` finds a word
/// start in it.
fn words(expr: &str) -> String {
    format!("(' ' || replace(lower({expr}), '-', ' '))")
}

/// Departments named in one statement at most (a search matching more
/// finds their people among the first of them).
const MAX_DEPARTMENTS: usize = 500;

/// Active users with a word of their name starting with the phrase, or
/// placed in one of `departments` (those whose name matched), in id order.
pub(super) fn users(conn: &impl Db, find: Find, departments: Vec<i64>) -> DbResult<Found<User>> {
    let pattern = find.word_pattern();
    let ids: Vec<String> = departments
        .iter()
        .take(MAX_DEPARTMENTS)
        .map(i64::to_string)
        .collect();
    let mut cond = format!(
        "{} LIKE ? ESCAPE '\\'",
        words("first_name || ' ' || last_name || ' ' || work_position")
    );
    for _ in &ids {
        cond.push_str(" OR ");
        cond.push_str(IN_DEPARTMENT);
    }
    let mut args: Vec<&dyn Param> = vec![&pattern];
    args.extend(ids.iter().map(|i| i as &dyn Param));
    let total: i64 = conn.row(
        &format!("SELECT COUNT(*) FROM users WHERE active = TRUE AND ({cond})"),
        &args,
        |r| r.get(0),
    )?;
    args.push(&find.limit);
    args.push(&find.offset);
    let items = conn.rows(
        &format!(
            "SELECT {USER_COLUMNS} FROM users WHERE active = TRUE AND ({cond})
              ORDER BY id LIMIT CAST(? AS BIGINT) OFFSET CAST(? AS BIGINT)"
        ),
        &args,
        user_from_row,
    )?;
    Ok(Found { items, total })
}

/// The group chats `user` is in whose title, or a member's name, has a
/// word starting with the phrase; newest chat first, with the user's
/// reading state.
pub(super) fn chats(
    conn: &impl Db,
    user: UserId,
    find: Find,
) -> DbResult<Found<(Chat, Option<ReadView>)>> {
    let pattern = find.word_pattern();
    let cond = format!(
        "FROM chats c JOIN chat_members me ON me.chat_id = c.id AND me.user_id = ?1
          WHERE c.kind IN ('C', 'O') AND ({} LIKE ?2 ESCAPE '\\'
             OR EXISTS (SELECT 1 FROM chat_members m JOIN users u ON u.id = m.user_id
                         WHERE m.chat_id = c.id AND {} LIKE ?2 ESCAPE '\\'))",
        words("c.title"),
        words("u.first_name || ' ' || u.last_name")
    );
    let total: i64 = conn.row(
        &format!("SELECT COUNT(*) {cond}"),
        params![user.0, pattern],
        |r| r.get(0),
    )?;
    let ids: Vec<i64> = conn.rows(
        &format!("SELECT c.id {cond} ORDER BY c.id DESC LIMIT CAST(?3 AS BIGINT) OFFSET CAST(?4 AS BIGINT)"),
        params![user.0, pattern, find.limit, find.offset],
        |r| r.get(0),
    )?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        let id = crate::domain::ChatId(id);
        if let Some(chat) = load_chat(conn, id)? {
            items.push((chat, read_view(conn, id, user)?));
        }
    }
    Ok(Found { items, total })
}

/// Whether `user` may pick `dialog`: a chat they are in, a user who exists.
fn pickable(conn: &impl Db, user: UserId, dialog: DialogRef) -> DbResult<bool> {
    match dialog {
        DialogRef::Chat(chat) => is_member(conn, chat, user),
        DialogRef::User(other) => Ok(load_user(conn, other)?.is_some()),
    }
}

/// `im.search.last.add`: adds (or moves to the front) a pick; keeps the
/// newest [`MAX_LAST`]; `false` if the dialog cannot be picked.
pub(super) fn add_pick(
    conn: &impl Db,
    user: UserId,
    dialog: DialogRef,
    now: Timestamp,
) -> DbResult<bool> {
    if !pickable(conn, user, dialog)? {
        return Ok(false);
    }
    let seq: i64 = conn.row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM search_picks WHERE user_id = ?1",
        params![user.0],
        |r| r.get(0),
    )?;
    conn.exec(
        "INSERT INTO search_picks (user_id, dialog_id, picked_at, seq) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, dialog_id) DO UPDATE SET picked_at = ?3, seq = ?4",
        params![user.0, dialog.to_string(), now.0, seq],
    )?;
    conn.exec(
        "DELETE FROM search_picks WHERE user_id = ?1 AND seq <= ?2",
        params![user.0, seq - MAX_LAST],
    )?;
    Ok(true)
}

/// `im.search.last.delete`: whether there was such a pick.
pub(super) fn delete_pick(conn: &impl Db, user: UserId, dialog: DialogRef) -> DbResult<bool> {
    Ok(conn.exec(
        "DELETE FROM search_picks WHERE user_id = ?1 AND dialog_id = ?2",
        params![user.0, dialog.to_string()],
    )? > 0)
}

/// `im.search.last.get`: the picks, newest first, as they are now (a chat
/// the user left, or a user who is gone, is left out).
pub(super) fn picks(conn: &impl Db, user: UserId) -> DbResult<Vec<Pick>> {
    let dialogs: Vec<String> = conn.rows(
        "SELECT dialog_id FROM search_picks WHERE user_id = ?1 ORDER BY seq DESC",
        params![user.0],
        |r| r.get(0),
    )?;
    let mut out = Vec::with_capacity(dialogs.len());
    for raw in dialogs {
        match DialogRef::parse(&raw) {
            Some(DialogRef::Chat(chat)) if is_member(conn, chat, user)? => {
                out.extend(load_chat(conn, chat)?.map(Pick::Chat));
            }
            Some(DialogRef::User(other)) => {
                out.extend(load_user(conn, other)?.map(Pick::User));
            }
            _ => {}
        }
    }
    Ok(out)
}
