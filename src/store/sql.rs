//! The one seam between the store's rules and its two engines.
//!
//! Every change and query of the store is written once, against [`Db`]: one
//! open transaction on SQLite (rusqlite) or PostgreSQL (the `postgres`
//! crate). The SQL is written to mean the same on both (standard SQL,
//! `ON CONFLICT`, `RETURNING`, `TRUE`/`FALSE`, `?N` placeholders); the few
//! places where the engines must differ ask [`Db::dialect`]. Each backend's
//! schema lives in its own `migrations/` folder.
//!
//! A bound `LIMIT` or `OFFSET` is written `CAST(?N AS BIGINT)`: SQLite
//! (3.50) takes a bare `LIMIT ?` as the value bound when the statement was
//! prepared, and so prepares the cached statement again each time it is
//! bound (measured: a tenth of a history read's CPU).

use super::StoreError;
use crate::domain::live::Update;

pub type DbResult<T> = Result<T, StoreError>;

/// Which engine a [`Db`] talks to, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The suffix that makes a `SELECT` lock its rows and pass over rows
    /// another transaction holds, so concurrent takers (nodes) get disjoint
    /// rows. SQLite has one writer at a time: nothing to add.
    pub fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        }
    }

    /// The suffix that makes a bot's `SELECT` (`bots b JOIN users u`) lock
    /// both rows until commit, so a waiting change re-reads both as they are
    /// after the one before it (locking `b` alone would leave `u` as it was
    /// when the waiting statement began). SQLite has one writer: nothing to add.
    pub fn lock_bot(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE OF b, u",
        }
    }

    /// The suffixes that make a `SELECT` lock its rows until commit: against
    /// every other locker (`FOR UPDATE`), or only against writers
    /// (`FOR SHARE`). SQLite has one writer at a time: nothing to add.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE",
        }
    }

    pub fn for_share(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR SHARE",
        }
    }

    /// A statement that holds, until commit, a lock named by its one text
    /// parameter (`?1`): writers that take the same name go one at a time,
    /// also on other nodes. SQLite has one writer at a time: none needed.
    pub fn named_lock(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            // The two-key form, in its own class (0x62326962, "b2ib"), never
            // meets the migrations' one-key lock.
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(1647470946, hashtext(?1))"),
        }
    }
}

/// A value bound to a placeholder. A closed set, matching the schemas'
/// column types (BIGINT, TEXT, BOOLEAN): PostgreSQL refuses an `i32` or a
/// `u32` for a BIGINT, so those must not compile here.
pub trait Param: rusqlite::ToSql + postgres::types::ToSql + Sync {}
impl Param for i64 {}
impl Param for bool {}
impl Param for String {}
impl Param for &str {}
impl Param for Option<i64> {}
impl Param for Option<String> {}
impl Param for Option<&str> {}
impl Param for Vec<u8> {}
impl Param for &[u8] {}
impl<T: Param> Param for &T {}

/// `n` bare placeholders for an `IN (...)` list: `?, ?, ?`.
pub fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Binds values to a statement's `?1`, `?2`, ... placeholders.
#[macro_export]
macro_rules! sql_params {
    () => { &[] as &[&dyn $crate::store::sql::Param] };
    ($($x:expr),+ $(,)?) => { &[$(&$x as &dyn $crate::store::sql::Param),+] as &[&dyn $crate::store::sql::Param] };
}
pub use sql_params as params;

/// One result row; columns are read by position with [`DbRow::get`].
pub trait DbRow {
    fn int(&self, col: usize) -> DbResult<Option<i64>>;
    fn text(&self, col: usize) -> DbResult<Option<String>>;
    fn boolean(&self, col: usize) -> DbResult<Option<bool>>;
    fn bytes(&self, col: usize) -> DbResult<Option<Vec<u8>>>;
}

impl dyn DbRow + '_ {
    pub fn get<T: FromColumn>(&self, col: usize) -> DbResult<T> {
        T::read(self, col)
    }
}

/// A Rust type a column is read as.
pub trait FromColumn: Sized {
    fn read(row: &dyn DbRow, col: usize) -> DbResult<Self>;
}

fn null_in(col: usize) -> StoreError {
    StoreError::Database(format!("column {col} is NULL"))
}

macro_rules! from_column {
    ($t:ty, $get:ident) => {
        impl FromColumn for $t {
            fn read(row: &dyn DbRow, col: usize) -> DbResult<Self> {
                row.$get(col)?.ok_or_else(|| null_in(col))
            }
        }
        impl FromColumn for Option<$t> {
            fn read(row: &dyn DbRow, col: usize) -> DbResult<Self> {
                row.$get(col)
            }
        }
    };
}
from_column!(i64, int);
from_column!(String, text);
from_column!(bool, boolean);
from_column!(Vec<u8>, bytes);

/// An open transaction. Statements are prepared once per connection and reused.
pub trait Db {
    fn dialect(&self) -> Dialect;
    /// Runs a statement; how many rows it changed.
    fn exec(&self, sql: &str, params: &[&dyn Param]) -> DbResult<usize>;
    /// Every row of a query, each mapped by `map`.
    fn rows<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        map: impl FnMut(&dyn DbRow) -> DbResult<T>,
    ) -> DbResult<Vec<T>>;
    /// The first row of a query, if any.
    fn row_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        map: impl FnOnce(&dyn DbRow) -> DbResult<T>,
    ) -> DbResult<Option<T>>;
    /// Records what the chat's members should see happen live; the writer
    /// publishes it once this change's transaction commits (see
    /// [`crate::domain::live`]), and forgets it if the change is undone.
    fn publish(&self, update: Update) {
        PUBLISHED.with_borrow_mut(|p| p.push(update));
    }

    /// The first row of a query, which must exist.
    fn row<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        map: impl FnOnce(&dyn DbRow) -> DbResult<T>,
    ) -> DbResult<T> {
        self.row_opt(sql, params, map)?
            .ok_or_else(|| StoreError::Database("the query returned no rows".into()))
    }

    /// Whether a query returns any row.
    fn exists(&self, sql: &str, params: &[&dyn Param]) -> DbResult<bool> {
        Ok(self.row_opt(sql, params, |_| Ok(()))?.is_some())
    }

    /// Runs an `INSERT ... RETURNING id`; the new row's id.
    fn insert(&self, sql: &str, params: &[&dyn Param]) -> DbResult<i64> {
        self.row(sql, params, |r| r.get(0))
    }
}

// ---- SQLite ----

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

fn sqlite_params<'a>(
    params: &'a [&'a dyn Param],
) -> impl Iterator<Item = &'a dyn rusqlite::ToSql> + 'a {
    params.iter().map(|p| *p as &dyn rusqlite::ToSql)
}

impl DbRow for rusqlite::Row<'_> {
    fn int(&self, col: usize) -> DbResult<Option<i64>> {
        Ok(self.get(col)?)
    }
    fn text(&self, col: usize) -> DbResult<Option<String>> {
        Ok(self.get(col)?)
    }
    fn boolean(&self, col: usize) -> DbResult<Option<bool>> {
        Ok(self.get(col)?)
    }
    fn bytes(&self, col: usize) -> DbResult<Option<Vec<u8>>> {
        Ok(self.get(col)?)
    }
}

impl Db for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&self, sql: &str, params: &[&dyn Param]) -> DbResult<usize> {
        Ok(self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(sqlite_params(params)))?)
    }

    fn rows<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut map: impl FnMut(&dyn DbRow) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(sqlite_params(params)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(map(row)?);
        }
        Ok(out)
    }

    fn row_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        map: impl FnOnce(&dyn DbRow) -> DbResult<T>,
    ) -> DbResult<Option<T>> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(sqlite_params(params)))?;
        match rows.next()? {
            Some(row) => Ok(Some(map(row)?)),
            None => Ok(None),
        }
    }
}

thread_local! {
    /// The live updates of the changes run on this (writer) thread since the
    /// last [`take_published`].
    static PUBLISHED: std::cell::RefCell<Vec<Update>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many updates are recorded so far (to undo one change's with [`undo_published`]).
pub(super) fn published_len() -> usize {
    PUBLISHED.with_borrow(|p| p.len())
}

/// Forgets the updates recorded after the first `len` (a change rolled back).
pub(super) fn undo_published(len: usize) {
    PUBLISHED.with_borrow_mut(|p| p.truncate(len));
}

/// The updates recorded since the last call (and forgets them).
pub(super) fn take_published() -> Vec<Update> {
    PUBLISHED.take()
}
