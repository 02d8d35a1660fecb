//! Departments: the structure, heads, and who is placed where.

use super::sql::{params, Db, DbResult, Param};
use super::users::{user_from_row, IN_DEPARTMENT, USER_COLUMNS};
use crate::domain::departments::{self, Department, NewDepartment, Structure};
use crate::domain::users::User;
use crate::domain::UserId;

pub(super) fn structure(conn: &impl Db) -> DbResult<Structure> {
    Ok(Structure(conn.rows(
        "SELECT id, name, parent_id, head_id FROM departments ORDER BY id",
        params![],
        |r| {
            Ok(Department {
                id: r.get(0)?,
                name: r.get(1)?,
                parent: r.get(2)?,
                head: r.get::<Option<i64>>(3)?.map(UserId),
            })
        },
    )?))
}

/// A person (not a bot) who exists.
fn is_person(conn: &impl Db, user: UserId) -> DbResult<bool> {
    conn.exists(
        "SELECT 1 FROM users WHERE id = ?1 AND bot = FALSE",
        params![user.0],
    )
}

fn exists(conn: &impl Db, id: i64) -> DbResult<bool> {
    conn.exists("SELECT 1 FROM departments WHERE id = ?1", params![id])
}

/// A new department; `None` if its parent or head does not exist.
pub(super) fn add(conn: &impl Db, new: NewDepartment) -> DbResult<Option<i64>> {
    if !exists(conn, new.parent)? {
        return Ok(None);
    }
    if let Some(head) = new.head {
        if !is_person(conn, head)? {
            return Ok(None);
        }
    }
    Ok(Some(conn.insert(
        "INSERT INTO departments (name, parent_id, head_id) VALUES (?1, ?2, ?3) RETURNING id",
        params![new.name, new.parent, new.head.map(|h| h.0)],
    )?))
}

/// Names (or, with `None`, removes) a department's head; `false` if the
/// department or the person does not exist.
pub(super) fn set_head(conn: &impl Db, id: i64, head: Option<UserId>) -> DbResult<bool> {
    if let Some(h) = head {
        if !is_person(conn, h)? {
            return Ok(false);
        }
    }
    Ok(conn.exec(
        "UPDATE departments SET head_id = ?2 WHERE id = ?1",
        params![id, head.map(|h| h.0)],
    )? == 1)
}

/// Places a person in `ids` (at least one, each existing); `false`
/// otherwise.
pub(super) fn place(conn: &impl Db, user: UserId, mut ids: Vec<i64>) -> DbResult<bool> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || !is_person(conn, user)? {
        return Ok(false);
    }
    for id in &ids {
        if !exists(conn, *id)? {
            return Ok(false);
        }
    }
    conn.exec(
        "UPDATE users SET departments = ?2 WHERE id = ?1",
        params![user.0, departments::encode(&ids)],
    )?;
    Ok(true)
}

/// Departments named in one statement; a structure has far fewer.
const PER_STATEMENT: usize = 500;

/// The active people in any of `ids`, in id order, one statement per
/// [`PER_STATEMENT`] departments.
pub(super) fn members(conn: &impl Db, ids: Vec<i64>) -> DbResult<Vec<User>> {
    let mut out: Vec<User> = Vec::new();
    for chunk in ids.chunks(PER_STATEMENT) {
        let texts: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let alts = vec![IN_DEPARTMENT; texts.len()];
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users
              WHERE bot = FALSE AND active = TRUE AND ({}) ORDER BY id",
            alts.join(" OR ")
        );
        let bound: Vec<&dyn Param> = texts.iter().map(|t| t as &dyn Param).collect();
        out.extend(conn.rows(&sql, &bound, user_from_row)?);
    }
    out.sort_by_key(|u| u.id);
    out.dedup_by_key(|u| u.id);
    Ok(out)
}
