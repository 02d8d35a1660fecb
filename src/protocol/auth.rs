//! Who is calling: a webhook in the path (`/rest/USER/TOKEN/...`), or an access
//! token in `Authorization: Bearer`, `auth` or `access_token` (query, form or
//! JSON body).
//! Tokens are looked up by their SHA-256 hash and compared in constant time.
//!
//! A positive lookup is cached for [`CACHE_TTL`]: a webhook made by the CLI
//! works at once (a miss always asks the store), and a deleted one stops
//! working within that time. On PostgreSQL a revocation on any node also
//! changes the store's credentials epoch, which drops every cached entry at
//! once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::error::ApiError;
use super::limits::MeterKey;
use crate::domain::credentials::{Credential, CredentialKind, Scopes, Ties, TokenHash};
use crate::domain::{Timestamp, UserId};
use crate::store::Store;

/// How long a looked-up credential is trusted without asking the store again.
pub const CACHE_TTL: Duration = Duration::from_secs(1);
const CACHE_LIMIT: usize = 10_000;

/// The authenticated caller of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: UserId,
    pub scopes: Scopes,
    pub kind: CredentialKind,
    /// The application the credential acts for, if it carries one.
    pub client_id: Option<String>,
    /// Whose request limits this call counts against: the application's
    /// when the credential acts for one, else the webhook's or token's own.
    pub meter: MeterKey,
    /// The credential (its id) and what binds it beyond its scopes.
    pub credential: i64,
    pub ties: Ties,
}

/// The credentials a request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Webhook { user: String, token: String },
    AccessToken(String),
    Nothing,
}

pub struct Authenticator {
    store: Arc<dyn Store>,
    /// Credential, when it was looked up, and the store's epoch then.
    /// Credential, its meter key (hashed once, not per request), when it was
    /// looked up, and the store's epoch then.
    cache: Mutex<HashMap<TokenHash, (Credential, MeterKey, Instant, u64)>>,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Authenticator {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub async fn authenticate(&self, presented: Presented) -> Result<Caller, ApiError> {
        let (token, kind, path_user) = match presented {
            Presented::Nothing => return Err(ApiError::no_auth()),
            Presented::Webhook { user, token } => (token, CredentialKind::Webhook, Some(user)),
            Presented::AccessToken(token) => (token, CredentialKind::AccessToken, None),
        };
        // A bad webhook is INVALID_CREDENTIALS; an access token the server
        // does not know is `invalid_token`, as portals' OAuth check answers
        // (the official Python SDK's live test; b24jssdk renews on it). An
        // empty one is no credential at all.
        let refused = match kind {
            CredentialKind::Webhook => ApiError::invalid_credentials,
            CredentialKind::AccessToken => ApiError::invalid_token,
        };
        if token.is_empty() && kind == CredentialKind::AccessToken {
            return Err(ApiError::no_auth());
        }
        if token.is_empty() || token.len() > 256 {
            return Err(refused());
        }
        let hash = TokenHash::of(&token);
        let (credential, meter) = self.lookup(&hash).await?.ok_or_else(refused)?;
        if credential.kind != kind || !credential.token_hash.matches(&hash) {
            return Err(refused());
        }
        // The user id in the path exactly as the webhook's (`02` is not `2`).
        if let Some(user) = path_user {
            if user != credential.user.0.to_string() {
                return Err(refused());
            }
        }
        if credential.is_expired(Timestamp::now()) {
            return Err(ApiError::expired_token());
        }
        Ok(Caller {
            user: credential.user,
            scopes: credential.scopes,
            kind,
            client_id: credential.client_id,
            meter,
            credential: credential.id,
            ties: credential.ties,
        })
    }
}

/// One application's calls share its limits (as on a portal); a webhook or
/// a token of no application has its own.
fn meter_key(client_id: Option<&str>, hash: &TokenHash) -> MeterKey {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match client_id {
        Some(app) => ("app", app).hash(&mut h),
        None => ("credential", &hash.0).hash(&mut h),
    }
    h.finish()
}

impl Authenticator {
    /// The credential with this hash and its meter key, from the cache while fresh.
    async fn lookup(&self, hash: &TokenHash) -> Result<Option<(Credential, MeterKey)>, ApiError> {
        let epoch = self.store.credentials_epoch();
        if let Ok(cache) = self.cache.lock() {
            if let Some((c, key, at, seen)) = cache.get(hash) {
                if at.elapsed() < CACHE_TTL && *seen == epoch {
                    return Ok(Some((c.clone(), *key)));
                }
            }
        }
        // The entry's age counts from before the read: a read that began
        // before a revocation committed is trusted no longer than CACHE_TTL
        // after it (what `webhook delete` waits for).
        let asked = Instant::now();
        let found = self.store.credential(hash.clone()).await?.map(|c| {
            let key = meter_key(c.client_id.as_deref(), hash);
            (c, key)
        });
        if let (Some((c, key)), Ok(mut cache)) = (&found, self.cache.lock()) {
            if cache.len() >= CACHE_LIMIT {
                cache.retain(|_, (_, _, at, _)| at.elapsed() < CACHE_TTL);
                if cache.len() >= CACHE_LIMIT {
                    cache.clear();
                }
            }
            cache.insert(hash.clone(), (c.clone(), *key, asked, epoch));
        }
        Ok(found)
    }
}
