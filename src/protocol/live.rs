//! `GET /live`: the live channel (a WebSocket) that the web client, or any
//! client, listens on for what happens in its user's chats.
//!
//! The protocol, all in JSON text frames:
//! - the client's first frame (within [`HELLO_WAIT`]) authenticates, as REST
//!   calls do: `{"auth": "<access token>"}` or `{"webhook": {"user": "1",
//!   "token": "<secret>"}}`, with the `im` scope; and, when it resumes,
//!   `"since": "<revision>"`, the last revision it saw;
//! - the server answers `{"type": "welcome", "user": 1, "revision": "..."}`
//!   and then, for a resuming client, either what it missed (as below) or
//!   `{"type": "reset", "revision": "..."}`: too much happened (or it was
//!   another node, or an earlier process, or this node may have missed
//!   other nodes' updates), read the state again through REST and resume
//!   from that revision; a reset can also come at any later time;
//! - then, after each commit that concerns the user: `{"type": "updates",
//!   "revision": "...", "updates": [...]}`, each update as in
//!   [`crate::domain::live::Update`] (`message`, `edit`, `delete`,
//!   `reaction`, `read`, `typing`, `chat`, `user`). An update says what
//!   changed; the client reads the change through REST.
//! - an error ends the session: `{"type": "error", "error": "...",
//!   "error_description": "..."}`, then close. The credential is checked
//!   again at once when any credential is revoked or a user deactivated (on
//!   any node), and every [`RECHECK`] (an expiry): a session never outlives
//!   its credential or its user by more than a moment.
//!
//! Limits (docs/security.md): at most `--max-connections` sessions; the
//! upgrades still waiting for their first frame hold a small share of that
//! ([`pending_share`]) and wait at most [`HELLO_WAIT`]; one user holds at
//! most [`PER_USER`] sessions. A resumed session is told nothing of a chat
//! from before its user joined it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::auth::{Caller, Presented};
use super::envelope::error_body;
use super::error::ApiError;
use crate::domain::live::{Batch, Feed, Revision, Update, Watch};
use crate::domain::users::Presence;
use crate::domain::{Timestamp, UserId};
use crate::listen::Peer;
use crate::state::AppState;

/// How long a new connection has to authenticate.
pub const HELLO_WAIT: Duration = Duration::from_secs(3);
/// How often the session's credential is checked again besides.
pub const RECHECK: Duration = Duration::from_secs(30);
/// The least time between two checks a session makes on revocations.
const RECHECK_GAP: Duration = Duration::from_millis(250);
/// Live sessions one credential may hold at once (an application holding
/// a user's token cannot take the places of the user's own sessions).
pub const PER_CREDENTIAL: usize = 16;
/// Live sessions one user may hold at once, over all their credentials.
pub const PER_USER: usize = 64;
/// Upgrades still signing in from one client address at once.
pub const PENDING_PER_ADDRESS: usize = 4;

/// The upgrades that may wait for their first frame at once: an eighth of
/// the sessions (at least 4), so sockets that never sign in cannot take the
/// places of those that do.
pub fn pending_share(sessions: usize) -> usize {
    (sessions / 8).max(4)
}

/// The places of live sessions: all of them, those still signing in (and
/// theirs per client address), and each user's.
pub struct LiveSlots {
    sessions: Arc<tokio::sync::Semaphore>,
    pending: Arc<tokio::sync::Semaphore>,
    pending_from: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
    users: std::sync::Mutex<std::collections::HashMap<i64, usize>>,
    credentials: std::sync::Mutex<std::collections::HashMap<i64, usize>>,
    /// Users whose last session here ended since the last mark.
    left: std::sync::Mutex<Vec<i64>>,
    /// A user arrived (their first session here) or left (their last).
    comings: tokio::sync::Notify,
}

impl LiveSlots {
    pub fn new(sessions: usize) -> Arc<LiveSlots> {
        Arc::new(LiveSlots {
            sessions: Arc::new(tokio::sync::Semaphore::new(sessions)),
            pending: Arc::new(tokio::sync::Semaphore::new(pending_share(sessions))),
            pending_from: std::sync::Mutex::new(std::collections::HashMap::new()),
            users: std::sync::Mutex::new(std::collections::HashMap::new()),
            credentials: std::sync::Mutex::new(std::collections::HashMap::new()),
            left: std::sync::Mutex::new(Vec::new()),
            comings: tokio::sync::Notify::new(),
        })
    }

    /// The users to mark seen: those holding a session here, and those
    /// whose last one ended since the last call.
    fn seen(&self) -> Vec<UserId> {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        let mut seen: Vec<UserId> = users.keys().map(|&u| UserId(u)).collect();
        seen.extend(left.drain(..).map(UserId));
        seen
    }

    /// A place to sign in from `ip`, unless every such place is taken, or
    /// [`PENDING_PER_ADDRESS`] by that address.
    fn take_pending(self: &Arc<Self>, ip: std::net::IpAddr) -> Option<Pending> {
        let ip = crate::listen::client_of(ip);
        let permit = Arc::clone(&self.pending).try_acquire_owned().ok()?;
        let mut from = self.pending_from.lock().unwrap_or_else(|e| e.into_inner());
        let n = from.entry(ip).or_insert(0);
        if *n >= PENDING_PER_ADDRESS {
            return None;
        }
        *n += 1;
        Some(Pending {
            _permit: permit,
            slots: Arc::clone(self),
            ip,
        })
    }

    /// A place for a session of `user` on `credential`, unless the
    /// credential holds [`PER_CREDENTIAL`] or the user [`PER_USER`].
    fn take_user(self: &Arc<Self>, user: i64, credential: i64) -> Option<UserSlot> {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let mut credentials = self.credentials.lock().unwrap_or_else(|e| e.into_inner());
        let held = (
            users.get(&user).copied().unwrap_or(0),
            credentials.get(&credential).copied().unwrap_or(0),
        );
        if held.0 >= PER_USER || held.1 >= PER_CREDENTIAL {
            return None;
        }
        let sessions = users.entry(user).or_insert(0);
        *sessions += 1;
        if *sessions == 1 {
            self.comings.notify_one();
        }
        *credentials.entry(credential).or_insert(0) += 1;
        Some(UserSlot {
            slots: Arc::clone(self),
            user,
            credential,
        })
    }
}

/// An upgrade's place while it signs in, given back when it has (or has
/// not, in time).
struct Pending {
    _permit: tokio::sync::OwnedSemaphorePermit,
    slots: Arc<LiveSlots>,
    ip: std::net::IpAddr,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let mut from = self
            .slots
            .pending_from
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = from.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                from.remove(&self.ip);
            }
        }
    }
}

/// A user's and a credential's place for one session, given back when it
/// ends.
struct UserSlot {
    slots: Arc<LiveSlots>,
    user: i64,
    credential: i64,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        /// Whether `key` held its last place.
        fn release(
            map: &std::sync::Mutex<std::collections::HashMap<i64, usize>>,
            key: i64,
        ) -> bool {
            let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = map.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&key);
                    return true;
                }
            }
            false
        }
        if release(&self.slots.users, self.user) {
            let mut left = self.slots.left.lock().unwrap_or_else(|e| e.into_inner());
            left.push(self.user);
            self.slots.comings.notify_one();
        }
        release(&self.slots.credentials, self.credential);
    }
}
/// Marks the users this node holds live sessions of as seen (the store's
/// `mark_seen`): every [`Presence::MARK_EVERY`] seconds, and a second after
/// a user arrives or leaves (several arrivals, one mark), until `stopped`.
pub async fn mark_presence(
    slots: Arc<LiveSlots>,
    store: Arc<dyn crate::store::Store>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let every = Duration::from_secs(Presence::MARK_EVERY);
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = slots.comings.notified() => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            _ = stopped.changed() => return,
        }
        let seen = slots.seen();
        if seen.is_empty() {
            continue;
        }
        if let Err(e) = store.mark_seen(seen, Timestamp::now()).await {
            tracing::warn!(error = %e, "marking live sessions' users seen");
        }
    }
}

/// The largest frame a client may send.
const MAX_FRAME: usize = 16 * 1024;

#[derive(Deserialize)]
struct Hello {
    auth: Option<String>,
    webhook: Option<WebhookHello>,
    since: Option<String>,
}

#[derive(Deserialize)]
struct WebhookHello {
    user: serde_json::Value,
    token: String,
}

impl Hello {
    fn presented(&self) -> Presented {
        match (&self.auth, &self.webhook) {
            (Some(token), _) => Presented::AccessToken(token.clone()),
            (None, Some(w)) => Presented::Webhook {
                user: match &w.user {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
                token: w.token.clone(),
            },
            (None, None) => Presented::Nothing,
        }
    }
}

/// The route: upgrades and runs the session, while a session slot is free.
/// A request that is no WebSocket upgrade, or finds every slot taken, gets a
/// Bitrix-style JSON error.
pub async fn live(
    State(state): State<AppState>,
    peer: Option<axum::Extension<Peer>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        return ApiError::param(
            "INVALID_REQUEST",
            "/live is a WebSocket: connect with an Upgrade: websocket request",
        )
        .into_response();
    };
    // Every place taken, or every place for signing in: 503 before the
    // upgrade.
    let full = state.live.sessions.available_permits() == 0;
    let ip = peer.map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |p| p.0 .0.ip());
    let (false, Some(pending)) = (full, state.live.take_pending(ip)) else {
        return too_many().into_response();
    };
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| session(state, socket, pending))
}

fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
        "Too many live sessions are open; try again later",
    )
}

/// A revision as the client sees it: `<node>:<seq>`, both hex.
fn format_revision(r: Revision) -> String {
    format!("{:x}:{:x}", r.node, r.seq)
}

fn parse_revision(s: &str) -> Option<Revision> {
    let (node, seq) = s.split_once(':')?;
    Some(Revision {
        node: u64::from_str_radix(node, 16).ok()?,
        seq: u64::from_str_radix(seq, 16).ok()?,
    })
}

async fn send(socket: &mut WebSocket, value: serde_json::Value) -> bool {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .is_ok()
}

async fn fail(socket: &mut WebSocket, e: &ApiError) {
    let mut body = error_body(e);
    body["type"] = json!("error");
    let _ = send(socket, body).await;
    let _ = socket.send(Message::Close(None)).await;
}

/// Reads the first frame and authenticates it.
async fn hello(state: &AppState, socket: &mut WebSocket) -> Result<(Caller, Hello), ApiError> {
    let bad = || ApiError::no_auth();
    let frame = match tokio::time::timeout(HELLO_WAIT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => text,
        _ => return Err(bad()),
    };
    let hello: Hello = serde_json::from_str(frame.as_str()).map_err(|_| bad())?;
    let caller = state.auth.authenticate(hello.presented()).await?;
    if !caller.scopes.contains("im") {
        return Err(ApiError::insufficient_scope());
    }
    // A token confined to one event's chat hears nothing of its user's
    // other chats (methods/confine.rs).
    if caller.ties.chat.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            "This token acts only in the chat of the event that handed it out",
        ));
    }
    Ok((caller, hello))
}

async fn session(state: AppState, mut socket: WebSocket, pending: Pending) {
    let signed_in = hello(&state, &mut socket).await;
    drop(pending);
    let (caller, hello) = match signed_in {
        Ok(h) => h,
        Err(e) => return fail(&mut socket, &e).await,
    };
    let Ok(_place) = Arc::clone(&state.live.sessions).try_acquire_owned() else {
        return fail(&mut socket, &too_many()).await;
    };
    let Some(_user_place) = state.live.take_user(caller.user.0, caller.credential) else {
        let e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_SESSIONS",
            format!(
                "This credential has {PER_CREDENTIAL} live sessions open (a user at most \
                 {PER_USER}); close one first"
            ),
        );
        return fail(&mut socket, &e).await;
    };
    let presented = hello.presented();
    let feed: Arc<Feed> = Arc::clone(state.store.feed());
    // Subscribed first: nothing published from here on is missed.
    let mut rx = feed.subscribe();
    let mut revocations = feed.revocations();
    let mut watch = match watch_of(&state, caller.user).await {
        Ok(w) => w,
        Err(e) => return fail(&mut socket, &e).await,
    };
    let now = feed.revision();
    let welcome =
        json!({"type": "welcome", "user": caller.user.0, "revision": format_revision(now)});
    if !send(&mut socket, welcome).await {
        return;
    }
    // Where the session is: the numbering (`node`) and the last seq passed on.
    let (mut node, mut last) = (now.node, now.seq);
    if let Some(since) = hello.since.as_deref() {
        match parse_revision(since).and_then(|r| feed.since(r)) {
            Some(batch) => {
                last = end_of(&batch);
                if !pass_on(&state, &mut socket, &mut watch, &batch, (0, true)).await {
                    return;
                }
            }
            None => {
                if !reset(&mut socket, now).await {
                    return;
                }
            }
        }
    }
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    // The check a revocation asked for, and when the last one was made.
    let mut due: Option<tokio::time::Instant> = None;
    let mut last_check = tokio::time::Instant::now();
    loop {
        tokio::select! {
            received = rx.recv() => match received {
                // Updates may have been missed: start over.
                Ok(batch) if batch.reset => {
                    (node, last) = (batch.node, batch.first - 1);
                    if !reset(&mut socket, Revision { node, seq: last }).await {
                        return;
                    }
                }
                Ok(batch) => {
                    let end = end_of(&batch);
                    if end <= last {
                        continue;
                    }
                    let skip = last.saturating_sub(batch.first - 1) as usize;
                    last = end;
                    if !pass_on(&state, &mut socket, &mut watch, &batch, (skip, false)).await {
                        return;
                    }
                }
                // Fell behind: catch up from the ring, or start over.
                Err(RecvError::Lagged(_)) => match feed.since(Revision { node, seq: last }) {
                    Some(batch) => {
                        last = end_of(&batch);
                        if !pass_on(&state, &mut socket, &mut watch, &batch, (0, true)).await {
                            return;
                        }
                    }
                    None => {
                        let now = feed.revision();
                        (node, last) = (now.node, now.seq);
                        if !reset(&mut socket, now).await {
                            return;
                        }
                    }
                },
                Err(RecvError::Closed) => return,
            },
            frame = socket.recv() => match frame {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                // Pings are answered by the library; text frames are ignored.
                Some(Ok(_)) => {}
            },
            // A revocation anywhere: the credential (and its user) must
            // still be good. Checked a moment later (spread over the
            // sessions, several revocations in one check, at most one check
            // in RECHECK_GAP), never more than a second after.
            changed = revocations.changed() => {
                if changed.is_err() {
                    return;
                }
                if due.is_none() {
                    let spread = Duration::from_millis(rand::random::<u64>() % 200);
                    let earliest = last_check + RECHECK_GAP;
                    due = Some((tokio::time::Instant::now() + spread).max(earliest));
                }
            }
            () = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now)), if due.is_some() => {
                due = None;
                last_check = tokio::time::Instant::now();
                if let Err(e) = state.auth.authenticate(presented.clone()).await {
                    return fail(&mut socket, &e).await;
                }
            }
            _ = recheck.tick() => {
                if let Err(e) = state.auth.authenticate(presented.clone()).await {
                    return fail(&mut socket, &e).await;
                }
            }
        }
    }
}

/// The seq of a batch's last update (of the one before it, when it has none).
fn end_of(batch: &Batch) -> u64 {
    batch.first + batch.updates.len() as u64 - 1
}

/// Tells the client to read its state again; `now` is where to resume from.
async fn reset(socket: &mut WebSocket, now: Revision) -> bool {
    send(
        socket,
        json!({"type": "reset", "revision": format_revision(now)}),
    )
    .await
}

/// The user and the chats they are in.
async fn watch_of(state: &AppState, user: UserId) -> Result<Watch, ApiError> {
    let chats = state
        .store
        .chats_of(user)
        .await
        .map_err(crate::domain::Error::from)?;
    Ok(Watch {
        user: user.0,
        chats: chats.into_iter().map(|c| c.0).collect(),
    })
}

/// Sends what of `batch` (from its `skip`th update) concerns the session's
/// user; reads the user's chats again when an update changed them. A batch
/// replayed from the ring (`replay`: the client missed it) may hold the
/// updates of a chat from before the user joined it: those are not told.
/// False when the client is gone.
async fn pass_on(
    state: &AppState,
    socket: &mut WebSocket,
    watch: &mut Watch,
    batch: &Batch,
    (skip, replay): (usize, bool),
) -> bool {
    let updates = || batch.updates.iter().skip(skip);
    // Chats the user joins (or leaves) within a replayed range are theirs
    // only from that point on.
    let mut joins_ahead: std::collections::HashSet<i64> = if replay {
        updates()
            .filter(|u| watch.changes_chats(u))
            .filter_map(Update::chat)
            .collect()
    } else {
        Default::default()
    };
    watch.chats.retain(|c| !joins_ahead.contains(c));
    let mut out: Vec<&Update> = Vec::new();
    for update in updates() {
        if watch.changes_chats(update) {
            // Only this update's chat changes here: a chat the user joins in
            // a later update (still queued) is theirs from that update on.
            if let Some(chat) = update.chat() {
                joins_ahead.remove(&chat);
                match watch_of(state, UserId(watch.user)).await {
                    Ok(now) if now.chats.contains(&chat) && !joins_ahead.contains(&chat) => {
                        watch.chats.insert(chat);
                    }
                    Ok(_) => {
                        watch.chats.remove(&chat);
                    }
                    Err(_) => return false,
                }
            }
        }
        if watch.concerns(update) {
            out.push(update);
        }
    }
    if out.is_empty() {
        return true;
    }
    let revision = Revision {
        node: batch.node,
        seq: end_of(batch),
    };
    send(
        socket,
        json!({"type": "updates", "revision": format_revision(revision), "updates": out}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_read_back_as_written() {
        let r = Revision {
            node: 0xabc,
            seq: 42,
        };
        assert_eq!(parse_revision(&format_revision(r)), Some(r));
        assert_eq!(parse_revision("zz:1"), None);
        assert_eq!(parse_revision("12"), None);
    }
}
