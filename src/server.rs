//! The HTTP server: `AppState`, the router, and `run`, which owns every task
//! and stops them all on one shutdown signal.

use std::future::{Future, IntoFuture};
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::cors::{Any, CorsLayer};

use crate::config::ServeConfig;
use crate::events;
use crate::protocol::{self, auth::Authenticator};
use crate::store::Store;
use crate::tls::TlsListener;

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
/// The listeners are bound by the caller, so a test knows its ports before
/// this runs. With `https`, both listeners serve the same router; they and
/// the events worker stop together.
pub async fn run(
    listener: TcpListener,
    https: Option<TlsListener>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    // The events worker stops with the listeners; deliveries still in flight
    // stay leased in the outbox and go out again after a restart.
    let worker = events::spawn(
        Arc::clone(&state.store),
        state.config.delivery.clone(),
        stopped.clone(),
    )
    .await
    .map_err(std::io::Error::other)?;
    let app = router(state);
    let when_stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let http = axum::serve(listener, app.clone())
        .with_graceful_shutdown(when_stopped(stopped.clone()))
        .into_future();
    let served = match https {
        None => http.await,
        Some(tls) => {
            let https = axum::serve(tls, app)
                .with_graceful_shutdown(when_stopped(stopped))
                .into_future();
            let (a, b) = tokio::join!(http, https);
            a.and(b)
        }
    };
    worker.abort();
    served
}
