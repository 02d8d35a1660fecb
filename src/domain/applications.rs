//! Applications: local OAuth 2.0 applications an administrator adds
//! (`b24im app add`), installs for a user, and that then act through access
//! tokens they renew with a refresh token (docs settings/oauth/,
//! local-integrations/local-apps.md).
//!
//! An application is named by its client id (`local.<hex>.<digits>`, as
//! portals name local applications) and proves itself with its client
//! secret, kept only as a hash. The grants it is handed, an authorization
//! code and a refresh token, are kept the same way.

use rand::Rng;

use super::credentials::{Scopes, Secret, TokenHash};
use super::{Timestamp, UserId};

/// The web client's application (served at `/`), made by a migration.
pub const WEB_CLIENT_ID: &str = "b24im.web";

/// An authorization code is good for 30 seconds, once (auto-renewal.md).
pub const CODE_TTL_SECS: i64 = 30;
/// A refresh token lives 180 days.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 180 * 24 * 3600;

/// An application b24im knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The local id (`app.info` `ID`).
    pub id: i64,
    pub client_id: String,
    pub name: String,
    /// `None`: a client id only seen acting (a webhook's `CLIENT_ID`), not
    /// an OAuth application.
    pub secret_hash: Option<TokenHash>,
    pub scopes: Scopes,
    /// Where ONAPPINSTALL and ONAPPUNINSTALL go (empty: nowhere).
    pub handler: String,
    /// Where `/oauth/authorize/` sends the user back with a code (empty:
    /// the handler).
    pub redirect_uri: String,
    /// The administrator who installed it; `None` while not installed.
    pub installed_by: Option<UserId>,
    /// A public client (the web client, [`WEB_CLIENT_ID`]): installed from
    /// the start, and it exchanges codes and refresh tokens without a secret.
    pub public: bool,
    pub created_at: Timestamp,
    /// How many times it was installed: its events' `application_token` is
    /// that of its latest installation.
    pub installs: i64,
}

impl Application {
    /// What its events' `application_token` is made from (see
    /// [`token_subject`]).
    pub fn token_subject(&self) -> String {
        token_subject(&self.client_id, self.installs)
    }

    pub fn is_oauth(&self) -> bool {
        self.secret_hash.is_some()
    }

    pub fn installed(&self) -> bool {
        self.installed_by.is_some() || self.public
    }

    /// Whether `secret` is this application's client secret (a public
    /// client has none to prove).
    pub fn secret_matches(&self, secret: &str) -> bool {
        self.public
            || self
                .secret_hash
                .as_ref()
                .is_some_and(|h| h.matches(&TokenHash::of(secret)))
    }

    /// Where an authorization sends the user back.
    pub fn return_url(&self) -> &str {
        if self.redirect_uri.is_empty() {
            &self.handler
        } else {
            &self.redirect_uri
        }
    }
}

/// What `app add` gives.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub client_id: String,
    pub name: String,
    pub secret_hash: TokenHash,
    pub scopes: Scopes,
    pub handler: String,
    pub redirect_uri: String,
    pub created_at: Timestamp,
}

impl NewApplication {
    /// A new application with a fresh client id; the secret is returned
    /// beside it, to be shown once.
    pub fn generate(
        name: &str,
        scopes: Scopes,
        handler: &str,
        redirect_uri: &str,
        now: Timestamp,
    ) -> Result<(NewApplication, Secret), String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err("an application needs a name of 1 to 255 characters".into());
        }
        for (what, url) in [("--handler", handler), ("--redirect-uri", redirect_uri)] {
            if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("{what} must be an http:// or https:// URL"));
            }
        }
        let secret = Secret::client_secret();
        Ok((
            NewApplication {
                client_id: client_id(),
                name: name.to_owned(),
                secret_hash: secret.hash(),
                scopes,
                handler: handler.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                created_at: now,
            },
            secret,
        ))
    }
}

/// Whether `s` is an application's key as b24im stores it (an OAuth
/// application's client id, `local.` or `app.`; a v2 bot token's,
/// `bot-token:`; the web client's; a webhook user's, `webhook:`) rather than
/// a name a webhook's `CLIENT_ID` gives. Names never collide with keys: a
/// webhook's name is always keyed under its user ([`webhook_app`]).
pub fn is_app_key(s: &str) -> bool {
    let id = s.trim();
    id.starts_with("local.")
        || id.starts_with("app.")
        || id.starts_with("bot-token:")
        || id.starts_with("b24im.")
        || id.starts_with(WEBHOOK_APP)
}

/// How the applications of webhooks' users are keyed.
const WEBHOOK_APP: &str = "webhook:";

/// The application a user acts for through a webhook (or a token of no
/// application) when the call names `client_id` (`CLIENT_ID`; empty for the
/// user's unnamed one, which `event.bind` binds for): that user's own,
/// `webhook:<user>:<client_id>`. The same name said by another user is
/// another application, which sees nothing of the first (its bots, their
/// deliveries, its notification tags, its quotas).
pub fn webhook_app(user: UserId, client_id: &str) -> String {
    format!("{WEBHOOK_APP}{}:{}", user.0, client_id.trim())
}

/// An application key as clients see it: a webhook user's application by
/// the name the user gave it, any other as it is.
pub fn shown_client_id(key: &str) -> &str {
    key.strip_prefix(WEBHOOK_APP)
        .and_then(|rest| rest.split_once(':'))
        .filter(|(user, _)| !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit()))
        .map_or(key, |(_, name)| name)
}

/// What an application's `application_token` is made from: the key of
/// the application the events are for (an OAuth application's client id, a
/// webhook user's application, a v2 bot token's), and for an OAuth
/// application its installation, so that a reinstall gives a new token. The
/// token itself is keyed by a secret only the server has
/// (`events::payload::AppTokens`): nothing a client sees derives it.
pub fn token_subject(app_key: &str, installs: i64) -> String {
    format!("{app_key}#{installs}")
}

/// `local.` + 14 hex digits + `.` + 8 decimal digits, as portals name
/// local applications (`local.5c8bb1b0891cf2.87252039`).
fn client_id() -> String {
    let mut rng = rand::rng();
    let hex: String = (0..14)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect();
    let digits: u32 = rng.random_range(10_000_000..100_000_000);
    format!("local.{hex}.{digits}")
}

/// What an OAuth grant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// An authorization code from `/oauth/authorize/`.
    Code,
    /// A refresh token.
    Refresh,
}

impl GrantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::Code => "code",
            GrantKind::Refresh => "refresh",
        }
    }
}

/// A stored grant: whose, for which application, with what scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub kind: GrantKind,
    pub token_hash: TokenHash,
    pub client_id: String,
    pub user: UserId,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The credential the sign-in was made with: the grant, and the tokens
    /// it is exchanged for, end with it.
    pub parent: Option<i64>,
}

/// Why `/oauth/token/` refuses (error-codes.md, the OAuth part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// No such application, or the wrong secret.
    #[error("invalid_client")]
    InvalidClient,
    /// A code or refresh token that is unknown, used, expired, or another
    /// application's.
    #[error("invalid_grant")]
    InvalidGrant,
    /// A `grant_type` other than `authorization_code` and `refresh_token`.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// A parameter the grant needs is missing.
    #[error("invalid_request")]
    InvalidRequest,
}

/// The hashes and lifetimes of a new access token and refresh token, for
/// the store; the secrets themselves stay with the caller.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_hash: TokenHash,
    pub access_expires: Timestamp,
    pub refresh_hash: TokenHash,
    pub refresh_expires: Timestamp,
}

impl TokenPair {
    /// A fresh pair issued at `now`, with its two secrets.
    pub fn issue(now: Timestamp) -> (TokenPair, Secret, Secret) {
        let access = Secret::access_token();
        let refresh = Secret::access_token();
        (
            TokenPair {
                access_hash: access.hash(),
                access_expires: Timestamp(now.0 + super::credentials::ACCESS_TOKEN_TTL_SECS),
                refresh_hash: refresh.hash(),
                refresh_expires: Timestamp(now.0 + REFRESH_TOKEN_TTL_SECS),
            },
            access,
            refresh,
        )
    }
}

/// What a successful code exchange or refresh hands out.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: Secret,
    pub refresh_token: Secret,
    /// When the pair was made: `expires_in` is counted from here, so a
    /// fresh token says exactly its lifetime, whenever the answer is built.
    pub issued: Timestamp,
    pub expires: Timestamp,
    pub user: UserId,
    pub scopes: Scopes,
    pub client_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_look_like_a_portals() {
        let id = client_id();
        let parts: Vec<&str> = id.split('.').collect();
        assert_eq!(parts.len(), 3, "{id}");
        assert_eq!(parts[0], "local");
        assert_eq!(parts[1].len(), 14);
        assert!(parts[1].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(parts[2].len(), 8);
        assert!(parts[2].bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(client_id(), id);
    }

    #[test]
    fn a_new_application_keeps_only_the_hash_of_its_secret() {
        let (app, secret) = NewApplication::generate(
            "Bot app",
            Scopes::parse("im,imbot").unwrap(),
            "https://example.com/h",
            "",
            Timestamp(1),
        )
        .unwrap();
        assert_eq!(secret.0.len(), 50);
        assert_eq!(app.secret_hash, TokenHash::of(&secret.0));
        assert!(NewApplication::generate(" ", Scopes::all(), "", "", Timestamp(1)).is_err());
        assert!(NewApplication::generate("x", Scopes::all(), "ftp://h", "", Timestamp(1)).is_err());
    }

    #[test]
    fn a_webhook_users_application_is_their_own_and_shown_by_its_name() {
        let mine = webhook_app(UserId(7), " myapp ");
        assert_eq!(mine, "webhook:7:myapp");
        assert_ne!(mine, webhook_app(UserId(8), "myapp"));
        assert_eq!(shown_client_id(&mine), "myapp");
        assert_eq!(shown_client_id(&webhook_app(UserId(7), "")), "");
        assert_eq!(shown_client_id("local.x.1"), "local.x.1");
        assert!(is_app_key(&mine));
        // A name that looks like a key is still the user's own.
        assert_eq!(webhook_app(UserId(8), &mine), "webhook:8:webhook:7:myapp");
        assert_eq!(
            shown_client_id("webhook:8:webhook:7:myapp"),
            "webhook:7:myapp"
        );
    }

    #[test]
    fn keys_are_told_from_names() {
        assert!(!is_app_key("myapp"));
        assert!(is_app_key(&client_id()));
        assert!(is_app_key(" app.573ad8a0346747.09223434"));
        assert!(is_app_key("bot-token:0123456789abcdef"));
    }

    #[test]
    fn the_return_url_is_the_redirect_uri_else_the_handler() {
        let mut app = Application {
            id: 1,
            client_id: "local.x.1".into(),
            name: "A".into(),
            secret_hash: Some(TokenHash::of("s")),
            scopes: Scopes::all(),
            handler: "https://h/".into(),
            redirect_uri: String::new(),
            installed_by: None,
            public: false,
            created_at: Timestamp(0),
            installs: 0,
        };
        assert_eq!(app.return_url(), "https://h/");
        assert!(app.secret_matches("s"));
        assert!(!app.secret_matches("t"));
        app.redirect_uri = "https://r/".into();
        assert_eq!(app.return_url(), "https://r/");
    }
}
