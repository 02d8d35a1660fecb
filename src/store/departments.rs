//! Departments: the structure, heads, and who is placed where.

use super::sql::{params, Db, DbResult, Param};
use super::users::{user_from_row, IN_DEPARTMENT, USER_COLUMNS};
use crate::domain::departments::{
    self, Department, DepartmentChange, DepartmentSaved, NewDepartment, Structure,
};
use crate::domain::users::User;
use crate::domain::UserId;

pub(super) fn structure(conn: &impl Db) -> DbResult<Structure> {
    Ok(Structure(conn.rows(
        "SELECT id, name, parent_id, head_id, head_cleared, sort FROM departments ORDER BY id",
        params![],
        |r| {
            Ok(Department {
                id: r.get(0)?,
                name: r.get(1)?,
                parent: r.get(2)?,
                head: r.get::<Option<i64>>(3)?.map(UserId),
                head_cleared: r.get(4)?,
                sort: r.get(5)?,
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

/// Whether a department exists; on PostgreSQL its row stays so until
/// commit (a deletion waits for whoever placed someone there or put a
/// department under it, and they for it).
pub(super) fn exists(conn: &impl Db, id: i64) -> DbResult<bool> {
    conn.exists(
        &format!(
            "SELECT 1 FROM departments WHERE id = ?1 {}",
            conn.dialect().for_share()
        ),
        params![id],
    )
}

/// Changes to the structure go one at a time (PostgreSQL's writers, also
/// on other nodes; SQLite has one writer): a move's check that it makes no
/// cycle holds until it commits.
fn lock_structure(conn: &impl Db) -> DbResult<()> {
    if let Some(lock) = conn.dialect().named_lock() {
        conn.row(lock, params!["departments".to_owned()], |_| Ok(()))?;
    }
    Ok(())
}

/// A new department, unless its parent or head does not exist.
pub(super) fn add(conn: &impl Db, new: NewDepartment) -> DbResult<DepartmentSaved> {
    lock_structure(conn)?;
    if new.parent <= 0 || !exists(conn, new.parent)? {
        return Ok(DepartmentSaved::NoParent);
    }
    if let Some(head) = new.head {
        if !is_person(conn, head)? {
            return Ok(DepartmentSaved::NoHead);
        }
    }
    Ok(DepartmentSaved::Saved(conn.insert(
        "INSERT INTO departments (name, parent_id, head_id, sort)
              VALUES (?1, ?2, ?3, ?4) RETURNING id",
        params![new.name, new.parent, new.head.map(|h| h.0), new.sort],
    )?))
}

/// Applies `change` to department `id`: everything is checked before
/// anything is written.
pub(super) fn change(
    conn: &impl Db,
    id: i64,
    change: DepartmentChange,
) -> DbResult<DepartmentSaved> {
    lock_structure(conn)?;
    let structure = structure(conn)?;
    let Some(current) = structure.get(id) else {
        return Ok(DepartmentSaved::NotFound);
    };
    let parent = match (change.parent, current.parent) {
        (None, now) => now,
        // The head department stays the one at the top.
        (Some(p), None) if p > 0 => return Ok(DepartmentSaved::NoParent),
        (Some(_), None) => None,
        (Some(p), Some(_)) => {
            if p == id || structure.below(id).contains(&p) {
                return Ok(DepartmentSaved::UnderItself);
            }
            if p <= 0 || !exists(conn, p)? {
                return Ok(DepartmentSaved::NoParent);
            }
            Some(p)
        }
    };
    let (head, head_cleared) = match change.head {
        None => (current.head, current.head_cleared),
        Some(None) => (None, true),
        Some(Some(h)) => {
            if !is_person(conn, h)? {
                return Ok(DepartmentSaved::NoHead);
            }
            (Some(h), false)
        }
    };
    conn.exec(
        "UPDATE departments SET name = ?2, sort = ?3, parent_id = ?4, head_id = ?5,
                                head_cleared = ?6
          WHERE id = ?1",
        params![
            id,
            change.name.unwrap_or_else(|| current.name.clone()),
            change.sort.unwrap_or(current.sort),
            parent,
            head.map(|h| h.0),
            head_cleared
        ],
    )?;
    Ok(DepartmentSaved::Saved(id))
}

/// Deletes department `id` (not the head one): those under it move up to
/// its parent; it leaves its people's `UF_DEPARTMENT`, and who was placed
/// only there is placed in the parent.
pub(super) fn delete(conn: &impl Db, id: i64) -> DbResult<DepartmentSaved> {
    lock_structure(conn)?;
    let parent = conn.row_opt(
        &format!(
            "SELECT parent_id FROM departments WHERE id = ?1 {}",
            conn.dialect().for_update()
        ),
        params![id],
        |r| r.get::<Option<i64>>(0),
    )?;
    let parent = match parent {
        None => return Ok(DepartmentSaved::NotFound),
        Some(None) => return Ok(DepartmentSaved::Root),
        Some(Some(p)) => p,
    };
    conn.exec(
        "UPDATE departments SET parent_id = ?2 WHERE parent_id = ?1",
        params![id, parent],
    )?;
    let placed: Vec<(i64, String)> = conn.rows(
        &format!(
            "SELECT id, departments FROM users
              WHERE instr(',' || departments || ',', ',' || ?1 || ',') > 0 {}",
            conn.dialect().for_update()
        ),
        params![id.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (user, text) in placed {
        let mut ids: Vec<i64> = departments::decode(&text)
            .into_iter()
            .filter(|d| *d != id)
            .collect();
        if ids.is_empty() {
            ids.push(parent);
        }
        conn.exec(
            "UPDATE users SET departments = ?2 WHERE id = ?1",
            params![user, departments::encode(&ids)],
        )?;
    }
    conn.exec("DELETE FROM departments WHERE id = ?1", params![id])?;
    Ok(DepartmentSaved::Saved(id))
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
