//! A real HTTP receiver for event handlers: it records every POST (headers and
//! the form body decoded as PHP would) and answers as each test scripts it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use b24im::protocol::params::Params;
use serde_json::Value;

/// One POST the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub event_id: String,
    pub content_type: String,
    pub raw: String,
    /// The form decoded with PHP's rules (`$_REQUEST`).
    pub form: Value,
}

impl Received {
    pub fn event(&self) -> &str {
        self.form["event"].as_str().unwrap_or("")
    }
}

/// What the receiver answers to the next requests.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Ok,
    Status(u16),
    /// Waits this long, then answers 200 (past the delivery timeout).
    Sleep(Duration),
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    /// Replies used in order; `Reply::Ok` when empty.
    script: Arc<Mutex<Vec<Reply>>>,
    /// While set, requests wait for it to be cleared (a handler that hangs).
    hold: Arc<tokio::sync::RwLock<()>>,
    /// Requests that arrived, held ones included.
    arrived: Arc<std::sync::atomic::AtomicUsize>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
}

async fn handle(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    s.arrived.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _open = s.hold.read().await;
    let raw = String::from_utf8_lossy(&body).into_owned();
    let form = Params::parse_query(&body)
        .map(|p| Value::Object(p.as_map().clone()))
        .unwrap_or(Value::Null);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    s.got.lock().unwrap().push(Received {
        event_id: header("x-b24im-event-id"),
        content_type: header("content-type"),
        raw,
        form,
    });
    let reply = {
        let mut script = s.script.lock().unwrap();
        if script.is_empty() {
            Reply::Ok
        } else {
            script.remove(0)
        }
    };
    match reply {
        Reply::Ok => StatusCode::OK,
        Reply::Status(code) => StatusCode::from_u16(code).unwrap(),
        Reply::Sleep(d) => {
            tokio::time::sleep(d).await;
            StatusCode::OK
        }
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        Receiver::start_on("127.0.0.1:0").await
    }

    pub async fn start_on(addr: &str) -> Receiver {
        let shared = Shared::default();
        let app = Router::new()
            .route("/{*path}", post(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let url = format!("http://{}/bot/events", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, shared }
    }

    /// The next replies, in order.
    pub fn script(&self, replies: &[Reply]) {
        self.shared
            .script
            .lock()
            .unwrap()
            .extend_from_slice(replies);
    }

    /// Makes every request wait until the returned guard is dropped.
    pub async fn hold(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.shared.hold.write().await
    }

    /// How many requests arrived so far, held ones included.
    pub fn arrived(&self) -> usize {
        self.shared
            .arrived
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn all(&self) -> Vec<Received> {
        self.shared.got.lock().unwrap().clone()
    }

    /// Waits (up to `within`) until `n` requests carrying `event` arrived.
    pub async fn wait_for(&self, event: &str, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got: Vec<Received> = self
                .all()
                .into_iter()
                .filter(|r| r.event() == event)
                .collect();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "waited {within:?} for {n} × {event}, got {:?}",
                self.all()
                    .iter()
                    .map(|r| r.event().to_owned())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
