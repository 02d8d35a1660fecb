//! The `department` scope: `department.fields`, `.get`, `.add`, `.update`,
//! `.delete` (docs api-reference/departments/). The same structure as
//! `im.department.*`, the CLI and `UF_DEPARTMENT`. Anyone with the scope
//! reads it; administrators change it (403 `ACCESS_DENIED` otherwise, as
//! portals answer; the pages' 400 `ERROR_CORE` is not what they send).

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use crate::domain::cases;
use crate::domain::departments::{Condition, Department, DepartmentChange, Field, Listing};
use crate::domain::user_query::Cmp;
use crate::domain::UserId;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, is_numeric, scalar_text, Params};

/// Departments on one page of `department.get`.
const PAGE: i64 = 50;

/// `department.fields`: docs .../department-fields.md
pub async fn fields(_cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    Ok(Reply::value(json!({
        "ID": "ID",
        "NAME": "Department Name",
        "SORT": "Sort Order",
        "PARENT": "Parent Department",
        "UF_HEAD": "Manager",
    })))
}

/// A department as portals list it: `ID` and `PARENT` (not for the head
/// department) as strings, `SORT` a number, `UF_HEAD` a string: left out
/// where no head was ever named, `"0"` where one was removed.
fn record(d: &Department) -> Value {
    let mut out = Map::new();
    out.insert("ID".into(), json!(d.id.to_string()));
    out.insert("NAME".into(), json!(d.name));
    out.insert("SORT".into(), json!(d.sort));
    if let Some(parent) = d.parent {
        out.insert("PARENT".into(), json!(parent.to_string()));
    }
    match d.head {
        Some(head) => {
            out.insert("UF_HEAD".into(), json!(head.0.to_string()));
        }
        None if d.head_cleared => {
            out.insert("UF_HEAD".into(), json!("0"));
        }
        None => {}
    }
    Value::Object(out)
}

/// `department.get`: docs .../department-get.md. Filters `ID`, `NAME`
/// (the whole name, ignoring case), `SORT`, `PARENT`, `UF_HEAD` (a value or
/// a list); `sort` + `order`; 50 a page from `start` (rounded down to its
/// page), with `total` and `next`; `start: -1` the first page, uncounted.
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let listing = listing(p);
    let found = cases::departments::list(cx.store(), &listing).await?;
    let start = p.intval("start").unwrap_or(0);
    let offset = if start == -1 {
        0
    } else {
        start.max(0) / PAGE * PAGE
    };
    let page: Vec<Value> = found
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(PAGE as usize)
        .map(record)
        .collect();
    if start == -1 {
        return Ok(Reply::page(Value::Array(page), None, None));
    }
    let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
    let next = (offset.saturating_add(PAGE) < total).then(|| offset + PAGE);
    Ok(Reply::page(Value::Array(page), Some(total), next))
}

/// The question of `department.get`. Portals read the filter from the
/// top-level keys, spelled in capitals, or, when `FILTER` is an object,
/// from it alone (`sort`/`order` with it). Beyond that, as the SDKs page
/// through lists: `filter` in any case with `>`, `>=`, `<`, `<=`, `=`, `!`
/// before a field; `SORT` naming a field sorts (portals would filter
/// `SORT = 0`); `order` as an object (`{"ID": "ASC"}`) sorts too.
fn listing(p: &Params) -> Listing {
    let top = p.as_map();
    let filter = match p.get("filter") {
        Some(Value::Object(filter)) => Some(filter),
        _ => None,
    };
    let mut listing = Listing::default();
    order(&mut listing, top);
    match filter {
        Some(filter) => {
            order(&mut listing, filter);
            for (key, value) in filter {
                let (cmp, name) = Cmp::split(key);
                if let Some(field) = Field::from_name(name) {
                    condition(&mut listing, field, cmp, value);
                }
            }
        }
        None => {
            for (key, value) in top {
                let field = ["ID", "NAME", "SORT", "PARENT", "UF_HEAD"]
                    .contains(&key.as_str())
                    .then(|| Field::from_name(key))
                    .flatten();
                if let Some(field) = field {
                    condition(&mut listing, field, Cmp::Eq, value);
                }
            }
        }
    }
    listing
}

/// `sort` (a field name) and `order` (`ASC`/`DESC`, or `{FIELD: DIR}`) of
/// one level of parameters, any casing; anything else is ignored.
fn order(listing: &mut Listing, map: &Map<String, Value>) {
    for (key, value) in map {
        if key.eq_ignore_ascii_case("order") {
            match value {
                Value::Object(by) => {
                    if let Some((field, dir)) = by
                        .iter()
                        .find_map(|(k, v)| Field::from_name(k).map(|f| (f, v)))
                    {
                        listing.sort = Some(field);
                        listing.descending = is_desc(dir);
                    }
                }
                dir => listing.descending = is_desc(dir),
            }
        }
    }
    for (key, value) in map {
        if key.eq_ignore_ascii_case("sort") {
            if let Some(field) = value.as_str().and_then(Field::from_name) {
                listing.sort = Some(field);
            }
        }
    }
}

fn is_desc(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("desc"))
}

/// Adds `field cmp value`; values are read as PHP's `intval` reads them
/// (`"abc"` is 0, which no department has), a list as any of them.
fn condition(listing: &mut Listing, field: Field, cmp: Cmp, value: &Value) {
    let values: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => map.values().collect(),
        Value::Null => return,
        one => vec![one],
    };
    if field == Field::Sort {
        // `SORT: "ID"` names the order (b24pysdk's list calls), not a value.
        if let Some(Value::String(s)) = values.first() {
            if values.len() == 1 && !is_numeric(s) {
                return;
            }
        }
    }
    let negated = matches!(cmp, Cmp::Ne | Cmp::NotIn);
    listing.conditions.push(match field {
        Field::Name => Condition::Name {
            negated,
            names: values.into_iter().filter_map(scalar_text).collect(),
        },
        _ => Condition::Number {
            field,
            cmp,
            values: values.into_iter().map(intval).collect(),
        },
    });
}

/// `department.add`: docs .../department-add.md. `NAME`, `PARENT`, `SORT`
/// (500 unless positive), `UF_HEAD` (a user, if positive); the new id.
pub async fn add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = cases::departments::add(
        cx.store(),
        cx.user(),
        &p.str("NAME").unwrap_or_default(),
        p.intval("PARENT").unwrap_or(0),
        p.intval("SORT"),
        p.intval("UF_HEAD").and_then(UserId::new),
    )
    .await?;
    Ok(Reply::value(id))
}

/// A parameter that is given: present and neither null nor empty text.
fn given(p: &Params, name: &str) -> Option<Value> {
    p.get(name)
        .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
        .cloned()
}

/// `department.update`: docs .../department-update.md. `ID`, and what to
/// change: `NAME`, `SORT` (if positive), `PARENT`, `UF_HEAD` (0 removes
/// the head).
pub async fn update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let change = DepartmentChange {
        name: p.has("NAME").then(|| p.str("NAME").unwrap_or_default()),
        sort: p.intval("SORT"),
        parent: given(p, "PARENT").map(|v| intval(&v)),
        head: given(p, "UF_HEAD").map(|v| UserId::new(intval(&v))),
    };
    let id = p.intval("ID").unwrap_or(0);
    cases::departments::change(cx.store(), cx.user(), id, change).await?;
    Ok(Reply::value(true))
}

/// `department.delete`: docs .../department-delete.md. Never the head
/// department; what was under the deleted one moves up to its parent, and
/// who was placed only there is placed in the parent.
pub async fn delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = p.intval("ID").unwrap_or(0);
    cases::departments::delete(cx.store(), cx.user(), id).await?;
    Ok(Reply::value(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing_of(v: Value) -> Listing {
        listing(&Params::from_json(v).unwrap())
    }

    #[test]
    fn the_docs_example_decodes() {
        let l = listing_of(json!({"sort": "NAME", "order": "DESC", "PARENT": 1}));
        assert_eq!(l.sort, Some(Field::Name));
        assert!(l.descending);
        assert_eq!(
            l.conditions,
            [Condition::Number {
                field: Field::Parent,
                cmp: Cmp::Eq,
                values: vec![1]
            }]
        );
    }

    #[test]
    fn the_sdk_cursor_shape_decodes() {
        let l =
            listing_of(json!({"SORT": "ID", "ORDER": "DESC", "filter": {"<ID": 70}, "start": -1}));
        assert_eq!(l.sort, Some(Field::Id));
        assert!(l.descending);
        assert_eq!(
            l.conditions,
            [Condition::Number {
                field: Field::Id,
                cmp: Cmp::Lt,
                values: vec![70]
            }]
        );
        let l = listing_of(json!({"order": {"ID": "ASC"}, "filter": {">ID": 5}}));
        assert_eq!(l.sort, Some(Field::Id));
        assert!(!l.descending);
    }

    #[test]
    fn a_filter_object_replaces_the_top_level_keys() {
        let l = listing_of(json!({"ID": 3, "FILTER": {"NAME": "Sales", "sort": "SORT"}}));
        assert_eq!(l.sort, Some(Field::Sort));
        assert_eq!(
            l.conditions,
            [Condition::Name {
                negated: false,
                names: vec!["Sales".into()]
            }]
        );
        // Top-level filter keys are read as portals spell them.
        assert!(listing_of(json!({"id": 3})).conditions.is_empty());
        assert_eq!(listing_of(json!({"SORT": 123})).conditions.len(), 1);
    }
}
