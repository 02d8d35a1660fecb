//! Credentials: inbound webhooks and OAuth-style access tokens, and the scopes
//! they grant. Secrets are random letters and digits (what Bitrix24 clients
//! validate), stored only as SHA-256 hashes, and compared in constant time.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ChatId, Timestamp, UserId};

/// Every scope b24im knows. A webhook made "with every scope" gets all of them.
pub const KNOWN_SCOPES: &[&str] = &[
    "im",
    "imbot",
    "user",
    "user_brief",
    "user_basic",
    "department",
    "user.userfield",
];

/// How long a minted access token lives, as Bitrix24's OAuth tokens do.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    Webhook,
    AccessToken,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Webhook => "webhook",
            CredentialKind::AccessToken => "access_token",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(CredentialKind::Webhook),
            "access_token" => Some(CredentialKind::AccessToken),
            _ => None,
        }
    }
}

/// A set of granted scopes, kept sorted and free of duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

impl Scopes {
    pub fn all() -> Self {
        Scopes(KNOWN_SCOPES.iter().map(|s| s.to_string()).collect())
    }

    /// Parses a comma-separated list; unknown names are an error so that a typo
    /// in `--scope` never silently grants less than meant.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for raw in list.split(',') {
            let name = raw.trim().to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            if !KNOWN_SCOPES.contains(&name.as_str()) {
                return Err(format!(
                    "unknown scope '{name}' (known: {})",
                    KNOWN_SCOPES.join(",")
                ));
            }
            if !out.contains(&name) {
                out.push(name);
            }
        }
        if out.is_empty() {
            return Err("at least one scope is needed".into());
        }
        out.sort();
        Ok(Scopes(out))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    pub fn to_list(&self) -> String {
        self.0.join(",")
    }
}

/// A freshly generated secret, shown once and never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl Secret {
    /// Webhook keys are 16 lowercase letters and digits, like Bitrix24's.
    pub fn webhook() -> Self {
        Secret(random_alnum(16))
    }

    /// Access tokens are longer; still letters and digits only.
    pub fn access_token() -> Self {
        Secret(random_alnum(48))
    }

    /// Client secrets of OAuth applications: 50 letters and digits, like
    /// a portal's.
    pub fn client_secret() -> Self {
        Secret(random_alnum(50))
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

fn random_alnum(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// SHA-256 of a secret, hex-encoded: what the store keeps and looks up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(pub String);

impl TokenHash {
    pub fn of(secret: &str) -> Self {
        let digest = Sha256::digest(secret.as_bytes());
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        TokenHash(hex)
    }

    /// Constant-time equality, so a comparison leaks nothing through timing.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

/// A stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: i64,
    pub kind: CredentialKind,
    pub user: UserId,
    pub token_hash: TokenHash,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// The application this credential acts for (access tokens handed to a
    /// bot's event handler); `None` for webhooks and CLI tokens.
    pub client_id: Option<String>,
    pub ties: Ties,
}

/// What binds a credential beyond its scopes (docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ties {
    /// The one chat it acts in: the token in a bot event's `auth`, which
    /// acts for the user who caused the event, acts only in the event's
    /// chat (`ChatId(0)`: the event had none, so in no chat). `None`: in
    /// every chat its user may.
    pub chat: Option<ChatId>,
    /// The bot whose event handed it out: it dies with the bot.
    pub bot: Option<UserId>,
    /// The credential it was made from (a web client's sign-in with a
    /// webhook): it ends with that one.
    pub parent: Option<i64>,
}

impl Credential {
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

/// What the store needs to save a new credential.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub kind: CredentialKind,
    pub user: UserId,
    pub token_hash: TokenHash,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub client_id: Option<String>,
    pub ties: Ties,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_lowercase_alphanumeric() {
        let s = Secret::webhook();
        assert_eq!(s.0.len(), 16);
        assert!(s
            .0
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(Secret::webhook(), s);
    }

    #[test]
    fn hashes_match_only_their_secret() {
        let s = Secret::webhook();
        assert!(s.hash().matches(&TokenHash::of(&s.0)));
        assert!(!s.hash().matches(&TokenHash::of("other")));
        assert_eq!(s.hash().0.len(), 64);
    }

    #[test]
    fn scopes_parse_and_reject_unknown_names() {
        assert_eq!(Scopes::parse("user, IM,im").unwrap().to_list(), "im,user");
        assert!(Scopes::parse("im,crm").is_err());
        assert!(Scopes::parse(" , ").is_err());
    }
}
