//! Configuration: every default in one place, each overridable by a flag or a
//! `B24IM_*` environment variable (see `cli.rs`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "b24im-data";
/// The largest request body accepted: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What `serve` runs with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub body_limit: usize,
    /// How events are delivered to handlers.
    pub delivery: crate::events::DeliveryConfig,
    /// What one client may ask of the server (docs/security.md).
    pub limits: Limits,
    /// `/oauth/authorize/` lists the users to sign in as (local mode): on
    /// by default on a loopback listener, else off (`--dev-login`).
    pub dev_login: bool,
}

/// Seconds the head of a request may take to arrive, from when the
/// connection is ready for it (so also how long a keep-alive connection may
/// sit idle).
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 30;
/// Seconds a request body may take to arrive.
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 30;
/// Connections open at once, HTTP and HTTPS together.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Connections open at once from one client address, unless set (0: no
/// cap): an eighth of all (at least 8), so a few addresses never take the
/// server.
pub fn default_per_address(max_connections: usize) -> usize {
    (max_connections / 8).max(8)
}
/// Seconds a new connection may stay silent before it is closed.
pub const DEFAULT_FIRST_REQUEST_TIMEOUT_SECS: u64 = 5;
/// Users one call may name (`im.chat.add`, `im.chat.user.add`, ...).
pub const DEFAULT_MAX_USERS_PER_CALL: usize = 1000;
/// Bytes `$result[...]` references may add to one batch command.
pub const DEFAULT_BATCH_EXPANSION: usize = 1024 * 1024;
/// Bytes of results one batch answer holds (50 of the largest single
/// answers, a page of 50 long messages each, would be about 50 MB).
pub const DEFAULT_BATCH_ANSWER: usize = 4 * 1024 * 1024;

/// The limits a public server needs, each with its flag (cli.rs) and its
/// default here.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    pub first_request_timeout: Duration,
    pub max_users_per_call: usize,
    pub batch_expansion: usize,
    pub batch_answer: usize,
    /// The request intensity limit (Bitrix24's leaky bucket); off by default.
    pub rate: Option<RateLimit>,
    /// Seconds of a method's accumulated run time per application or webhook
    /// over 10 minutes (`operating`) before it is refused; off by default.
    pub operating_limit: Option<f64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: default_per_address(DEFAULT_MAX_CONNECTIONS),
            first_request_timeout: Duration::from_secs(DEFAULT_FIRST_REQUEST_TIMEOUT_SECS),
            max_users_per_call: DEFAULT_MAX_USERS_PER_CALL,
            batch_expansion: DEFAULT_BATCH_EXPANSION,
            batch_answer: DEFAULT_BATCH_ANSWER,
            rate: None,
            operating_limit: None,
        }
    }
}

/// Bitrix24's leaky bucket (limits.md): each request adds one; the counter
/// drains `drain` a second; past `threshold` a request answers 503
/// `QUERY_LIMIT_EXCEEDED`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub threshold: f64,
    pub drain: f64,
}

impl RateLimit {
    /// The plans' values (limits.md): "Others" 50 and 2 a second.
    pub const STANDARD: RateLimit = RateLimit {
        threshold: 50.0,
        drain: 2.0,
    };
    /// Enterprise: 250 and 5 a second.
    pub const ENTERPRISE: RateLimit = RateLimit {
        threshold: 250.0,
        drain: 5.0,
    };

    /// `off`, `standard`, `enterprise`, or `THRESHOLD:DRAIN` (`50:2`).
    pub fn parse(s: &str) -> Result<Option<RateLimit>, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "" => Ok(None),
            "standard" => Ok(Some(RateLimit::STANDARD)),
            "enterprise" => Ok(Some(RateLimit::ENTERPRISE)),
            other => {
                let (t, d) = other.split_once(':').ok_or_else(|| {
                    format!("{s:?}: give off, standard, enterprise or THRESHOLD:DRAIN (50:2)")
                })?;
                let threshold: f64 = t.parse().map_err(|_| format!("{t:?} is not a number"))?;
                let drain: f64 = d.parse().map_err(|_| format!("{d:?} is not a number"))?;
                if !(threshold >= 1.0 && drain > 0.0 && threshold.is_finite() && drain.is_finite())
                {
                    return Err(format!(
                        "{s:?}: the threshold must be >= 1 and the drain > 0"
                    ));
                }
                Ok(Some(RateLimit { threshold, drain }))
            }
        }
    }
}

/// The accumulated-time limit portals apply when one is set (limits.md's
/// example; a self-hosted portal that turns it on uses 420).
pub const PORTAL_OPERATING_LIMIT_SECS: f64 = 480.0;

/// The base URL of a webhook, as clients paste it.
pub fn webhook_url(base: &str, user: i64, secret: &str) -> String {
    format!("{}/rest/{user}/{secret}/", base.trim_end_matches('/'))
}

/// The `host[:port]` of a base URL (`https://127.0.0.1:8443` ->
/// `127.0.0.1:8443`), as `domain` names it in answers and events.
pub fn host_of(base: &str) -> &str {
    let base = base.trim_end_matches('/');
    base.split_once("://").map_or(base, |(_, host)| host)
}

/// Whether `url` names this machine (a loopback address or a `localhost`
/// name).
pub fn is_loopback_url(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url.trim()) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    is_loopback_name(host) || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a host name (no port, no brackets) is `localhost` or one of its
/// subdomains, which always name this machine (RFC 6761), in any case and
/// with or without the root's dot. The one rule for local sign-in, the
/// loopback default of `--dev-login` and handlers that point here.
pub fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// The HTTP base URL a listener address is reached at.
pub fn base_url(listen: &SocketAddr) -> String {
    format!("http://{listen}")
}

/// The HTTPS base URL a listener address is reached at.
pub fn https_base_url(listen: &SocketAddr) -> String {
    format!("https://{listen}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_told_apart() {
        assert!(is_loopback_url("http://127.0.0.1:8080"));
        assert!(is_loopback_url("https://localhost/"));
        assert!(is_loopback_url("http://[::1]:8080"));
        assert!(!is_loopback_url("https://im.example.com"));
        assert!(!is_loopback_url("not a url"));
    }

    #[test]
    fn hosts_come_from_bases() {
        assert_eq!(host_of("https://127.0.0.1:8443"), "127.0.0.1:8443");
        assert_eq!(host_of("http://b24im.localhost/"), "b24im.localhost");
        assert_eq!(host_of("b24im.localhost"), "b24im.localhost");
    }
}
