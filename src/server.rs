//! The HTTP server: `AppState`, the router, and `run`, which owns every task
//! and stops them all on one shutdown signal.

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::cors::{Any, CorsLayer};

use crate::config::ServeConfig;
use crate::protocol::{self, auth::Authenticator};
use crate::store::Store;

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub auth: Arc<Authenticator>,
    pub config: Arc<ServeConfig>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: ServeConfig) -> Self {
        AppState {
            auth: Arc::new(Authenticator::new(Arc::clone(&store))),
            store,
            config: Arc::new(config),
        }
    }
}

/// The router: `/rest/...`, a JSON 404 elsewhere, and CORS on every answer
/// (errors included) so browser pages can call the API.
pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any);
    protocol::routes()
        .fallback(protocol::not_found)
        .layer(DefaultBodyLimit::disable())
        .layer(cors)
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
/// The listener is bound by the caller, so a test knows its port before this runs.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
