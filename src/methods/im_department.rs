//! `im.department.*`: docs api-reference/chats/departments/.

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use super::views;
use crate::domain::cases;
use crate::domain::departments::{Department, Structure};
use crate::domain::users::User;
use crate::domain::UserId;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, Params};

/// `ID`: a list, or a string holding a JSON list, of department ids; `None`
/// when missing, of another form, or without a positive id.
pub(super) fn department_ids(p: &Params) -> Option<Vec<i64>> {
    let items = match p.get("ID")? {
        Value::Array(items) => items.clone(),
        Value::Object(map) => map.values().cloned().collect(),
        Value::String(s) => match serde_json::from_str::<Value>(s).ok()? {
            Value::Array(items) => items,
            _ => return None,
        },
        _ => return None,
    };
    let mut ids: Vec<i64> = items.iter().map(intval).filter(|id| *id > 0).collect();
    ids.sort_unstable();
    ids.dedup();
    (!ids.is_empty()).then_some(ids)
}

/// `USER_DATA=Y`.
pub(super) fn user_data(p: &Params) -> bool {
    p.str("USER_DATA")
        .is_some_and(|v| v.eq_ignore_ascii_case("Y"))
}

fn id_empty() -> ApiError {
    ApiError::param("ID_EMPTY", "Department ID can't be empty")
}

/// A department as the pages show it; `manager_user_data` only when asked
/// (`null` for a department without a head).
pub(super) fn department(d: &Department, structure: &Structure, heads: Option<&[User]>) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(d.id));
    out.insert("name".into(), json!(d.name));
    out.insert("full_name".into(), json!(structure.full_name(d.id)));
    out.insert("manager_user_id".into(), json!(d.head.map_or(0, |h| h.0)));
    if let Some(heads) = heads {
        let head = d
            .head
            .and_then(|h| heads.iter().find(|u| u.id == h))
            .map_or(Value::Null, views::user);
        out.insert("manager_user_data".into(), head);
    }
    Value::Object(out)
}

/// The heads of `departments` as users, when `USER_DATA=Y`.
pub(super) async fn heads_of(
    cx: &Ctx,
    departments: &[&Department],
    wanted: bool,
) -> Result<Option<Vec<User>>, ApiError> {
    if !wanted {
        return Ok(None);
    }
    let ids: Vec<UserId> = departments.iter().filter_map(|d| d.head).collect();
    Ok(Some(cases::departments::users(cx.store(), ids).await?))
}

/// `im.department.get`: docs .../im-department-get.md. The departments that
/// exist, highest id first (the page's example answers `[3, 7]` with 7
/// first); `INVALID_FORMAT` without ids.
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let ids = department_ids(p).ok_or_else(|| {
        ApiError::param(
            "INVALID_FORMAT",
            "A wrong format for the ID field is passed",
        )
    })?;
    let structure = cases::departments::structure(cx.store(), cx.user()).await?;
    let mut found: Vec<&Department> = ids.iter().filter_map(|id| structure.get(*id)).collect();
    found.sort_by_key(|d| std::cmp::Reverse(d.id));
    found.dedup_by_key(|d| d.id);
    let heads = heads_of(cx, &found, user_data(p)).await?;
    let list: Vec<Value> = found
        .iter()
        .map(|d| department(d, &structure, heads.as_deref()))
        .collect();
    Ok(Reply::value(list))
}

/// An object keyed by department id, or `[]` when empty (PHP's empty array).
fn keyed(entries: Vec<(i64, Value)>) -> Value {
    if entries.is_empty() {
        return json!([]);
    }
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// Users as ids, or as `im.user.get` shows them with `USER_DATA=Y`.
fn people(users: &[User], full: bool) -> Value {
    users
        .iter()
        .map(|u| if full { views::user(u) } else { json!(u.id.0) })
        .collect()
}

/// `im.department.managers.get`: docs .../im-department-managers-get.md.
/// Each department that exists, with its head (none: `[]`).
pub async fn managers_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let ids = department_ids(p).ok_or_else(id_empty)?;
    let structure = cases::departments::structure(cx.store(), cx.user()).await?;
    let found: Vec<&Department> = ids.iter().filter_map(|id| structure.get(*id)).collect();
    let heads =
        cases::departments::users(cx.store(), found.iter().filter_map(|d| d.head).collect())
            .await?;
    let full = user_data(p);
    let entries = found
        .iter()
        .map(|d| {
            let head: Vec<User> = heads
                .iter()
                .filter(|u| Some(u.id) == d.head)
                .cloned()
                .collect();
            (d.id, people(&head, full))
        })
        .collect();
    Ok(Reply::value(keyed(entries)))
}

/// `im.department.employees.get`: docs .../im-department-employees-get.md.
/// The people placed in each department that exists (not those of the
/// departments below it), in id order.
pub async fn employees_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let ids = department_ids(p).ok_or_else(id_empty)?;
    let groups = cases::departments::employees(cx.store(), cx.user(), &ids).await?;
    let full = user_data(p);
    let entries = groups
        .into_iter()
        .map(|(id, users)| (id, people(&users, full)))
        .collect();
    Ok(Reply::value(keyed(entries)))
}

/// `OFFSET` (0) and `LIMIT` (10 by default, at most 50) of the search and
/// colleagues lists.
pub(super) fn window(p: &Params) -> (usize, usize) {
    let offset = p.intval("OFFSET").unwrap_or(0).max(0);
    let limit = p.intval("LIMIT").filter(|l| *l > 0).unwrap_or(10).min(50);
    (
        usize::try_from(offset).unwrap_or(usize::MAX),
        usize::try_from(limit).unwrap_or(10),
    )
}

/// One window of `items` with `total` and, when more follow, `next`.
pub(super) fn paged(items: Vec<Value>, p: &Params) -> Reply {
    let (offset, limit) = window(p);
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let end = offset.saturating_add(limit);
    let next = (end < total).then(|| i64::try_from(end).unwrap_or(i64::MAX));
    Reply::page(Value::Array(page), Some(total as i64), next)
}

/// `im.department.colleagues.list`: docs .../im-department-colleagues-list.md
pub async fn colleagues_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let users = cases::departments::colleagues(cx.store(), cx.user()).await?;
    let full = user_data(p);
    let items = users
        .iter()
        .map(|u| if full { views::user(u) } else { json!(u.id.0) })
        .collect();
    Ok(paged(items, p))
}
