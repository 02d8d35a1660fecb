//! The `user` scope: `user.get`, `user.search`, `user.add`, `user.update`
//! (docs api-reference/user/).
//! `user.current` lives with the basic methods in `meta.rs`.

use axum::http::StatusCode;
use serde_json::Value;

use super::ctx::Ctx;
use super::{user_field, views};
use crate::domain::cases;
use crate::domain::user_query::{Cmp, Condition, FilterValue, UserField, UserQuery};
use crate::domain::users::{
    check_name, parse_email, NameError, NewUser, Profile, User, UserChange, MAX_FIELD_CHARS,
    PROFILE_FIELDS,
};
use crate::domain::{Timestamp, UserId};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, is_numeric, scalar_text, truthy, Params};

/// Top-level parameters that are not filter keys.
const RESERVED: [&str; 9] = [
    "sort",
    "order",
    "filter",
    "select",
    "start",
    "admin_mode",
    "image_resize",
    "auth",
    "name_search",
];

/// A page of users as the `user` scope shows them to the caller: one clock
/// reading and one field set for the page.
fn rest_users(cx: &Ctx, users: &[User]) -> Vec<Value> {
    let fields = views::UserFields::for_scopes(&cx.caller.scopes);
    let now = Timestamp::now();
    users
        .iter()
        .map(|u| views::rest_user(u, fields, now))
        .collect()
}

/// `user.get`: a page of 50 users. The filter comes from `FILTER` and, as in
/// Bitrix24, from top-level field keys; `sort` + `order` (or an `order`
/// object such as `{"ID": "ASC"}`) sort it; `start` pages it, and
/// `start = -1` turns off the count (no `total`, no `next`).
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let query = decode_query(p);
    let offset = query.offset;
    let page = cases::users::list(cx.store(), query).await?;
    let next = page.next(offset);
    let total = page.total;
    let result = rest_users(cx, &page.users);
    let result = user_field::with_values(cx, &page.users, result).await?;
    Ok(Reply::page(Value::Array(result), total, next))
}

/// `user.search`: docs api-reference/user/user-search.md
/// `FILTER` by `NAME`, `LAST_NAME` (containing the value), `USER_TYPE`, or
/// `FIND` (each word in the first or last name; with `FIND` the other keys
/// are ignored, as the page says they cannot be combined),
/// `UF_DEPARTMENT_NAME` (placed in a department whose name holds it),
/// `WORK_POSITION` (containing). Sorted and paged as `user.get`.
pub async fn search(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let mut query = paging(p);
    if let Some(Value::Object(filter)) = p.get("filter") {
        let find = filter
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("FIND"))
            .and_then(|(_, v)| scalar_text(v));
        match find {
            Some(words) => query.name_search = Some(words),
            None => {
                for (key, value) in filter {
                    if key.eq_ignore_ascii_case("UF_DEPARTMENT_NAME") {
                        let name = scalar_text(value).unwrap_or_default();
                        let ids = cases::departments::named(cx.store(), &name).await?;
                        query.conditions.push(Condition {
                            field: UserField::Department,
                            cmp: Cmp::In,
                            values: ids.into_iter().map(FilterValue::Int).collect(),
                        });
                        continue;
                    }
                    let (field, cmp) = match key.to_ascii_uppercase().as_str() {
                        "NAME" => (UserField::Name, Cmp::Contains),
                        "LAST_NAME" => (UserField::LastName, Cmp::Contains),
                        "USER_TYPE" => (UserField::UserType, Cmp::Eq),
                        "WORK_POSITION" => (UserField::WorkPosition, Cmp::Contains),
                        _ => continue,
                    };
                    let values = scalar_text(value)
                        .map(FilterValue::Text)
                        .into_iter()
                        .collect();
                    query.conditions.push(Condition { field, cmp, values });
                }
            }
        }
    }
    let offset = query.offset;
    let page = cases::users::list(cx.store(), query).await?;
    let next = page.next(offset);
    let result = rest_users(cx, &page.users);
    let result = user_field::with_values(cx, &page.users, result).await?;
    Ok(Reply::page(Value::Array(result), page.total, next))
}

/// `sort`, `order` and `start`, as `user.get` and `user.search` take them.
fn paging(p: &Params) -> UserQuery {
    let mut q = UserQuery::default();

    let start = p.intval("start").unwrap_or(0);
    q.count_total = start != -1;
    q.offset = start.max(0);

    match p.get("order") {
        // {"ID": "ASC"}: the SDKs' form; the first known field wins.
        Some(Value::Object(map)) => {
            if let Some((field, dir)) = map
                .iter()
                .find_map(|(k, v)| UserField::from_name(k).map(|f| (f, v)))
            {
                q.sort = field;
                q.descending = is_desc(dir);
            }
        }
        Some(dir) => q.descending = is_desc(dir),
        None => {}
    }
    if let Some(field) = p.str("sort").and_then(|s| UserField::from_name(&s)) {
        q.sort = field;
    }
    q
}

fn decode_query(p: &Params) -> UserQuery {
    let mut q = paging(p);

    if let Some(Value::Object(filter)) = p.get("filter") {
        add_conditions(&mut q, filter.iter());
    }
    let top = p
        .as_map()
        .iter()
        .filter(|(k, _)| !RESERVED.iter().any(|r| k.eq_ignore_ascii_case(r)));
    add_conditions(&mut q, top);
    if let Some(search) = p.str("name_search") {
        q.name_search = Some(search);
    }
    q
}

fn is_desc(v: &Value) -> bool {
    scalar_text(v).is_some_and(|s| s.eq_ignore_ascii_case("desc"))
}

/// Turns `KEY: value` pairs into conditions. Keys of fields b24im does not
/// know are skipped, as Bitrix24 skips unknown `select` fields.
fn add_conditions<'a>(q: &mut UserQuery, pairs: impl Iterator<Item = (&'a String, &'a Value)>) {
    for (key, value) in pairs {
        let (cmp, name) = Cmp::split(key);
        if name.eq_ignore_ascii_case("NAME_SEARCH") {
            q.name_search = scalar_text(value);
            continue;
        }
        let Some(field) = UserField::from_name(name) else {
            continue;
        };
        let raw: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(map) => map.values().collect(),
            one => vec![one],
        };
        let values = raw.into_iter().filter_map(|v| typed(field, v)).collect();
        q.conditions.push(Condition { field, cmp, values });
    }
}

/// A value typed for its field; a value that cannot be one (`ID: "abc"`)
/// matches nothing, so it is dropped (an `=` with no values matches no row).
fn typed(field: UserField, v: &Value) -> Option<FilterValue> {
    match field {
        UserField::Id | UserField::Department => {
            let numeric = match v {
                Value::Number(_) => true,
                Value::String(s) => is_numeric(s),
                _ => false,
            };
            numeric.then(|| FilterValue::Int(intval(v)))
        }
        UserField::Active => Some(FilterValue::Bool(truthy(v))),
        UserField::Name | UserField::LastName | UserField::UserType | UserField::WorkPosition => {
            scalar_text(v).map(FilterValue::Text)
        }
    }
}

/// An `ERROR_ARGUMENT` / `ERROR_CORE` answer of `user.add` and `user.update`.
fn user_error(code: &'static str, description: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, description.into())
}

/// The profile fields given, checked for length.
fn profile(p: &Params) -> Result<Profile, ApiError> {
    let mut out = Profile::new();
    for field in PROFILE_FIELDS {
        if let Some(value) = p.get(field).and_then(scalar_text) {
            let value = value.trim().to_owned();
            if value.chars().count() > MAX_FIELD_CHARS {
                return Err(user_error(
                    "ERROR_CORE",
                    format!("{field} is longer than {MAX_FIELD_CHARS} characters"),
                ));
            }
            out.insert(field.to_owned(), value);
        }
    }
    Ok(out)
}

/// The most departments one user is placed in through `UF_DEPARTMENT`
/// (each is checked to exist).
const MAX_USER_DEPARTMENTS: usize = 100;

/// `UF_DEPARTMENT`: a list (or one id) of departments; `None` if absent or
/// without a positive id.
fn departments(p: &Params) -> Result<Option<Vec<i64>>, ApiError> {
    let Some(list) = p.list("UF_DEPARTMENT") else {
        return Ok(None);
    };
    let mut ids: Vec<i64> = list.iter().map(intval).filter(|id| *id > 0).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_USER_DEPARTMENTS {
        return Err(user_error(
            "ERROR_CORE",
            format!("UF_DEPARTMENT names at most {MAX_USER_DEPARTMENTS} departments"),
        ));
    }
    Ok((!ids.is_empty()).then_some(ids))
}

fn email(p: &Params) -> Result<String, ApiError> {
    p.str("EMAIL")
        .as_deref()
        .and_then(parse_email)
        .ok_or_else(|| user_error("ERROR_ARGUMENT", "wrong_email"))
}

fn name_error(e: NameError) -> ApiError {
    user_error("ERROR_CORE", e.to_string())
}

/// `user.add`: docs api-reference/user/user-add.md. An administrator
/// invites a person by `EMAIL` into `UF_DEPARTMENT` (required for an
/// intranet user: without it, `no_extranet_field`, as b24im has no
/// extranet); the profile fields of `user.fields` are kept; the new id.
/// No invitation is e-mailed: b24im sends no mail.
pub async fn add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let email = email(p)?;
    if p.str("EXTRANET")
        .is_some_and(|e| e.eq_ignore_ascii_case("Y"))
    {
        // Extranet users join through a workgroup; b24im has none.
        return Err(if p.has("SONET_GROUP_ID") {
            user_error("ERROR_NO_GROUP", "Group is specified incorrectly")
        } else {
            user_error("ERROR_GROUPID", "Group code not specified")
        });
    }
    let departments =
        departments(p)?.ok_or_else(|| user_error("ERROR_ARGUMENT", "no_extranet_field"))?;
    let new = NewUser::invited(
        email,
        &p.str("NAME").unwrap_or_default(),
        &p.str("LAST_NAME").unwrap_or_default(),
        departments,
        profile(p)?,
    )
    .map_err(name_error)?;
    let id = cases::users::add(cx.store(), cx.user(), new, Timestamp::now()).await?;
    Ok(Reply::value(id.0))
}

/// `user.update`: docs api-reference/user/user-update.md (upstream). An
/// administrator changes a person by `ID`: `NAME`, `LAST_NAME`, `EMAIL`,
/// `UF_DEPARTMENT`, `ACTIVE` (`N` ends the user's access: their webhooks
/// and tokens stop working), the profile fields (an empty value clears one).
pub async fn update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = p
        .positive_id("ID")
        .map(UserId)
        .ok_or_else(|| user_error("ERROR_CORE", "access_denied"))?;
    let name = |key: &str| -> Result<Option<String>, ApiError> {
        match p.str(key) {
            None => Ok(None),
            Some(v) => {
                let v = v.trim().to_owned();
                check_name(&v).map_err(name_error)?;
                Ok(Some(v))
            }
        }
    };
    let change = UserChange {
        first_name: name("NAME")?,
        last_name: name("LAST_NAME")?,
        email: if p.has("EMAIL") {
            Some(email(p)?)
        } else {
            None
        },
        active: match p.str("ACTIVE").map(|a| a.to_ascii_uppercase()).as_deref() {
            None => None,
            Some("Y" | "TRUE" | "1") => Some(true),
            Some("N" | "FALSE" | "0") => Some(false),
            Some(_) => return Err(user_error("ERROR_CORE", "ACTIVE is Y or N")),
        },
        departments: departments(p)?,
        profile: profile(p)?,
        user_fields: user_field::given_values(p),
    };
    cases::users::update(cx.store(), cx.user(), id, change).await?;
    Ok(Reply::value(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(v: Value) -> UserQuery {
        decode_query(&Params::from_json(v).unwrap())
    }

    #[test]
    fn the_sdk_cursor_shape_decodes() {
        let q = query(json!({"order": {"ID": "ASC"}, "filter": {">ID": 50}, "start": -1}));
        assert!(!q.count_total);
        assert_eq!(q.offset, 0);
        assert_eq!(q.sort, UserField::Id);
        assert!(!q.descending);
        assert_eq!(
            q.conditions,
            [Condition {
                field: UserField::Id,
                cmp: Cmp::Gt,
                values: vec![FilterValue::Int(50)]
            }]
        );
    }

    #[test]
    fn the_docs_example_decodes() {
        let q = query(json!({"UF_DEPARTMENT": 1, "SORT": "ID", "ORDER": "desc", "start": 10}));
        assert!(q.count_total);
        assert_eq!(q.offset, 10);
        assert!(q.descending);
        assert_eq!(q.conditions[0].field, UserField::Department);
        // Unknown keys (SDK bookkeeping) are not conditions.
        let q = query(
            json!({"__order": "x", "bx24_request_id": "y", "FILTER": {"PERSONAL_CITY": "z"}}),
        );
        assert!(q.conditions.is_empty());
    }

    #[test]
    fn non_numeric_ids_match_nothing() {
        let q = query(json!({"FILTER": {"@ID": ["1", "x", 3]}}));
        assert_eq!(
            q.conditions[0].values,
            [FilterValue::Int(1), FilterValue::Int(3)]
        );
    }
}
