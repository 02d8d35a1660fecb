//! Configuration: every default in one place, each overridable by a flag or a
//! `B24IM_*` environment variable (see `cli.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;

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
}

/// The base URL of a webhook, as clients paste it.
pub fn webhook_url(base: &str, user: i64, secret: &str) -> String {
    format!("{}/rest/{user}/{secret}/", base.trim_end_matches('/'))
}

/// The HTTP base URL a listener address is reached at.
pub fn base_url(listen: &SocketAddr) -> String {
    format!("http://{listen}")
}

/// The HTTPS base URL a listener address is reached at.
pub fn https_base_url(listen: &SocketAddr) -> String {
    format!("https://{listen}")
}
