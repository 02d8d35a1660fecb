//! Departments: the company structure users are placed in (`UF_DEPARTMENT`),
//! read by `im.department.*` and `im.search.department.list`.
//!
//! A portal starts with one head department (id 1, named after the
//! company) that every employee is in; the admin CLI and `department.*`
//! add departments under it, name their heads and move or delete them; the
//! CLI and `user.add`/`user.update` place users. Chat-bots are in none.

use std::collections::{HashMap, HashSet};

use super::user_query::Cmp;
use super::UserId;

/// The head department a portal starts with (`UF_DEPARTMENT: [1]`).
pub const HEAD_DEPARTMENT: i64 = 1;

/// A department as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: i64,
    pub name: String,
    /// `None` for the head department.
    pub parent: Option<i64>,
    /// Its manager (`UF_HEAD` on portals), if one is named.
    pub head: Option<UserId>,
    /// A head was named once and then removed: portals then show
    /// `UF_HEAD: "0"` where a department that never had one shows no key.
    pub head_cleared: bool,
    /// Its place among its siblings (`SORT`), [`DEFAULT_SORT`] unless set.
    pub sort: i64,
}

/// The `SORT` of a department created without one, as on portals.
pub const DEFAULT_SORT: i64 = 500;

/// A department to create (admin CLI, `department.add`).
#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub parent: i64,
    pub head: Option<UserId>,
    pub sort: i64,
}

/// The longest department name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 255;

/// A department name, trimmed: not empty, at most [`MAX_NAME_CHARS`].
pub fn check_name(name: &str) -> Result<String, DepartmentError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DepartmentError::NameEmpty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(DepartmentError::NameTooLong);
    }
    Ok(name.to_owned())
}

/// A `SORT` as portals take it: zero or less (or none) means "not given".
pub fn sort_given(sort: Option<i64>) -> Option<i64> {
    sort.filter(|s| *s > 0)
}

impl NewDepartment {
    /// For the CLI: its own wording of the name's errors.
    pub fn parse(name: &str, parent: i64, head: Option<UserId>) -> Result<Self, String> {
        let name = check_name(name).map_err(|e| match e {
            DepartmentError::NameTooLong => {
                format!("a department name has at most {MAX_NAME_CHARS} characters")
            }
            _ => "a department needs a name".to_owned(),
        })?;
        Ok(NewDepartment {
            name,
            parent,
            head,
            sort: DEFAULT_SORT,
        })
    }
}

/// What `department.update` (and the CLI's `department head`) changes;
/// `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct DepartmentChange {
    pub name: Option<String>,
    pub sort: Option<i64>,
    /// The new parent (0: none, which only the head department may have).
    pub parent: Option<i64>,
    /// `Some(None)` removes the head.
    pub head: Option<Option<UserId>>,
}

/// What a change to the structure came to, decided in its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepartmentSaved {
    /// Done; the department's id.
    Saved(i64),
    /// The department does not exist.
    NotFound,
    /// The parent named does not exist, or none was named for a department
    /// other than the head one (there is one top-level department).
    NoParent,
    /// The head named is no person who exists.
    NoHead,
    /// The parent named is the department itself or one below it.
    UnderItself,
    /// The head department cannot be deleted.
    Root,
}

/// Why a `department.*` change is refused; the texts are the portal's
/// (`protocol::error` gives each its code and status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DepartmentError {
    /// Only administrators change the structure.
    #[error("Access denied!")]
    AccessDenied,
    #[error("Department name not provided.<br>")]
    NameEmpty,
    #[error("The department name is longer than 255 characters")]
    NameTooLong,
    #[error("Department not found")]
    NotFound,
    #[error("There can only be one top-level department in the company structure")]
    NoParent,
    #[error("User not found")]
    NoHead,
    #[error("Wrong parent department")]
    UnderItself,
    #[error("The top-level department cannot be deleted")]
    Root,
}

impl DepartmentSaved {
    /// The id, or the refusal as the methods answer it.
    pub fn into_result(self) -> Result<i64, DepartmentError> {
        match self {
            DepartmentSaved::Saved(id) => Ok(id),
            DepartmentSaved::NotFound => Err(DepartmentError::NotFound),
            DepartmentSaved::NoParent => Err(DepartmentError::NoParent),
            DepartmentSaved::NoHead => Err(DepartmentError::NoHead),
            DepartmentSaved::UnderItself => Err(DepartmentError::UnderItself),
            DepartmentSaved::Root => Err(DepartmentError::Root),
        }
    }
}

/// A field of `department.get`'s filter and sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    Name,
    Sort,
    Parent,
    Head,
}

impl Field {
    /// `ID`, `NAME`, `SORT`, `PARENT`, `UF_HEAD`, ignoring case.
    pub fn from_name(name: &str) -> Option<Field> {
        const NAMES: [(&str, Field); 5] = [
            ("ID", Field::Id),
            ("NAME", Field::Name),
            ("SORT", Field::Sort),
            ("PARENT", Field::Parent),
            ("UF_HEAD", Field::Head),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
    }
}

/// One filter condition: `field cmp value` holds for one of `values`
/// (for `!`: for none of them). `NAME` compares whole names, ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Number {
        field: Field,
        cmp: Cmp,
        values: Vec<i64>,
    },
    Name {
        negated: bool,
        names: Vec<String>,
    },
}

/// `department.get`'s question: conditions that all hold, and an order
/// (`None`: the tree's own, depth first, as portals list the structure).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub conditions: Vec<Condition>,
    pub sort: Option<Field>,
    pub descending: bool,
}

impl Department {
    fn number(&self, field: Field) -> i64 {
        match field {
            Field::Id => self.id,
            Field::Sort => self.sort,
            Field::Parent => self.parent.unwrap_or(0),
            Field::Head => self.head.map_or(0, |h| h.0),
            Field::Name => 0,
        }
    }

    fn meets(&self, c: &Condition) -> bool {
        match c {
            Condition::Number { field, cmp, values } => {
                let have = self.number(*field);
                let one = |v: &i64| match cmp {
                    Cmp::Gt => have > *v,
                    Cmp::Ge => have >= *v,
                    Cmp::Lt => have < *v,
                    Cmp::Le => have <= *v,
                    _ => have == *v,
                };
                match cmp {
                    Cmp::Ne | Cmp::NotIn | Cmp::NotContains | Cmp::NotLike => {
                        !values.contains(&have)
                    }
                    _ => values.iter().any(one),
                }
            }
            Condition::Name { negated, names } => {
                let hit = names
                    .iter()
                    .any(|n| n.trim().to_lowercase() == self.name.to_lowercase());
                hit != *negated
            }
        }
    }
}

/// The whole structure, as loaded at once (a portal's departments number in
/// the hundreds at most).
#[derive(Debug, Clone, Default)]
pub struct Structure(pub Vec<Department>);

impl Structure {
    pub fn get(&self, id: i64) -> Option<&Department> {
        self.0.iter().find(|d| d.id == id)
    }

    /// `id` and the departments above it, nearest first (a cycle, which the
    /// CLI never makes, stops the walk).
    pub fn chain(&self, id: i64) -> Vec<&Department> {
        let mut out: Vec<&Department> = Vec::new();
        let mut next = self.get(id);
        while let Some(d) = next {
            if out.iter().any(|seen| seen.id == d.id) {
                break;
            }
            out.push(d);
            next = d.parent.and_then(|p| self.get(p));
        }
        out
    }

    /// The name with those of the departments above it, as portals show
    /// `full_name`: `Marketing / My Company`.
    pub fn full_name(&self, id: i64) -> String {
        self.chain(id)
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// The departments below `id`, at any depth.
    pub fn below(&self, id: i64) -> Vec<i64> {
        self.0
            .iter()
            .filter(|d| d.id != id && self.chain(d.id).iter().any(|up| up.id == id))
            .map(|d| d.id)
            .collect()
    }

    /// The departments depth first from the head one (the order of a
    /// portal's `LEFT_MARGIN`), siblings by `SORT`, then name, then id;
    /// departments no walk from a top reaches (none, unless a cycle was
    /// stored) follow in id order.
    pub fn tree_order(&self) -> Vec<&Department> {
        let ids: HashSet<i64> = self.0.iter().map(|d| d.id).collect();
        let mut children: HashMap<Option<i64>, Vec<&Department>> = HashMap::new();
        for d in &self.0 {
            // A department whose parent is gone (never left so by the
            // store) is listed as a top one.
            let parent = d.parent.filter(|p| ids.contains(p));
            children.entry(parent).or_default().push(d);
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| {
                (a.sort, a.name.to_lowercase(), a.id).cmp(&(b.sort, b.name.to_lowercase(), b.id))
            });
        }
        let mut out: Vec<&Department> = Vec::with_capacity(self.0.len());
        let mut seen: HashSet<i64> = HashSet::new();
        let mut stack: Vec<&Department> = children
            .get(&None)
            .map(|c| c.iter().rev().copied().collect())
            .unwrap_or_default();
        while let Some(d) = stack.pop() {
            if !seen.insert(d.id) {
                continue;
            }
            out.push(d);
            if let Some(c) = children.get(&Some(d.id)) {
                stack.extend(c.iter().rev().copied());
            }
        }
        out.extend(self.0.iter().filter(|d| !seen.contains(&d.id)));
        out
    }

    /// `department.get`: the departments that meet every condition, in the
    /// order asked for (ties in tree order).
    pub fn list(&self, q: &Listing) -> Vec<&Department> {
        let mut found: Vec<&Department> = self
            .tree_order()
            .into_iter()
            .filter(|d| q.conditions.iter().all(|c| d.meets(c)))
            .collect();
        if let Some(field) = q.sort {
            found.sort_by(|a, b| {
                let order = match field {
                    Field::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
                    _ => a.number(field).cmp(&b.number(field)),
                };
                if q.descending {
                    order.reverse()
                } else {
                    order
                }
            });
        }
        found
    }

    /// Departments whose full name has a word starting with `find`
    /// (case-insensitive), as `im.search.department.list` searches; a
    /// phrase under two characters matches all.
    pub fn search(&self, find: &str) -> Vec<&Department> {
        let find = find.trim().to_lowercase();
        self.0
            .iter()
            .filter(|d| find.chars().count() < 2 || starts_a_word(&self.full_name(d.id), &find))
            .collect()
    }
}

/// Whether a word of `text` (split at anything not a letter or digit)
/// starts with `prefix`, ignoring case; `prefix` is lowercase. A prefix of
/// several words matches where the text continues with them.
pub fn starts_a_word(text: &str, prefix: &str) -> bool {
    let lower = text.to_lowercase();
    let mut at_start = true;
    for (i, c) in lower.char_indices() {
        if at_start && c.is_alphanumeric() && lower[i..].starts_with(prefix) {
            return true;
        }
        at_start = !c.is_alphanumeric();
    }
    false
}

/// The text form of a user's departments as stored (`1,7`).
pub fn encode(ids: &[i64]) -> String {
    ids.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The ids of the stored text form; anything unreadable is left out.
pub fn decode(text: &str) -> Vec<i64> {
    text.split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Structure {
        let d = |id, name: &str, parent| Department {
            id,
            name: name.into(),
            parent,
            head: None,
            head_cleared: false,
            sort: DEFAULT_SORT,
        };
        Structure(vec![
            d(1, "My Company", None),
            d(3, "Marketing and Advertising", Some(1)),
            d(7, "Online ads", Some(3)),
        ])
    }

    #[test]
    fn full_names_walk_up_to_the_head_department() {
        let t = tree();
        assert_eq!(t.full_name(1), "My Company");
        assert_eq!(
            t.full_name(7),
            "Online ads / Marketing and Advertising / My Company"
        );
        assert_eq!(t.below(1), [3, 7]);
        assert_eq!(t.below(3), [7]);
        assert!(t.below(7).is_empty());
        assert_eq!(t.full_name(99), "");
    }

    #[test]
    fn search_matches_the_start_of_words() {
        let t = tree();
        let ids = |find: &str| t.search(find).iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(ids("adv"), [3, 7], "a word of a parent's name counts");
        assert_eq!(ids("ADS"), [7]);
        assert!(ids("dvert").is_empty(), "not the middle of a word");
        assert_eq!(ids("a"), [1, 3, 7], "too short: everything");
        assert_eq!(ids("online ad"), [7]);
    }

    #[test]
    fn the_tree_is_listed_depth_first_siblings_by_sort() {
        let mut t = tree();
        t.0.push(Department {
            id: 9,
            name: "Accounting".into(),
            parent: Some(1),
            head: Some(UserId(4)),
            head_cleared: false,
            sort: 100,
        });
        let ids = |q: &Listing| t.list(q).iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(ids(&Listing::default()), [1, 9, 3, 7]);
        let by_name_desc = Listing {
            sort: Some(Field::Name),
            descending: true,
            ..Listing::default()
        };
        assert_eq!(ids(&by_name_desc), [7, 1, 3, 9]);
        let under_one = Listing {
            conditions: vec![Condition::Number {
                field: Field::Parent,
                cmp: Cmp::Eq,
                values: vec![1],
            }],
            ..Listing::default()
        };
        assert_eq!(ids(&under_one), [9, 3]);
        let below_id = Listing {
            conditions: vec![Condition::Number {
                field: Field::Id,
                cmp: Cmp::Lt,
                values: vec![9],
            }],
            sort: Some(Field::Id),
            descending: true,
        };
        assert_eq!(ids(&below_id), [7, 3, 1]);
        let not = Listing {
            conditions: vec![Condition::Number {
                field: Field::Id,
                cmp: Cmp::Ne,
                values: vec![1, 7],
            }],
            ..Listing::default()
        };
        assert_eq!(ids(&not), [9, 3]);
        let named = Listing {
            conditions: vec![Condition::Name {
                negated: false,
                names: vec!["online ADS".into()],
            }],
            ..Listing::default()
        };
        assert_eq!(ids(&named), [7]);
        let headed = Listing {
            conditions: vec![Condition::Number {
                field: Field::Head,
                cmp: Cmp::Eq,
                values: vec![4],
            }],
            ..Listing::default()
        };
        assert_eq!(ids(&headed), [9]);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  Sales "), Ok("Sales".to_owned()));
        assert_eq!(check_name(" "), Err(DepartmentError::NameEmpty));
        assert_eq!(
            check_name(&"x".repeat(256)),
            Err(DepartmentError::NameTooLong)
        );
        assert_eq!(sort_given(Some(0)), None);
        assert_eq!(sort_given(Some(123)), Some(123));
    }

    #[test]
    fn the_stored_form_round_trips() {
        assert_eq!(decode(&encode(&[1, 7])), [1, 7]);
        assert!(decode("").is_empty());
        assert_eq!(encode(&[]), "");
    }
}
