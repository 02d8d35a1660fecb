//! The `user.userfield` scope: `user.userfield.add|update|delete|list`
//! (docs api-reference/user/userfields/), and the `UF_USR_*` values
//! `user.get`, `user.search`, `user.current` show and `user.fields` names.
//!
//! As on portals (where the pages differ, the portal is followed):
//! - only administrators call them: anyone else gets 400, `error` `""`,
//!   "Access denied." (as does an id of no `UF_USR_` field);
//! - `fields` takes only the 14 keys the portal's REST wrapper allows;
//!   `MANDATORY`, `SHOW_IN_LIST`, `EDIT_IN_LIST`, `IS_SEARCHABLE` are
//!   dropped (kept `N`, `Y`, `Y`, `N`), though the pages list them;
//! - SETTINGS keeps the keys of its type with the JSON types sent
//!   (`ROWS: 3` answers `3`), defaults filled in;
//! - an enumeration's items get ids and a 32-hex `XML_ID` on add;
//! - `list` has no paging: every field in one answer, with `total`.

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use crate::domain::cases;
use crate::domain::user_fields::{
    field_name, valid_name, EnumItem, UserFieldDef, UserFieldError, TYPES,
};
use crate::domain::users::User;
use crate::domain::Error;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, is_numeric, list_of, scalar_text, Params};

/// The five labels; `LABEL` fills those not given.
const LABELS: [&str; 5] = [
    "LIST_FILTER_LABEL",
    "LIST_COLUMN_LABEL",
    "EDIT_FORM_LABEL",
    "ERROR_MESSAGE",
    "HELP_MESSAGE",
];

/// An enumeration item's `SORT` when none above 0 is given.
const ITEM_SORT: i64 = 500;

/// `user.userfield.add`: docs api-reference/user/userfields/user-userfield-add.md
pub async fn add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    cases::user_fields::admin(cx.store(), cx.user()).await?;
    let f = fields(p);
    let given = |k: &str| {
        f.get(k)
            .and_then(scalar_text)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let (name, ty) = (given("FIELD_NAME"), given("USER_TYPE_ID"));
    let mut missing = Vec::new();
    if ty.is_none() {
        missing.push("The 'USER_TYPE_ID' field is not found.");
    }
    if name.is_none() {
        missing.push("The 'FIELD_NAME' field is not found.");
    }
    let (Some(name), Some(ty)) = (name, ty) else {
        return Err(Error::from(UserFieldError::Missing(missing.join("\n"))).into());
    };
    let name = field_name(&name);
    if !valid_name(&name) || !TYPES.contains(&ty.as_str()) {
        return Err(core("Fail to create new user field."));
    }
    let multiple = ty != "boolean" && f.get("MULTIPLE").is_some_and(is_y);
    let label = f
        .get("LABEL")
        .cloned()
        .unwrap_or(Value::from(name.as_str()));
    let labels: Map<String, Value> = LABELS
        .iter()
        .map(|k| (k.to_string(), f.get(*k).cloned().unwrap_or(label.clone())))
        .collect();
    let list = if ty == "enumeration" {
        let mut items = Vec::new();
        for v in list_of(f.get("LIST")).unwrap_or_default() {
            if let Some(item) = new_item(&v, false) {
                items.push(item);
            }
        }
        single_default(&mut items, multiple);
        items
    } else {
        Vec::new()
    };
    let def = UserFieldDef {
        id: 0,
        show_filter: show_filter(&ty, f.get("SHOW_FILTER")).to_owned(),
        settings: Value::Object(settings(&ty, &Map::new(), f.get("SETTINGS"), false)).to_string(),
        xml_id: f.get("XML_ID").and_then(scalar_text),
        sort: f.get("SORT").map_or(100, intval),
        field_name: name,
        user_type_id: ty,
        multiple,
        labels: Value::Object(labels).to_string(),
        list,
    };
    let id = cases::user_fields::add(cx.store(), cx.user(), def).await?;
    Ok(Reply::value(id))
}

/// `user.userfield.update`: docs api-reference/user/userfields/user-userfield-update.md
/// `FIELD_NAME`, `USER_TYPE_ID` and `MULTIPLE` never change.
pub async fn update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    cases::user_fields::admin(cx.store(), cx.user()).await?;
    let id = field_id(p)?;
    let mut def = cases::user_fields::one(cx.store(), cx.user(), id).await?;
    let f = fields(p);
    if let Some(v) = f.get("XML_ID") {
        def.xml_id = scalar_text(v);
    }
    if let Some(v) = f.get("SORT") {
        def.sort = intval(v);
    }
    if let Some(v) = f.get("SHOW_FILTER") {
        def.show_filter = show_filter(&def.user_type_id, Some(v)).to_owned();
    }
    if let Some(v) = f.get("SETTINGS") {
        let stored = object_text(&def.settings);
        def.settings =
            Value::Object(settings(&def.user_type_id, &stored, Some(v), true)).to_string();
    }
    let mut labels = object_text(&def.labels);
    for k in LABELS {
        if let Some(v) = f.get(k).or_else(|| f.get("LABEL")) {
            labels.insert(k.to_owned(), v.clone());
        }
    }
    def.labels = Value::Object(labels).to_string();
    if def.user_type_id == "enumeration" {
        if let Some(given) = list_of(f.get("LIST")) {
            // The items this call made defaults (the new ones: `None`).
            let mut made_default = Vec::new();
            for v in given {
                let Value::Object(m) = &v else { continue };
                let item_id = m.get("ID").map(intval).filter(|i| *i > 0);
                match item_id.and_then(|i| def.list.iter().position(|x| x.id == Some(i))) {
                    Some(at) if m.get("DEL").is_some_and(is_y) => {
                        def.list.remove(at);
                    }
                    Some(at) => {
                        let item = &mut def.list[at];
                        if let Some(v) = m.get("VALUE").and_then(scalar_text) {
                            item.value = v;
                        }
                        if let Some(s) = m.get("SORT") {
                            item.sort = intval(s);
                        }
                        if let Some(d) = m.get("DEF") {
                            item.def = is_y(d);
                            if item.def {
                                made_default.push(item.id);
                            }
                        }
                        if let Some(x) = m.get("XML_ID").and_then(scalar_text) {
                            item.xml_id = x;
                        }
                    }
                    None if item_id.is_some() => {}
                    None => {
                        if let Some(item) = new_item(&v, true) {
                            def.list.push(item);
                        }
                    }
                }
            }
            if !def.multiple {
                // A default given now replaces the earlier ones.
                let first_given = def
                    .list
                    .iter()
                    .position(|i| i.def && (i.id.is_none() || made_default.contains(&i.id)));
                if let Some(keep) = first_given {
                    for (n, item) in def.list.iter_mut().enumerate() {
                        item.def = n == keep;
                    }
                }
                single_default(&mut def.list, false);
            }
        }
    }
    cases::user_fields::update(cx.store(), cx.user(), def).await?;
    Ok(Reply::value(true))
}

/// `user.userfield.delete`: docs api-reference/user/userfields/user-userfield-delete.md
/// Every user's value of the field goes with it.
pub async fn delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    cases::user_fields::admin(cx.store(), cx.user()).await?;
    let id = field_id(p)?;
    cases::user_fields::delete(cx.store(), cx.user(), id).await?;
    Ok(Reply::value(true))
}

/// `user.userfield.list`: docs api-reference/user/userfields/user-userfield-list.md
/// `order` and `filter` on the list's keys (names in any case, the
/// pages' prefixes); every match in one answer.
pub async fn list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let defs = cases::user_fields::list(cx.store(), cx.user()).await?;
    let mut items: Vec<Map<String, Value>> = defs
        .iter()
        .filter(|d| crate::domain::user_fields::is_rest_field(&d.field_name))
        .map(item)
        .collect();
    if let Some(Value::Object(filter)) = p.get("filter") {
        for (key, want) in filter {
            let (op, name) = split_op(key);
            let name = name.to_ascii_uppercase();
            if !FILTERABLE.contains(&name.as_str()) {
                continue;
            }
            items.retain(|it| matches(op, it.get(&name).unwrap_or(&Value::Null), want));
        }
    }
    if let Some(Value::Object(order)) = p.get("order") {
        let keys: Vec<(String, bool)> = order
            .iter()
            .map(|(k, v)| {
                let desc = scalar_text(v).is_some_and(|d| d.eq_ignore_ascii_case("desc"));
                (k.to_ascii_uppercase(), desc)
            })
            .filter(|(k, _)| FILTERABLE.contains(&k.as_str()))
            .collect();
        items.sort_by(|a, b| {
            for (k, desc) in &keys {
                let o = compare(a.get(k), b.get(k));
                let o = if *desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    let total = items.len() as i64;
    let result = items.into_iter().map(Value::Object).collect();
    Ok(Reply::page(Value::Array(result), Some(total), None))
}

/// The keys `list` filters and sorts on.
const FILTERABLE: [&str; 11] = [
    "ID",
    "FIELD_NAME",
    "USER_TYPE_ID",
    "XML_ID",
    "SORT",
    "MULTIPLE",
    "MANDATORY",
    "SHOW_FILTER",
    "SHOW_IN_LIST",
    "EDIT_IN_LIST",
    "IS_SEARCHABLE",
];

/// A field as `list` shows it.
fn item(d: &UserFieldDef) -> Map<String, Value> {
    let yn = |b: bool| Value::from(if b { "Y" } else { "N" });
    let mut m = Map::new();
    m.insert("ID".into(), Value::from(d.id.to_string()));
    m.insert("ENTITY_ID".into(), Value::from("USER"));
    m.insert("FIELD_NAME".into(), Value::from(d.field_name.as_str()));
    m.insert("USER_TYPE_ID".into(), Value::from(d.user_type_id.as_str()));
    m.insert(
        "XML_ID".into(),
        d.xml_id.clone().map_or(Value::Null, Value::from),
    );
    m.insert("SORT".into(), Value::from(d.sort.to_string()));
    m.insert("MULTIPLE".into(), yn(d.multiple));
    m.insert("MANDATORY".into(), yn(false));
    m.insert("SHOW_FILTER".into(), Value::from(d.show_filter.as_str()));
    m.insert("SHOW_IN_LIST".into(), yn(true));
    m.insert("EDIT_IN_LIST".into(), yn(true));
    m.insert("IS_SEARCHABLE".into(), yn(false));
    m.insert("SETTINGS".into(), Value::Object(object_text(&d.settings)));
    if d.user_type_id == "enumeration" {
        let list: Vec<Value> = d
            .list
            .iter()
            .map(|i| {
                json!({
                    "ID": i.id.unwrap_or(0).to_string(),
                    "SORT": i.sort.to_string(),
                    "VALUE": i.value,
                    "DEF": if i.def { "Y" } else { "N" },
                    "XML_ID": i.xml_id,
                })
            })
            .collect();
        m.insert("LIST".into(), Value::Array(list));
    }
    m
}

/// A filter key's prefix and field name (`>=ID` -> (">=", "ID")).
fn split_op(key: &str) -> (&str, &str) {
    for op in [
        "!%=", "!=%", "!@", "!%", "=%", "%=", ">=", "<=", "!=", ">", "<", "@", "%", "=", "!",
    ] {
        if let Some(rest) = key.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("", key)
}

/// Numbers compare as numbers, the rest as text; null sorts first.
fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    let text = |v: Option<&Value>| v.and_then(scalar_text);
    match (text(a), text(b)) {
        (Some(x), Some(y)) if is_numeric(&x) && is_numeric(&y) => {
            let (x, y) = (x.trim().parse::<f64>(), y.trim().parse::<f64>());
            x.unwrap_or(0.0)
                .partial_cmp(&y.unwrap_or(0.0))
                .unwrap_or(std::cmp::Ordering::Equal)
        }
        (x, y) => x.cmp(&y),
    }
}

/// SQL `LIKE` with `%` as the only wildcard, ignoring case.
fn like(text: &str, pattern: &str) -> bool {
    let (text, pattern) = (text.to_lowercase(), pattern.to_lowercase());
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return text == pattern;
    }
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether a list item's value passes one filter condition.
fn matches(op: &str, have: &Value, want: &Value) -> bool {
    let wants: Vec<Value> = match want {
        Value::Array(_) | Value::Object(_) => list_of(Some(want)).unwrap_or_default(),
        one => vec![one.clone()],
    };
    let eq = |w: &Value| compare(Some(have), Some(w)).is_eq();
    let text = scalar_text(have).unwrap_or_default();
    let contains = |w: &Value| {
        let w = scalar_text(w).unwrap_or_default().to_lowercase();
        text.to_lowercase().contains(&w)
    };
    let liked = |w: &Value| like(&text, &scalar_text(w).unwrap_or_default());
    let ord = |w: &Value| compare(Some(have), Some(w));
    match op {
        "" | "=" | "@" => wants.iter().any(eq),
        "!" | "!=" | "!@" => !wants.iter().any(eq),
        ">" => wants.iter().any(|w| ord(w).is_gt()),
        ">=" => wants.iter().any(|w| ord(w).is_ge()),
        "<" => wants.iter().any(|w| ord(w).is_lt()),
        "<=" => wants.iter().any(|w| ord(w).is_le()),
        "%" => wants.iter().any(contains),
        "!%" => !wants.iter().any(contains),
        "=%" | "%=" => wants.iter().any(liked),
        _ => !wants.iter().any(liked),
    }
}

/// `fields` (any case) as an object; none when absent or not one.
fn fields(p: &Params) -> Map<String, Value> {
    match p.get("fields") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// `id` (any case): `ID is not defined or invalid.` unless positive.
fn field_id(p: &Params) -> Result<i64, ApiError> {
    p.positive_id("id")
        .ok_or_else(|| Error::from(UserFieldError::IdInvalid).into())
}

fn core(description: &str) -> ApiError {
    Error::from(UserFieldError::Core(description.to_owned())).into()
}

fn is_y(v: &Value) -> bool {
    scalar_text(v).is_some_and(|s| s.trim().eq_ignore_ascii_case("Y"))
}

/// A JSON object kept as text; an empty one if it is not.
fn object_text(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// `E` when `Y` is given (`I` for an employee field given anything but `N`).
fn show_filter(ty: &str, given: Option<&Value>) -> &'static str {
    let given = given.and_then(scalar_text).map(|s| s.trim().to_uppercase());
    match (ty, given.as_deref()) {
        ("employee", Some(g)) if g != "N" && !g.is_empty() => "I",
        (_, Some("Y")) => "E",
        _ => "N",
    }
}

/// A new enumeration item; none without a `VALUE`. `XML_ID` is taken only
/// on update (`add` always makes one).
fn new_item(v: &Value, take_xml_id: bool) -> Option<EnumItem> {
    let Value::Object(m) = v else { return None };
    let value = m.get("VALUE").and_then(scalar_text)?;
    if value.trim().is_empty() {
        return None;
    }
    let sort = m.get("SORT").map(intval).filter(|s| *s > 0);
    let xml_id = take_xml_id
        .then(|| m.get("XML_ID").and_then(scalar_text))
        .flatten()
        .filter(|x| !x.is_empty())
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()));
    Some(EnumItem {
        id: None,
        value,
        sort: sort.unwrap_or(ITEM_SORT),
        def: m.get("DEF").is_some_and(is_y),
        xml_id,
    })
}

/// A single-valued field keeps only its first default item.
fn single_default(items: &mut [EnumItem], multiple: bool) {
    if multiple {
        return;
    }
    let mut seen = false;
    for item in items {
        if item.def && seen {
            item.def = false;
        }
        seen |= item.def;
    }
}

/// The SETTINGS of a field of type `ty`: `stored` (the defaults, on add)
/// with the type's keys of `given` over it, each checked.
fn settings(
    ty: &str,
    stored: &Map<String, Value>,
    given: Option<&Value>,
    updating: bool,
) -> Map<String, Value> {
    let defaults: Vec<(&str, Value)> = match ty {
        "string" => vec![("DEFAULT_VALUE", json!("")), ("ROWS", json!(1))],
        "integer" => vec![("DEFAULT_VALUE", json!(""))],
        "double" => vec![("DEFAULT_VALUE", json!("")), ("PRECISION", json!(2))],
        "boolean" => vec![("DEFAULT_VALUE", json!(0)), ("DISPLAY", json!("CHECKBOX"))],
        "date" | "datetime" => vec![("DEFAULT_VALUE", json!({"VALUE": "", "TYPE": "NONE"}))],
        "enumeration" => vec![("DISPLAY", json!("LIST")), ("LIST_HEIGHT", json!(1))],
        "iblock_section" | "iblock_element" => vec![
            ("IBLOCK_TYPE_ID", json!("")),
            ("IBLOCK_ID", json!(0)),
            ("DEFAULT_VALUE", json!("")),
            ("DISPLAY", json!("LIST")),
            ("LIST_HEIGHT", json!(1)),
            ("ACTIVE_FILTER", json!("N")),
        ],
        "crm_status" => vec![("ENTITY_TYPE", json!(""))],
        "crm" => vec![
            ("LEAD", json!("N")),
            ("CONTACT", json!("N")),
            ("COMPANY", json!("N")),
            ("DEAL", json!("N")),
        ],
        _ => Vec::new(),
    };
    let given = match given {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let mut out = Map::new();
    for (key, default) in defaults {
        let old = stored.get(key).cloned().unwrap_or(default.clone());
        let value = match given.get(key) {
            None => old,
            Some(v) => checked(ty, key, v, updating).unwrap_or(default),
        };
        out.insert(key.to_owned(), value);
    }
    if ty == "crm" && !out.values().any(is_y) {
        out.insert("LEAD".into(), json!("Y"));
    }
    out
}

/// A given setting as kept, or `None` for the type's default.
fn checked(ty: &str, key: &str, v: &Value, updating: bool) -> Option<Value> {
    let number = || match v {
        Value::Number(_) => true,
        Value::String(s) => is_numeric(s),
        _ => false,
    };
    match (ty, key) {
        ("string", "ROWS") if updating => Some(if number() {
            let n = intval(v);
            if (1..=50).contains(&n) {
                v.clone()
            } else {
                json!(n.clamp(1, 50))
            }
        } else {
            json!(1)
        }),
        (_, "ROWS" | "LIST_HEIGHT") => (number() && intval(v) > 0).then(|| v.clone()),
        (_, "PRECISION") => (number() && intval(v) >= 0).then(|| v.clone()),
        (_, "IBLOCK_ID") => Some(json!(intval(v))),
        ("boolean", "DEFAULT_VALUE") => Some(json!(i64::from(intval(v) > 0 || is_y(v)))),
        ("date" | "datetime", "DEFAULT_VALUE") => {
            let m = match v {
                Value::Object(m) => m.clone(),
                _ => Map::new(),
            };
            let kind = m
                .get("TYPE")
                .and_then(scalar_text)
                .map(|t| t.to_uppercase())
                .filter(|t| ["NONE", "NOW", "FIXED"].contains(&t.as_str()))
                .unwrap_or_else(|| "NONE".into());
            let value = m.get("VALUE").cloned().unwrap_or(json!(""));
            Some(json!({"VALUE": value, "TYPE": kind}))
        }
        (_, "DISPLAY") => scalar_text(v).map(|s| json!(s.to_uppercase())),
        ("crm", _) | (_, "ACTIVE_FILTER") => Some(json!(if is_y(v) { "Y" } else { "N" })),
        _ => Some(v.clone()),
    }
}

/// Whether a credential sees `UF_USR_*` in `user.get`: with `user`, or with
/// `user.userfield` beside `user_brief`/`user_basic`.
fn shows_values(cx: &Ctx) -> bool {
    let scopes = &cx.caller.scopes;
    scopes.contains("user") || scopes.contains("user.userfield")
}

/// Adds every `UF_USR_*` field to `rows` (the `user.get` answers of
/// `users`, in order): the value `user.update` was given, `null` when
/// unset. Two queries for the page, never one a user.
pub async fn with_values(
    cx: &Ctx,
    users: &[User],
    mut rows: Vec<Value>,
) -> Result<Vec<Value>, ApiError> {
    if !shows_values(cx) || users.is_empty() {
        return Ok(rows);
    }
    let defs: Vec<UserFieldDef> = cx
        .store()
        .user_fields()
        .await
        .map_err(Error::from)?
        .into_iter()
        .filter(|d| crate::domain::user_fields::is_rest_field(&d.field_name))
        .collect();
    if defs.is_empty() {
        return Ok(rows);
    }
    let ids = users.iter().map(|u| u.id).collect();
    let values = cx
        .store()
        .user_field_values(ids)
        .await
        .map_err(Error::from)?;
    for (u, row) in users.iter().zip(rows.iter_mut()) {
        let Value::Object(m) = row else { continue };
        for d in &defs {
            let value = values
                .iter()
                .find(|v| v.user == u.id && v.field_id == d.id)
                .and_then(|v| serde_json::from_str(&v.json).ok())
                .unwrap_or(Value::Null);
            m.insert(d.field_name.clone(), value);
        }
    }
    Ok(rows)
}

/// `user.fields`' entries for the custom fields: each name with its
/// `EDIT_FORM_LABEL` (the English one, else any, of a label per language).
pub async fn field_titles(cx: &Ctx) -> Result<Vec<(String, Value)>, ApiError> {
    if !shows_values(cx) {
        return Ok(Vec::new());
    }
    let defs = cx.store().user_fields().await.map_err(Error::from)?;
    Ok(defs
        .into_iter()
        .filter(|d| crate::domain::user_fields::is_rest_field(&d.field_name))
        .map(|d| {
            let label = match object_text(&d.labels).remove("EDIT_FORM_LABEL") {
                Some(Value::Object(by_lang)) => by_lang
                    .get("en")
                    .or_else(|| by_lang.values().next())
                    .and_then(scalar_text)
                    .unwrap_or_else(|| d.field_name.clone()),
                Some(v) => scalar_text(&v).unwrap_or_else(|| d.field_name.clone()),
                None => d.field_name.clone(),
            };
            (d.field_name, Value::from(label))
        })
        .collect())
}

/// `user.update`'s `UF_USR_*` values (names in any case), each as the
/// JSON text given; `null` clears one.
pub fn given_values(p: &Params) -> Vec<(String, Option<String>)> {
    p.as_map()
        .iter()
        .filter(|(k, _)| k.to_ascii_uppercase().starts_with("UF_USR_"))
        .map(|(k, v)| {
            let json = (!v.is_null()).then(|| v.to_string());
            (k.to_ascii_uppercase(), json)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_follows_sql() {
        assert!(like("molecule", "mol%"));
        assert!(like("amol", "%mol"));
        assert!(!like("amol", "mol%"));
        assert!(like("a mol b", "%MOL%"));
        assert!(like("mol", "mol"));
    }

    #[test]
    fn string_settings_keep_json_types() {
        let s = settings(
            "string",
            &Map::new(),
            Some(&json!({"ROWS": 3, "X": 1})),
            false,
        );
        assert_eq!(Value::Object(s), json!({"DEFAULT_VALUE": "", "ROWS": 3}));
        let s = settings("string", &Map::new(), Some(&json!({"ROWS": 0})), false);
        assert_eq!(s["ROWS"], json!(1));
    }

    #[test]
    fn crm_reads_leads_when_nothing_is_chosen() {
        let s = settings("crm", &Map::new(), None, false);
        assert_eq!(s["LEAD"], json!("Y"));
    }
}
