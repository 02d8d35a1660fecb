//! Custom user fields (`user.userfield.*`, docs api-reference/user/userfields/):
//! the portal's `UF_USR_*` fields of the `USER` entity, and each user's values.
//!
//! SETTINGS, labels and values are JSON text (the domain knows no JSON;
//! `methods/user_field.rs` builds and reads it), so the JSON types a client
//! sent come back as sent (`ROWS: 3` stays a number).

use super::UserId;

/// One field as stored: every key `user.userfield.list` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFieldDef {
    /// 0 until stored.
    pub id: i64,
    /// Always `UF_USR_...`.
    pub field_name: String,
    pub user_type_id: String,
    pub xml_id: Option<String>,
    pub sort: i64,
    pub multiple: bool,
    /// `N`, `E` or `I`.
    pub show_filter: String,
    /// The effective SETTINGS, a JSON object.
    pub settings: String,
    /// The five labels, a JSON object (`EDIT_FORM_LABEL`: a string or `{lang: text}`).
    pub labels: String,
    /// An enumeration's items, by `SORT` then id.
    pub list: Vec<EnumItem>,
}

/// One item of an enumeration field's `LIST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumItem {
    /// `None` for an item not yet stored.
    pub id: Option<i64>,
    pub value: String,
    pub sort: i64,
    pub def: bool,
    /// 32 hex digits unless the client gave one.
    pub xml_id: String,
}

/// A user's value of one field, as the JSON text `user.update` was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFieldValue {
    pub user: UserId,
    pub field_id: i64,
    pub json: String,
}

/// What adding a field came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldAdded {
    Added(i64),
    /// A field of that name exists.
    Exists,
}

/// Why a `user.userfield.*` call is refused; the texts are the portal's
/// (`protocol::error` gives each its code: `""` or `ERROR_CORE`, HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserFieldError {
    /// Not an administrator, or no `UF_USR_` field of that id.
    #[error("Access denied.")]
    AccessDenied,
    #[error("ID is not defined or invalid.")]
    IdInvalid,
    /// The required keys missing, their messages joined by a newline.
    #[error("{0}")]
    Missing(String),
    #[error("Field {0} for USER object already exists")]
    Exists(String),
    /// The core refused (an unknown type, a bad name).
    #[error("{0}")]
    Core(String),
}

/// Whether `name` is a field the REST methods see (`UF_USR_` and valid).
pub fn is_rest_field(name: &str) -> bool {
    name.starts_with("UF_USR_") && valid_name(name)
}

/// `^UF_[A-Z0-9_]+$`, at most 50 characters.
pub fn valid_name(name: &str) -> bool {
    name.len() <= 50
        && name.len() > 3
        && name.starts_with("UF_")
        && name[3..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A `FIELD_NAME` as the portal keeps it: trimmed, uppercase, prefixed
/// `UF_USR_` (`DEALS` and `UF_DEALS` become `UF_USR_DEALS`).
pub fn field_name(given: &str) -> String {
    let name = given.trim().to_uppercase();
    if name.starts_with("UF_USR_") {
        name
    } else if let Some(rest) = name.strip_prefix("UF_") {
        format!("UF_USR_{rest}")
    } else {
        format!("UF_USR_{name}")
    }
}

/// The types `USER_TYPE_ID` may name.
pub const TYPES: &[&str] = &[
    "string",
    "integer",
    "double",
    "date",
    "datetime",
    "boolean",
    "file",
    "enumeration",
    "url",
    "address",
    "money",
    "iblock_section",
    "iblock_element",
    "employee",
    "crm",
    "crm_status",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_prefixed_as_on_portals() {
        assert_eq!(field_name(" deals "), "UF_USR_DEALS");
        assert_eq!(field_name("UF_DEALS"), "UF_USR_DEALS");
        assert_eq!(field_name("uf_usr_deals"), "UF_USR_DEALS");
        assert!(valid_name("UF_USR_DEALS_2"));
        assert!(!valid_name("UF_USR_A-B"));
        assert!(!valid_name(&format!("UF_USR_{}", "X".repeat(44))));
    }
}
