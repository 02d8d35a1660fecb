//! The web client in a real browser: Debian's `chromium`, driven through
//! `chromedriver` (WebDriver) from this test, against the real server on
//! loopback. Two browsers sign in through `/oauth/authorize/` (local mode),
//! chat, like in one window and see it in the other; an administrator sees
//! a bot's event deliveries in the events panel and replays one.
//!
//! Skipped, with the reason printed, when chromium or chromedriver is not
//! installed (`.ci/run` installs them: `apt-get install chromium
//! chromium-driver`). `B24IM_CHROMEDRIVER` names another driver binary.
//! Screenshots of the main views go to `target/screenshots/`, or to the
//! folder `B24IM_SCREENSHOTS` names (the README's come from
//! `B24IM_SCREENSHOTS=docs/screenshots cargo test --test browser`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use b24im::config::{self, ServeConfig};
use b24im::domain::credentials::{CredentialKind, Scopes};
use b24im::domain::users::NewUser;
use b24im::domain::{Timestamp, UserId};
use b24im::events::DeliveryConfig;
use b24im::server::{self, AppState};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long a view may take to show what the test waits for. Generous: the
/// machine may be busy; how fast things really are is the benchmark's job.
const PATIENCE: Duration = Duration::from_secs(15);

fn driver_binary() -> Option<PathBuf> {
    let given = std::env::var_os("B24IM_CHROMEDRIVER").map(PathBuf::from);
    let path = given.unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    path.exists().then_some(path)
}

fn chromium_binary() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver(binary: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let since = Instant::now();
    while http.get(format!("{url}/status")).send().await.is_err() {
        assert!(since.elapsed() < PATIENCE, "chromedriver did not answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver { child, url }
}

async fn browser(driver: &Driver, chromium: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1200,760"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// The first element `css` finds whose text contains `text` ("" for any),
/// waited for.
async fn wait_text(c: &Client, css: &str, text: &str) -> fantoccini::elements::Element {
    let since = Instant::now();
    loop {
        if let Ok(found) = c.find_all(Locator::Css(css)).await {
            for e in found {
                if e.text().await.is_ok_and(|t| t.contains(text)) {
                    return e;
                }
            }
        }
        if since.elapsed() > PATIENCE {
            let page = c.source().await.unwrap_or_default();
            panic!("no {css} with {text:?} within {PATIENCE:?}; the page:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn screenshot(c: &Client, name: &str) {
    let dir = std::env::var_os("B24IM_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Signs in through the server's own authorization page as `who`.
async fn sign_in(c: &Client, base: &str, who: &str, shot: Option<&str>) {
    c.goto(base).await.unwrap();
    wait_text(c, "#signin-oauth", "Sign in")
        .await
        .click()
        .await
        .unwrap();
    let pick = wait_text(c, "button", who).await;
    if let Some(name) = shot {
        screenshot(c, name).await;
    }
    pick.click().await.unwrap();
    wait_text(c, "#live-state", "live: connected").await;
}

/// The server on loopback with a fresh SQLite store, and webhooks to set it up.
struct Server {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    async fn start() -> (Server, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let store = b24im::store::open(None, 4, Duration::from_secs(5), dir.path()).unwrap();
        let mut hooks = Vec::new();
        for (first, last, admin) in [("Ann", "Lee", true), ("Bob", "Ray", false)] {
            let user = store
                .create_user(
                    NewUser::parse(first, last, admin).unwrap(),
                    Timestamp::now(),
                )
                .await
                .unwrap();
            let secret = b24im::domain::cases::credentials::issue(
                store.as_ref(),
                CredentialKind::Webhook,
                UserId(user.id.0),
                Scopes::all(),
            )
            .await
            .unwrap();
            hooks.push((user.id.0, secret.0));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = config::base_url(&addr);
        let state = AppState::new(
            store,
            ServeConfig {
                listen: addr,
                data_dir: dir.path().to_path_buf(),
                body_limit: config::DEFAULT_BODY_LIMIT,
                limits: config::Limits::default(),
                dev_login: true,
                delivery: DeliveryConfig {
                    max_attempts: 2,
                    public_url: base.clone(),
                    ..DeliveryConfig::default()
                },
            },
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::run(listener, None, state, async {
            let _ = stopped.await;
        }));
        let urls = hooks
            .iter()
            .map(|(user, secret)| config::webhook_url(&base, *user, secret))
            .collect();
        let server = Server {
            base,
            http: reqwest::Client::new(),
            _dir: dir,
            _stop: stop,
        };
        (server, urls)
    }

    async fn call(&self, hook: &str, method: &str, params: Value) -> Value {
        let body: Value = self
            .http
            .post(format!("{hook}{method}"))
            .json(&params)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(body.get("error").is_none(), "{method}: {body}");
        body["result"].clone()
    }
}

/// A bot's event handler: keeps the event ids of the ONIMBOTMESSAGEADD
/// POSTs, answers 500 to the first of them and 200 to everything else.
async fn handler() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&got);
    let app = Router::new().route(
        "/{*path}",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let seen = Arc::clone(&seen);
            async move {
                if !body.contains("event=ONIMBOTMESSAGEADD") {
                    return axum::http::StatusCode::OK;
                }
                let id = headers
                    .get("x-b24im-event-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let mut seen = seen.lock().unwrap();
                seen.push(id);
                if seen.len() == 1 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/bot", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_browsers_chat_like_live_and_an_admin_replays_a_bot_event() {
    let (Some(driver_bin), Some(chromium)) = (driver_binary(), chromium_binary()) else {
        println!(
            "browser tests SKIPPED: chromium or chromedriver is not installed \
             (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let (server, hooks) = Server::start().await;
    let (ann_hook, bob_hook) = (&hooks[0], &hooks[1]);
    let chat = server
        .call(
            ann_hook,
            "im.chat.add",
            json!({"TITLE": "Team", "USERS": [2]}),
        )
        .await;
    server
        .call(
            ann_hook,
            "im.message.add",
            json!({"DIALOG_ID": format!("chat{chat}"), "MESSAGE": "Welcome to [b]Team[/b]"}),
        )
        .await;
    let driver = start_driver(&driver_bin).await;
    let ann = browser(&driver, &chromium).await;
    let bob = browser(&driver, &chromium).await;

    // Both sign in through the local authorization page.
    sign_in(&ann, &server.base, "Ann Lee", Some("sign-in")).await;
    sign_in(&bob, &server.base, "Bob Ray", None).await;

    // Both open the chat; Ann writes; Bob sees it without reloading.
    for c in [&ann, &bob] {
        wait_text(c, "#recent li", "Team")
            .await
            .click()
            .await
            .unwrap();
        wait_text(c, ".msg .text", "Welcome to Team").await;
    }
    let text = ann.find(Locator::Css("#text")).await.unwrap();
    text.send_keys("Hello from Ann").await.unwrap();
    ann.find(Locator::Css("#composer button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&ann, ".msg.mine .text", "Hello from Ann").await;
    let arrived = wait_text(&bob, ".msg", "Hello from Ann").await;

    // Bob likes it; Ann's window shows the like, and who gave it.
    let clicked = Instant::now();
    arrived
        .find(Locator::Css(".like"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let liked = wait_text(&ann, ".msg.mine .likers", "Bob Ray").await;
    println!(
        "the like reached the other browser after {:?} (WebDriver polling included)",
        clicked.elapsed()
    );
    assert_eq!(
        liked
            .find(Locator::XPath(".."))
            .await
            .unwrap()
            .find(Locator::Css(".like-count"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "1"
    );
    screenshot(&ann, "chat").await;
    // Unliked in Bob's window: gone from Ann's.
    wait_text(&bob, ".msg .like.liked", "")
        .await
        .click()
        .await
        .unwrap();
    let since = Instant::now();
    while ann.find(Locator::Css(".msg.mine .likers")).await.is_ok() {
        assert!(since.elapsed() < PATIENCE, "the unlike never reached Ann");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A bot whose handler fails once: Ann (an administrator) sees the
    // delivery fail in the events panel, and replays it.
    let (url, got) = handler().await;
    let bot = server
        .call(
            ann_hook,
            "imbot.register",
            json!({"CODE": "echo", "TYPE": "B", "EVENT_HANDLER": url, "CLIENT_ID": "browser.test",
                   "PROPERTIES": {"NAME": "Echo"}}),
        )
        .await;
    server
        .call(
            bob_hook,
            "im.message.add",
            json!({"DIALOG_ID": bot, "MESSAGE": "ping"}),
        )
        .await;
    ann.find(Locator::Css("#events-btn"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let failed = wait_text(&ann, "tr.delivery", "HTTP 500").await;
    let row_id = failed.attr("data-id").await.unwrap().unwrap();
    let row = format!("tr.delivery[data-id='{row_id}']");
    wait_text(&ann, &format!("{row} .event-name"), "ONIMBOTMESSAGEADD").await;
    // Its payload, as the handler got it (tokens hidden).
    wait_text(&ann, &format!("{row} button.link"), &row_id)
        .await
        .click()
        .await
        .unwrap();
    wait_text(&ann, "tr.payload pre", "\"ping\"").await;
    // The worker retries it once (max_attempts 2): delivered.
    wait_text(&ann, &format!("{row} .state"), "delivered").await;
    let before = got.lock().unwrap().len();
    wait_text(&ann, &format!("{row} button.replay"), "Replay")
        .await
        .click()
        .await
        .unwrap();
    let since = Instant::now();
    while got.lock().unwrap().len() == before {
        assert!(since.elapsed() < PATIENCE, "the replay never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ids = got.lock().unwrap().clone();
    assert!(
        ids.iter().all(|i| *i == row_id),
        "one event, its own id: {ids:?}"
    );
    wait_text(&ann, &format!("{row} .status"), "200").await;
    screenshot(&ann, "events").await;

    ann.close().await.unwrap();
    bob.close().await.unwrap();
}
