//! The messenger's use cases: each takes the store (`&dyn Store`) and plain
//! values, applies the rules of its area (`domain::bots`, `domain::chats`,
//! ...), and answers with domain values or an [`crate::domain::Error`]. They
//! sit above the area files and the storage interface (`domain::store`),
//! which names the areas' types: so no area imports the store's trait, and
//! nothing in the domain imports back what imports it.

pub mod access;
pub mod applications;
pub mod bots;
pub mod chats;
pub mod credentials;
pub mod departments;
pub mod files;
pub mod messages;
pub mod notifications;
pub mod options;
pub mod reactions;
pub mod recent;
pub mod search;
pub mod user_fields;
pub mod users;
