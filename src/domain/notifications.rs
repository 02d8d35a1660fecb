//! Notifications (`im.notify.*`): a user's personal and system notices,
//! outside any conversation (docs api-reference/chats/notifications/).
//!
//! Portals keep a user's notifications in a system chat of their own; so
//! does b24im (its id is the `chat_id` the answers show), with the
//! notifications in their own table. What a REST call creates is always
//! module `rest`, event `rest_notify`, as on portals.

use super::{ChatId, Timestamp, UserId};

/// The module and event of every notification sent through REST.
pub const REST_MODULE: &str = "rest";
pub const REST_EVENT: &str = "rest_notify";

/// Most notifications one page holds (`im.notify.get`, `im.notify.history.search`).
pub const PAGE_LIMIT: i64 = 50;

/// The most `SEARCH_TYPES` one search names.
pub const MAX_TYPES: usize = 100;

/// Who a notification is from: `TYPE=USER` (the caller, `notify_type` 2) or
/// `TYPE=SYSTEM` (nobody, `notify_type` 4), the numbers portals store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyKind {
    Personal,
    System,
}

impl NotifyKind {
    pub fn code(self) -> i64 {
        match self {
            NotifyKind::Personal => 2,
            NotifyKind::System => 4,
        }
    }

    /// `TYPE`: `SYSTEM`, or anything else (or nothing) for a personal one,
    /// as portals read it.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some(t) if t.eq_ignore_ascii_case("SYSTEM") => NotifyKind::System,
            _ => NotifyKind::Personal,
        }
    }
}

/// The application a call acts for, which owns the tags it sets: the
/// access token's application, or the one a webhook's user names with
/// `CLIENT_ID` (that user's own; see `methods::ctx::Ctx::app`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppKey(String);

impl AppKey {
    /// The application `key`, if the call acts for one.
    pub fn new(key: Option<String>) -> Option<AppKey> {
        key.filter(|k| !k.is_empty()).map(AppKey)
    }

    /// A tag as stored: `MP|` + 32 hex digits of the SHA-256 of the
    /// application's key + `|` + the tag. Portals keep five hex digits of
    /// an MD5 (the docs' example shows `MP|12345|TASK_42`); where every
    /// user may have applications, five digits are found to collide in
    /// seconds, so b24im keeps enough that no two applications share one.
    pub fn tag(&self, tag: &str) -> String {
        let hash = super::credentials::TokenHash::of(&self.0);
        format!("MP|{}|{tag}", &hash.0[..32])
    }
}

/// A notification to store.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub to: UserId,
    /// `None` for a system notification.
    pub author: Option<UserId>,
    pub kind: NotifyKind,
    pub text: String,
    pub text_out: String,
    /// Stored tags (see [`AppKey::tag`]); an earlier notification of the
    /// recipient with the same `tag` is replaced.
    pub tag: Option<String>,
    pub sub_tag: Option<String>,
    /// `ATTACH`, as JSON text.
    pub attach: Option<String>,
}

/// A stored notification.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: i64,
    pub chat: ChatId,
    pub author: Option<UserId>,
    pub kind_code: i64,
    pub module: String,
    pub event: String,
    pub tag: String,
    pub sub_tag: String,
    pub text: String,
    pub attach: Option<String>,
    pub read: bool,
    pub created_at: Timestamp,
}

/// The filters of `im.notify.history.search`.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// Text the notification holds (case-insensitive).
    pub text: Option<String>,
    /// `MODULE` or `MODULE|EVENT` pairs; any matches.
    pub types: Vec<(String, Option<String>)>,
    /// Created from / up to (both included).
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub authors: Vec<UserId>,
    /// A stored tag or sub-tag equal to one of these (`GROUP_TAG` as given,
    /// and as the calling application's tag).
    pub group_tags: Vec<String>,
}

impl HistoryFilter {
    /// A `MODULE` or `MODULE|EVENT` filter.
    pub fn parse_type(value: &str) -> Option<(String, Option<String>)> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        Some(match value.split_once('|') {
            Some((m, e)) => (m.to_owned(), Some(e.to_owned())),
            None => (value.to_owned(), None),
        })
    }
}

/// One page of a user's notifications, newest first.
#[derive(Debug, Clone)]
pub struct NotifyQuery {
    pub user: UserId,
    /// Only notifications with a smaller id (the `LAST_ID` cursor).
    pub before: Option<i64>,
    pub limit: i64,
    /// `im.notify.history.search`'s filters; `None` for `im.notify.get`.
    pub filter: Option<HistoryFilter>,
}

/// What a page query answers.
#[derive(Debug, Clone)]
pub struct NotifyPage {
    /// The user's notification chat, if one was ever made.
    pub chat: Option<ChatId>,
    /// All notifications matching (the filter, or all of the user's).
    pub total: i64,
    /// The user's unread notifications.
    pub unread: i64,
    pub items: Vec<Notification>,
}

/// Which of the caller's notifications `im.notify.read*` changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadScope {
    /// This one (`ONLY_CURRENT=Y`).
    One(i64),
    /// This one and every later one (`ID` alone: "equal to or greater").
    From(i64),
    /// These (`im.notify.read.list`).
    List(Vec<i64>),
    /// All of them (`im.notify.read.all`).
    All,
}

/// Which notifications `im.notify.delete` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteScope {
    /// One the caller received or sent.
    Id(i64),
    /// The application's notifications with this stored tag.
    Tag(String),
    /// ... or sub-tag.
    SubTag(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_carry_the_application_key() {
        let key = AppKey::new(Some("local.1".into())).unwrap();
        let hash = crate::domain::credentials::TokenHash::of("local.1");
        assert_eq!(key.tag("T"), format!("MP|{}|T", &hash.0[..32]));
        let other = AppKey::new(Some("webhook:7:local.1".into())).unwrap();
        assert_ne!(other.tag("T"), key.tag("T"));
        assert!(AppKey::new(Some(String::new())).is_none());
        assert!(AppKey::new(None).is_none());
    }

    #[test]
    fn type_and_filters_parse_as_portals_read_them() {
        assert_eq!(NotifyKind::parse(Some("system")), NotifyKind::System);
        assert_eq!(NotifyKind::parse(Some("USER")), NotifyKind::Personal);
        assert_eq!(NotifyKind::parse(Some("other")), NotifyKind::Personal);
        assert_eq!(NotifyKind::parse(None).code(), 2);
        assert_eq!(
            HistoryFilter::parse_type("rest|rest_notify"),
            Some(("rest".into(), Some("rest_notify".into())))
        );
        assert_eq!(
            HistoryFilter::parse_type("tasks"),
            Some(("tasks".into(), None))
        );
        assert_eq!(HistoryFilter::parse_type(" "), None);
    }
}
