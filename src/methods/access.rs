//! `user.admin`, `user.access`, `access.name`: docs
//! api-reference/common/users/ and api-reference/common/system/access-name.md.
//! Open to any credential (portals register them in no scope).
//!
//! Access codes are a portal's names for sets of users. b24im's users have
//! these: `G2` (everyone), `AU` (any signed-in user), `U<id>` (the user),
//! `G1` (administrators), `IU<id>` (a person, not a bot: an intranet user),
//! `D<id>` (each department the user is placed in) and `DR<id>` (those and
//! every department above them: "the department and its sub-departments").

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use crate::domain::cases;
use crate::domain::departments::Structure;
use crate::domain::users::User;
use crate::domain::UserId;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{list_of, scalar_text, Params};

/// `user.admin`: docs api-reference/common/users/user-admin.md. Whether the
/// caller is an administrator (may manage applications' settings).
pub async fn user_admin(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    Ok(Reply::value(cx.is_admin().await?))
}

/// `user.access`: docs api-reference/common/users/user-access.md. Whether
/// the caller has any of the codes in `ACCESS` (a list, or one code); an
/// administrator always has. No `ACCESS`: `false` (portals never refuse).
pub async fn user_access(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (user, structure) = cases::access::caller(cx.store(), cx.user()).await?;
    if user.admin {
        return Ok(Reply::value(true));
    }
    let asked = list_of(p.get("ACCESS")).unwrap_or_default();
    let have = codes(&user, &structure);
    let any = asked
        .iter()
        .filter_map(scalar_text)
        .any(|code| have.contains(&code));
    Ok(Reply::value(any))
}

/// `access.name`: docs api-reference/common/system/access-name.md. The
/// names of the codes in `ACCESS` that exist, keyed by code, as
/// `{provider, name, provider_id}`; `false` when `ACCESS` is missing, empty
/// or not a list (one bare code included), `[]` when none exists.
pub async fn access_name(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let asked: Vec<String> = match p.get("ACCESS") {
        Some(v @ (Value::Array(_) | Value::Object(_))) => list_of(Some(v))
            .unwrap_or_default()
            .iter()
            .filter_map(scalar_text)
            .collect(),
        _ => Vec::new(),
    };
    if asked.is_empty() {
        return Ok(Reply::value(false));
    }
    let parsed: Vec<(String, Code)> = asked
        .into_iter()
        .filter_map(|s| Code::parse(&s).map(|c| (s, c)))
        .collect();
    let mut ids: Vec<UserId> = parsed
        .iter()
        .filter_map(|(_, c)| match c {
            Code::User(id) | Code::Intranet(id) => Some(UserId(*id)),
            _ => None,
        })
        .collect();
    ids.sort_by_key(|u| u.0);
    ids.dedup();
    let (users, structure) = cases::access::named(cx.store(), ids).await?;
    let names = names(&parsed, &users, &structure);
    if names.is_empty() {
        return Ok(Reply::value(Value::Array(Vec::new())));
    }
    Ok(Reply::value(Value::Object(names)))
}

/// The access codes `user` has.
fn codes(user: &User, structure: &Structure) -> Vec<String> {
    let mut out = vec!["G2".to_owned(), "AU".to_owned(), format!("U{}", user.id.0)];
    if user.admin {
        out.push("G1".into());
    }
    if !user.bot {
        out.push(format!("IU{}", user.id.0));
    }
    for d in &user.departments {
        out.push(format!("D{d}"));
        for up in structure.chain(*d) {
            out.push(format!("DR{}", up.id));
        }
    }
    out
}

/// An access code b24im can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    /// `G<n>`: a user group (`G1` administrators, `G2` everyone).
    Group(i64),
    /// `AU`: any signed-in user.
    Authorized,
    /// `CR`: the author of whatever the code guards.
    Author,
    /// `U<id>`.
    User(i64),
    /// `IU<id>`: an intranet user.
    Intranet(i64),
    /// `D<id>`.
    Department(i64),
    /// `DR<id>`.
    DepartmentTree(i64),
}

impl Code {
    fn parse(code: &str) -> Option<Code> {
        // A number as a portal writes it back ("U01" is not "U1").
        let number = |prefix: &str| {
            let digits = code.strip_prefix(prefix)?;
            let n: i64 = digits.parse().ok()?;
            (n > 0 && n.to_string() == digits).then_some(n)
        };
        match code {
            "AU" => Some(Code::Authorized),
            "CR" => Some(Code::Author),
            _ => number("DR")
                .map(Code::DepartmentTree)
                .or_else(|| number("IU").map(Code::Intranet))
                .or_else(|| number("D").map(Code::Department))
                .or_else(|| number("U").map(Code::User))
                .or_else(|| number("G").map(Code::Group)),
        }
    }

    /// The provider that names the code, in the order portals ask them
    /// (a later provider's name for the same code replaces an earlier
    /// one's, in the earlier one's place: `G2` is a group first).
    fn providers(self) -> &'static [Provider] {
        match self {
            Code::Group(2) => &[Provider::Group, Provider::Other],
            Code::Group(_) => &[Provider::Group],
            Code::User(_) => &[Provider::User],
            Code::Authorized | Code::Author => &[Provider::Other],
            Code::Intranet(_) | Code::Department(_) | Code::DepartmentTree(_) => {
                &[Provider::Intranet]
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Group,
    User,
    Other,
    Intranet,
}

const PROVIDERS: [Provider; 4] = [
    Provider::Group,
    Provider::User,
    Provider::Other,
    Provider::Intranet,
];

/// The names of the codes that exist, provider by provider.
fn names(asked: &[(String, Code)], users: &[User], structure: &Structure) -> Map<String, Value> {
    let user = |id: i64| users.iter().find(|u| u.id.0 == id);
    let mut out = Map::new();
    for provider in PROVIDERS {
        for (text, code) in asked {
            if !code.providers().contains(&provider) {
                continue;
            }
            let named = match (provider, *code) {
                (Provider::Group, Code::Group(1)) => Some(("User groups", "Administrators".into())),
                (Provider::Group, Code::Group(2)) => Some(("User groups", "All visitors".into())),
                (Provider::Other, Code::Group(2)) => Some(("", "All visitors".into())),
                (Provider::Other, Code::Authorized) => Some(("", "All authorized users".into())),
                (Provider::Other, Code::Author) => Some(("", "Author".into())),
                (Provider::User, Code::User(id)) => user(id).map(|u| ("Users", full_name(u))),
                (Provider::Intranet, Code::Intranet(id)) => user(id)
                    .filter(|u| !u.bot)
                    .map(|u| ("Employee and supervisors", full_name(u))),
                (Provider::Intranet, Code::Department(id)) => structure.get(id).map(|d| {
                    (
                        "Department",
                        format!("{}: All department employees", d.name),
                    )
                }),
                (Provider::Intranet, Code::DepartmentTree(id)) => structure.get(id).map(|d| {
                    (
                        "Department",
                        format!("{}: All department and subdepartment employees", d.name),
                    )
                }),
                _ => None,
            };
            if let Some((label, name)) = named {
                let entry = json!({
                    "provider": label,
                    "name": name,
                    "provider_id": provider_id(provider),
                });
                // serde_json's ordered map keeps a replaced key in place.
                out.insert(text.clone(), entry);
            }
        }
    }
    out
}

fn provider_id(provider: Provider) -> &'static str {
    match provider {
        Provider::Group => "group",
        Provider::User => "user",
        Provider::Other => "other",
        Provider::Intranet => "intranet",
    }
}

/// `NAME LAST_NAME`, as portals format a user for access names.
fn full_name(u: &User) -> String {
    let name = format!("{} {}", u.first_name, u.last_name);
    let name = name.trim();
    if name.is_empty() {
        u.email
            .clone()
            .unwrap_or_else(|| format!("User {}", u.id.0))
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_as_portals_write_them() {
        assert_eq!(Code::parse("G2"), Some(Code::Group(2)));
        assert_eq!(Code::parse("DR7"), Some(Code::DepartmentTree(7)));
        assert_eq!(Code::parse("D7"), Some(Code::Department(7)));
        assert_eq!(Code::parse("IU3"), Some(Code::Intranet(3)));
        assert_eq!(Code::parse("U3"), Some(Code::User(3)));
        for bad in ["U01", "U", "U0", "u3", "X9", "D-1", "G+2", "SG1_A"] {
            assert_eq!(Code::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn g2_keeps_its_place_as_a_group_and_takes_the_other_providers_name() {
        let asked = vec![
            ("AU".to_owned(), Code::Authorized),
            ("G2".to_owned(), Code::Group(2)),
            ("G1".to_owned(), Code::Group(1)),
            ("G9".to_owned(), Code::Group(9)),
        ];
        let names = names(&asked, &[], &Structure::default());
        assert_eq!(names.keys().collect::<Vec<_>>(), ["G2", "G1", "AU"]);
        assert_eq!(
            names["G2"],
            json!({"provider": "", "name": "All visitors", "provider_id": "other"})
        );
    }
}
