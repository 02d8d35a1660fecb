//! The HTTP server: `AppState`, the router, and `run`, which owns every task
//! and stops them all on one shutdown signal.

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::cors::{Any, CorsLayer};

use crate::config::Limits;
use crate::events;
use crate::listen::{Accepted, Gate, Incoming, Peer, PlainIncoming};
use crate::protocol;
use crate::protocol::oauth::Scheme;
use crate::tls::TlsListener;

pub use crate::state::AppState;

/// The router: `/rest/...`, a JSON 404 elsewhere, and CORS on every answer
/// (errors included) so browser pages can call the API.
pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any);
    protocol::routes()
        .merge(crate::web::routes())
        .fallback(protocol::not_found)
        .layer(DefaultBodyLimit::disable())
        .layer(cors)
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
/// The listeners are bound by the caller, so a test knows its ports before
/// this runs. With `https`, both listeners serve the same router under one
/// connection cap; they and the events worker stop together.
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
    let presence = tokio::spawn(crate::protocol::live::mark_presence(
        Arc::clone(&state.live),
        Arc::clone(&state.store),
        stopped.clone(),
    ));
    let limits = state.config.limits.clone();
    let gate = Gate::new(&limits);
    let app = router(state);
    let http = serve(
        PlainIncoming::new(listener, Arc::clone(&gate)),
        app.clone().layer(Extension(Scheme("http"))),
        limits.clone(),
        stopped.clone(),
    );
    match https {
        None => http.await,
        Some(tls) => {
            let https = serve(
                tls.start(gate),
                app.layer(Extension(Scheme("https"))),
                limits,
                stopped,
            );
            tokio::join!(http, https);
        }
    }
    worker.abort();
    presence.abort();
    Ok(())
}

/// Accepts connections until `stopped`, serves each with HTTP/1.1 under the
/// header timeout, then lets the open ones finish their requests.
async fn serve<L: Incoming>(
    mut incoming: L,
    app: Router,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    // Every connection task holds a clone; `closed()` resolves when all are gone.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let Accepted { io, peer, hold } = tokio::select! {
            conn = incoming.accept() => conn,
            () = until_stopped(&mut stopped) => break,
        };
        // Every request of the connection knows its client's address.
        let service = TowerToHyperService::new(
            tower::ServiceBuilder::new()
                .map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(Peer(peer));
                    request
                })
                .service(app.clone()),
        );
        let mut stop = stopped.clone();
        let open = open_rx.clone();
        let header_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let _hold = hold;
            let _open = open;
            let mut builder = http1::Builder::new();
            // The whole head of each request within the header timeout,
            // counted from when the connection is ready for it: a slow
            // (slowloris) or idle keep-alive connection is closed then.
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let conn = builder
                .serve_connection(TokioIo::new(io), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended");
                    }
                }
                () = until_stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(open_rx);
    open_tx.closed().await;
}

/// Resolves once the shutdown flag is set (or its sender is gone).
async fn until_stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}
