//! `user.get`'s filter, sort and paging, as domain values: the protocol layer
//! decodes Bitrix24's `FILTER` keys (`>ID`, `%NAME`, `@ID`, ...) into a
//! [`UserQuery`]; the store turns it into its own query language.

use super::users::User;

/// Bitrix24's list page size: always 50.
pub const PAGE_SIZE: i64 = 50;

/// A user field that can be filtered or sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    Id,
    Name,
    LastName,
    Active,
    /// Every b24im user is an `employee`.
    UserType,
    /// The departments the user is placed in.
    Department,
    /// The job title (`WORK_POSITION`).
    WorkPosition,
}

impl UserField {
    /// The field a Bitrix24 name (any case) refers to.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "ID" => UserField::Id,
            "NAME" => UserField::Name,
            "LAST_NAME" => UserField::LastName,
            "ACTIVE" => UserField::Active,
            "USER_TYPE" => UserField::UserType,
            "UF_DEPARTMENT" => UserField::Department,
            "WORK_POSITION" => UserField::WorkPosition,
            _ => return None,
        })
    }
}

/// A filter value, already typed for its field.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    Int(i64),
    Text(String),
    Bool(bool),
}

/// The comparison a key's prefix asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `@`: one of the values.
    In,
    /// `!@`: none of the values.
    NotIn,
    /// `%`: contains the value.
    Contains,
    /// `!%`: does not contain the value.
    NotContains,
    /// `=%` / `%=`: SQL LIKE with the caller's own `%`.
    Like,
    /// `!=%` / `!%=`.
    NotLike,
}

impl Cmp {
    /// Splits a filter key into its comparison and field name, longest prefix first.
    pub fn split(key: &str) -> (Cmp, &str) {
        const PREFIXES: [(&str, Cmp); 14] = [
            ("!=%", Cmp::NotLike),
            ("!%=", Cmp::NotLike),
            (">=", Cmp::Ge),
            ("<=", Cmp::Le),
            ("!@", Cmp::NotIn),
            ("=%", Cmp::Like),
            ("%=", Cmp::Like),
            ("!%", Cmp::NotContains),
            ("!=", Cmp::Ne),
            (">", Cmp::Gt),
            ("<", Cmp::Lt),
            ("@", Cmp::In),
            ("%", Cmp::Contains),
            ("!", Cmp::Ne),
        ];
        for (prefix, cmp) in PREFIXES {
            if let Some(rest) = key.strip_prefix(prefix) {
                return (cmp, rest);
            }
        }
        (Cmp::Eq, key.strip_prefix('=').unwrap_or(key))
    }
}

/// One condition: `field cmp values` (several values mean "any of them").
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: UserField,
    pub cmp: Cmp,
    pub values: Vec<FilterValue>,
}

/// A page of `user.get`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserQuery {
    pub conditions: Vec<Condition>,
    /// `NAME_SEARCH`: each word must appear in the first or last name.
    pub name_search: Option<String>,
    pub sort: UserField,
    pub descending: bool,
    /// Rows to skip (`start`).
    pub offset: i64,
    /// `false` for `start = -1`: Bitrix24's "no count" mode.
    pub count_total: bool,
}

impl Default for UserQuery {
    fn default() -> Self {
        UserQuery {
            conditions: Vec::new(),
            name_search: None,
            sort: UserField::Id,
            descending: false,
            offset: 0,
            count_total: true,
        }
    }
}

/// One page of users, and how many match in all (when counted).
#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<User>,
    pub total: Option<i64>,
}

impl UserPage {
    /// The `next` of a list answer: the offset of the following page, if any.
    pub fn next(&self, offset: i64) -> Option<i64> {
        let total = self.total?;
        let next = offset + PAGE_SIZE;
        (next < total).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_split_longest_first() {
        assert_eq!(Cmp::split(">ID"), (Cmp::Gt, "ID"));
        assert_eq!(Cmp::split(">=ID"), (Cmp::Ge, "ID"));
        assert_eq!(Cmp::split("!@ID"), (Cmp::NotIn, "ID"));
        assert_eq!(Cmp::split("!=%NAME"), (Cmp::NotLike, "NAME"));
        assert_eq!(Cmp::split("%=NAME"), (Cmp::Like, "NAME"));
        assert_eq!(Cmp::split("!%NAME"), (Cmp::NotContains, "NAME"));
        assert_eq!(Cmp::split("!ID"), (Cmp::Ne, "ID"));
        assert_eq!(Cmp::split("=ID"), (Cmp::Eq, "ID"));
        assert_eq!(Cmp::split("ID"), (Cmp::Eq, "ID"));
    }

    #[test]
    fn next_appears_only_when_more_remain() {
        let page = |total| UserPage {
            users: vec![],
            total,
        };
        assert_eq!(page(Some(120)).next(0), Some(50));
        assert_eq!(page(Some(120)).next(100), None);
        assert_eq!(page(Some(100)).next(50), None);
        assert_eq!(page(None).next(0), None);
    }
}
