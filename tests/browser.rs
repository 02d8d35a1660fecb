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

#[path = "api/watchdog.rs"]
mod watchdog;

use std::future::Future;
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
use fantoccini::elements::Element;
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

/// HTTP with a bound: a request that never answers fails the test.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// chromedriver on a free port, in a process group of its own with the
/// browsers it starts, and their profiles in a directory of the test's:
/// dropped (the test ended, passed or failed), the whole group is killed and
/// the profiles removed, so no browser outlives its test.
struct Driver {
    child: std::process::Child,
    url: String,
    profiles: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        watchdog::kill(&mut self.child);
    }
}

async fn start_driver(binary: &Path) -> Driver {
    use std::os::unix::process::CommandExt;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromedriver starts");
    watchdog::adopt(child.id(), true);
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        profiles: tempfile::tempdir().unwrap(),
    };
    let http = http();
    let since = Instant::now();
    while http
        .get(format!("{}/status", driver.url))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .is_err()
    {
        assert!(
            since.elapsed() < PATIENCE,
            "chromedriver did not answer on {} within {PATIENCE:?}",
            driver.url
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    driver
}

async fn browser(driver: &Driver, chromium: &Path, name: &str) -> Client {
    let profile = driver.profiles.path().join(name);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1200,760",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-crash-reporter",
                     format!("--user-data-dir={}", profile.display())],
        }),
    );
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(caps);
    bounded(
        &format!("a browser session for {name}"),
        builder.connect(&driver.url),
    )
    .await
}

/// What `step` gives within PATIENCE; else the test fails naming `what`.
async fn bounded<T, E: std::fmt::Debug>(what: &str, step: impl Future<Output = Result<T, E>>) -> T {
    match tokio::time::timeout(PATIENCE, step).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => panic!("{what}: {e:?}"),
        Err(_) => panic!("{what}: not within {PATIENCE:?}"),
    }
}

/// Tries `attempt` until it answers, for at most PATIENCE; then fails
/// naming `what` and showing the page. Every look at the page goes through
/// here: the page re-renders lists and messages as updates arrive, so an
/// element found a moment ago may be gone (stale) when it is used, and is
/// then simply looked up again.
async fn until<T, F, Fut>(c: &Client, what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let since = Instant::now();
    loop {
        let look = tokio::time::timeout(PATIENCE, attempt());
        if let Ok(Some(found)) = look.await {
            return found;
        }
        if since.elapsed() > PATIENCE {
            let page = tokio::time::timeout(PATIENCE, c.source())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            panic!("{what}: not within {PATIENCE:?}; the page:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One look: the first element `css` finds whose text contains `text`.
async fn find_text(c: &Client, css: &str, text: &str) -> Option<Element> {
    for e in c.find_all(Locator::Css(css)).await.ok()? {
        if e.text().await.is_ok_and(|t| t.contains(text)) {
            return Some(e);
        }
    }
    None
}

/// Waits until `css` finds an element whose text contains `text` ("" for any).
async fn wait_text(c: &Client, css: &str, text: &str) {
    until(c, &format!("a {css} with {text:?}"), || async {
        find_text(c, css, text).await.map(|_| ())
    })
    .await
}

/// Clicks the first element `css` finds whose text contains `text`, as soon
/// as there is one (found again if it was re-rendered before the click).
async fn click(c: &Client, css: &str, text: &str) {
    until(c, &format!("a click on {css} with {text:?}"), || async {
        find_text(c, css, text).await?.click().await.ok()
    })
    .await
}

/// The `attr` of the first element `css` finds whose text contains `text`.
async fn attr_of(c: &Client, css: &str, text: &str, attr: &str) -> String {
    until(c, &format!("{attr} of a {css} with {text:?}"), || async {
        find_text(c, css, text).await?.attr(attr).await.ok()?
    })
    .await
}

/// The text of what `css` finds, once it equals `want`.
async fn wait_exact(c: &Client, css: &str, want: &str) {
    until(c, &format!("{css} reading {want:?}"), || async {
        let text = c.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        (text == want).then_some(())
    })
    .await
}

/// Types `text` into the field `css` finds (cleared first, so a retry after
/// a re-render does not type twice).
async fn type_into(c: &Client, css: &str, text: &str) {
    until(c, &format!("typing into {css}"), || async {
        let field = c.find(Locator::Css(css)).await.ok()?;
        field.clear().await.ok()?;
        field.send_keys(text).await.ok()
    })
    .await
}

/// Waits until nothing matches `css`.
async fn wait_gone(c: &Client, css: &str) {
    until(c, &format!("no {css}"), || async {
        match c.find_all(Locator::Css(css)).await {
            Ok(found) if found.is_empty() => Some(()),
            _ => None,
        }
    })
    .await
}

async fn screenshot(c: &Client, name: &str) {
    let dir = std::env::var_os("B24IM_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    let png = bounded(&format!("the screenshot {name}"), c.screenshot()).await;
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Signs in through the server's own authorization page as `who`.
async fn sign_in(c: &Client, base: &str, who: &str, shot: Option<&str>) {
    bounded(&format!("loading {base}"), c.goto(base)).await;
    // The webhook field's example names this server.
    let example = format!("{base}/rest/1/secret/");
    until(
        c,
        &format!("the webhook field's example {example}"),
        || async {
            let field = c.find(Locator::Css("#webhook-url")).await.ok()?;
            (field.attr("placeholder").await.ok()?? == example).then_some(())
        },
    )
    .await;
    click(c, "#signin-oauth", "Sign in").await;
    wait_text(c, "button", who).await;
    if let Some(name) = shot {
        screenshot(c, name).await;
    }
    click(c, "button", who).await;
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
            http: http(),
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
    let _watchdog = watchdog::Watchdog::start();
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
    let ann = browser(&driver, &chromium, "ann").await;
    let bob = browser(&driver, &chromium, "bob").await;

    // Both sign in through the local authorization page.
    sign_in(&ann, &server.base, "Ann Lee", Some("sign-in")).await;
    sign_in(&bob, &server.base, "Bob Ray", None).await;

    // Both open the chat; Ann writes; Bob sees it without reloading.
    for c in [&ann, &bob] {
        click(c, "#recent li", "Team").await;
        wait_text(c, ".msg .text", "Welcome to Team").await;
    }
    type_into(&ann, "#text", "Hello from Ann").await;
    click(&ann, "#composer button", "").await;
    wait_text(&ann, ".msg.mine .text", "Hello from Ann").await;
    let id = attr_of(&bob, ".msg", "Hello from Ann", "data-id").await;
    let message = format!(".msg[data-id='{id}']");

    // Bob likes it; Ann's window shows the like, and who gave it.
    let clicked = Instant::now();
    click(&bob, &format!("{message} .like"), "").await;
    wait_text(&ann, &format!("{message} .likers"), "Bob Ray").await;
    println!(
        "the like reached the other browser after {:?} (WebDriver polling included)",
        clicked.elapsed()
    );
    wait_exact(&ann, &format!("{message} .like-count"), "1").await;
    screenshot(&ann, "chat").await;
    // Unliked in Bob's window: gone from Ann's.
    click(&bob, &format!("{message} .like.liked"), "").await;
    wait_gone(&ann, &format!("{message} .likers")).await;

    // Bob writes to Ann: her list shows him online (his page holds a live
    // session), and so does the dialog under his name.
    server
        .call(
            bob_hook,
            "im.message.add",
            json!({"DIALOG_ID": 1, "MESSAGE": "Are you there?"}),
        )
        .await;
    wait_text(&ann, "#recent li .presence.online", "").await;
    click(&ann, "#recent li", "Bob Ray").await;
    wait_text(&ann, ".msg .text", "Are you there?").await;
    wait_exact(&ann, "#members", "online").await;
    screenshot(&ann, "presence").await;

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
    click(&ann, "#events-btn", "").await;
    let row_id = attr_of(&ann, "tr.delivery", "HTTP 500", "data-id").await;
    let row = format!("tr.delivery[data-id='{row_id}']");
    wait_text(&ann, &format!("{row} .event-name"), "ONIMBOTMESSAGEADD").await;
    // Its payload, as the handler got it (tokens hidden).
    click(&ann, &format!("{row} button.link"), &row_id).await;
    wait_text(&ann, "tr.payload pre", "\"ping\"").await;
    // The worker retries it once (max_attempts 2): delivered.
    wait_text(&ann, &format!("{row} .state"), "delivered").await;
    let before = got.lock().unwrap().len();
    click(&ann, &format!("{row} button.replay"), "Replay").await;
    let since = Instant::now();
    while got.lock().unwrap().len() == before {
        assert!(
            since.elapsed() < PATIENCE,
            "the replay never reached the handler within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ids = got.lock().unwrap().clone();
    assert!(
        ids.iter().all(|i| *i == row_id),
        "one event, its own id: {ids:?}"
    );
    wait_text(&ann, &format!("{row} .status"), "200").await;
    screenshot(&ann, "events").await;

    // Closing the sessions is a courtesy: the driver's drop kills whatever
    // is left, here and on a failure.
    let _ = tokio::time::timeout(PATIENCE, ann.close()).await;
    let _ = tokio::time::timeout(PATIENCE, bob.close()).await;
}

/// A command handler: keeps the decoded bodies of the ONIMCOMMANDADD POSTs.
async fn command_handler() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&got);
    let app = Router::new().route(
        "/{*path}",
        post(move |body: String| {
            let seen = Arc::clone(&seen);
            async move {
                let form = percent_encoding::percent_decode_str(&body.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned();
                if form.contains("event=ONIMCOMMANDADD") {
                    seen.lock().unwrap().push(form);
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cmd", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// A bot's message with a keyboard and a card: the card shows, a click on
/// the button reaches the bot's command handler as a keyboard command from
/// the person who clicked, and the bot's answer (a new keyboard) shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bots_keyboard_click_reaches_its_handler_and_its_answer_shows() {
    let (Some(driver_bin), Some(chromium)) = (driver_binary(), chromium_binary()) else {
        println!(
            "browser tests SKIPPED: chromium or chromedriver is not installed \
             (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let _watchdog = watchdog::Watchdog::start();
    let (server, hooks) = Server::start().await;
    let ann_hook = &hooks[0];
    let (url, got) = command_handler().await;
    let bot = server
        .call(
            ann_hook,
            "imbot.register",
            json!({"CODE": "pager", "TYPE": "B", "EVENT_HANDLER": url, "CLIENT_ID": "browser.ui",
                   "PROPERTIES": {"NAME": "Pager"}}),
        )
        .await;
    let command = server
        .call(
            ann_hook,
            "imbot.command.register",
            json!({"BOT_ID": bot, "CLIENT_ID": "browser.ui", "COMMAND": "next",
                   "EVENT_COMMAND_ADD": url,
                   "LANG": [{"LANGUAGE_ID": "en", "TITLE": "Next page", "PARAMS": "page"}]}),
        )
        .await;
    let first = server
        .call(
            ann_hook,
            "imbot.message.add",
            json!({"BOT_ID": bot, "CLIENT_ID": "browser.ui", "DIALOG_ID": "1",
                   "MESSAGE": "Your tickets, page 1",
                   "ATTACH": {"COLOR": "#29619b", "BLOCKS": [
                       {"MESSAGE": "[B]Ticket 42[/B] is open <img src=x onerror=alert(1)>"},
                       {"GRID": [{"NAME": "Priority", "VALUE": "high", "DISPLAY": "LINE"}]},
                       {"LINK": {"NAME": "Open the tracker", "LINK": "https://example.com/t/42"}}
                   ]},
                   "KEYBOARD": [{"TEXT": "Next page", "COMMAND": "next", "COMMAND_PARAMS": "2",
                                 "BLOCK": "Y", "BG_COLOR": "#29619b", "TEXT_COLOR": "#ffffff"},
                                {"TEXT": "Docs", "LINK": "https://example.com/docs"}]}),
        )
        .await;
    let driver = start_driver(&driver_bin).await;
    let ann = browser(&driver, &chromium, "ann-keyboard").await;
    sign_in(&ann, &server.base, "Ann Lee", None).await;
    click(&ann, "#recent li", "Pager").await;
    wait_text(&ann, ".msg .attach", "Ticket 42").await;
    wait_text(&ann, ".msg .attach .a-cell", "high").await;
    // Markup in a card is text: shown, never made an element.
    wait_text(&ann, ".msg .attach .a-text", "<img src=x").await;
    assert!(
        ann.find(Locator::Css(".msg .attach img")).await.is_err(),
        "the card's markup became an element"
    );
    screenshot(&ann, "keyboard").await;

    // The click: the bot's handler hears a keyboard command from Ann.
    click(&ann, ".msg .kb-btn", "Next page").await;
    let since = Instant::now();
    let form = loop {
        if let Some(f) = got.lock().unwrap().first().cloned() {
            break f;
        }
        assert!(
            since.elapsed() < PATIENCE,
            "no ONIMCOMMANDADD reached the handler within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for part in [
        "[COMMAND_CONTEXT]=KEYBOARD".to_owned(),
        "[COMMAND_PARAMS]=2".to_owned(),
        format!("[MESSAGE_ID]={first}"),
        "[PARAMS][FROM_USER_ID]=1".to_owned(),
        "[PARAMS][MESSAGE]=/next 2".to_owned(),
    ] {
        assert!(form.contains(&part), "{part} not in {form}");
    }
    // The bot answers with the next page and a way back; it shows.
    server
        .call(
            ann_hook,
            "imbot.command.answer",
            json!({"COMMAND_ID": command, "CLIENT_ID": "browser.ui", "MESSAGE_ID": first,
                   "MESSAGE": "Your tickets, page 2",
                   "KEYBOARD": [{"TEXT": "Back", "COMMAND": "next", "COMMAND_PARAMS": "1"}]}),
        )
        .await;
    wait_text(&ann, ".msg .text", "Your tickets, page 2").await;
    wait_text(&ann, ".msg .kb-btn", "Back").await;
    screenshot(&ann, "keyboard-answer").await;
    // On a phone's width the chat takes the screen; its back button shows.
    bounded("resizing the window", ann.set_window_size(390, 844)).await;
    wait_text(&ann, ".chat-head .back", "←").await;
    screenshot(&ann, "phone").await;
    let _ = tokio::time::timeout(PATIENCE, ann.close()).await;
}
