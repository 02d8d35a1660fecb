//! The binary itself: first start, the admin CLI beside a running server,
//! graceful shutdown, and durability across kill -9.

use crate::helpers::TestData;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_b24im");

/// How long `serve` may take to say it serves (migrations on a busy
/// PostgreSQL included).
const STARTUP: Duration = Duration::from_secs(60);

/// A `b24im serve` child process on ephemeral ports (HTTP and HTTPS).
pub struct Server {
    pub child: Child,
    pub base: String,
    pub https_base: String,
    /// The webhook printed on first start, if this start created it.
    pub webhook: Option<String>,
    /// The CA certificate path printed at start (generated certificates only).
    pub ca: Option<String>,
    /// Every line printed before the server said it was serving.
    pub banner: Vec<String>,
}

impl Server {
    pub fn start(data: &TestData) -> Server {
        Server::start_with(data, &[])
    }

    pub fn start_with(data: &TestData, extra: &[&str]) -> Server {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        if !extra.contains(&"--https-listen") {
            args.extend(["--https-listen", "127.0.0.1:0"]);
        }
        // What it says on stderr is kept beside its data, and shown if it
        // fails to start (B24IM_TEST_LOGS: passed on as it comes instead).
        let log = data.path().join("serve.stderr");
        let stderr = if std::env::var_os("B24IM_TEST_LOGS").is_some() {
            Stdio::inherit()
        } else {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null())
        };
        let child = Command::new(BIN)
            .args(args)
            .args(extra)
            .args(data.args())
            .env("RUST_LOG", "warn")
            .env("B24IM_DATABASE_POOL", crate::helpers::TEST_POOL.to_string())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn b24im");
        crate::watchdog::adopt(child.id(), false);
        // Owned by a Server from here on, so it is killed and reaped on any panic.
        let mut server = Server {
            child,
            base: String::new(),
            https_base: String::new(),
            webhook: None,
            ca: None,
            banner: Vec::new(),
        };
        // Its output is read on a thread of its own (which keeps draining it,
        // so the child never blocks on a full pipe) and handed over here with
        // a bound: a server that never says it serves fails the test, saying
        // what it printed.
        let stdout = server.child.stdout.take().unwrap();
        let (lines, printed) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if lines.send(line).is_err() {
                    return; // the test no longer listens: keep draining
                }
            }
        });
        let deadline = Instant::now() + STARTUP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match printed.recv_timeout(left) {
                Ok(line) => line,
                Err(why) => panic!(
                    "b24im serve did not say it was serving within {STARTUP:?} ({}); it printed \
                     {:?}, and on stderr: {}",
                    match why {
                        std::sync::mpsc::RecvTimeoutError::Timeout => "still starting",
                        std::sync::mpsc::RecvTimeoutError::Disconnected => "its output ended",
                    },
                    server.banner,
                    std::fs::read_to_string(&log).unwrap_or_default()
                ),
            };
            server.banner.push(line.clone());
            if let Some(url) = line.trim().strip_prefix("http://") {
                server.webhook = Some(format!("http://{url}"));
            }
            if let Some(path) = line.strip_prefix("HTTPS certificate authority: ") {
                server.ca = Some(path.trim().to_owned());
            }
            if let Some(rest) = line.strip_prefix("b24im serving ") {
                let words: Vec<&str> = rest.split_whitespace().collect();
                server.base = words[0].to_owned();
                if words.get(1) == Some(&"and") {
                    server.https_base = words[2].to_owned();
                }
                return server;
            }
        }
    }

    /// The same webhook on this server's (new, ephemeral) port.
    pub fn rebase(&self, hook: &str) -> String {
        let path = &hook[hook.find("/rest/").unwrap()..];
        format!("{}{path}", self.base)
    }

    pub fn kill9(mut self) {
        crate::watchdog::kill(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        crate::watchdog::kill(&mut self.child);
    }
}

pub fn cli(data: &TestData, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .args(data.args())
        .args(args)
        .output()
        .expect("run b24im");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    )
}

/// Runs an admin command; whether it succeeded, its stdout and its stderr.
pub fn cli_full(data: &TestData, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(data.args())
        .args(args)
        .output()
        .expect("run b24im");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

pub async fn call(url: &str, method: &str, params: Value) -> (u16, Value) {
    let res = crate::helpers::http()
        .post(format!("{url}{method}"))
        .json(&params)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn first_start_prints_a_working_admin_webhook_once() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start(&dir);
    let hook = server
        .webhook
        .clone()
        .expect("webhook printed on first start");
    assert!(
        hook.starts_with(&format!("{}/rest/1/", server.base)),
        "{hook}"
    );
    let secret = hook.trim_end_matches('/').rsplit('/').next().unwrap();
    assert_eq!(secret.len(), 16);
    assert!(secret
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let (status, body) = call(&hook, "profile", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["ADMIN"], json!(true));
    drop(server);

    let again = Server::start(&dir);
    assert!(again.webhook.is_none(), "no second admin on restart");
    let (status, _) = call(&again.rebase(&hook), "profile", json!({})).await;
    assert_eq!(status, 200, "the webhook survives a restart");
}

#[tokio::test]
async fn the_cli_works_beside_a_running_server() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start(&dir);

    let (ok, id) = cli(
        &dir,
        &["user", "add", "--name", "Bob", "--last-name", "Stone"],
    );
    assert!(ok, "{id}");
    let (ok, url) = cli(
        &dir,
        &[
            "webhook",
            "add",
            "--user",
            &id,
            "--scope",
            "im",
            "--base-url",
            &server.base,
        ],
    );
    assert!(ok, "{url}");
    assert!(
        url.starts_with(&format!("{}/rest/{id}/", server.base)),
        "{url}"
    );

    let (status, body) = call(&url, "im.user.get", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["name"], "Bob Stone");
    let (status, _) = call(&url, "user.current", json!({})).await;
    assert_eq!(status, 403, "only the im scope was granted");

    let (ok, list) = cli(&dir, &["webhook", "list"]);
    assert!(ok);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(!list.contains(url.trim_end_matches('/').rsplit('/').next().unwrap()));

    let (ok, _) = cli(&dir, &["webhook", "delete", &url]);
    assert!(ok);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (status, _) = call(&url, "im.user.get", json!({})).await;
        if status == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "a deleted webhook still works");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (ok, _) = cli(&dir, &["webhook", "delete", &url]);
    assert!(!ok, "deleting twice fails");
}

#[tokio::test]
async fn the_cli_refuses_bad_input() {
    let Some(dir) = TestData::new() else {
        return;
    };
    assert!(!cli(&dir, &["user", "add", "--name", "  "]).0);
    assert!(
        !cli(&dir, &["webhook", "add", "--user", "42"]).0,
        "no such user"
    );
    assert!(!cli(&dir, &["webhook", "add", "--user", "0"]).0);
    let (ok, id) = cli(&dir, &["user", "add", "--name", "A", "--admin"]);
    assert!(ok);
    assert!(!cli(&dir, &["webhook", "add", "--user", &id, "--scope", "crm"]).0);
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let mut server = Server::start(&dir);
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(code) = server.child.try_wait().unwrap() {
            assert!(code.success(), "{code:?}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_likes_survive_kill_9() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start(&dir);
    let hook = server.webhook.clone().unwrap();

    let (_, body) = call(&hook, "im.chat.add", json!({"TITLE": "durable"})).await;
    let chat = body["result"].as_i64().unwrap();
    let mut messages = Vec::new();
    for _ in 0..6 {
        let cmd: serde_json::Map<String, Value> = (0..50)
            .map(|i| {
                (
                    format!("m{i}"),
                    json!(format!("im.message.add?DIALOG_ID=chat{chat}&MESSAGE=n{i}")),
                )
            })
            .collect();
        let (_, body) = call(&hook, "batch", json!({"cmd": cmd})).await;
        for (_, id) in body["result"]["result"].as_object().unwrap() {
            messages.push(id.as_i64().unwrap());
        }
    }
    assert_eq!(messages.len(), 300);

    // Like every message, 100 at a time (one address may hold an eighth of
    // the server's connections, 128); kill -9 as soon as 100 answers are in.
    let client = crate::helpers::http();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(100));
    for id in messages.clone() {
        let client = client.clone();
        let url = format!("{hook}im.message.like");
        let tx = tx.clone();
        let in_flight = std::sync::Arc::clone(&in_flight);
        tokio::spawn(async move {
            let _turn = in_flight.acquire_owned().await;
            let res = client
                .post(url)
                .json(&json!({"MESSAGE_ID": id, "ACTION": "plus"}))
                .send()
                .await;
            let acked = match res {
                Ok(r) if r.status() == 200 => {
                    matches!(r.json::<Value>().await, Ok(b) if b["result"] == json!(true))
                }
                _ => false,
            };
            let _ = tx.send((id, acked));
        });
    }
    drop(tx);
    let mut acknowledged = Vec::new();
    let mut answers = 0;
    while let Some((id, acked)) = rx.recv().await {
        answers += 1;
        if acked {
            acknowledged.push(id);
        }
        if answers == 100 {
            break;
        }
    }
    server.kill9();
    while let Some((id, acked)) = rx.recv().await {
        if acked {
            acknowledged.push(id);
        }
    }
    assert!(acknowledged.len() >= 100, "{}", acknowledged.len());
    eprintln!(
        "kill -9 after 100 answers: {} of 300 likes acknowledged",
        acknowledged.len()
    );

    let server = Server::start(&dir);
    let hook = server.rebase(&hook);
    let mut liked = std::collections::HashSet::new();
    let mut last_id: Option<i64> = None;
    loop {
        let mut params = json!({"DIALOG_ID": format!("chat{chat}"), "LIMIT": 50});
        if let Some(l) = last_id {
            params["LAST_ID"] = json!(l);
        }
        let (status, body) = call(&hook, "im.dialog.messages.get", params).await;
        assert_eq!(status, 200);
        let page = body["result"]["messages"].as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        for m in &page {
            if m["params"]["LIKE"] == json!([1]) {
                liked.insert(m["id"].as_i64().unwrap());
            }
        }
        last_id = page.iter().map(|m| m["id"].as_i64().unwrap()).min();
    }
    for id in &acknowledged {
        assert!(liked.contains(id), "acknowledged like on {id} was lost");
    }
    drop(server);
}

#[tokio::test]
async fn admin_commands_print_the_urls_the_server_really_serves() {
    let Some(dir) = TestData::new() else {
        return;
    };
    // Ephemeral ports: nothing like the default 8080/8443.
    let server = Server::start(&dir);
    let (ok, url, told) = cli_full(&dir, &["webhook", "add", "--user", "1"]);
    assert!(ok, "{told}");
    assert!(
        url.starts_with(&format!("{}/rest/1/", server.base)),
        "{url}"
    );
    let secret = url.trim_end_matches('/').rsplit('/').next().unwrap();
    assert!(
        told.contains(&format!("{}/rest/1/{secret}/", server.https_base)),
        "the https URL is told beside it: {told}"
    );
    let (status, body) = call(&url, "profile", json!({})).await;
    assert_eq!(status, 200, "{body}");

    let (ok, token, told) = cli_full(&dir, &["token", "add", "--user", "1"]);
    assert!(ok, "{told}");
    assert_eq!(token.len(), 48, "stdout is the token alone: {token}");
    assert!(told.contains(&format!("{}/rest/", server.base)), "{told}");
    let res = crate::helpers::http()
        .post(format!("{}/rest/profile", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // --base-url still wins.
    let (ok, url, _) = cli_full(
        &dir,
        &[
            "webhook",
            "add",
            "--user",
            "1",
            "--base-url",
            "https://im.example",
        ],
    );
    assert!(ok);
    assert!(url.starts_with("https://im.example/rest/1/"), "{url}");
}

#[tokio::test]
async fn a_second_server_on_one_sqlite_directory_refuses_to_start() {
    if crate::POSTGRES {
        return; // many nodes on one PostgreSQL database are the point there
    }
    let Some(dir) = TestData::new() else {
        return;
    };
    let first = Server::start(&dir);
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--https-listen",
            "127.0.0.1:0",
        ])
        .args(dir.args())
        .output()
        .expect("run b24im");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already running"), "{err}");
    assert!(err.contains("--data"), "says what to do: {err}");
    // The admin commands still work beside the running server.
    let (ok, id) = cli(&dir, &["user", "add", "--name", "Carol"]);
    assert!(ok, "{id}");
    let (status, _) = call(first.webhook.as_ref().unwrap(), "profile", json!({})).await;
    assert_eq!(status, 200, "the first server is untouched");
    // Once it is gone, a new one starts.
    first.kill9();
    let again = Server::start(&dir);
    assert!(!again.base.is_empty());
}

#[tokio::test]
async fn any_first_command_creates_the_admin_and_prints_its_webhook_once() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let (ok, id, told) = cli_full(&dir, &["user", "add", "--name", "Bob"]);
    assert!(ok, "{told}");
    assert_eq!(
        id, "2",
        "stdout stays the new user's id; the admin is user 1"
    );
    assert!(told.contains("Created user 1 (Admin)"), "{told}");
    let hook = told
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("http://"))
        .unwrap_or_else(|| panic!("no webhook in {told}"))
        .to_owned();
    let (ok, _, told) = cli_full(&dir, &["user", "add", "--name", "Carol"]);
    assert!(ok);
    assert!(!told.contains("Created user"), "once: {told}");
    // The server starts without a second admin, and the printed webhook works.
    let server = Server::start(&dir);
    assert!(server.webhook.is_none());
    let (status, body) = call(&server.rebase(&hook), "profile", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["ADMIN"], json!(true));
}

#[tokio::test]
async fn a_taken_http_port_names_the_flag_that_changes_it() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(BIN)
        .args(["serve", "--listen", &addr, "--https-listen", "off"])
        .args(dir.args())
        .output()
        .expect("run b24im");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&addr) && err.contains("--listen"), "{err}");
}

#[tokio::test]
async fn events_list_has_a_header_line() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let (ok, out) = cli(&dir, &["events", "list"]);
    assert!(ok);
    let header = out.lines().next().unwrap_or_default();
    assert_eq!(
        header.split('\t').collect::<Vec<_>>(),
        ["id", "event", "state", "attempts", "handler", "last error"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_webhook_stops_working_before_the_command_returns() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start(&dir);
    let (ok, url) = cli(
        &dir,
        &["webhook", "add", "--user", "1", "--base-url", &server.base],
    );
    assert!(ok, "{url}");
    // Keep the server's credential cache warm the whole time.
    let hammer_url = url.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let hammer = tokio::spawn(async move {
        let client = crate::helpers::http();
        let mut answered = 0;
        while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = client.post(format!("{hammer_url}server.time")).send().await;
            answered += 1;
        }
        answered
    });
    let (status, _) = call(&url, "server.time", json!({})).await;
    assert_eq!(status, 200);
    let dir_args = dir.args();
    let deleted = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            Command::new(BIN)
                .args(&dir_args)
                .args(["webhook", "delete", &url])
                .output()
                .expect("run b24im")
        }
    })
    .await
    .unwrap();
    assert!(deleted.status.success());
    let returned = Instant::now();
    let (status, body) = call(&url, "server.time", json!({})).await;
    if crate::POSTGRES {
        // Every node hears the NOTIFY; the bound is the cache's second.
        let mut status = status;
        while status != 401 {
            assert!(returned.elapsed() < Duration::from_secs(1), "still working");
            tokio::time::sleep(Duration::from_millis(20)).await;
            status = call(&url, "server.time", json!({})).await.0;
        }
    } else {
        assert_eq!(
            status, 401,
            "worked after `webhook delete` returned: {body}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(hammer.await.unwrap() > 0);
}

#[tokio::test]
async fn the_cli_builds_the_company_structure() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start(&dir);
    let (ok, anna) = cli(&dir, &["user", "add", "--name", "Anna"]);
    assert!(ok, "{anna}");
    let (ok, sales) = cli(
        &dir,
        &["department", "add", "--name", "Sales", "--head", &anna],
    );
    assert!(ok, "{sales}");
    let (ok, east) = cli(
        &dir,
        &["department", "add", "--name", "East", "--parent", &sales],
    );
    assert!(ok, "{east}");
    let (ok, bob) = cli(
        &dir,
        &[
            "user",
            "add",
            "--name",
            "Bob",
            "--department",
            &format!("{sales},{east}"),
        ],
    );
    assert!(ok, "{bob}");
    assert!(
        cli(
            &dir,
            &["user", "place", "--user", &anna, "--department", &sales]
        )
        .0
    );
    let (ok, list) = cli(&dir, &["department", "list"]);
    assert!(ok);
    assert_eq!(
        list.lines().collect::<Vec<_>>(),
        [
            "1\t-\t-\tMy Company".to_owned(),
            format!("{sales}\t1\t{anna}\tSales / My Company"),
            format!("{east}\t{sales}\t-\tEast / Sales / My Company"),
        ]
    );
    // Refused: a department that does not exist, a head who is nobody.
    assert!(!cli(&dir, &["user", "add", "--name", "X", "--department", "99"]).0);
    assert!(
        !cli(
            &dir,
            &["department", "add", "--name", "Y", "--parent", "99"]
        )
        .0
    );
    assert!(
        !cli(
            &dir,
            &["department", "head", "--id", &east, "--head", "999"]
        )
        .0
    );
    assert!(
        !cli(
            &dir,
            &["user", "place", "--user", &bob, "--department", "99"]
        )
        .0
    );
    assert!(cli(&dir, &["department", "head", "--id", &east, "--head", &bob]).0);

    let (ok, url) = cli(
        &dir,
        &["webhook", "add", "--user", &bob, "--base-url", &server.base],
    );
    assert!(ok, "{url}");
    let (_, body) = call(&url, "im.user.get", json!({})).await;
    assert_eq!(
        body["result"]["departments"],
        json!([sales.parse::<i64>().unwrap(), east.parse::<i64>().unwrap()])
    );
    let (_, body) = call(
        &url,
        "im.department.managers.get",
        json!({"ID": [sales, east]}),
    )
    .await;
    assert_eq!(
        body["result"],
        json!({sales.clone(): [anna.parse::<i64>().unwrap()], east.clone(): [bob.parse::<i64>().unwrap()]})
    );
}

/// A bot application's life through the binary: `app add`, `app install`
/// (ONAPPINSTALL to its handler with tokens that work), a bot registered
/// with the event's token, `app delete` (ONAPPUNINSTALL, tokens refused).
/// (Two worker threads: the receiver answers while a command blocks one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_is_added_installed_and_deleted_from_the_cli() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start(&dir);
    let handler = crate::receiver::Receiver::start().await;
    let (ok, out, err) = cli_full(
        &dir,
        &[
            "app",
            "add",
            "--name",
            "Echo bot",
            "--scope",
            "im,imbot",
            "--handler",
            &handler.url,
        ],
    );
    assert!(ok, "{out} {err}");
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .to_owned()
    };
    let (client_id, secret) = (field("client_id"), field("client_secret"));
    assert_eq!(secret.len(), 50);
    let (ok, list) = cli(&dir, &["app", "list"]);
    assert!(
        ok && list.contains(&client_id) && list.contains("installed_by=-"),
        "{list}"
    );

    // Only an administrator installs; user 2 is none.
    let (_, _) = cli(&dir, &["user", "add", "--name", "Plain"]);
    let (ok, _, err) = cli_full(&dir, &["app", "install", &client_id, "--user", "2"]);
    assert!(!ok, "{err}");
    let (ok, printed, err) = cli_full(&dir, &["app", "install", &client_id, "--user", "1"]);
    assert!(ok, "{err}");
    assert!(err.contains("answered HTTP 200"), "{err}");
    let printed: Value = serde_json::from_str(&printed).unwrap();
    let got = handler
        .wait_for("ONAPPINSTALL", 1, Duration::from_secs(10))
        .await;
    let auth = &got[0].form["auth"];
    assert_eq!(auth, &printed, "the handler got what was printed");
    assert_eq!(got[0].form["data"]["INSTALLED"], "Y");
    for key in [
        "access_token",
        "expires_in",
        "scope",
        "domain",
        "server_endpoint",
        "status",
        "client_endpoint",
        "member_id",
        "refresh_token",
        "application_token",
    ] {
        assert!(auth[key].is_string(), "{key} in {auth}");
    }
    assert_eq!(auth["scope"], "im,imbot");
    assert_eq!(auth["client_endpoint"], format!("{}/rest/", server.base));

    // The handler registers its bot with the event's token.
    let access = auth["access_token"].as_str().unwrap();
    let rest = auth["client_endpoint"].as_str().unwrap();
    let (status, body) = call(
        rest,
        "imbot.register",
        json!({"auth": access, "CODE": "echo", "EVENT_HANDLER": handler.url,
               "PROPERTIES": {"NAME": "Echo"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(rest, "app.info", json!({"auth": access})).await;
    assert_eq!((status, &body["result"]["CODE"]), (200, &json!(client_id)));

    let (ok, _, err) = cli_full(&dir, &["app", "delete", &client_id]);
    assert!(ok, "{err}");
    let got = handler
        .wait_for("ONAPPUNINSTALL", 1, Duration::from_secs(10))
        .await;
    let uninstall = &got[0].form;
    assert_eq!(
        uninstall["auth"]["application_token"],
        auth["application_token"]
    );
    assert!(
        uninstall["auth"].get("access_token").is_none(),
        "{uninstall}"
    );
    assert_eq!(uninstall["data"]["CLEAN"], "1");
    // The deleted application's token is unknown now: `invalid_token`, as
    // portals answer (NO_AUTH_FOUND before; b24jssdk renews on it).
    let (status, body) = call(rest, "user.current", json!({"auth": access})).await;
    assert_eq!(
        (status, &body["error"]),
        (401, &json!("invalid_token")),
        "{body}"
    );
    let (ok, list) = cli(&dir, &["app", "list"]);
    assert!(ok && !list.contains(&client_id), "{list}");
}
