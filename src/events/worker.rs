//! The dispatcher: claims due events from the outbox, POSTs them, records
//! the outcome. See the module above for the guarantees.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Mutex, Semaphore};

use super::form;
use super::payload::{self, IssuedToken, Portal};
use crate::domain::credentials::{self, CredentialKind, NewCredential, Scopes, Secret, Ties};
use crate::domain::events::{backoff_ms, Attempt, OutboxEntry};
use crate::domain::{Timestamp, UserId};
use crate::store::Store;

/// How delivery behaves; every field has a `serve` flag.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// One attempt's limit, connect to last byte.
    pub timeout: Duration,
    /// Attempts before an event is kept as dead.
    pub max_attempts: i64,
    /// How often the outbox is checked for due events (retries falling due,
    /// events another process queued) when no commit wakes the worker.
    pub poll: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// The base URL handlers are told to call back (`client_endpoint`).
    pub public_url: String,
    /// Handlers non-administrators registered reach only public addresses
    /// (`--refuse-private-handlers`, events/reach.rs).
    pub refuse_private: bool,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            timeout: Duration::from_secs(10),
            max_attempts: 12,
            poll: Duration::from_secs(1),
            concurrency: 16,
            public_url: "http://127.0.0.1:8080".into(),
            refuse_private: false,
        }
    }
}

/// Tokens handed to handlers are reused while they have this long to live.
const TOKEN_REUSE_SECS: i64 = 30 * 60;
/// Past this many cached tokens, the stale ones are dropped.
const TOKEN_CACHE_LIMIT: usize = 10_000;

/// A handed-out token's user, application, scopes and ties.
type TokenKey = (i64, String, String, Ties);

struct Dispatcher {
    store: Arc<dyn Store>,
    config: DeliveryConfig,
    client: reqwest::Client,
    /// For handlers of non-administrators under `refuse_private`: it
    /// connects to public addresses only.
    public_client: reqwest::Client,
    portal: Portal,
    /// Tokens minted for handlers, and the store's credentials epoch when the
    /// cache was last known good: a revocation on any node empties it.
    tokens: Mutex<(u64, HashMap<TokenKey, IssuedToken>)>,
    slots: Arc<Semaphore>,
    /// Told when a delivery ends, so a full worker claims more at once.
    freed: tokio::sync::Notify,
}

/// Why the dispatcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Starts the dispatcher; it stops when `stop` turns true.
pub async fn spawn(
    store: Arc<dyn Store>,
    config: DeliveryConfig,
    mut stop: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, StartError> {
    let portal = super::portal(store.as_ref(), &config.public_url).await?;
    let client = super::http_client(config.timeout, false)?;
    let public_client = super::http_client(config.timeout, true)?;
    let dispatcher = Arc::new(Dispatcher {
        store,
        portal,
        client,
        public_client,
        tokens: Mutex::new((0, HashMap::new())),
        slots: Arc::new(Semaphore::new(config.concurrency.max(1))),
        freed: tokio::sync::Notify::new(),
        config,
    });
    Ok(tokio::spawn(async move {
        let mut last_purge = Timestamp(0);
        loop {
            if *stop.borrow() {
                return;
            }
            let claimed = dispatcher.claim().await;
            if claimed == 0 {
                // Woken by the commit that queued an event (on PostgreSQL,
                // any node's), or by the clock for retries.
                tokio::select! {
                    () = dispatcher.store.feed().outbox_queued() => {}
                    () = dispatcher.freed.notified() => {}
                    _ = tokio::time::sleep(dispatcher.config.poll) => {}
                    changed = stop.changed() => {
                        if changed.is_err() {
                            return; // the server is gone
                        }
                    }
                }
            }
            let now = Timestamp::now();
            if now.0 - last_purge.0 > 3600 {
                last_purge = now;
                // Tokens handed to handlers expire after an hour; keep a day.
                let _ = dispatcher
                    .store
                    .purge_expired_tokens(Timestamp(now.0 - 86_400))
                    .await;
                // im.v2 user events and v2 bot events are kept 24 hours.
                let _ = dispatcher
                    .store
                    .purge_user_events(Timestamp(now.0 - 86_400))
                    .await;
            }
        }
    }))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Dispatcher {
    /// Leases the due events there are free slots for, and starts them.
    async fn claim(self: &Arc<Self>) -> usize {
        let free = self.slots.available_permits();
        if free == 0 {
            return 0;
        }
        // The lease outlives an attempt, so no one else takes the event meanwhile.
        let lease = self.config.timeout.as_millis() as i64 * 2 + 5_000;
        let events = match self.store.claim_events(now_ms(), lease, free).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the event outbox");
                return 0;
            }
        };
        let n = events.len();
        for entry in events {
            let Ok(permit) = Arc::clone(&self.slots).acquire_owned().await else {
                return n;
            };
            let me = Arc::clone(self);
            tokio::spawn(async move {
                me.deliver(entry).await;
                drop(permit);
                me.freed.notify_one();
            });
        }
        n
    }

    async fn deliver(&self, entry: OutboxEntry) {
        let started = std::time::Instant::now();
        let mut status = None;
        let outcome = self.attempt(&entry, &mut status).await;
        let attempt = Attempt {
            status,
            latency_ms: started.elapsed().as_millis() as i64,
        };
        let result = match outcome {
            Ok(()) => {
                self.store
                    .event_delivered(entry.id, now_ms(), attempt)
                    .await
            }
            Err(error) => {
                let number = entry.attempts + 1;
                tracing::warn!(
                    event = entry.id,
                    name = entry.record.kind.name(),
                    handler = %entry.handler,
                    attempt = number,
                    %error,
                    "event delivery failed"
                );
                let retry =
                    (number < self.config.max_attempts).then(|| now_ms() + backoff_ms(number));
                self.store
                    .event_failed(entry.id, error, retry, attempt)
                    .await
            }
        };
        if let Err(e) = result {
            // The lease runs out and the event is tried again: at least once.
            tracing::warn!(event = entry.id, error = %e, "cannot record a delivery");
        }
    }

    /// One attempt; `status` gets the handler's HTTP status if it answered.
    async fn attempt(&self, entry: &OutboxEntry, status: &mut Option<u16>) -> Result<(), String> {
        let bot_token = match payload::bot_token_user(entry) {
            None => None,
            Some(user) => Some(
                self.token(
                    user,
                    &entry.client_id,
                    &entry.scopes,
                    entry.bot_token_ties(),
                )
                .await?,
            ),
        };
        // The token in `auth` acts for the causing user (a bot event) or the
        // binder (a bound user event) with the scopes the application was
        // granted: those of the credential that registered the bot or bound
        // the handler. A portal's token carries the application's scopes, so
        // the founding page's `im.message.like` with `$_REQUEST["auth"]` works.
        let user_token = self
            .token(
                entry.auth_user,
                &entry.client_id,
                &entry.scopes,
                entry.user_token_ties(),
            )
            .await?;
        let application = self.application_token(&entry.client_id).await?;
        let tokens = payload::Tokens {
            bot: bot_token.as_ref(),
            user: &user_token,
            application: &application,
        };
        let payload = payload::of_entry(entry, &self.portal, tokens);
        let body = form::encode(&payload);
        let client = if self.public_only(entry).await? {
            if super::reach::literal_private(&entry.handler) {
                return Err(
                    "the handler is a private address (private handlers are refused)".into(),
                );
            }
            &self.public_client
        } else {
            &self.client
        };
        let res = client
            .post(&entry.handler)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-B24im-Event-Id", entry.id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    format!("timed out after {:?}", self.config.timeout)
                } else {
                    format!("{e}")
                }
            })?;
        let answered = res.status();
        *status = Some(answered.as_u16());
        if answered.is_success() {
            Ok(())
        } else {
            Err(format!("the handler answered HTTP {}", answered.as_u16()))
        }
    }

    /// Whether `entry`'s handler may reach only public addresses: under
    /// `refuse_private`, unless an administrator registered it (bound it,
    /// for a user event; owns the bot, for a bot's).
    async fn public_only(&self, entry: &OutboxEntry) -> Result<bool, String> {
        if !self.config.refuse_private {
            return Ok(false);
        }
        let unreadable = |e: crate::store::StoreError| format!("cannot read the registrant: {e}");
        let registrant = if entry.record.kind.is_user() {
            UserId(entry.auth_user)
        } else {
            match self
                .store
                .bot(UserId(entry.record.bot_id))
                .await
                .map_err(unreadable)?
            {
                Some(bot) => bot.owner,
                None => UserId(entry.auth_user),
            }
        };
        let admin = self
            .store
            .user(registrant)
            .await
            .map_err(unreadable)?
            .is_some_and(|u| u.admin && u.active);
        Ok(!admin)
    }

    /// The `application_token` of the application `client_id`'s events: of
    /// its latest installation, for an OAuth application.
    async fn application_token(&self, client_id: &str) -> Result<String, String> {
        let installs = self
            .store
            .application(client_id.to_owned())
            .await
            .map_err(|e| format!("cannot read the application: {e}"))?
            .map_or(0, |a| a.installs);
        let subject = crate::domain::applications::token_subject(client_id, installs);
        Ok(self.portal.app_tokens.token(&subject))
    }

    /// An access token for `user` acting for `client_id`, reused while fresh.
    async fn token(
        &self,
        user: i64,
        client_id: &str,
        scopes: &Scopes,
        ties: Ties,
    ) -> Result<IssuedToken, String> {
        let key = (user, client_id.to_owned(), scopes.to_list(), ties);
        let now = Timestamp::now();
        let mut guard = self.tokens.lock().await;
        let (seen, cache) = &mut *guard;
        let epoch = self.store.credentials_epoch();
        if *seen != epoch {
            cache.clear();
            *seen = epoch;
        }
        if let Some(t) = cache.get(&key) {
            if t.expires - now.0 > TOKEN_REUSE_SECS {
                return Ok(t.clone());
            }
        }
        let secret = Secret::access_token();
        let expires = now.0 + credentials::ACCESS_TOKEN_TTL_SECS;
        self.store
            .create_credential(NewCredential {
                kind: CredentialKind::AccessToken,
                user: UserId(user),
                token_hash: secret.hash(),
                scopes: scopes.clone(),
                created_at: now,
                expires_at: Some(Timestamp(expires)),
                client_id: Some(client_id.to_owned()),
                ties,
            })
            .await
            .map_err(|e| format!("cannot issue a token: {e}"))?;
        let token = IssuedToken {
            access_token: secret.0,
            expires,
            user_id: user,
            scope: scopes.to_list(),
        };
        if cache.len() >= TOKEN_CACHE_LIMIT {
            cache.retain(|_, t| t.expires - now.0 > TOKEN_REUSE_SECS);
        }
        cache.insert(key, token.clone());
        Ok(token)
    }
}
