//! Departments: the company structure users are placed in (`UF_DEPARTMENT`),
//! read by `im.department.*` and `im.search.department.list`.
//!
//! A portal starts with one head department (id 1, named after the
//! company) that every employee is in; the admin CLI adds departments under
//! it, names their heads and places users. Chat-bots are in none.

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
}

/// A department to create (admin CLI).
#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub parent: i64,
    pub head: Option<UserId>,
}

/// The longest department name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 255;

impl NewDepartment {
    pub fn parse(name: &str, parent: i64, head: Option<UserId>) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("a department needs a name".into());
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(format!(
                "a department name has at most {MAX_NAME_CHARS} characters"
            ));
        }
        Ok(NewDepartment {
            name: name.to_owned(),
            parent,
            head,
        })
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
    fn the_stored_form_round_trips() {
        assert_eq!(decode(&encode(&[1, 7])), [1, 7]);
        assert!(decode("").is_empty());
        assert_eq!(encode(&[]), "");
    }
}
