//! `SqliteStore`: the embedded default. WAL mode, embedded migrations, and one
//! writer thread that commits in groups.
//!
//! Why a single writer with group commit: SQLite admits one writer at a time,
//! and a durable commit costs an fsync. The writer drains every change that is
//! waiting, runs each inside its own savepoint (so a failing change never takes
//! its neighbours with it), then commits them all with one fsync
//! (`synchronous = FULL`). Each caller's answer is sent only after the commit
//! that holds its change, so an acknowledged change is on disk.
//!
//! Reads go to a fixed set of reader threads, each with a read-only
//! connection it keeps for the life of the store (and so its prepared
//! statements); a read waits for a free reader, and no thread or connection
//! is ever made for one. In WAL mode readers never wait for the writer.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use super::sql::DbResult;
use super::{Backend, SqlStore, StoreError};
use crate::domain::live::Feed;

/// Schema migrations, applied in order; `PRAGMA user_version` records the last one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_bots_events.sql"),
    include_str!("../../migrations/sqlite/0003_user_status.sql"),
    include_str!("../../migrations/sqlite/0004_notifications.sql"),
    include_str!("../../migrations/sqlite/0005_departments.sql"),
    include_str!("../../migrations/sqlite/0006_search_last.sql"),
    include_str!("../../migrations/sqlite/0007_user_profile.sql"),
    include_str!("../../migrations/sqlite/0008_files.sql"),
    include_str!("../../migrations/sqlite/0009_applications.sql"),
    include_str!("../../migrations/sqlite/0010_oauth.sql"),
    include_str!("../../migrations/sqlite/0011_managers_commands.sql"),
    include_str!("../../migrations/sqlite/0012_text_field.sql"),
    include_str!("../../migrations/sqlite/0013_web_client.sql"),
    include_str!("../../migrations/sqlite/0014_ownership.sql"),
    include_str!("../../migrations/sqlite/0015_message_params.sql"),
    include_str!("../../migrations/sqlite/0016_options.sql"),
    include_str!("../../migrations/sqlite/0017_department_sort.sql"),
    include_str!("../../migrations/sqlite/0018_user_fields.sql"),
    include_str!("../../migrations/sqlite/0019_last_activity.sql"),
];

/// The most changes one commit groups together.
const MAX_GROUP: usize = 1024;
/// How many changes may wait for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 8192;
/// Reader threads (and connections) when none are asked for: one per core.
pub fn default_readers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
/// How long a connection waits for another process's lock (the CLI, say).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "b24im.sqlite3";

/// One read waiting for a reader.
trait ReadJob: Send {
    fn run(self: Box<Self>, conn: &Connection);
}

struct Query<T, F> {
    query: F,
    reply: oneshot::Sender<DbResult<T>>,
}

impl<T, F> ReadJob for Query<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> DbResult<T> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) {
        let Query { query, reply } = *self;
        let result = catch_unwind(AssertUnwindSafe(|| query(conn))).unwrap_or_else(|_| {
            tracing::error!("a store read panicked");
            Err(StoreError::Database("a read panicked".into()))
        });
        // The caller may have gone away (client disconnected).
        let _ = reply.send(result);
    }
}

/// One change waiting for the writer.
trait WriteJob: Send {
    /// Runs the change on the writer's connection; `false` if it failed.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Sends the answer, once the fate of the enclosing commit is known.
    fn finish(self: Box<Self>, committed: bool);
}

struct Pending<T, F> {
    change: Option<F>,
    result: Option<DbResult<T>>,
    reply: oneshot::Sender<DbResult<T>>,
}

impl<T, F> WriteJob for Pending<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> DbResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(change) = self.change.take() else {
            return false;
        };
        let result = catch_unwind(AssertUnwindSafe(|| change(conn))).unwrap_or_else(|_| {
            tracing::error!("a store change panicked; it was rolled back");
            Err(StoreError::Database("a change panicked".into()))
        });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: bool) {
        let answer = match self.result {
            Some(Ok(value)) if committed => Ok(value),
            Some(Ok(_)) | None => Err(StoreError::NotCommitted),
            Some(Err(e)) => Err(e),
        };
        // The caller may have gone away (client disconnected); the change stands.
        let _ = self.reply.send(answer);
    }
}

/// The store on SQLite.
pub type SqliteStore = SqlStore<Sqlite>;

/// The SQLite backend: the writer thread's queue and the readers' queue.
pub struct Sqlite {
    jobs: mpsc::Sender<Box<dyn WriteJob>>,
    /// The readers' shared queue: whichever reader is free takes the next.
    reads: std::sync::mpsc::Sender<Box<dyn ReadJob>>,
    /// What commits publish live (see [`crate::domain::live`]).
    feed: Arc<Feed>,
    /// Where files' contents live: `DATA/files/<sha-256>`.
    files: std::path::PathBuf,
}

/// The folder of files' contents inside the data directory.
pub const FILES_DIR: &str = "files";

/// Writes `bytes` as `dir/name` durably: a temporary file of its own,
/// synced, renamed into place, the folder synced. A file of that name (the
/// same content) may already be there: it is synced, and so is the folder,
/// since whoever renamed it in may not have synced the folder yet.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        if let Some(parent) = dir.parent() {
            std::fs::File::open(parent)?.sync_all()?;
        }
    }
    let target = dir.join(name);
    if target.exists() {
        std::fs::File::open(&target)?.sync_all()?;
        return std::fs::File::open(dir)?.sync_all();
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    std::fs::File::open(dir)?.sync_all()
}

impl SqlStore<Sqlite> {
    /// Opens (creating if needed) the database in `dir`, migrates it, and starts
    /// the writer thread. The thread ends when the store is dropped.
    pub fn open(dir: &Path) -> DbResult<Self> {
        SqlStore::open_with(dir, default_readers())
    }

    /// As [`open`](Self::open), with `readers` reader threads (at least one).
    pub fn open_with(dir: &Path, readers: usize) -> DbResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(DB_FILE);
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut writer)?;

        let (tx, rx) = mpsc::channel::<Box<dyn WriteJob>>(QUEUE_DEPTH);
        let feed = Arc::new(Feed::new());
        let published = Arc::clone(&feed);
        std::thread::Builder::new()
            .name("b24im-sqlite-writer".into())
            .spawn(move || writer_loop(writer, rx, &published))
            .map_err(|e| StoreError::Database(format!("cannot start the writer: {e}")))?;

        let (reads, queue) = std::sync::mpsc::channel::<Box<dyn ReadJob>>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..readers.max(1) {
            // Opened here, so a database that cannot be read fails the open.
            let conn = open_reader(&path)?;
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("b24im-sqlite-reader-{i}"))
                .spawn(move || reader_loop(&conn, &queue))
                .map_err(|e| StoreError::Database(format!("cannot start a reader: {e}")))?;
        }

        Ok(SqlStore {
            backend: Sqlite {
                jobs: tx,
                reads,
                feed,
                files: dir.join(FILES_DIR),
            },
        })
    }
}

impl Backend for Sqlite {
    type Conn = Connection;

    fn write<T, F>(&self, change: F) -> impl Future<Output = DbResult<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Clone + Send + 'static,
    {
        self.run_write(change)
    }

    fn read<T, F>(&self, query: F) -> impl Future<Output = DbResult<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Clone + Send + 'static,
    {
        self.run_read(query)
    }

    fn feed(&self) -> &Arc<Feed> {
        &self.feed
    }

    fn put_blob(
        &self,
        hash: String,
        bytes: Arc<Vec<u8>>,
    ) -> impl Future<Output = DbResult<()>> + Send {
        let dir = self.files.clone();
        async move {
            check_hash(&hash)?;
            tokio::task::spawn_blocking(move || write_durably(&dir, &hash, &bytes))
                .await
                .map_err(|e| StoreError::Database(format!("file write stopped: {e}")))?
                .map_err(|e| StoreError::Database(format!("cannot write a file: {e}")))
        }
    }

    fn blob(&self, hash: String) -> impl Future<Output = DbResult<Option<Vec<u8>>>> + Send {
        let dir = self.files.clone();
        async move {
            check_hash(&hash)?;
            tokio::task::spawn_blocking(move || match std::fs::read(dir.join(&hash)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::Database(format!("cannot read a file: {e}"))),
            })
            .await
            .map_err(|e| StoreError::Database(format!("file read stopped: {e}")))?
        }
    }
}

/// A content name is 64 lowercase hex digits, never a path.
fn check_hash(hash: &str) -> DbResult<()> {
    if hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(StoreError::Database("not a content hash".into()))
    }
}

impl Sqlite {
    /// Runs `change` in the writer's next group commit and answers after it.
    async fn run_write<T, F>(&self, change: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            change: Some(change),
            result: None,
            reply,
        });
        self.jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `query` on the next free reader.
    async fn run_read<T, F>(&self, query: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> DbResult<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.reads
            .send(Box::new(Query { query, reply }))
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

/// A reader: takes the next read from the shared queue, runs it on its own
/// connection, until the store is dropped. The queue needs no bound: each
/// HTTP connection has at most one request in flight, and the connection
/// cap bounds those.
fn reader_loop(conn: &Connection, queue: &Mutex<std::sync::mpsc::Receiver<Box<dyn ReadJob>>>) {
    loop {
        let next = match queue.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job.run(conn),
            Err(_) => return,
        }
    }
}

fn configure(conn: &Connection) -> DbResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    unicode_lower(conn)?;
    Ok(())
}

/// SQLite's own `lower()` folds ASCII only, so `иван` would not find `Иван`;
/// PostgreSQL's (and Bitrix24's filters) fold all of Unicode. The shared
/// queries compare case-insensitively with `lower()`, so SQLite gets this one.
fn unicode_lower(conn: &Connection) -> DbResult<()> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::{Value, ValueRef};
    conn.create_scalar_function(
        "lower",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).to_lowercase()),
                other => Value::from(other),
            })
        },
    )?;
    Ok(())
}

fn open_reader(path: &Path) -> DbResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> DbResult<()> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the migrations up to `last` (all, but in tests of upgrades).
fn migrate_to(conn: &mut Connection, last: usize) -> DbResult<()> {
    // IMMEDIATE: two processes starting at once must not both migrate.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().take(last) {
        let target = i as i64 + 1;
        if version < target {
            tx.execute_batch(sql)?;
            // A migration may edit the recorded schema (widening a CHECK
            // in 0004): a new schema version makes every connection,
            // also another process's, read the schema anew.
            let schema: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
            tx.pragma_update(None, "schema_version", schema + 1)?;
            tx.pragma_update(None, "user_version", target)?;
        }
    }
    // 0004 edits the text of `chats`: had it not matched, notifications
    // would fail at their first insert; refuse to start instead.
    if last >= 4 {
        let chats: String = tx.query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'chats'",
            [],
            |r| r.get(0),
        )?;
        if !chats.contains("'P', 'S'") {
            return Err(StoreError::Database(
                "migration 0004 could not widen the chats kind check".into(),
            ));
        }
    }
    tx.commit()?;
    Ok(())
}

fn writer_loop(conn: Connection, mut rx: mpsc::Receiver<Box<dyn WriteJob>>, feed: &Feed) {
    while let Some(first) = rx.blocking_recv() {
        let mut group = Vec::with_capacity(64);
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        super::sql::take_published();
        let committed = commit_group(&conn, group);
        // Revocations among them drop this process's caches of credentials
        // at once (the admin CLI, another process, waits out the cache).
        let published = super::sql::take_published();
        if committed && !published.is_empty() {
            feed.publish(published);
        }
    }
}

/// One transaction, one savepoint per change, one commit (and fsync) for all;
/// whether it committed.
fn commit_group(conn: &Connection, mut group: Vec<Box<dyn WriteJob>>) -> bool {
    if let Err(e) = control(conn, "BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "cannot begin a write transaction");
        for job in group {
            job.finish(false);
        }
        return false;
    }
    let mut savepoint_failed = false;
    for job in group.iter_mut() {
        if control(conn, "SAVEPOINT change").is_err() {
            savepoint_failed = true;
            break;
        }
        let recorded = super::sql::published_len();
        let ok = job.run(conn);
        if !ok {
            super::sql::undo_published(recorded);
        }
        let undone = ok || control(conn, "ROLLBACK TO change").is_ok();
        if !undone || control(conn, "RELEASE change").is_err() {
            savepoint_failed = true;
            break;
        }
    }
    let committed = !savepoint_failed && control(conn, "COMMIT").is_ok();
    if !committed {
        tracing::error!("a group commit failed; every change in it was rolled back");
        let _ = conn.execute_batch("ROLLBACK");
    }
    for job in group {
        job.finish(committed);
    }
    committed
}

/// Runs a transaction-control statement from the statement cache: the writer
/// issues several per group, and parsing them each time showed in profiles.
fn control(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database made before notifications (schema 3, with a chat and a
    /// message in it) upgrades: its rows stay, kind 'S' is accepted, an
    /// unknown kind still refused.
    #[test]
    fn a_schema_3_database_upgrades() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut conn = Connection::open(dir.path().join("old.sqlite3")).expect("open");
        configure(&conn).expect("configure");
        migrate_to(&mut conn, 3).expect("schema 3");
        conn.execute_batch(
            "INSERT INTO users (first_name, created_at) VALUES ('Old', 1);
             INSERT INTO chats (kind, color, owner_id, created_at) VALUES ('C', 'RED', 1, 1);
             INSERT INTO messages (chat_id, author_id, text, created_at) VALUES (1, 1, 'kept', 1);",
        )
        .expect("old rows");
        assert!(conn
            .execute(
                "INSERT INTO chats (kind, color, owner_id, created_at) VALUES ('S', 'RED', 1, 1)",
                []
            )
            .is_err());
        migrate(&mut conn).expect("upgrade");
        let text: String = conn
            .query_row("SELECT text FROM messages WHERE chat_id = 1", [], |r| {
                r.get(0)
            })
            .expect("message");
        assert_eq!(text, "kept");
        conn.execute(
            "INSERT INTO chats (kind, color, owner_id, created_at) VALUES ('S', 'RED', 1, 1)",
            [],
        )
        .expect("kind S");
        assert!(conn
            .execute(
                "INSERT INTO chats (kind, color, owner_id, created_at) VALUES ('X', 'RED', 1, 1)",
                []
            )
            .is_err());
        let departments: String = conn
            .query_row("SELECT departments FROM users WHERE id = 1", [], |r| {
                r.get(0)
            })
            .expect("departments");
        assert_eq!(departments, "1");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(check, "ok");
    }
}
