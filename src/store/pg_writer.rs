//! Group commit on PostgreSQL: writer threads (a few per node, each with a
//! connection of its own) take every change that is waiting (up to
//! [`MAX_GROUP`]), run them one after the other in one transaction, and
//! commit them with one WAL flush. Each caller is answered after the commit
//! that holds its change, as on SQLite.
//!
//! No savepoints: they cost a round trip per change. A change can run again
//! (each run from its own copy, see [`super::Backend::write`]), so when one
//! fails the transaction is rolled back, that change gets its own error, and
//! the others run again in a new transaction. What else can go wrong, and
//! what the caller is told:
//! - PostgreSQL picks a change as a deadlock victim or a serialization
//!   failure (two groups locking the same rows in opposite order): the group
//!   is rolled back and runs again without it; that change runs in the
//!   writer's next group, after the lock's holder committed (at most
//!   [`MAX_RUNS`] times, then `503`);
//! - the connection is lost before COMMIT: nothing was written, so the group
//!   runs again on a new connection once the database answers again (within
//!   `--database-wait`, 5 s; past it, [`StoreError::Unavailable`]);
//! - the connection is lost during COMMIT: the commit may or may not have
//!   happened. The transaction's id, taken at BEGIN, is looked up on a new
//!   connection (`txid_status`): committed, the callers get their answers;
//!   aborted, the group runs again; and only if the database cannot be
//!   reached within the bound, [`StoreError::OutcomeUnknown`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::pg_conn::{connect, connection_lost, PgConn, CHANNEL, LIVE_PREFIX};
use super::pg_likes::run_batch;
use super::pg_tls::Target;
use super::reactions::LikeSpec;
use super::sql::DbResult;
use super::{LikeOutcome, StoreError};
use crate::domain::live::Update;

/// The most changes one commit groups: enough to fill a WAL flush, few
/// enough that a rerun after a failure costs little.
pub const MAX_GROUP: usize = 64;
/// Writer threads (and connections) per node: while one waits for its
/// COMMIT's flush, the others run their groups.
pub const WRITERS: usize = 4;
/// How many changes may wait for the writer before callers wait to enqueue.
pub const QUEUE_DEPTH: usize = 8192;
/// How long a writer's statement waits for a lock before its group rolls
/// back and runs again. Writers of one node (and of other nodes) can lock
/// the same rows in opposite order; PostgreSQL would find such a deadlock
/// only after `deadlock_timeout` (1 s), with the groups stalled meanwhile.
const LOCK_TIMEOUT: &str = "SET lock_timeout = '50ms'";
/// How long a writer keeps asking what became of a commit in doubt, at least.
const RESOLVE_WAIT: Duration = Duration::from_secs(15);
/// How often one change is run again after deadlocks before it fails.
const MAX_RUNS: u32 = 10;

/// How one run of a change went.
pub enum Run {
    Done,
    /// The change's own error: rolled back; its answer is that error.
    Failed,
    /// The database asked for it to run again (deadlock, serialization).
    Again,
    /// The connection is gone: the transaction with it.
    Lost,
}

/// One change waiting for the writer.
pub trait Job: Send {
    fn run(&mut self, conn: &PgConn) -> Run;
    /// Forgets the outcome of a run that did not commit.
    fn reset(&mut self);
    /// Sends the answer: `Ok` once the run's commit is known to have
    /// happened (the run's own result is the answer), or why it did not.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
    /// The like this change is, if it is one: a group's likes run together
    /// ([`super::pg_likes`]).
    fn like(&self) -> Option<&LikeSpec> {
        None
    }
    /// The like's outcome, from its group's batch: the change has run.
    fn liked(&mut self, _outcome: LikeOutcome) {}
}

/// A like: runs alone as [`super::reactions::set_reaction`], or in its
/// group's batch.
pub struct LikeJob<F> {
    spec: LikeSpec,
    inner: Pending<LikeOutcome, F>,
}

impl<F> LikeJob<F> {
    pub fn new(spec: LikeSpec, inner: Pending<LikeOutcome, F>) -> Self {
        LikeJob { spec, inner }
    }
}

impl<F> Job for LikeJob<F>
where
    F: FnOnce(&PgConn) -> DbResult<LikeOutcome> + Clone + Send,
{
    fn run(&mut self, conn: &PgConn) -> Run {
        self.inner.run(conn)
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        Box::new(self.inner).finish(commit);
    }

    fn like(&self) -> Option<&LikeSpec> {
        Some(&self.spec)
    }

    fn liked(&mut self, outcome: LikeOutcome) {
        self.inner.result = Some(Ok(outcome));
    }
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
            Err(StoreError::Unavailable) => Run::Lost,
            Err(_) if conn.is_closed() => Run::Lost,
            Err(StoreError::Retry) if self.runs < MAX_RUNS => {
                self.runs += 1;
                Run::Again
            }
            Err(e) => {
                self.result = Some(Err(e));
                Run::Failed
            }
        }
    }

    fn reset(&mut self) {
        self.result = None;
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

/// The writers' shared queue: whichever writer is free takes the next group.
pub type Queue = std::sync::Arc<std::sync::Mutex<mpsc::Receiver<Box<dyn Job>>>>;

/// A writer: groups what waits on `queue`, until the store is dropped.
pub fn writer_loop(target: Target, queue: Queue) {
    let mut conn = None;
    let mut carry: Vec<Box<dyn Job>> = Vec::new();
    loop {
        let mut group = std::mem::take(&mut carry);
        {
            let Ok(mut rx) = queue.lock() else {
                return;
            };
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
        }
        carry = commit_group(&target, &mut conn, group);
    }
}

/// What became of one try at a group.
enum Outcome {
    /// With the live updates its changes recorded.
    Committed(Vec<Update>),
    /// Rolled back before COMMIT; the change at `at` failed (`again`: the
    /// database asked for it to run again). Nothing was written.
    Stopped { at: usize, again: bool },
    /// Nothing was written (the connection was lost before COMMIT).
    Lost,
    /// Not committed, the connection still up (COMMIT refused).
    Refused,
    /// The connection was lost during COMMIT of transaction `txid`.
    Unknown { txid: i64, published: Vec<Update> },
    /// The group's likes failed as a batch (rolled back): the group runs
    /// again one change at a time, which tells whose failure it was.
    Unbatched,
}

/// How often a group runs again after losing its connection (the database
/// answering, and ending the connection again) before it gives up.
const MAX_LOST: u32 = 5;

/// Runs and commits one group; returns the changes to run in the writer's
/// next group: those the database asked to run again (a lock wait past
/// [`LOCK_TIMEOUT`], a deadlock), which run after the group that held the
/// lock has committed, while the rest of their group goes on without them.
fn commit_group(
    target: &Target,
    slot: &mut Option<PgConn>,
    mut group: Vec<Box<dyn Job>>,
) -> Vec<Box<dyn Job>> {
    let since = Instant::now();
    let mut later = Vec::new();
    let mut lost = 0;
    let mut batch = true;
    loop {
        let outcome = match connect(target, slot, since, LOCK_TIMEOUT).and(slot.as_ref()) {
            Some(conn) => attempt(conn, &mut group, batch),
            None => return finish_all(group, StoreError::Unavailable, later),
        };
        match outcome {
            Outcome::Committed(published) => {
                let later = settle(group, later);
                if let Some(conn) = slot.as_ref() {
                    announce(conn, published);
                }
                return later;
            }
            Outcome::Refused => return finish_all(group, StoreError::NotCommitted, later),
            // Its own error; the others run again without it.
            Outcome::Stopped { at, again: false } => {
                group.remove(at).finish(Err(StoreError::NotCommitted))
            }
            Outcome::Stopped { at, again: true } => later.push(group.remove(at)),
            Outcome::Unknown { txid, published } => match resolve(target, txid) {
                Some(true) => {
                    let later = settle(group, later);
                    // On a new connection, if the database answers again.
                    if connect(target, slot, Instant::now(), LOCK_TIMEOUT).is_some() {
                        if let Some(conn) = slot.as_ref() {
                            announce(conn, published);
                        }
                    }
                    return later;
                }
                Some(false) => tracing::warn!(
                    txid,
                    "the group's COMMIT was lost and aborted; running it again"
                ),
                None => return finish_all(group, StoreError::OutcomeUnknown, later),
            },
            Outcome::Unbatched => batch = false,
            Outcome::Lost => {
                tracing::warn!("lost the database connection in a group; running it again");
                lost += 1;
                if lost > MAX_LOST {
                    return finish_all(group, StoreError::Unavailable, later);
                }
            }
        }
        // Nothing of the group was written: run the rest again.
        for job in group.iter_mut().chain(later.iter_mut()) {
            job.reset();
        }
        if group.is_empty() {
            return later;
        }
    }
}

/// Answers every change of `group`: not committed, for `why`.
fn finish_all(
    group: Vec<Box<dyn Job>>,
    why: StoreError,
    later: Vec<Box<dyn Job>>,
) -> Vec<Box<dyn Job>> {
    for job in group {
        let why = match &why {
            StoreError::Unavailable => StoreError::Unavailable,
            StoreError::OutcomeUnknown => StoreError::OutcomeUnknown,
            _ => StoreError::NotCommitted,
        };
        job.finish(Err(why));
    }
    later
}

/// The group committed: answer every change with its result.
fn settle(group: Vec<Box<dyn Job>>, later: Vec<Box<dyn Job>>) -> Vec<Box<dyn Job>> {
    for job in group {
        job.finish(Ok(()));
    }
    later
}

/// One transaction: BEGIN (taking its id, one round trip), the likes
/// together (with `batch`), each other change, COMMIT. The first change that
/// fails stops it (ROLLBACK).
fn attempt(conn: &PgConn, group: &mut [Box<dyn Job>], batch: bool) -> Outcome {
    let txid = match conn.begin_group() {
        Ok(txid) => txid,
        Err(e) if connection_lost(&e, conn) => return Outcome::Lost,
        Err(e) => {
            tracing::error!(error = %e, "BEGIN failed");
            return Outcome::Refused;
        }
    };
    // What an earlier try of this group recorded is not this try's.
    super::sql::take_published();
    let mut ran = vec![false; group.len()];
    if batch {
        match likes_together(conn, group, &mut ran) {
            Ok(()) => {}
            Err(StoreError::Unavailable) => return Outcome::Lost,
            Err(_) if conn.is_closed() => return Outcome::Lost,
            Err(e) => {
                tracing::debug!(error = %e, "a batch of likes failed; one at a time");
                super::sql::take_published();
                if let Err(e) = conn.control("ROLLBACK") {
                    if connection_lost(&e, conn) {
                        return Outcome::Lost;
                    }
                }
                return Outcome::Unbatched;
            }
        }
    }
    for (at, job) in group.iter_mut().enumerate() {
        if ran[at] {
            continue;
        }
        let again = match job.run(conn) {
            Run::Done => continue,
            Run::Lost => return Outcome::Lost,
            Run::Again => true,
            Run::Failed => false,
        };
        if let Err(e) = conn.control("ROLLBACK") {
            if connection_lost(&e, conn) {
                return Outcome::Lost;
            }
        }
        return Outcome::Stopped { at, again };
    }
    let published = super::sql::take_published();
    match conn.control("COMMIT") {
        Ok(()) => Outcome::Committed(published),
        Err(e) if conn.is_closed() || connection_lost(&e, conn) => {
            tracing::error!(error = %e, txid, "COMMIT failed; asking the database what became of it");
            Outcome::Unknown { txid, published }
        }
        Err(e) => {
            tracing::error!(error = %e, "COMMIT failed; the group was rolled back");
            Outcome::Refused
        }
    }
}

/// Runs the group's likes as one batch (each (message, user) once: a
/// second like of the same pair runs after, alone, and sees the first),
/// marking those that ran. Fewer than two: nothing to gain, left alone.
fn likes_together(
    conn: &PgConn,
    group: &mut [Box<dyn Job>],
    ran: &mut [bool],
) -> Result<(), StoreError> {
    let mut keys = std::collections::HashSet::new();
    let mut picked = Vec::new();
    let mut specs = Vec::new();
    for (at, job) in group.iter().enumerate() {
        if let Some(spec) = job.like() {
            if keys.insert(spec.key()) {
                picked.push(at);
                specs.push(spec.clone());
            }
        }
    }
    if picked.len() < 2 {
        return Ok(());
    }
    tracing::trace!(likes = specs.len(), "a group's likes as one batch");
    let outcomes = run_batch(conn, &specs)?;
    for (at, outcome) in picked.into_iter().zip(outcomes) {
        group[at].liked(outcome);
        ran[at] = true;
    }
    Ok(())
}

/// Sends a committed group's live updates to every node (this one too), in
/// a transaction of their own right after the group's: a `NOTIFY` inside the
/// group would hold PostgreSQL's database-wide notify lock through the
/// group's WAL flush, serialising every writer's commits (measured: likes
/// at 0.84x pgbench's transactions instead of about 1x). The price: updates
/// of two groups may arrive in the other order, and a node that dies
/// between the two commits never sends them (its clients, and other nodes',
/// miss them; the data is committed).
fn announce(conn: &PgConn, updates: Vec<Update>) {
    for payload in notices(updates) {
        let sent = super::sql::Db::exec(
            conn,
            &format!("SELECT pg_notify({CHANNEL}, ?1)"),
            super::sql::params![payload],
        );
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot send live updates to the other nodes");
            return;
        }
    }
}

/// The payloads of the notices that carry `updates` on the change channel:
/// each [`LIVE_PREFIX`] and a JSON array, under PostgreSQL's 8,000 bytes
/// (bound as parameters, never spliced into SQL); a group that queued events
/// says so once.
fn notices(mut updates: Vec<Update>) -> Vec<String> {
    const LIMIT: usize = 7_000;
    let outbox = updates.contains(&Update::Outbox);
    updates.retain(|u| *u != Update::Outbox);
    if outbox {
        updates.push(Update::Outbox);
    }
    let mut out = Vec::new();
    let mut payload = String::new();
    for update in &updates {
        let Ok(one) = serde_json::to_string(update) else {
            continue;
        };
        if !payload.is_empty() && payload.len() + one.len() + 1 > LIMIT {
            out.push(format!("{LIVE_PREFIX}[{payload}]"));
            payload.clear();
        }
        if !payload.is_empty() {
            payload.push(',');
        }
        payload.push_str(&one);
    }
    if !payload.is_empty() {
        out.push(format!("{LIVE_PREFIX}[{payload}]"));
    }
    out
}

/// Whether transaction `txid` committed (`Some(true)`), aborted
/// (`Some(false)`), or cannot be told within [`RESOLVE_WAIT`] (`None`):
/// asked on a new connection, waiting while it is still in progress.
fn resolve(target: &Target, txid: i64) -> Option<bool> {
    let since = Instant::now();
    let mut wait = Duration::from_millis(20);
    // Longer than a request waits for the database: a definite answer is
    // worth the wait, and a commit in doubt is rare.
    while since.elapsed() < target.wait.max(RESOLVE_WAIT) {
        let status = target.connect_within(target.wait).ok().and_then(|mut c| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_stay_under_the_limit_and_name_queued_events_once() {
        let mut updates: Vec<Update> = (0..2_000)
            .map(|id| Update::Message { chat: 1, id })
            .collect();
        updates.insert(3, Update::Outbox);
        updates.push(Update::Outbox);
        let sent = notices(updates);
        assert!(sent.len() > 1);
        let mut back = Vec::new();
        for n in &sent {
            assert!(n.len() < 8_000);
            let body = n.strip_prefix(LIVE_PREFIX).expect("prefixed");
            back.extend(serde_json::from_str::<Vec<Update>>(body).expect("JSON"));
        }
        assert_eq!(back.len(), 2_001);
        assert_eq!(back.iter().filter(|u| **u == Update::Outbox).count(), 1);
        assert!(notices(Vec::new()).is_empty());
    }
}
