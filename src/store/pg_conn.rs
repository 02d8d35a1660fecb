//! One PostgreSQL connection as the store's [`Db`]: its prepared statements,
//! `?N` placeholders as `$N`, rows, errors as [`StoreError`] (a lost
//! connection, a retry the database asks for), and how a reader or writer
//! gets a connection that answers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use postgres::{Client, Statement};

use super::pg_tls::Target;
use super::sql::{Db, DbResult, DbRow, Dialect, Param};
use super::StoreError;

/// The channel every node listens on (and notifies).
/// The change channel of the schema the connection works in (deployments,
/// and test runs, that share a database in different schemas do not hear
/// each other): `b24im:` and the MD5 of the schema's name (a name of any
/// length fits PostgreSQL's 63 bytes), as an SQL expression.
pub const CHANNEL: &str = "'b24im:' || md5(current_schema())";
/// How a notice on [`CHANNEL`] that carries live updates begins (then a JSON array).
pub const LIVE_PREFIX: &str = "live:";
/// Prepared statements kept per connection (user.get's filters vary).
const STATEMENT_CACHE: usize = 256;

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        if is_lost(&e) {
            // Whatever was not committed was not written.
            return StoreError::Unavailable;
        }
        match e.as_db_error() {
            // deadlock_detected, serialization_failure, lock_not_available
            // (a writer's lock_timeout): nothing of the change stands.
            Some(db) if matches!(db.code().code(), "40P01" | "40001" | "55P03") => {
                StoreError::Retry
            }
            Some(db) => StoreError::Database(format!("{}: {}", db.code().code(), db.message())),
            None => match std::error::Error::source(&e) {
                Some(cause) => StoreError::Database(format!("{e}: {cause}")),
                None => StoreError::Database(e.to_string()),
            },
        }
    }
}

/// Whether `e` means the connection itself is gone: closed, broken (an I/O
/// error: reset, broken pipe, end of stream), or ended by the server (class
/// 08, connection exception; class 57P, shutdown or termination by an
/// administrator). Not: a certificate or TLS record refused
/// (`InvalidData`), which also comes as an I/O error and will not pass by
/// waiting. The client itself may not know yet that its connection is gone
/// (it notices on its next read), so the error is what tells.
fn is_lost(e: &postgres::Error) -> bool {
    let code = e.code().map(|c| c.code()).unwrap_or_default();
    let io = e.as_db_error().is_none()
        && std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.kind() != std::io::ErrorKind::InvalidData);
    e.is_closed() || io || code.starts_with("08") || code.starts_with("57P")
}

/// Whether `e`, from a statement on `conn`, means the connection is gone
/// (see [`is_lost`]).
pub fn connection_lost(e: &postgres::Error, conn: &PgConn) -> bool {
    is_lost(e) || conn.client.borrow().is_closed()
}

/// A connection that answers, within the target's `wait` from `since`, set up
/// with `setup` (the writers' [`LOCK_TIMEOUT`]; the readers' none).
pub fn connect(
    target: &Target,
    conn: &mut Option<PgConn>,
    since: Instant,
    setup: &str,
) -> Option<()> {
    if conn.as_ref().is_some_and(|c| !c.is_closed()) {
        return Some(());
    }
    *conn = None;
    let mut wait = Duration::from_millis(50);
    loop {
        let made = target.connect_within(target.wait).and_then(|mut client| {
            if !setup.is_empty() {
                client.batch_execute(setup).map_err(|e| e.to_string())?;
            }
            Ok(client)
        });
        match made {
            Ok(client) => {
                *conn = Some(PgConn::new(client));
                return Some(());
            }
            Err(e) if since.elapsed() < target.wait => {
                tracing::warn!(error = %e, "the writer cannot reach the database; retrying");
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(1));
            }
            Err(e) => {
                tracing::error!(error = %e, "the writer cannot reach the database");
                return None;
            }
        }
    }
}

/// One connection and its prepared statements.
pub struct PgConn {
    client: RefCell<Client>,
    statements: RefCell<HashMap<String, Statement>>,
}

impl PgConn {
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// BEGIN and the transaction's id, in one round trip.
    pub fn begin_group(&self) -> Result<i64, postgres::Error> {
        let messages = self
            .client
            .borrow_mut()
            .simple_query("BEGIN; SELECT txid_current()")?;
        let txid = messages.iter().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0)?.parse().ok(),
            _ => None,
        });
        Ok(txid.unwrap_or(0))
    }

    /// Transaction-control statements, in one round trip.
    pub fn control(&self, sql: &str) -> Result<(), postgres::Error> {
        self.client.borrow_mut().batch_execute(sql)
    }

    pub fn new(client: Client) -> Self {
        PgConn {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
        }
    }

    /// Runs `work` in the transaction begun on this connection, then COMMIT
    /// (or ROLLBACK when `work` failed).
    pub fn finish<T>(&self, work: impl FnOnce(&PgConn) -> DbResult<T>) -> DbResult<T> {
        match work(self) {
            Ok(value) => {
                self.client
                    .borrow_mut()
                    .batch_execute("COMMIT")
                    .map_err(|e| {
                        if is_lost(&e) {
                            return StoreError::Unavailable;
                        }
                        tracing::error!(error = %e, "COMMIT failed");
                        StoreError::NotCommitted
                    })?;
                Ok(value)
            }
            Err(e) => {
                let _ = self.client.borrow_mut().batch_execute("ROLLBACK");
                Err(e)
            }
        }
    }

    /// The prepared form of `sql`, with `?N` (and bare `?`) turned into `$N`.
    fn statement(&self, sql: &str) -> DbResult<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.client.borrow_mut().prepare(&placeholders(sql))?;
        let mut cache = self.statements.borrow_mut();
        if cache.len() >= STATEMENT_CACHE {
            cache.clear();
        }
        cache.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    /// Runs `sql` (PostgreSQL's own, `$N` placeholders) with parameters of
    /// any type the client takes (arrays too), prepared once.
    pub fn raw(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> DbResult<Vec<postgres::Row>> {
        let statement = self.statement(sql)?;
        Ok(self.client.borrow_mut().query(&statement, params)?)
    }

    fn query(&self, sql: &str, params: &[&dyn Param]) -> DbResult<Vec<postgres::Row>> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| *p as &(dyn postgres::types::ToSql + Sync))
            .collect();
        Ok(self.client.borrow_mut().query(&statement, &params)?)
    }
}

/// SQLite's `?N` and `?` placeholders as PostgreSQL's `$N`. The shared SQL
/// has no `?` inside string literals.
fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 1;
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        if digits.is_empty() {
            digits = next.to_string();
        }
        next = digits.parse::<usize>().map_or(next, |n| n + 1);
        out.push('$');
        out.push_str(&digits);
    }
    out
}

impl DbRow for postgres::Row {
    fn int(&self, col: usize) -> DbResult<Option<i64>> {
        Ok(self.try_get(col)?)
    }
    fn text(&self, col: usize) -> DbResult<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn boolean(&self, col: usize) -> DbResult<Option<bool>> {
        Ok(self.try_get(col)?)
    }
    fn bytes(&self, col: usize) -> DbResult<Option<Vec<u8>>> {
        Ok(self.try_get(col)?)
    }
}

impl Db for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&self, sql: &str, params: &[&dyn Param]) -> DbResult<usize> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| *p as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let n = self.client.borrow_mut().execute(&statement, &params)?;
        Ok(n as usize)
    }

    fn rows<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut map: impl FnMut(&dyn DbRow) -> DbResult<T>,
    ) -> DbResult<Vec<T>> {
        self.query(sql, params)?.iter().map(|r| map(r)).collect()
    }

    fn row_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        map: impl FnOnce(&dyn DbRow) -> DbResult<T>,
    ) -> DbResult<Option<T>> {
        match self.query(sql, params)?.first() {
            Some(r) => Ok(Some(map(r)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn numbered_and_bare_placeholders_become_dollar_numbers() {
        assert_eq!(
            placeholders("a = ?1 AND b = ?2 OR c = ?1"),
            "a = $1 AND b = $2 OR c = $1"
        );
        assert_eq!(
            placeholders("a = ? AND b = lower(?) OFFSET ?"),
            "a = $1 AND b = lower($2) OFFSET $3"
        );
        assert_eq!(placeholders("no params"), "no params");
    }
}
