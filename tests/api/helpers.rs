//! `TestApp`: the real server on an ephemeral loopback port with a fresh data
//! directory, and a real HTTP client to call it.

use std::sync::Arc;

use b24im::config::{self, ServeConfig};
use b24im::domain::credentials::{self, CredentialKind, Scopes};
use b24im::domain::users::NewUser;
use b24im::domain::{Timestamp, UserId};
use b24im::server::{self, AppState};
use b24im::store::sqlite::SqliteStore;
use b24im::store::Store;
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;

use b24im::events::DeliveryConfig;

/// A user's webhook: what a client needs to call as that user.
#[derive(Debug, Clone)]
pub struct Hook {
    pub user: i64,
    pub url: String,
}

pub struct TestApp {
    pub base: String,
    pub admin: Hook,
    pub store: Arc<SqliteStore>,
    pub dir: TempDir,
    pub client: reqwest::Client,
    _shutdown: oneshot::Sender<()>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with_limit(config::DEFAULT_BODY_LIMIT).await
    }

    pub async fn spawn_with_limit(body_limit: usize) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SqliteStore::open(dir.path()).expect("open store"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = config::base_url(&addr);
        let state = AppState::new(
            store.clone(),
            ServeConfig {
                listen: addr,
                data_dir: dir.path().to_path_buf(),
                body_limit,
                // Event delivery as `serve` runs it, quicker: tests wait less.
                delivery: DeliveryConfig {
                    timeout: std::time::Duration::from_millis(700),
                    max_attempts: 3,
                    poll: std::time::Duration::from_millis(20),
                    concurrency: 8,
                    public_url: base.clone(),
                },
            },
        );
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(server::run(listener, None, state, async {
            let _ = rx.await;
        }));
        let mut app = TestApp {
            base,
            admin: Hook {
                user: 0,
                url: String::new(),
            },
            store,
            dir,
            client: reqwest::Client::new(),
            _shutdown: tx,
        };
        app.admin = app.user("Admin", "").await;
        app
    }

    /// The outbox, newest first (in `state`, if given).
    pub async fn store_events(
        &self,
        state: Option<&str>,
    ) -> Vec<b24im::domain::events::OutboxEntry> {
        let state = state.map(|s| b24im::domain::events::DeliveryState::parse(s).unwrap());
        self.store.events(state, 100).await.unwrap()
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
        let secret = credentials::issue(
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
        credentials::issue(
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
            .post(format!("{}{method}", hook.url))
            .json(&params)
            .send()
            .await
            .expect("request");
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
