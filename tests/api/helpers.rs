//! `TestApp`: the real server on an ephemeral loopback port with a fresh data
//! directory, and a real HTTP client to call it.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once, OnceLock};

use b24im::config::{self, ServeConfig};
use b24im::domain::credentials::{CredentialKind, Scopes};
use b24im::domain::users::NewUser;
use b24im::domain::{Timestamp, UserId};
use b24im::server::{self, AppState};
use b24im::store::Store;
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;

use b24im::events::DeliveryConfig;

use crate::watchdog::Watchdog;

/// The PostgreSQL server the PostgreSQL half runs on, unless told otherwise.
const DEFAULT_TEST_DATABASE: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Reader connections of each test node on PostgreSQL, in process or not
/// (a node's default is 16). Tests run two at a time, each with two nodes and their writers and
/// listeners: at 16 they could pass a stock PostgreSQL's 100 connections
/// and be refused ("too many clients"); at 4 they stay far below.
pub const TEST_POOL: usize = 4;

/// A user's webhook: what a client needs to call as that user.
#[derive(Debug, Clone)]
pub struct Hook {
    pub user: i64,
    pub url: String,
}

/// Where a test's server keeps its data: a fresh directory, and on the
/// PostgreSQL half a fresh schema (dropped afterwards) in the test database.
pub struct TestData {
    dir: TempDir,
    /// The test's bound (see `watchdog`): every test that has data has one.
    _watchdog: Watchdog,
    /// The `--database` URL (PostgreSQL half only).
    pub database: Option<String>,
    schema: Option<(String, String)>,
}

impl TestData {
    /// `None` on the PostgreSQL half when no PostgreSQL is reachable: the
    /// test is skipped (and the binary says so, once, with the reason).
    pub fn new() -> Option<TestData> {
        if crate::POSTGRES {
            TestData::postgres()
        } else {
            Some(TestData::sqlite())
        }
    }

    /// A fresh directory for the embedded SQLite store.
    pub fn sqlite() -> TestData {
        TestData {
            dir: tempfile::tempdir().expect("temp dir"),
            _watchdog: Watchdog::start(),
            database: None,
            schema: None,
        }
    }

    /// A fresh directory and schema, if PostgreSQL is reachable.
    pub fn postgres() -> Option<TestData> {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = postgres_base()?;
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let schema = format!(
            "b24im_t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        pg_admin(base, format!("CREATE SCHEMA {schema}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(TestData {
            dir,
            _watchdog: Watchdog::start(),
            // The schema also names the test's connections (application_name),
            // so a test can find and kill exactly its own.
            database: Some(format!(
                "{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
            )),
            schema: Some((base.to_owned(), schema)),
        })
    }

    /// Terminates every database connection of this test's nodes (as a
    /// database restart would); how many there were.
    #[allow(dead_code)] // only the PostgreSQL half (tests/postgres/) uses it
    pub fn kill_connections(&self) -> i64 {
        let (base, schema) = self.schema.clone().expect("a PostgreSQL test");
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&base, postgres::NoTls).expect("connect");
            client
                .query_one(
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
                     WHERE application_name = $1",
                    &[&schema],
                )
                .expect("terminate")
                .get(0)
        })
        .join()
        .expect("admin thread")
    }

    /// This test's schema URL with its own `application_name` and more
    /// parameters (`extra`, URL-encoded), and a way to see how those
    /// connections are encrypted (PostgreSQL half only).
    #[allow(dead_code)] // only the PostgreSQL half (tests/postgres/) uses it
    pub fn database_url(&self, host: &str, app: &str, extra: &str) -> String {
        let (base, schema) = self.schema.clone().expect("a PostgreSQL test");
        let base = base.replacen("127.0.0.1", host, 1);
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}options=-csearch_path%3D{schema}&application_name={app}&{extra}")
    }

    /// The `application_name` this test's own URL (`database`) gives its connections.
    #[allow(dead_code)] // only the PostgreSQL half (tests/postgres/) uses it
    pub fn app_name(&self) -> String {
        self.schema.clone().expect("a PostgreSQL test").1
    }

    /// Locks `table` of this test's schema exclusively, from a connection of
    /// its own, until the returned sender is dropped: whatever touches the
    /// table waits, holding its connection.
    #[allow(dead_code)] // only the PostgreSQL half (tests/postgres/) uses it
    pub fn lock_table(&self, table: &str) -> std::sync::mpsc::Sender<()> {
        let (base, schema) = self.schema.clone().expect("a PostgreSQL test");
        let sql = format!("BEGIN; LOCK TABLE {schema}.{table} IN ACCESS EXCLUSIVE MODE");
        let (locked, is_locked) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&base, postgres::NoTls).expect("connect");
            client.batch_execute(&sql).expect("lock");
            locked.send(()).expect("tell the test");
            let _ = released.recv();
            client.batch_execute("COMMIT").expect("unlock");
        });
        is_locked.recv().expect("the lock is held");
        release
    }

    /// `pg_stat_ssl.ssl` of every open connection named `app`.
    #[allow(dead_code)] // only the PostgreSQL half (tests/postgres/) uses it
    pub fn connections_ssl(&self, app: &str) -> Vec<bool> {
        let (base, _) = self.schema.clone().expect("a PostgreSQL test");
        let app = app.to_owned();
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&base, postgres::NoTls).expect("connect");
            client
                .query(
                    "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                     WHERE a.application_name = $1",
                    &[&app],
                )
                .expect("pg_stat_ssl")
                .iter()
                .map(|r| r.get(0))
                .collect()
        })
        .join()
        .expect("admin thread")
    }

    /// The server's `ssl` setting and the text of its certificate, if readable.
    #[allow(dead_code)] // only the PostgreSQL half (tests/postgres/) uses it
    pub fn server_tls(&self) -> (bool, Option<String>) {
        let (base, _) = self.schema.clone().expect("a PostgreSQL test");
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&base, postgres::NoTls).expect("connect");
            let on: String = client.query_one("SHOW ssl", &[]).expect("ssl").get(0);
            let file: String = client
                .query_one("SHOW ssl_cert_file", &[])
                .expect("ssl_cert_file")
                .get(0);
            (on == "on", std::fs::read_to_string(file).ok())
        })
        .join()
        .expect("admin thread")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `--data DIR` and, on PostgreSQL, `--database URL`, for the binary.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--data".to_owned(), self.path().display().to_string()];
        if let Some(url) = &self.database {
            args.extend(["--database".to_owned(), url.clone()]);
        }
        args
    }

    /// A store over this data, as a node opens it.
    pub fn open_store(&self) -> Arc<dyn Store> {
        b24im::store::open(
            self.database.as_deref(),
            TEST_POOL,
            b24im::store::postgres::DEFAULT_WAIT,
            self.path(),
        )
        .expect("open store")
    }
}

impl Drop for TestData {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema {
            // Never a panic here: during a failing test's unwinding it would
            // abort the whole binary. A schema left behind is dropped by the
            // next run (`drop_stale_schemas`).
            let (base, sql) = (
                base.clone(),
                format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            );
            let dropped = std::thread::spawn(move || {
                postgres::Client::connect(&base, postgres::NoTls)?.batch_execute(&sql)
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                let _ = writeln!(
                    std::io::stderr(),
                    "could not drop the test schema {schema}: {dropped:?}"
                );
            }
        }
    }
}

/// The test database's URL, or `None` (skipped: said once why).
fn postgres_base() -> Option<&'static str> {
    static BASE: OnceLock<Result<String, String>> = OnceLock::new();
    static SAID: Once = Once::new();
    let found = BASE.get_or_init(|| {
        let url = std::env::var("B24IM_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_DATABASE.to_owned());
        if url.is_empty() || url == "off" {
            return Err("B24IM_TEST_DATABASE_URL is off".to_owned());
        }
        let probe = url.clone();
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&probe, postgres::NoTls)?;
            drop_stale_schemas(&mut client);
            Ok::<_, postgres::Error>(())
        })
        .join()
        .expect("probe thread")
        .map(|()| url.clone())
        .map_err(|e| format!("cannot connect to {url}: {e}"))
    });
    match found {
        Ok(url) => Some(url),
        Err(why) => {
            SAID.call_once(|| {
                // Straight to stderr: libtest captures only print!/eprint!.
                let _ = writeln!(
                    std::io::stderr(),
                    "\nPostgreSQL half SKIPPED: {why} (set B24IM_TEST_DATABASE_URL to a reachable database)\n"
                );
            });
            None
        }
    }
}

/// Drops the schemas of test processes that are gone (killed mid-test).
fn drop_stale_schemas(client: &mut postgres::Client) {
    let Ok(rows) = client.query(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'b24im\\_t%'",
        &[],
    ) else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name
            .trim_start_matches("b24im_t")
            .split('_')
            .next()
            .unwrap_or_default();
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
        }
    }
}

/// Runs one administrative statement (on a thread: the synchronous client
/// must not block a test's runtime).
fn pg_admin(base: &str, sql: String) {
    let base = base.to_owned();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&base, postgres::NoTls).expect("connect");
        client.batch_execute(&sql).expect("admin statement");
    })
    .join()
    .expect("admin thread");
}

/// The tests' HTTP client: a request that never answers fails its test
/// (with reqwest's "operation timed out" and the URL) instead of holding the
/// whole suite.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        // Well under the server's keep-alive limit (the header timeout, 30 s):
        // a connection the server is closing just then is never reused.
        // On a busy machine a PostgreSQL test's node may sit that long
        // between two of its requests, and the request sent as the server
        // closed failed ("error sending request").
        .pool_idle_timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("client")
}

/// The real server on loopback. On the PostgreSQL half it is two nodes,
/// each with its own store (pool, caches, listener, event worker) over the
/// same schema, and requests alternate between them as behind a load
/// balancer: the whole suite is then a two-node acceptance test.
pub struct TestApp {
    /// The first node's base URL (hooks are made with it).
    pub base: String,
    /// Every node's base URL.
    pub bases: Vec<String>,
    next: AtomicUsize,
    pub admin: Hook,
    /// The first node's store.
    pub store: Arc<dyn Store>,
    pub data: TestData,
    pub client: reqwest::Client,
    _shutdown: Vec<oneshot::Sender<()>>,
}

impl TestApp {
    /// `None` when the PostgreSQL half is skipped.
    pub async fn spawn() -> Option<TestApp> {
        TestApp::spawn_with_limit(config::DEFAULT_BODY_LIMIT).await
    }

    pub async fn spawn_with_limit(body_limit: usize) -> Option<TestApp> {
        TestApp::spawn_with(body_limit, config::Limits::default()).await
    }

    /// The server with these limits (docs/security.md).
    pub async fn spawn_with_limits(limits: config::Limits) -> Option<TestApp> {
        TestApp::spawn_with(config::DEFAULT_BODY_LIMIT, limits).await
    }

    pub async fn spawn_with(body_limit: usize, limits: config::Limits) -> Option<TestApp> {
        TestApp::spawn_full(body_limit, limits, false).await
    }

    /// A server that refuses private handlers of non-administrators
    /// (`--refuse-private-handlers`).
    #[allow(dead_code)] // not every binary that includes the helpers uses it
    pub async fn spawn_refusing_private_handlers() -> Option<TestApp> {
        TestApp::spawn_full(config::DEFAULT_BODY_LIMIT, config::Limits::default(), true).await
    }

    async fn spawn_full(
        body_limit: usize,
        limits: config::Limits,
        refuse_private: bool,
    ) -> Option<TestApp> {
        let data = TestData::new()?;
        // B24IM_TEST_LOGS: the in-process servers' logs (RUST_LOG, else
        // warnings) on stderr, as `serve` writes them.
        if std::env::var_os("B24IM_TEST_LOGS").is_some() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
        }
        let nodes = if crate::POSTGRES { 2 } else { 1 };
        let mut bases = Vec::new();
        let mut stores = Vec::new();
        let mut shutdown = Vec::new();
        for _ in 0..nodes {
            let store = data.open_store();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            let base = config::base_url(&addr);
            // Behind a load balancer every node names the same public URL.
            let public_url = bases.first().unwrap_or(&base).clone();
            let state = AppState::new(
                store.clone(),
                ServeConfig {
                    listen: addr,
                    data_dir: data.path().to_path_buf(),
                    body_limit,
                    limits: limits.clone(),
                    dev_login: true,
                    // Event delivery as `serve` runs it, quicker: tests wait less.
                    delivery: DeliveryConfig {
                        timeout: std::time::Duration::from_millis(700),
                        max_attempts: 3,
                        poll: std::time::Duration::from_millis(20),
                        concurrency: 8,
                        public_url,
                        refuse_private,
                    },
                },
            );
            let (tx, rx) = oneshot::channel::<()>();
            tokio::spawn(server::run(listener, None, state, async {
                let _ = rx.await;
            }));
            bases.push(base);
            stores.push(store);
            shutdown.push(tx);
        }
        let mut app = TestApp {
            base: bases[0].clone(),
            bases,
            next: AtomicUsize::new(0),
            admin: Hook {
                user: 0,
                url: String::new(),
            },
            store: stores.swap_remove(0),
            data,
            client: http(),
            _shutdown: shutdown,
        };
        app.admin = app.user("Admin", "").await;
        Some(app)
    }

    /// `url` (made with the first node's base) sent to the next node in turn.
    pub fn route(&self, url: &str) -> String {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.bases.len();
        match url.strip_prefix(&self.base) {
            Some(rest) => format!("{}{rest}", self.bases[i]),
            None => url.to_owned(),
        }
    }

    /// The outbox, newest first (in `state`, if given).
    pub async fn store_events(
        &self,
        state: Option<&str>,
    ) -> Vec<b24im::domain::events::OutboxEntry> {
        let state = state.map(|s| b24im::domain::events::DeliveryState::parse(s).unwrap());
        self.store
            .events(b24im::domain::events::EventQuery {
                state,
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
    }

    /// Creates a user and a webhook with every scope for it.
    pub async fn user(&self, first: &str, last: &str) -> Hook {
        let user = self
            .store
            .create_user(
                NewUser::parse(first, last, false).unwrap(),
                Timestamp::now(),
            )
            .await
            .unwrap();
        self.hook(user.id.0, Scopes::all()).await
    }

    /// Creates an administrator and a webhook with every scope for it.
    pub async fn admin_user(&self, first: &str) -> Hook {
        let user = self
            .store
            .create_user(NewUser::parse(first, "", true).unwrap(), Timestamp::now())
            .await
            .unwrap();
        self.hook(user.id.0, Scopes::all()).await
    }

    /// A webhook for an existing user with the given scopes.
    pub async fn hook(&self, user: i64, scopes: Scopes) -> Hook {
        let secret = b24im::domain::cases::credentials::issue(
            self.store.as_ref(),
            CredentialKind::Webhook,
            UserId(user),
            scopes,
        )
        .await
        .unwrap();
        Hook {
            user,
            url: config::webhook_url(&self.base, user, &secret.0),
        }
    }

    /// An OAuth-style access token for a user.
    pub async fn access_token(&self, user: i64) -> String {
        b24im::domain::cases::credentials::issue(
            self.store.as_ref(),
            CredentialKind::AccessToken,
            UserId(user),
            Scopes::all(),
        )
        .await
        .unwrap()
        .0
    }

    /// POSTs a JSON body to `METHOD` on the hook; returns the status and body.
    pub async fn call(&self, hook: &Hook, method: &str, params: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{method}", self.route(&hook.url)))
            .json(&params)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method}: {e:?}"));
        let status = res.status().as_u16();
        let body: Value = res.json().await.expect("JSON body");
        (status, body)
    }

    /// Calls and expects success; returns `result`.
    pub async fn ok(&self, hook: &Hook, method: &str, params: Value) -> Value {
        let (status, body) = self.call(hook, method, params).await;
        assert_eq!(status, 200, "{method}: {body}");
        assert!(body.get("error").is_none(), "{method}: {body}");
        assert!(body.get("time").is_some(), "{method}: no time in {body}");
        body["result"].clone()
    }

    /// Calls and expects an error; returns the status and the error code.
    pub async fn err(&self, hook: &Hook, method: &str, params: Value) -> (u16, String) {
        let (status, body) = self.call(hook, method, params).await;
        assert!(
            status >= 400,
            "{method}: expected an error, got {status} {body}"
        );
        let code = body["error"].as_str().expect("error code").to_owned();
        assert!(body["error_description"].is_string(), "{body}");
        (status, code)
    }

    /// A group chat owned by `owner` with `members`; returns its id.
    pub async fn chat(&self, owner: &Hook, members: &[&Hook]) -> i64 {
        let users: Vec<i64> = members.iter().map(|h| h.user).collect();
        self.ok(
            owner,
            "im.chat.add",
            serde_json::json!({"TITLE": "Team", "USERS": users}),
        )
        .await
        .as_i64()
        .expect("chat id")
    }

    /// Writes `text` to `dialog` (a user id or `chatN`) with `im.message.add`;
    /// returns the message id.
    pub async fn write_to(&self, from: &Hook, dialog: &str, text: &str) -> i64 {
        self.ok(
            from,
            "im.message.add",
            serde_json::json!({"DIALOG_ID": dialog, "MESSAGE": text}),
        )
        .await
        .as_i64()
        .expect("message id")
    }

    /// Posts a message into `chatN`; returns its id.
    pub async fn post(&self, author: &Hook, chat: i64, text: &str) -> i64 {
        self.ok(
            author,
            "im.message.add",
            serde_json::json!({"DIALOG_ID": format!("chat{chat}"), "MESSAGE": text}),
        )
        .await
        .as_i64()
        .expect("message id")
    }

    /// The `params.LIKE` list of message `id` as `reader` sees it.
    pub async fn likes(&self, reader: &Hook, chat: i64, id: i64) -> Vec<i64> {
        let result = self
            .ok(
                reader,
                "im.dialog.messages.get",
                serde_json::json!({"DIALOG_ID": format!("chat{chat}"), "LIMIT": 50}),
            )
            .await;
        let message = result["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("message {id} not in {result}"))
            .clone();
        match &message["params"]["LIKE"] {
            Value::Array(ids) => ids.iter().map(|v| v.as_i64().unwrap()).collect(),
            Value::Null => Vec::new(),
            other => panic!("LIKE is {other}"),
        }
    }
}

/// The sign-in page of `client_id` at `authorize` as a browser opens it:
/// the `Cookie` header its anti-forgery cookie makes, and the value its
/// forms carry (`csrf`); a POST from the page sends both.
pub async fn sign_in_page(
    client: &reqwest::Client,
    authorize: &str,
    client_id: &str,
) -> (String, String) {
    let res = client
        .get(authorize)
        .query(&[("client_id", client_id), ("state", "page")])
        .send()
        .await
        .expect("the sign-in page");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("b24im_signin="))
        .and_then(|v| v.split(';').next())
        .expect("the anti-forgery cookie")
        .to_owned();
    let page = res.text().await.expect("the page");
    let csrf = page
        .split("name=csrf value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the anti-forgery field")
        .to_owned();
    (cookie, csrf)
}
