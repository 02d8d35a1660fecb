//! Group commit on PostgreSQL: a writer thread per node with a connection of
//! its own takes every change that is waiting (up to [`MAX_GROUP`]), runs
//! each in its own savepoint within one transaction, and commits them with
//! one WAL flush. Each caller is answered after the commit that holds its
//! change, as on SQLite.
//!
//! What can go wrong, and what the caller is told:
//! - the change itself fails: its savepoint is rolled back, its neighbours
//!   stand, it gets its own error;
//! - PostgreSQL picks the change as a deadlock victim or a serialization
//!   failure (two nodes' groups locking the same rows in opposite order):
//!   rolled back and run again, from a fresh copy, in the next group;
//! - the connection is lost before COMMIT: nothing was written, so the whole
//!   group runs again on a new connection, once the database answers again
//!   (within [`OUTAGE_BOUND`]; past it, [`StoreError::Unavailable`]);
//! - the connection is lost during COMMIT: the commit may or may not have
//!   happened. The transaction's id, taken at BEGIN, is looked up on a new
//!   connection (`txid_status`): committed, the callers get their answers;
//!   aborted, the group runs again; and only if the database cannot be
//!   reached within the bound, [`StoreError::OutcomeUnknown`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::pg_tls::Target;
use super::postgres::{connection_lost, PgConn};
use super::sql::DbResult;
use super::StoreError;

/// The most changes one commit groups. Each runs in a savepoint, which is a
/// subtransaction once it writes; PostgreSQL keeps 64 of those per
/// transaction in shared memory before other sessions' snapshots slow down.
pub const MAX_GROUP: usize = 64;
/// How many changes may wait for the writer before callers wait to enqueue.
pub const QUEUE_DEPTH: usize = 8192;
/// How long the writer keeps trying to reach the database for a group.
pub const OUTAGE_BOUND: Duration = Duration::from_secs(10);
/// How often one change is run again after deadlocks before it fails.
const MAX_RUNS: u32 = 10;

/// How one run of a change went.
pub enum Run {
    Done,
    /// The change's own error: rolled back; its answer is that error.
    Failed,
    /// Rolled back; run it again in a new transaction.
    Again,
    /// The connection is gone: the transaction with it.
    Lost,
}

/// One change waiting for the writer.
pub trait Job: Send {
    fn run(&mut self, conn: &PgConn) -> Run;
    /// Forgets the outcome of a run that did not commit.
    fn reset(&mut self) -> u32;
    /// Sends the answer: `Ok` once the run's commit is known to have
    /// happened (the run's own result is the answer), or why it did not.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

pub struct Pending<T, F> {
    change: F,
    result: Option<DbResult<T>>,
    runs: u32,
    reply: oneshot::Sender<DbResult<T>>,
}

impl<T, F> Pending<T, F> {
    pub fn new(change: F, reply: oneshot::Sender<DbResult<T>>) -> Self {
        Pending {
            change,
            result: None,
            runs: 0,
            reply,
        }
    }
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnOnce(&PgConn) -> DbResult<T> + Clone + Send,
{
    fn run(&mut self, conn: &PgConn) -> Run {
        self.runs += 1;
        let change = self.change.clone();
        let result = catch_unwind(AssertUnwindSafe(|| change(conn))).unwrap_or_else(|_| {
            tracing::error!("a store change panicked; it was rolled back");
            Err(StoreError::Database("a change panicked".into()))
        });
        match result {
            Ok(v) => {
                self.result = Some(Ok(v));
                Run::Done
            }
            Err(_) if conn.is_closed() => Run::Lost,
            Err(StoreError::Retry) if self.runs < MAX_RUNS => Run::Again,
            Err(e) => {
                self.result = Some(Err(e));
                Run::Failed
            }
        }
    }

    fn reset(&mut self) -> u32 {
        self.result = None;
        self.runs
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let answer = match (self.result, commit) {
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (_, Err(e)) => Err(e),
            (None, Ok(())) => Err(StoreError::NotCommitted),
        };
        // The caller may have gone away (client disconnected); the change stands.
        let _ = self.reply.send(answer);
    }
}

/// The writer: groups what waits on `rx`, until the store is dropped.
pub fn writer_loop(target: Target, mut conn: Option<PgConn>, mut rx: mpsc::Receiver<Box<dyn Job>>) {
    let mut carry: Vec<Box<dyn Job>> = Vec::new();
    loop {
        let mut group = std::mem::take(&mut carry);
        if group.is_empty() {
            match rx.blocking_recv() {
                Some(job) => group.push(job),
                None => return,
            }
        }
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        carry = commit_group(&target, &mut conn, group);
    }
}

/// A connection that answers, within [`OUTAGE_BOUND`] from `since`.
fn connect(target: &Target, conn: &mut Option<PgConn>, since: Instant) -> Option<()> {
    if conn.as_ref().is_some_and(|c| !c.is_closed()) {
        return Some(());
    }
    *conn = None;
    let mut wait = Duration::from_millis(50);
    loop {
        match target.connect() {
            Ok(client) => {
                *conn = Some(PgConn::new(client));
                return Some(());
            }
            Err(e) if since.elapsed() < OUTAGE_BOUND => {
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

/// What became of one try at a group.
enum Outcome {
    /// Committed; the changes at `again` were rolled back to run again.
    Committed { again: Vec<usize> },
    /// Nothing was written (the connection was lost before COMMIT).
    Lost,
    /// Not committed, the connection still up (COMMIT refused).
    Refused,
    /// The connection was lost during COMMIT of transaction `txid`.
    Unknown { txid: i64, again: Vec<usize> },
}

/// Runs and commits one group; returns the changes to run again in the next.
fn commit_group(
    target: &Target,
    slot: &mut Option<PgConn>,
    mut group: Vec<Box<dyn Job>>,
) -> Vec<Box<dyn Job>> {
    let since = Instant::now();
    loop {
        let outcome = match connect(target, slot, since).and(slot.as_ref()) {
            Some(conn) => attempt(conn, &mut group),
            None => return finish_all(group, Err(StoreError::Unavailable)),
        };
        match outcome {
            Outcome::Committed { again } => return settle(group, &again),
            Outcome::Refused => return finish_all(group, Err(StoreError::NotCommitted)),
            Outcome::Unknown { txid, again } => match resolve(target, txid) {
                Some(true) => return settle(group, &again),
                Some(false) => tracing::warn!(txid, "the group's COMMIT was lost and aborted; running it again"),
                None => return finish_all(group, Err(StoreError::OutcomeUnknown)),
            },
            Outcome::Lost => tracing::warn!("lost the database connection in a group; running it again"),
        }
        // Nothing of the group was written: run it all again, on a new connection.
        let mut left = Vec::with_capacity(group.len());
        for mut job in group {
            if job.reset() >= MAX_RUNS {
                job.finish(Err(StoreError::Unavailable));
            } else {
                left.push(job);
            }
        }
        group = left;
        if group.is_empty() {
            return Vec::new();
        }
    }
}

/// Answers every change of `group` with the fate of its commit.
fn finish_all(group: Vec<Box<dyn Job>>, commit: Result<(), StoreError>) -> Vec<Box<dyn Job>> {
    for job in group {
        let commit = match &commit {
            Ok(()) => Ok(()),
            Err(StoreError::Unavailable) => Err(StoreError::Unavailable),
            Err(StoreError::OutcomeUnknown) => Err(StoreError::OutcomeUnknown),
            Err(_) => Err(StoreError::NotCommitted),
        };
        job.finish(commit);
    }
    Vec::new()
}

/// The group committed: answer its changes, less those at `again`, which
/// were rolled back and go to the next group.
fn settle(group: Vec<Box<dyn Job>>, again: &[usize]) -> Vec<Box<dyn Job>> {
    let mut next = Vec::new();
    for (i, mut job) in group.into_iter().enumerate() {
        if again.contains(&i) {
            job.reset();
            next.push(job);
        } else {
            job.finish(Ok(()));
        }
    }
    next
}

/// One transaction: BEGIN (taking its id), each change in the savepoint
/// `c`, COMMIT. Between changes one round trip: `RELEASE c; SAVEPOINT c`
/// after a change that stands, `ROLLBACK TO c` after one that does not.
fn attempt(conn: &PgConn, group: &mut [Box<dyn Job>]) -> Outcome {
    let Ok(txid) = conn.begin_group() else {
        return if conn.is_closed() { Outcome::Lost } else { Outcome::Refused };
    };
    let mut again = Vec::new();
    let mut clean = true;
    for (i, job) in group.iter_mut().enumerate() {
        if !clean && conn.control("RELEASE c; SAVEPOINT c").is_err() {
            return rolled_back(conn);
        }
        clean = match job.run(conn) {
            Run::Done => false,
            Run::Lost => return Outcome::Lost,
            run => {
                if matches!(run, Run::Again) {
                    again.push(i);
                }
                if conn.control("ROLLBACK TO c").is_err() {
                    return rolled_back(conn);
                }
                true
            }
        };
    }
    match conn.control("COMMIT") {
        Ok(()) => Outcome::Committed { again },
        Err(e) if conn.is_closed() || connection_lost(&e, conn) => {
            tracing::error!(error = %e, txid, "COMMIT failed; asking the database what became of it");
            Outcome::Unknown { txid, again }
        }
        Err(e) => {
            tracing::error!(error = %e, "COMMIT failed; the group was rolled back");
            Outcome::Refused
        }
    }
}

/// A control statement failed mid-group: the transaction is rolled back.
fn rolled_back(conn: &PgConn) -> Outcome {
    if conn.is_closed() {
        return Outcome::Lost;
    }
    let _ = conn.control("ROLLBACK");
    Outcome::Refused
}

/// Whether transaction `txid` committed (`Some(true)`), aborted
/// (`Some(false)`), or cannot be told within [`OUTAGE_BOUND`] (`None`):
/// asked on a new connection, waiting while it is still in progress.
fn resolve(target: &Target, txid: i64) -> Option<bool> {
    let since = Instant::now();
    let mut wait = Duration::from_millis(20);
    while since.elapsed() < OUTAGE_BOUND {
        let status = target.connect().ok().and_then(|mut c| {
            c.query_one("SELECT txid_status($1)", &[&txid])
                .ok()
                .map(|row| row.get::<_, Option<String>>(0))
        });
        match status.as_ref().map(|s| s.as_deref()) {
            Some(Some("committed")) => return Some(true),
            Some(Some("aborted")) => return Some(false),
            // Too old to tell (NULL) cannot be: it was just now.
            Some(None) => return None,
            _ => {}
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_millis(500));
    }
    None
}
