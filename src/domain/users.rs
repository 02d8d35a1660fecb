//! Users: who they are, how they are named, and the use cases around them.

use super::departments::HEAD_DEPARTMENT;
use super::{Timestamp, UserId};

/// A person, or a chat-bot (a user of its own kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub first_name: String,
    pub last_name: String,
    pub admin: bool,
    pub active: bool,
    pub created_at: Timestamp,
    /// A chat-bot's user.
    pub bot: bool,
    /// As set with `im.user.status.set` (`online` until then).
    pub status: UserStatus,
    /// Away since (`im.user.status.idle.start`), until `idle.end`.
    pub idle_since: Option<Timestamp>,
    /// The departments the user is placed in (`UF_DEPARTMENT`); a person
    /// starts in the head department, a chat-bot is in none.
    pub departments: Vec<i64>,
    /// Lowercase; unique among users (`user.add`, `user.update`).
    pub email: Option<String>,
    /// The other text fields of `user.fields` that were set.
    pub profile: Profile,
    /// When the user was last seen on a live session (see [`Presence`]).
    pub last_seen: Option<Timestamp>,
}

/// Text fields of a user by their `user.fields` name (`WORK_POSITION`, ...).
pub type Profile = std::collections::BTreeMap<String, String>;

/// The `user.fields` text fields `user.add` and `user.update` keep as
/// given (names, e-mail, departments and activity have their own places;
/// dates, photos and the user type are not set through them).
pub const PROFILE_FIELDS: [&str; 44] = [
    "XML_ID",
    "SECOND_NAME",
    "TITLE",
    "TIME_ZONE",
    "PERSONAL_GENDER",
    "PERSONAL_PROFESSION",
    "PERSONAL_WWW",
    "PERSONAL_BIRTHDAY",
    "PERSONAL_ICQ",
    "PERSONAL_PHONE",
    "PERSONAL_FAX",
    "PERSONAL_MOBILE",
    "PERSONAL_PAGER",
    "PERSONAL_STREET",
    "PERSONAL_CITY",
    "PERSONAL_STATE",
    "PERSONAL_ZIP",
    "PERSONAL_COUNTRY",
    "PERSONAL_MAILBOX",
    "PERSONAL_NOTES",
    "WORK_PHONE",
    "WORK_COMPANY",
    "WORK_POSITION",
    "WORK_DEPARTMENT",
    "WORK_WWW",
    "WORK_FAX",
    "WORK_PAGER",
    "WORK_STREET",
    "WORK_MAILBOX",
    "WORK_CITY",
    "WORK_STATE",
    "WORK_ZIP",
    "WORK_COUNTRY",
    "WORK_PROFILE",
    "WORK_NOTES",
    "UF_SKYPE_LINK",
    "UF_ZOOM",
    "UF_EMPLOYMENT_DATE",
    "UF_INTERESTS",
    "UF_SKILLS",
    "UF_WEB_SITES",
    "UF_XING",
    "UF_LINKEDIN",
    "UF_TWITTER",
];

/// The longest value of a profile field, in characters.
pub const MAX_FIELD_CHARS: usize = 2000;

/// A lowercase e-mail address, if `raw` reads as one (`name@host.tld`, no
/// spaces, at most 254 characters).
pub fn parse_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, host) = email.split_once('@')?;
    let ok = !local.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !host.contains('@')
        && email.chars().count() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

/// A change to a user (`user.update`): what is `Some` (or in `profile`) is set.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub active: Option<bool>,
    pub departments: Option<Vec<i64>>,
    pub profile: Profile,
    /// `UF_USR_*` values, each the JSON text given (`None`: `null`, cleared);
    /// names of no field are skipped.
    pub user_fields: Vec<(String, Option<String>)>,
}

/// What saving a user came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSaved {
    Saved(UserId),
    /// Another user has that e-mail.
    EmailTaken,
    /// No such user (or a bot, which these methods do not change).
    NoUser,
    /// A department that does not exist.
    NoDepartment,
}

/// The statuses `im.user.status.set` takes (docs: users/im-user-status-set.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Online,
    /// Do not disturb.
    Dnd,
    Away,
    Break,
}

impl UserStatus {
    /// The status named exactly so (lowercase, as the page requires).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "online" => UserStatus::Online,
            "dnd" => UserStatus::Dnd,
            "away" => UserStatus::Away,
            "break" => UserStatus::Break,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Online => "online",
            UserStatus::Dnd => "dnd",
            UserStatus::Away => "away",
            UserStatus::Break => "break",
        }
    }
}

/// How long ago `im.user.status.idle.start` sets the user away when `AGO`
/// is not given (minutes), and the least it takes.
pub const DEFAULT_IDLE_AGO_MINUTES: i64 = 10;

/// "First Last", or whichever part is present (empty if neither).
pub fn display_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (false, false) => format!("{first} {last}"),
        (false, true) => first.to_owned(),
        (true, false) => last.to_owned(),
        (true, true) => String::new(),
    }
}

/// A stable avatar colour for user `id`, picked from the palette by id as
/// Bitrix24 does for users without a chosen one.
pub fn color_for(id: UserId) -> &'static str {
    let palette = super::chats::Color::ALL;
    let idx = (id.0.unsigned_abs() % palette.len() as u64) as usize;
    palette[idx].hex()
}

impl User {
    /// "First Last", or whichever part is present, or "User N".
    pub fn full_name(&self) -> String {
        let name = display_name(&self.first_name, &self.last_name);
        if name.is_empty() {
            format!("User {}", self.id)
        } else {
            name
        }
    }

    pub fn color(&self) -> &'static str {
        color_for(self.id)
    }

    /// The departments the user is in: `user.get`'s `UF_DEPARTMENT` and the
    /// `departments` of `im.user.get` and the events.
    pub fn departments(&self) -> Vec<i64> {
        self.departments.clone()
    }

    /// The user's last action (`last_activity_date`): when last seen on a
    /// live session, or, never seen, when the user was created.
    pub fn last_activity(&self) -> Timestamp {
        self.last_seen.unwrap_or(self.created_at)
    }

    /// Online as portals count it (`user.get`'s `IS_ONLINE`): seen within
    /// [`Presence::ONLINE_FOR`].
    pub fn online(&self, now: Timestamp) -> bool {
        self.last_seen
            .is_some_and(|seen| now.0 - seen.0 <= Presence::ONLINE_FOR)
    }
}

/// Presence: a user is seen while they hold a live session (`/live`, as the
/// web client does) and when it ends. Each node writes the users it holds
/// sessions of every [`Presence::MARK_EVERY`] seconds (and a second after
/// one arrives or leaves), in one statement: never a write per request,
/// and REST calls alone do not make a user seen.
pub struct Presence;

impl Presence {
    /// Seconds between a node's marks of the users it holds sessions of.
    pub const MARK_EVERY: u64 = 15;
    /// Portals count a user online for `session.gc_maxlifetime` after their
    /// last action: PHP's default, 1,440 seconds.
    pub const ONLINE_FOR: i64 = 1_440;
}

/// A validated request to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub first_name: String,
    pub last_name: String,
    pub admin: bool,
    /// The head department unless placed elsewhere ([`NewUser::in_departments`]).
    pub departments: Vec<i64>,
    pub email: Option<String>,
    pub profile: Profile,
}

/// The longest first or last name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;

impl NewUser {
    pub fn parse(first_name: &str, last_name: &str, admin: bool) -> Result<Self, NameError> {
        let first_name = first_name.trim();
        let last_name = last_name.trim();
        if first_name.is_empty() {
            return Err(NameError::Empty);
        }
        if first_name.chars().count() > MAX_NAME_CHARS || last_name.chars().count() > MAX_NAME_CHARS
        {
            return Err(NameError::TooLong);
        }
        if first_name
            .chars()
            .chain(last_name.chars())
            .any(char::is_control)
        {
            return Err(NameError::ControlCharacter);
        }
        Ok(NewUser {
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            admin,
            departments: vec![HEAD_DEPARTMENT],
            email: None,
            profile: Profile::new(),
        })
    }

    /// A user invited by e-mail (`user.add`): the names may be empty.
    pub fn invited(
        email: String,
        first_name: &str,
        last_name: &str,
        departments: Vec<i64>,
        profile: Profile,
    ) -> Result<Self, NameError> {
        let (first_name, last_name) = (first_name.trim(), last_name.trim());
        check_name(first_name)?;
        check_name(last_name)?;
        Ok(NewUser {
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            admin: false,
            departments,
            email: Some(email),
            profile,
        })
    }

    /// The same user placed in `departments` (at least one).
    pub fn in_departments(mut self, departments: Vec<i64>) -> Self {
        if !departments.is_empty() {
            self.departments = departments;
        }
        self
    }
}

/// A name part that is not too long and has no control characters (it
/// may be empty).
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    Ok(())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    #[error("the name must not be empty")]
    Empty,
    #[error("a name is at most {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("a name must not contain control characters")]
    ControlCharacter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_read_as_portals_take_them() {
        assert_eq!(
            parse_email(" Anna@Example.COM "),
            Some("anna@example.com".into())
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "a b@example.com",
            "a@b@c.d",
            "a@.com",
        ] {
            assert_eq!(parse_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        let u = NewUser::parse("  Anna ", " Weber ", false).unwrap();
        assert_eq!(
            (u.first_name.as_str(), u.last_name.as_str()),
            ("Anna", "Weber")
        );
        assert_eq!(
            NewUser::parse("  ", "x", false).unwrap_err(),
            NameError::Empty
        );
        assert_eq!(
            NewUser::parse(&"a".repeat(101), "", false).unwrap_err(),
            NameError::TooLong
        );
        assert_eq!(
            NewUser::parse("a\u{0}b", "", false).unwrap_err(),
            NameError::ControlCharacter
        );
    }
}
