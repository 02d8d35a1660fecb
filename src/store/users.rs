//! Users: rows, the `user.get` filter as SQL, and the user methods of the store.

use super::sql::{marks, params, Db, DbResult, DbRow, Param};
use crate::domain::departments;
use crate::domain::live::Update;
use crate::domain::messages::Mention;
use crate::domain::user_query::{Cmp, FilterValue, UserField, UserPage, UserQuery, PAGE_SIZE};
use crate::domain::users::{NewUser, Profile, User, UserChange, UserSaved, UserStatus};
use crate::domain::{Timestamp, UserId};

/// The SQL expression of a filterable user field.
pub(super) fn user_column(field: UserField) -> &'static str {
    match field {
        UserField::Id => "id",
        UserField::Name => "first_name",
        UserField::LastName => "last_name",
        UserField::Active => "active",
        UserField::UserType => "'employee'",
        UserField::Department => "departments",
        UserField::WorkPosition => "work_position",
    }
}

/// The condition "the user is placed in department `?`" (bound as text):
/// the stored list `1,7` read as `,1,7,` holding `,N,`.
pub(super) const IN_DEPARTMENT: &str = "instr(',' || departments || ',', ',' || ? || ',') > 0";

/// `UF_DEPARTMENT`: the user is in one of the departments (`=`, `@`, and any
/// other comparison but the negative ones) or in none of them (`!`, `!@`).
/// The stored list `1,7` is matched as `,1,7,` holding `,N,`.
fn department_condition(cmp: Cmp, values: &[FilterValue], args: &mut Vec<FilterValue>) -> String {
    let alts: Vec<&str> = values
        .iter()
        .map(|v| {
            let id = match v {
                FilterValue::Int(n) => n.to_string(),
                FilterValue::Text(t) => t.trim().to_owned(),
                FilterValue::Bool(b) => i64::from(*b).to_string(),
            };
            args.push(FilterValue::Text(id));
            IN_DEPARTMENT
        })
        .collect();
    let any = if alts.is_empty() {
        "FALSE".to_owned()
    } else {
        format!("({})", alts.join(" OR "))
    };
    match cmp {
        Cmp::Ne | Cmp::NotIn | Cmp::NotContains | Cmp::NotLike => format!("NOT {any}"),
        _ => any,
    }
}

/// Whether the field is the same for every user (nothing to sort by).
pub(super) fn is_constant(field: UserField) -> bool {
    matches!(field, UserField::UserType | UserField::Department)
}

pub(super) fn filter_param(v: &FilterValue) -> &dyn Param {
    match v {
        FilterValue::Int(n) => n,
        FilterValue::Text(t) => t,
        FilterValue::Bool(b) => b,
    }
}

pub(super) fn is_text(field: UserField) -> bool {
    matches!(
        field,
        UserField::Name | UserField::LastName | UserField::UserType | UserField::WorkPosition
    )
}

/// `user.get`'s conditions as one WHERE clause with positional arguments.
/// Every value is bound; only column names from [`user_column`] are spliced in.
pub(super) fn user_where(query: &UserQuery) -> (String, Vec<FilterValue>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    for c in &query.conditions {
        if c.field == UserField::Department {
            parts.push(department_condition(c.cmp, &c.values, &mut args));
            continue;
        }
        let col = user_column(c.field);
        // Text compares case-insensitively, as Bitrix24's filters do.
        let (lhs, rhs) = if is_text(c.field) {
            (format!("lower({col})"), "lower(?)")
        } else {
            (col.to_owned(), "?")
        };
        let any = |one: &dyn Fn() -> String, args: &mut Vec<FilterValue>| -> String {
            let alts: Vec<String> = c
                .values
                .iter()
                .map(|v| {
                    args.push(v.clone());
                    one()
                })
                .collect();
            if alts.is_empty() {
                "FALSE".to_owned()
            } else {
                format!("({})", alts.join(" OR "))
            }
        };
        let part = match c.cmp {
            Cmp::Eq | Cmp::In => any(&|| format!("{lhs} = {rhs}"), &mut args),
            Cmp::Ne | Cmp::NotIn => format!("NOT {}", any(&|| format!("{lhs} = {rhs}"), &mut args)),
            Cmp::Gt => any(&|| format!("{lhs} > {rhs}"), &mut args),
            Cmp::Ge => any(&|| format!("{lhs} >= {rhs}"), &mut args),
            Cmp::Lt => any(&|| format!("{lhs} < {rhs}"), &mut args),
            Cmp::Le => any(&|| format!("{lhs} <= {rhs}"), &mut args),
            Cmp::Contains => any(&|| format!("instr(lower({col}), lower(?)) > 0"), &mut args),
            Cmp::NotContains => format!(
                "NOT {}",
                any(&|| format!("instr(lower({col}), lower(?)) > 0"), &mut args)
            ),
            Cmp::Like => any(&|| format!("lower({col}) LIKE lower(?)"), &mut args),
            Cmp::NotLike => format!(
                "NOT {}",
                any(&|| format!("lower({col}) LIKE lower(?)"), &mut args)
            ),
        };
        parts.push(part);
    }
    if let Some(search) = &query.name_search {
        for word in search.split_whitespace() {
            parts.push(
                "(instr(lower(first_name), lower(?)) > 0 OR instr(lower(last_name), lower(?)) > 0)"
                    .to_owned(),
            );
            args.push(FilterValue::Text(word.to_owned()));
            args.push(FilterValue::Text(word.to_owned()));
        }
    }
    // user.get never lists bots, as in Bitrix24.
    parts.push("bot = FALSE".to_owned());
    (parts.join(" AND "), args)
}

// Row mapping shared by the queries below.

pub(super) fn user_from_row(r: &dyn DbRow) -> DbResult<User> {
    Ok(User {
        id: UserId(r.get(0)?),
        first_name: r.get(1)?,
        last_name: r.get(2)?,
        admin: r.get(3)?,
        active: r.get(4)?,
        created_at: Timestamp(r.get(5)?),
        bot: r.get(6)?,
        status: UserStatus::parse(&r.get::<String>(7)?).unwrap_or(UserStatus::Online),
        idle_since: r.get::<Option<i64>>(8)?.map(Timestamp),
        departments: departments::decode(&r.get::<String>(9)?),
        email: r.get(10)?,
        profile: serde_json::from_str(&r.get::<String>(11)?).unwrap_or_default(),
        last_seen: r.get::<Option<i64>>(12)?.map(Timestamp),
    })
}

pub(super) const USER_COLUMNS: &str = "id, first_name, last_name, admin, active, created_at, bot, \
                                       status, idle_since, departments, email, profile, \
                                       last_activity";

/// The job title, kept beside the profile for filtering.
fn work_position(profile: &Profile) -> String {
    profile.get("WORK_POSITION").cloned().unwrap_or_default()
}

fn profile_json(profile: &Profile) -> String {
    serde_json::to_string(profile).unwrap_or_else(|_| "{}".into())
}

pub(super) fn load_user(conn: &impl Db, id: UserId) -> DbResult<Option<User>> {
    conn.row_opt(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        params![id.0],
        user_from_row,
    )
}

pub(super) fn mention(conn: &impl Db, id: UserId) -> DbResult<Mention> {
    let name = load_user(conn, id)?
        .map(|u| u.full_name())
        .unwrap_or_else(|| format!("User {id}"));
    Ok((id, name))
}

pub(super) fn create_user(conn: &impl Db, new: NewUser, now: Timestamp) -> DbResult<User> {
    let id = conn.insert(
        "INSERT INTO users (first_name, last_name, admin, active, created_at, departments,
                            email, profile, work_position)
                 VALUES (?1, ?2, ?3, TRUE, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        params![
            new.first_name,
            new.last_name,
            new.admin,
            now.0,
            departments::encode(&new.departments),
            new.email,
            profile_json(&new.profile),
            work_position(&new.profile)
        ],
    )?;
    Ok(User {
        id: UserId(id),
        first_name: new.first_name,
        last_name: new.last_name,
        admin: new.admin,
        active: true,
        created_at: now,
        bot: false,
        status: UserStatus::Online,
        idle_since: None,
        departments: new.departments,
        email: new.email,
        profile: new.profile,
        last_seen: None,
    })
}

/// Holds, until commit, the right to give `email` to a user: two changes
/// naming one address go one after the other (PostgreSQL's writers).
fn lock_email(conn: &impl Db, email: &str) -> DbResult<()> {
    if let Some(lock) = conn.dialect().named_lock() {
        conn.row(lock, params![format!("email:{email}")], |_| Ok(()))?;
    }
    Ok(())
}

fn email_taken(conn: &impl Db, email: &str, other_than: i64) -> DbResult<bool> {
    conn.exists(
        "SELECT 1 FROM users WHERE email = ?1 AND id <> ?2",
        params![email, other_than],
    )
}

fn departments_exist(conn: &impl Db, ids: &[i64]) -> DbResult<bool> {
    for id in ids {
        if !super::departments::exists(conn, *id)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `user.add`: a new person, unless the e-mail is taken or a department
/// does not exist.
pub(super) fn add_user(conn: &impl Db, new: NewUser, now: Timestamp) -> DbResult<UserSaved> {
    if let Some(email) = &new.email {
        lock_email(conn, email)?;
        if email_taken(conn, email, 0)? {
            return Ok(UserSaved::EmailTaken);
        }
    }
    if !departments_exist(conn, &new.departments)? {
        return Ok(UserSaved::NoDepartment);
    }
    Ok(UserSaved::Saved(create_user(conn, new, now)?.id))
}

/// `user.update`: sets what the change names on a person.
pub(super) fn update_user(conn: &impl Db, id: UserId, change: UserChange) -> DbResult<UserSaved> {
    // The row is read, then written whole: another writer's change to it
    // waits until this one commits (PostgreSQL; SQLite has one writer).
    if conn.dialect() == super::sql::Dialect::Postgres {
        conn.exec(
            "SELECT 1 FROM users WHERE id = ?1 FOR UPDATE",
            params![id.0],
        )?;
    }
    let Some(user) = load_user(conn, id)? else {
        return Ok(UserSaved::NoUser);
    };
    if user.bot {
        return Ok(UserSaved::NoUser);
    }
    super::user_fields::set_values(conn, id, &change.user_fields)?;
    if let Some(email) = &change.email {
        lock_email(conn, email)?;
        if email_taken(conn, email, id.0)? {
            return Ok(UserSaved::EmailTaken);
        }
    }
    if let Some(ids) = &change.departments {
        if !departments_exist(conn, ids)? {
            return Ok(UserSaved::NoDepartment);
        }
    }
    if change.active == Some(false) && user.active {
        // Its credentials stop working: every node forgets what it cached.
        conn.publish(Update::Credentials);
    }
    let mut profile = user.profile;
    for (field, value) in change.profile {
        if value.is_empty() {
            profile.remove(&field);
        } else {
            profile.insert(field, value);
        }
    }
    conn.exec(
        "UPDATE users SET first_name = ?2, last_name = ?3, email = ?4, active = ?5,
                          departments = ?6, profile = ?7, work_position = ?8
          WHERE id = ?1",
        params![
            id.0,
            change.first_name.unwrap_or(user.first_name),
            change.last_name.unwrap_or(user.last_name),
            change.email.or(user.email),
            change.active.unwrap_or(user.active),
            departments::encode(&change.departments.unwrap_or(user.departments)),
            profile_json(&profile),
            work_position(&profile)
        ],
    )?;
    Ok(UserSaved::Saved(id))
}

/// `im.user.status.set`.
pub(super) fn set_status(conn: &impl Db, user: UserId, status: UserStatus) -> DbResult<bool> {
    let n = conn.exec(
        "UPDATE users SET status = ?1 WHERE id = ?2",
        params![status.as_str(), user.0],
    )?;
    Ok(n == 1)
}

/// `im.user.status.idle.start` (`Some`) and `.idle.end` (`None`).
pub(super) fn set_idle(conn: &impl Db, user: UserId, since: Option<Timestamp>) -> DbResult<bool> {
    let n = conn.exec(
        "UPDATE users SET idle_since = ?1 WHERE id = ?2",
        params![since.map(|t| t.0), user.0],
    )?;
    Ok(n == 1)
}

/// Marks `users` seen at `at` (never moving a mark back): one statement
/// for every [`USERS_PER_STATEMENT`] users.
pub(super) fn mark_seen(conn: &impl Db, mut users: Vec<UserId>, at: Timestamp) -> DbResult<()> {
    users.sort();
    users.dedup();
    for chunk in users.chunks(USERS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE users SET last_activity = ? WHERE id IN ({})
                 AND (last_activity IS NULL OR last_activity < ?)",
            marks(chunk.len())
        );
        let mut bound: Vec<&dyn Param> = vec![&at.0];
        bound.extend(chunk.iter().map(|id| &id.0 as &dyn Param));
        bound.push(&at.0);
        conn.exec(&sql, &bound)?;
    }
    Ok(())
}

pub(super) fn user(conn: &impl Db, id: UserId) -> DbResult<Option<User>> {
    load_user(conn, id)
}

/// The users among `ids`, in ascending id order: one statement for every
/// [`USERS_PER_STATEMENT`] ids, not one per user.
pub(super) fn users(conn: &impl Db, mut ids: Vec<UserId>) -> DbResult<Vec<User>> {
    ids.sort();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(USERS_PER_STATEMENT) {
        let marks = marks(chunk.len());
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ({marks}) ORDER BY id");
        let bound: Vec<&dyn Param> = chunk.iter().map(|id| &id.0 as &dyn Param).collect();
        out.extend(conn.rows(&sql, &bound, user_from_row)?);
    }
    Ok(out)
}

/// Far below SQLite's limit of 32,766 bound values and PostgreSQL's 65,535;
/// a page of users or a chat's members fits in one.
const USERS_PER_STATEMENT: usize = 500;

pub(super) fn find_users(conn: &impl Db, query: UserQuery) -> DbResult<UserPage> {
    let (clause, args) = user_where(&query);
    let order = if query.descending { "DESC" } else { "ASC" };
    let sort = if is_constant(query.sort) {
        String::new()
    } else {
        format!("{} {order}, ", user_column(query.sort))
    };
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users
                 WHERE {clause} ORDER BY {sort}id {order} LIMIT {PAGE_SIZE} OFFSET CAST(? AS BIGINT)"
    );
    let offset = query.offset.max(0);
    let mut bound: Vec<&dyn Param> = args.iter().map(filter_param).collect();
    bound.push(&offset);
    let users = conn.rows(&sql, &bound, user_from_row)?;
    let total = if query.count_total {
        let sql = format!("SELECT COUNT(*) FROM users WHERE {clause}");
        bound.pop();
        Some(conn.row(&sql, &bound, |r| r.get(0))?)
    } else {
        None
    };
    Ok(UserPage { users, total })
}

pub(super) fn user_count(conn: &impl Db) -> DbResult<i64> {
    conn.row("SELECT COUNT(*) FROM users", params![], |r| r.get(0))
}
