//! `AppState`: what every request may use (the store, the authenticator,
//! the request meter, the configuration). Its own module, so the method
//! table (which hands it to handlers) and the server (which builds it) both
//! import it without importing each other.

use std::sync::Arc;

use crate::config::ServeConfig;
use crate::protocol::{auth::Authenticator, limits::Meter};
use crate::store::Store;

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub auth: Arc<Authenticator>,
    /// Request intensity and `operating`, per webhook or application.
    pub meter: Arc<Meter>,
    pub config: Arc<ServeConfig>,
    /// The places of live sessions (`/live`), at most `--max-connections`:
    /// an upgraded WebSocket no longer holds the connection cap's permit.
    pub live: Arc<crate::protocol::live::LiveSlots>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: ServeConfig) -> Self {
        AppState {
            auth: Arc::new(Authenticator::new(Arc::clone(&store))),
            meter: Arc::new(Meter::new(&config.limits)),
            live: crate::protocol::live::LiveSlots::new(config.limits.max_connections),
            store,
            config: Arc::new(config),
        }
    }
}
