//! What a chat's members see happen live, and the feed that carries it.
//!
//! A change that others should see at once (a message, an edit, a like, a
//! read mark, someone typing) is recorded as an [`Update`] inside its write
//! transaction; the store hands the group's updates to the [`Feed`] only
//! after the commit (on PostgreSQL, a `NOTIFY` right after the commit
//! carries them to every node, this one included; see `store/pg_writer.rs`). The feed numbers them
//! (`seq`), keeps the last [`RING`] in memory so a client that reconnects
//! can ask for what it missed, and broadcasts them to the live sessions,
//! which pass on what concerns their user. It also wakes the event delivery
//! worker when a change queued an event ([`Update::Outbox`]).
//!
//! Nothing here is durable: an update is a hint that something changed;
//! what changed is read through the REST methods. A client whose `seq` is
//! older than the ring (or from another node, or an earlier process) is
//! told to reload.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};

/// One change, as its chat's members (or one user) hear of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update {
    /// A new message in `chat`.
    Message { chat: i64, id: i64 },
    /// A message's text (or its keyboard, attachments) changed.
    Edit { chat: i64, id: i64 },
    /// A message was deleted.
    Delete { chat: i64, id: i64 },
    /// `user` set (`set`) or took back a reaction; the like is `like`.
    Reaction {
        chat: i64,
        message: i64,
        user: i64,
        reaction: String,
        set: bool,
    },
    /// `user` read `chat` up to `message`.
    Read { chat: i64, user: i64, message: i64 },
    /// `user` is typing in `chat` (nothing is written).
    Typing { chat: i64, user: i64 },
    /// The chat itself changed (title, members, owner, managers); `users`
    /// are those who joined or left.
    Chat { chat: i64, users: Vec<i64> },
    /// Something only `user` sees changed: a notification, their recent list.
    User { user: i64 },
    /// An event was queued for delivery (wakes the delivery worker; never
    /// sent to clients).
    Outbox,
    /// A credential was revoked (a webhook or token deleted, a user
    /// deactivated): every node drops what it cached of credentials. Never
    /// sent to clients.
    Credentials,
}

impl Update {
    /// The chat it happened in, if it happened in one.
    pub fn chat(&self) -> Option<i64> {
        match self {
            Update::Message { chat, .. }
            | Update::Edit { chat, .. }
            | Update::Delete { chat, .. }
            | Update::Reaction { chat, .. }
            | Update::Read { chat, .. }
            | Update::Typing { chat, .. }
            | Update::Chat { chat, .. } => Some(*chat),
            Update::User { .. } | Update::Outbox | Update::Credentials => None,
        }
    }
}

/// Updates kept for clients that reconnect.
pub const RING: usize = 16_384;
/// Batches a slow session may fall behind before it must catch up from the ring.
const CHANNEL: usize = 1_024;

/// One commit's updates, numbered from `first` on the feed's `node`; or,
/// with `reset`, word that updates may have been missed (then `updates` is
/// empty and numbering goes on under a new `node`).
#[derive(Debug)]
pub struct Batch {
    pub node: u64,
    pub first: u64,
    pub updates: Vec<Update>,
    pub reset: bool,
}

/// A client's place in the feed: this process's `node` and an update's `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision {
    pub node: u64,
    pub seq: u64,
}

struct Ring {
    /// Names this run of numbering: a new one after updates may have been missed.
    node: u64,
    /// The seq the next update gets.
    next: u64,
    kept: VecDeque<Update>,
}

/// The process's live feed.
pub struct Feed {
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Arc<Batch>>,
    outbox: Notify,
    /// Bumped by each revocation published, and by a restart (revocations
    /// may have been missed): what a node caches of credentials is good
    /// only while it stays the same.
    epoch: AtomicU64,
    /// The same, for live sessions to wait on: each checks its credential
    /// again when it changes.
    revocations: tokio::sync::watch::Sender<u64>,
    /// When each (chat, user) last said they were typing.
    typing: Mutex<HashMap<(i64, i64), Instant>>,
}

/// How often one user's typing in one chat is passed on.
pub const TYPING_EVERY: Duration = Duration::from_secs(2);

impl Default for Feed {
    fn default() -> Self {
        Feed::new()
    }
}

impl Feed {
    pub fn new() -> Self {
        Feed {
            ring: Mutex::new(Ring {
                node: new_node(),
                next: 1,
                kept: VecDeque::new(),
            }),
            tx: broadcast::channel(CHANNEL).0,
            outbox: Notify::new(),
            epoch: AtomicU64::new(0),
            revocations: tokio::sync::watch::Sender::new(0),
            typing: Mutex::new(HashMap::new()),
        }
    }

    /// Publishes one commit's updates (in their order). What is for this
    /// process alone (queued events, revocations) acts here and goes no further.
    pub fn publish(&self, mut updates: Vec<Update>) {
        let (mut queued, mut revoked) = (false, false);
        updates.retain(|u| match u {
            Update::Outbox => {
                queued = true;
                false
            }
            Update::Credentials => {
                revoked = true;
                false
            }
            _ => true,
        });
        if revoked {
            self.revoked();
        }
        if queued {
            self.outbox.notify_one();
        }
        if updates.is_empty() {
            return;
        }
        let Ok(mut ring) = self.ring.lock() else {
            return;
        };
        let first = ring.next;
        ring.next += updates.len() as u64;
        ring.kept.extend(updates.iter().cloned());
        let over = ring.kept.len().saturating_sub(RING);
        ring.kept.drain(..over);
        // Sent under the lock, so sessions see batches in seq order.
        let _ = self.tx.send(Arc::new(Batch {
            node: ring.node,
            first,
            updates,
            reset: false,
        }));
    }

    /// Updates may have been missed (PostgreSQL: the listener lost its
    /// connection, and the notices sent meanwhile with it): every session is
    /// told to reload, and no earlier revision resumes any more.
    pub fn restart(&self) {
        let Ok(mut ring) = self.ring.lock() else {
            return;
        };
        ring.node = new_node();
        ring.kept.clear();
        self.revoked();
        let _ = self.tx.send(Arc::new(Batch {
            node: ring.node,
            first: ring.next,
            updates: Vec::new(),
            reset: true,
        }));
        // Events queued meanwhile wait no longer.
        self.outbox.notify_one();
    }

    /// Changes whenever a credential may have been revoked (see [`Update::Credentials`]).
    pub fn credentials_epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Told whenever a credential may have been revoked: what a live session
    /// waits on to check its own again at once.
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revocations.subscribe()
    }

    fn revoked(&self) {
        let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        self.revocations.send_replace(epoch);
    }

    /// Where the feed is now: the revision of the last update published.
    pub fn revision(&self) -> Revision {
        match self.ring.lock() {
            Ok(r) => Revision {
                node: r.node,
                seq: r.next - 1,
            },
            Err(_) => Revision { node: 0, seq: 0 },
        }
    }

    /// Listens to what is published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Batch>> {
        self.tx.subscribe()
    }

    /// The updates after `since`, if the feed still holds all of them;
    /// `None` when the client must reload (too old, or another node's).
    pub fn since(&self, since: Revision) -> Option<Batch> {
        let ring = self.ring.lock().ok()?;
        if since.node != ring.node {
            return None;
        }
        let oldest = ring.next - ring.kept.len() as u64;
        if since.seq >= ring.next || since.seq + 1 < oldest {
            return None;
        }
        let skip = (since.seq + 1 - oldest) as usize;
        Some(Batch {
            node: ring.node,
            first: since.seq + 1,
            updates: ring.kept.iter().skip(skip).cloned().collect(),
            reset: false,
        })
    }

    /// Whether `user` typing in `chat` is worth passing on: not if they
    /// said so less than [`TYPING_EVERY`] ago (each costs every node a write).
    pub fn typing_due(&self, chat: i64, user: i64) -> bool {
        let Ok(mut seen) = self.typing.lock() else {
            return false;
        };
        let now = Instant::now();
        if seen.len() >= 10_000 {
            seen.retain(|_, at| now.duration_since(*at) < TYPING_EVERY);
        }
        match seen.get(&(chat, user)) {
            Some(at) if now.duration_since(*at) < TYPING_EVERY => false,
            _ => {
                seen.insert((chat, user), now);
                true
            }
        }
    }

    /// Resolves when a change queued an event (at once if one did since the last call).
    pub async fn outbox_queued(&self) {
        self.outbox.notified().await
    }
}

fn new_node() -> u64 {
    rand::random::<u64>() >> 12
}

/// What one user's live session passes on: the updates of their chats and
/// their own, except their own typing.
#[derive(Debug, Clone)]
pub struct Watch {
    pub user: i64,
    pub chats: std::collections::HashSet<i64>,
}

impl Watch {
    /// Whether `user` hears of `update`.
    pub fn concerns(&self, update: &Update) -> bool {
        match update {
            Update::Typing { user, .. } if *user == self.user => false,
            Update::Chat { chat, users } => self.chats.contains(chat) || users.contains(&self.user),
            Update::User { user } => *user == self.user,
            Update::Outbox | Update::Credentials => false,
            other => other.chat().is_some_and(|c| self.chats.contains(&c)),
        }
    }

    /// Whether `update` may have changed which chats `user` is in.
    pub fn changes_chats(&self, update: &Update) -> bool {
        matches!(update, Update::Chat { users, .. } if users.contains(&self.user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: i64) -> Update {
        Update::Message { chat: 1, id }
    }

    #[test]
    fn a_client_catches_up_from_the_ring_or_is_told_to_reload() {
        let feed = Feed::new();
        let start = feed.revision();
        assert_eq!(start.seq, 0);
        feed.publish(vec![msg(1), Update::Outbox, msg(2)]);
        feed.publish(vec![msg(3)]);
        let missed = feed.since(start).expect("all kept");
        assert_eq!(missed.first, 1);
        assert_eq!(missed.updates, vec![msg(1), msg(2), msg(3)]);
        let now = feed.revision();
        assert_eq!(now.seq, 3);
        let none = feed.since(now).expect("nothing missed");
        assert!(none.updates.is_empty());
        // Another process's revision, or one from the future: reload.
        assert!(feed
            .since(Revision {
                node: now.node ^ 1,
                seq: 1
            })
            .is_none());
        assert!(feed
            .since(Revision {
                node: now.node,
                seq: 9
            })
            .is_none());
        // Past the ring: reload.
        for i in 0..RING as i64 {
            feed.publish(vec![msg(10 + i)]);
        }
        assert!(feed.since(start).is_none());
        let recent = feed.since(now).expect("still kept");
        assert_eq!(recent.updates.len(), RING);
        // After a restart, nothing before it resumes, and sessions are told.
        let mut rx = feed.subscribe();
        let before = feed.revision();
        feed.restart();
        let told = rx.try_recv().expect("a reset");
        assert!(told.reset && told.updates.is_empty() && told.node != before.node);
        assert!(feed.since(before).is_none());
        let after = feed.revision();
        assert_eq!((after.node, after.seq), (told.node, before.seq));
        feed.publish(vec![msg(1)]);
        assert_eq!(feed.since(after).expect("kept").updates, vec![msg(1)]);
    }

    #[test]
    fn a_session_hears_its_chats_and_itself_but_not_its_own_typing() {
        let watch = Watch {
            user: 7,
            chats: [1].into_iter().collect(),
        };
        assert!(watch.concerns(&msg(1)));
        assert!(!watch.concerns(&Update::Message { chat: 2, id: 1 }));
        assert!(watch.concerns(&Update::Typing { chat: 1, user: 8 }));
        assert!(!watch.concerns(&Update::Typing { chat: 1, user: 7 }));
        let joined = Update::Chat {
            chat: 2,
            users: vec![7],
        };
        assert!(watch.concerns(&joined) && watch.changes_chats(&joined));
        assert!(!watch.concerns(&Update::Chat {
            chat: 2,
            users: vec![8]
        }));
        assert!(watch.concerns(&Update::User { user: 7 }));
        assert!(!watch.concerns(&Update::User { user: 8 }));
        assert!(!watch.concerns(&Update::Outbox));
    }

    #[test]
    fn typing_is_passed_on_once_every_two_seconds_per_chat_and_user() {
        let feed = Feed::new();
        assert!(feed.typing_due(1, 7));
        assert!(!feed.typing_due(1, 7));
        assert!(feed.typing_due(2, 7) && feed.typing_due(1, 8));
    }

    #[tokio::test]
    async fn a_queued_event_wakes_the_worker_once_and_is_not_broadcast() {
        let feed = Feed::new();
        let mut rx = feed.subscribe();
        feed.publish(vec![Update::Outbox, Update::Outbox]);
        tokio::time::timeout(std::time::Duration::from_secs(1), feed.outbox_queued())
            .await
            .expect("woken");
        assert!(rx.try_recv().is_err());
        assert_eq!(feed.revision().seq, 0);
        // A revocation moves the epoch, and is not broadcast either.
        let epoch = feed.credentials_epoch();
        feed.publish(vec![Update::Credentials]);
        assert_eq!(feed.credentials_epoch(), epoch + 1);
        assert!(rx.try_recv().is_err());
    }
}
