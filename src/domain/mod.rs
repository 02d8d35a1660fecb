//! The messenger's rules: users, chats, messages, reactions and credentials.
//!
//! Nothing here knows HTTP, SQL, JSON or Bitrix field casing. The area files
//! hold types and pure rules; the use cases ([`cases`]) take a `&dyn Store`
//! and plain values, and answer with domain types or an [`Error`].
//! Rules that need atomicity (is the caller a member? is the like already set?)
//! are decided by the store inside one transaction and come back as outcome enums.

pub mod applications;
pub mod audience;
pub mod bots;
pub mod cases;
pub mod chats;
pub mod credentials;
pub mod departments;
pub mod error;
pub mod events;
pub mod files;
pub mod ids;
pub mod live;
pub mod message_params;
pub mod messages;
pub mod notifications;
pub mod options;
pub mod reactions;
pub mod search;
pub mod store;
pub mod user_fields;
pub mod user_query;
pub mod users;

pub use error::Error;
pub use ids::{ChatId, DialogRef, MessageId, UserId};

/// Seconds since the Unix epoch, the one clock unit stored and passed around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(chrono::Utc::now().timestamp())
    }
}
