//! The narrow storage boundary. Every method is sized to one use case and owns
//! its transaction, so no caller can forget one; races are decided inside the
//! store (unique keys, rows affected) and come back as outcome enums.
//!
//! Handlers never see this module's backends: `AppState` holds an
//! `Arc<dyn Store>`. SQLite is the embedded default ([`sqlite`]); many nodes
//! share one PostgreSQL database ([`postgres`]). The SQL is written once,
//! one file per area (users, credentials, chats, messages, reactions, bots,
//! outbox, subscriptions, settings, and the events a change causes), against
//! one open transaction ([`sql::Db`]); [`sql_store`] maps each `Store` method
//! to a read or a write of its area's function, and a [`Backend`] says how a
//! transaction is opened, run and committed.

mod applications;
mod bots;
mod chats;
mod credentials;
mod departments;
mod events;
mod files;
mod messages;
mod notifications;
mod options;
mod outbox;
mod pg_conn;
mod pg_likes;
mod pg_tls;
mod pg_writer;
pub mod postgres;
mod reactions;
mod recent;
mod rows;
mod search;
mod settings;
pub mod sql;
mod sql_store;
pub mod sqlite;
mod subscriptions;
mod user_fields;
mod users;

use std::future::Future;
use std::sync::Arc;

pub use crate::domain::store::{
    BotCreated, ChatCounter, ChatUpdated, CommandRun, EditOutcome, HistoryPage, LikeOutcome,
    MembershipOutcome, MessageSearch, PostOutcome, ReadMark, ReadState, ReadView, RecentEntry,
    RecentMark, RecentMessage, RecentQuery, Store, StoreError,
};

/// How one engine runs the store's transactions.
pub trait Backend: Send + Sync + 'static {
    type Conn: sql::Db;
    /// Runs `change` in a write transaction; answers once it is durable.
    /// A change may run more than once (each time from its own copy, in a
    /// new transaction) when the database asks for a retry (a deadlock
    /// between nodes) or lost the connection before committing; only one
    /// run ever commits.
    fn write<T, F>(&self, change: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&Self::Conn) -> Result<T, StoreError> + Clone + Send + 'static;
    /// A like (or another reaction), run as [`Backend::write`] runs a
    /// change; on PostgreSQL together with the other likes of its group.
    fn write_like(
        &self,
        spec: reactions::LikeSpec,
    ) -> impl Future<Output = Result<LikeOutcome, StoreError>> + Send {
        self.write(move |conn| reactions::set_reaction(conn, spec))
    }
    /// Runs `query` on a consistent snapshot (again, from its own copy, if
    /// the connection is lost under it).
    fn read<T, F>(&self, query: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&Self::Conn) -> Result<T, StoreError> + Clone + Send + 'static;
    /// What this process's commits (and, on PostgreSQL, every node's)
    /// publish live, after they commit.
    fn feed(&self) -> &Arc<crate::domain::live::Feed>;
    /// Keeps a file's content, named by its SHA-256 `hash`, durably; done
    /// before the change that names it commits (a change that then fails
    /// leaves an unnamed blob, never a name without its content).
    fn put_blob(
        &self,
        hash: String,
        bytes: Arc<Vec<u8>>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A file's content by its hash.
    fn blob(
        &self,
        hash: String,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;
}

/// The store over one backend: every [`Store`] method is written once, in [`sql_store`].
pub struct SqlStore<B> {
    backend: B,
}

/// Opens the store `database` names: a `postgres://` (or `postgresql://`)
/// URL, read through `pool` connections and waited for up to `wait` when it
/// cannot be reached, or else the embedded SQLite database in `data`.
pub fn open(
    database: Option<&str>,
    pool: usize,
    wait: std::time::Duration,
    data: &std::path::Path,
) -> Result<Arc<dyn Store>, StoreError> {
    match database {
        Some(url) if postgres::is_url(url) => {
            Ok(Arc::new(postgres::PgStore::open(url, pool, wait)?))
        }
        Some(other) => Err(StoreError::Database(format!(
            "unsupported database URL {other:?}: use postgres://..., or leave it unset for SQLite"
        ))),
        None => Ok(Arc::new(sqlite::SqliteStore::open(data)?)),
    }
}
