//! `PgStore`: many stateless nodes over one PostgreSQL database.
//!
//! Each store call is one transaction on a pooled connection, run on the
//! blocking pool with the synchronous `postgres` client (the rules in
//! the area functions are synchronous, shared with SQLite). Writes run at READ
//! COMMITTED and answer after COMMIT returns, which PostgreSQL makes durable
//! (`synchronous_commit` on, its default); reads run in a REPEATABLE READ,
//! READ ONLY transaction, so a multi-statement read sees one snapshot.
//!
//! Races between nodes are decided by the database (unique keys, row locks,
//! `FOR UPDATE SKIP LOCKED` for the outbox), never by this process. What a
//! group of changes publishes (revoked credentials, queued events, what live
//! clients see) goes out in a `NOTIFY` on the schema's channel (`b24im:` and
//! the MD5 of its name) right after its commit (`pg_writer::announce`); a
//! listener thread per node publishes it to the node's feed
//! ([`Backend::feed`]), which drops cached credentials, wakes the delivery
//! worker and tells live sessions.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use tokio::sync::{mpsc, oneshot};

use super::pg_conn::{self, PgConn, CHANNEL, LIVE_PREFIX};
pub use super::pg_tls::DEFAULT_WAIT;
use super::pg_tls::{self, Target};
use super::pg_writer;
pub use super::pg_writer::WRITERS;
use super::reactions::LikeSpec;
use super::sql::{Db, DbResult};
use super::{Backend, LikeOutcome, SqlStore, StoreError};
use crate::domain::live::{Feed, Update};

/// Schema migrations, applied in order; the table `b24im_schema` records the last one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_user_status.sql"),
    include_str!("../../migrations/postgres/0003_notifications.sql"),
    include_str!("../../migrations/postgres/0004_departments.sql"),
    include_str!("../../migrations/postgres/0005_search_last.sql"),
    include_str!("../../migrations/postgres/0006_user_profile.sql"),
    include_str!("../../migrations/postgres/0007_files.sql"),
    include_str!("../../migrations/postgres/0008_applications.sql"),
    include_str!("../../migrations/postgres/0009_oauth.sql"),
    include_str!("../../migrations/postgres/0010_managers_commands.sql"),
    include_str!("../../migrations/postgres/0011_text_field.sql"),
    include_str!("../../migrations/postgres/0012_web_client.sql"),
    include_str!("../../migrations/postgres/0013_ownership.sql"),
    include_str!("../../migrations/postgres/0014_message_params.sql"),
    include_str!("../../migrations/postgres/0015_options.sql"),
    include_str!("../../migrations/postgres/0016_department_sort.sql"),
    include_str!("../../migrations/postgres/0017_user_fields.sql"),
    include_str!("../../migrations/postgres/0018_last_activity.sql"),
];
/// Reader connections (and threads) one node keeps, unless told; the
/// writers ([`WRITERS`]) and the listener have their own.
pub const DEFAULT_POOL: usize = 16;
/// Serialises migrations of nodes that start at once (any fixed number).
const MIGRATION_LOCK: i64 = 0x6232_3469_6d00;

/// The store on PostgreSQL.
pub type PgStore = SqlStore<Postgres>;

/// Whether `url` names a PostgreSQL database.
pub fn is_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The PostgreSQL backend: the readers' and the writers' queues, and the
/// feed the listener keeps.
pub struct Postgres {
    /// The readers' shared queue: whichever reader is free takes the next.
    reads: std::sync::mpsc::Sender<Box<dyn ReadJob>>,
    stop: Arc<AtomicBool>,
    /// Fed by the listener with every node's live updates, this one's too.
    feed: Arc<Feed>,
    /// The group-committing writer's queue (see [`pg_writer`]).
    jobs: mpsc::Sender<Box<dyn pg_writer::Job>>,
}

impl SqlStore<Postgres> {
    /// Connects, migrates and starts listening for other nodes' changes.
    /// Runs on a thread of its own: the synchronous client must not run on
    /// an async runtime's thread.
    pub fn open(url: &str, pool: usize, wait: std::time::Duration) -> DbResult<Self> {
        let mut target = pg_tls::parse(url)
            .map_err(|e| StoreError::Database(format!("bad database URL: {e}")))?;
        target.wait = wait;
        // Named in pg_stat_activity, unless the URL names it otherwise.
        if target.config.get_application_name().is_none() {
            target.config.application_name("b24im");
        }
        let first = {
            let target = target.clone();
            std::thread::spawn(move || -> DbResult<PgConn> {
                let mut client = target.connect()?;
                migrate(&mut client)?;
                Ok(PgConn::new(client))
            })
            .join()
            .map_err(|_| StoreError::Database("the connecting thread failed".into()))??
        };
        let stop = Arc::new(AtomicBool::new(false));
        let feed = Arc::new(Feed::new());
        {
            let (target, stop) = (target.clone(), Arc::clone(&stop));
            let feed = Arc::clone(&feed);
            std::thread::Builder::new()
                .name("b24im-pg-listen".into())
                .spawn(move || listen(&target, &stop, &feed))
                .map_err(|e| StoreError::Database(format!("cannot start the listener: {e}")))?;
        }
        let (jobs, queue) = mpsc::channel(pg_writer::QUEUE_DEPTH);
        let queue: pg_writer::Queue = Arc::new(Mutex::new(queue));
        for i in 0..pg_writer::WRITERS {
            let (target, queue) = (target.clone(), Arc::clone(&queue));
            std::thread::Builder::new()
                .name(format!("b24im-pg-writer-{i}"))
                .spawn(move || pg_writer::writer_loop(target, queue))
                .map_err(|e| StoreError::Database(format!("cannot start a writer: {e}")))?;
        }
        let (reads, read_queue) = std::sync::mpsc::channel::<Box<dyn ReadJob>>();
        let read_queue = Arc::new(Mutex::new(read_queue));
        let mut first = Some(first);
        for i in 0..pool.max(1) {
            let (target, queue, conn) = (target.clone(), Arc::clone(&read_queue), first.take());
            std::thread::Builder::new()
                .name(format!("b24im-pg-reader-{i}"))
                .spawn(move || reader_loop(&target, conn, &queue))
                .map_err(|e| StoreError::Database(format!("cannot start a reader: {e}")))?;
        }
        Ok(SqlStore {
            backend: Postgres {
                jobs,
                reads,
                stop,
                feed,
            },
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // The readers and writers end when their queues close (their
        // connections close on their own threads); the listener sees this.
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn migrate(client: &mut Client) -> DbResult<()> {
    let mut tx = client.transaction()?;
    // Two nodes starting at once: the second waits here, then finds nothing to do.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS b24im_schema (version BIGINT NOT NULL)")?;
    let version: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM b24im_schema", &[])?
        .try_get(0)?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let target = i as i64 + 1;
        if version < target {
            tx.batch_execute(sql)?;
            tx.execute("INSERT INTO b24im_schema (version) VALUES ($1)", &[&target])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Listens for every node's changes (this one's too) until the store is
/// dropped, and publishes them to this node's feed; a reconnection restarts
/// the feed, since notices sent while disconnected are lost.
fn listen(target: &Target, stop: &AtomicBool, feed: &Feed) {
    let mut reconnected = false;
    while !stop.load(Ordering::Relaxed) {
        let mut client = match target.connect() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot connect to listen for changes; retrying");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        let listened = client
            .query_one(&format!("SELECT {CHANNEL}"), &[])
            .and_then(|row| {
                let channel: String = row.get(0);
                client.batch_execute(&format!("LISTEN \"{}\"", channel.replace('"', "\"\"")))
            });
        if let Err(e) = listened {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        // Whatever was sent while no one listened is lost: caches of
        // credentials are dropped, live sessions start over, and events
        // queued meanwhile go out now.
        if reconnected {
            feed.restart();
        }
        reconnected = true;
        while !stop.load(Ordering::Relaxed) && !client.is_closed() {
            let mut notices = client.notifications();
            let mut iter = notices.timeout_iter(Duration::from_millis(250));
            match iter.next() {
                Ok(Some(n)) if n.payload().starts_with(LIVE_PREFIX) => {
                    match serde_json::from_str::<Vec<Update>>(&n.payload()[LIVE_PREFIX.len()..]) {
                        Ok(updates) => feed.publish(updates),
                        Err(e) => tracing::warn!(error = %e, "a live notice that does not parse"),
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "lost the change listener's connection");
                    break;
                }
            }
        }
    }
}

/// One read waiting for a reader.
trait ReadJob: Send {
    fn run(self: Box<Self>, conn: &mut Option<PgConn>, target: &Target);
}

struct Query<T, F> {
    query: F,
    reply: oneshot::Sender<DbResult<T>>,
}

/// How reads begin: one snapshot for all their statements.
const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

impl<T, F> ReadJob for Query<T, F>
where
    T: Send,
    F: FnOnce(&PgConn) -> DbResult<T> + Clone + Send,
{
    /// Runs the query on the reader's connection, made (again) when there is
    /// none or it died (the database restarted, an administrator ended it):
    /// a read that loses its connection runs again on a new one, for as long
    /// as a request waits for the database (`--database-wait`), a few times
    /// at most (connections ended again and again, as in a series of
    /// restarts, are each survived).
    fn run(self: Box<Self>, slot: &mut Option<PgConn>, target: &Target) {
        const MAX_TRIES: usize = 8;
        let Query { query, reply } = *self;
        let since = std::time::Instant::now();
        let mut result = Err(StoreError::Unavailable);
        for _ in 0..MAX_TRIES {
            let Some(conn) = pg_conn::connect(target, slot, since, "").and(slot.as_ref()) else {
                break; // not within the bound: Unavailable
            };
            let query = query.clone();
            result = match conn.control(BEGIN_READ) {
                Ok(()) => {
                    catch_unwind(AssertUnwindSafe(|| conn.finish(query))).unwrap_or_else(|_| {
                        tracing::error!("a store read panicked");
                        Err(StoreError::Database("a read panicked".into()))
                    })
                }
                Err(e) => Err(e.into()),
            };
            let lost = matches!(result, Err(StoreError::Unavailable)) || conn.is_closed();
            if !lost || since.elapsed() >= target.wait {
                break;
            }
            *slot = None;
        }
        // The caller may have gone away (client disconnected).
        let _ = reply.send(result);
    }
}

/// A reader: takes the next read from the shared queue and runs it on its
/// own connection, until the store is dropped. A reader connects when it
/// first has work, so an idle node holds few connections.
fn reader_loop(
    target: &Target,
    mut conn: Option<PgConn>,
    queue: &Mutex<std::sync::mpsc::Receiver<Box<dyn ReadJob>>>,
) {
    loop {
        let next = match queue.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job.run(&mut conn, target),
            Err(_) => return,
        }
    }
}

impl Backend for Postgres {
    type Conn = PgConn;

    /// Queues `change` for the writer's next group commit; answers after it.
    fn write<T, F>(&self, change: F) -> impl Future<Output = DbResult<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&PgConn) -> DbResult<T> + Clone + Send + 'static,
    {
        let jobs = self.jobs.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            let job = Box::new(pg_writer::Pending::new(change, reply));
            jobs.send(job).await.map_err(|_| StoreError::Closed)?;
            answer.await.map_err(|_| StoreError::Closed)?
        }
    }

    fn write_like(&self, spec: LikeSpec) -> impl Future<Output = DbResult<LikeOutcome>> + Send {
        let jobs = self.jobs.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            let change = {
                let spec = spec.clone();
                move |conn: &PgConn| super::reactions::set_reaction(conn, spec)
            };
            let job = Box::new(pg_writer::LikeJob::new(
                spec,
                pg_writer::Pending::new(change, reply),
            ));
            jobs.send(job).await.map_err(|_| StoreError::Closed)?;
            answer.await.map_err(|_| StoreError::Closed)?
        }
    }

    /// Runs `query` on the next free reader.
    fn read<T, F>(&self, query: F) -> impl Future<Output = DbResult<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&PgConn) -> DbResult<T> + Clone + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let sent = self.reads.send(Box::new(Query { query, reply }));
        async move {
            sent.map_err(|_| StoreError::Closed)?;
            answer.await.map_err(|_| StoreError::Closed)?
        }
    }

    fn feed(&self) -> &Arc<Feed> {
        &self.feed
    }

    /// Files' contents live in the database, so every node serves them.
    fn put_blob(
        &self,
        hash: String,
        bytes: Arc<Vec<u8>>,
    ) -> impl Future<Output = DbResult<()>> + Send {
        self.write(move |conn| {
            conn.exec(
                "INSERT INTO file_blobs (hash, content) VALUES (?1, ?2)
                 ON CONFLICT (hash) DO NOTHING",
                crate::sql_params![hash, bytes.as_slice()],
            )?;
            Ok(())
        })
    }

    fn blob(&self, hash: String) -> impl Future<Output = DbResult<Option<Vec<u8>>>> + Send {
        self.read(move |conn| {
            conn.row_opt(
                "SELECT content FROM file_blobs WHERE hash = ?1",
                crate::sql_params![hash],
                |r| r.get(0),
            )
        })
    }
}
