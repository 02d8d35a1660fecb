//! Two b24im processes over one PostgreSQL schema, as behind a load
//! balancer: likes, reads, revocations and removals through both, which must
//! agree. (The rest of the suite runs in-process nodes; this one runs the
//! real binary twice.)

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::{call, cli, Server};
use crate::helpers::TestData;
use crate::receiver::Receiver;

/// How soon a change on one node must be seen by the other.
const SOON: Duration = Duration::from_secs(1);

async fn ok(url: &str, method: &str, params: Value) -> Value {
    let (status, body) = call(url, method, params).await;
    assert_eq!(status, 200, "{method}: {body}");
    body["result"].clone()
}

/// Polls `probe` until it returns true; how long that took (panics past `within`).
async fn until<F, Fut>(within: Duration, what: &str, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if probe().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{what} not seen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_over_one_database_agree() {
    let Some(data) = TestData::new() else {
        return;
    };
    let a = Server::start_with(&data, &["--https-listen", "off"]);
    let b = Server::start_with(&data, &["--https-listen", "off"]);
    let admin_a = a.webhook.clone().expect("the first node creates the admin");
    assert!(
        b.webhook.is_none(),
        "only one node creates the admin: {:?}",
        b.banner
    );
    let admin_b = b.rebase(&admin_a);

    // Bob, made with the CLI on the same database.
    let (made, bob) = cli(&data, &["user", "add", "--name", "Bob"]);
    assert!(made, "{bob}");
    let (made, bob_a) = cli(
        &data,
        &["webhook", "add", "--user", &bob, "--base-url", &a.base],
    );
    assert!(made, "{bob_a}");
    let bob_b = b.rebase(&bob_a);

    // A chat made on A, a message posted on B.
    let chat = ok(
        &admin_a,
        "im.chat.add",
        json!({"TITLE": "Nodes", "USERS": [bob]}),
    )
    .await;
    let dialog = format!("chat{chat}");
    let first = ok(
        &admin_b,
        "im.message.add",
        json!({"DIALOG_ID": dialog, "MESSAGE": "hi"}),
    )
    .await;

    // plus/plus from both nodes at once, on fresh messages: exactly one `true`.
    for round in 0..20 {
        let msg = ok(
            &bob_a,
            "im.message.add",
            json!({"DIALOG_ID": dialog, "MESSAGE": format!("m{round}")}),
        )
        .await;
        let msg = msg.as_i64().expect("message id");
        let like = |hook: &str| {
            let hook = hook.to_owned();
            async move {
                call(
                    &hook,
                    "im.message.like",
                    json!({"MESSAGE_ID": msg, "ACTION": "plus"}),
                )
                .await
            }
        };
        let (ra, rb) = tokio::join!(like(&admin_a), like(&admin_b));
        let mut answers = [ra, rb];
        answers.sort_by_key(|(status, _)| *status);
        assert_eq!(answers[0].0, 200, "round {round}: {answers:?}");
        assert_eq!(answers[0].1["result"], true);
        assert_eq!(answers[1].0, 400, "round {round}: {answers:?}");
        assert_eq!(answers[1].1["error"], "WITHOUT_CHANGES");
    }

    // Reads through either node agree, likes included.
    let history = |hook: String| {
        let dialog = dialog.clone();
        async move {
            ok(
                &hook,
                "im.dialog.messages.get",
                json!({"DIALOG_ID": dialog, "LIMIT": 50}),
            )
            .await
        }
    };
    let (ha, hb) = (history(bob_a.clone()).await, history(bob_b.clone()).await);
    assert_eq!(ha["messages"], hb["messages"]);
    let liked = ha["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["params"]["LIKE"] == json!([1]))
        .count();
    assert_eq!(liked, 20);

    // A revoked webhook stops working on both nodes within a second, though
    // each has just used (and cached) it.
    let (made, spare) = cli(
        &data,
        &["webhook", "add", "--user", &bob, "--base-url", &a.base],
    );
    assert!(made, "{spare}");
    let spare_b = b.rebase(&spare);
    for hook in [&spare, &spare_b] {
        assert_eq!(call(hook, "server.time", json!({})).await.0, 200);
    }
    let (deleted, _) = cli(&data, &["webhook", "delete", &spare]);
    assert!(deleted);
    for hook in [&spare, &spare_b] {
        let took = until(SOON, "the revocation", || async {
            call(hook, "server.time", json!({})).await.0 == 401
        })
        .await;
        eprintln!("revocation seen after {took:?} on {hook}");
    }

    // Bob removed from the chat on A can no longer like its messages on B
    // (an invisible message answers like an unchanged like, as in Bitrix24).
    ok(
        &admin_a,
        "im.chat.user.delete",
        json!({"CHAT_ID": chat, "USER_ID": bob}),
    )
    .await;
    let (status, body) = call(
        &bob_b,
        "im.message.like",
        json!({"MESSAGE_ID": first, "ACTION": "plus"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("WITHOUT_CHANGES")),
        "{body}"
    );
    let after = history(admin_a.clone()).await;
    let first_now = after["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == first)
        .unwrap()
        .clone();
    assert_eq!(first_now["params"]["LIKE"], Value::Null, "{first_now}");

    // A bot's events: every message posted on either node reaches its
    // handler (a supervisor bot hears every message), each event once,
    // whichever node's worker delivers it.
    let rx = Receiver::start().await;
    let bot = ok(&admin_a, "imbot.register", json!({
        "CODE": "nodes", "TYPE": "S", "EVENT_HANDLER": rx.url, "PROPERTIES": {"NAME": "Nodes"}, "CLIENT_ID": "app",
    }))
    .await;
    ok(
        &admin_b,
        "im.chat.user.add",
        json!({"CHAT_ID": chat, "USERS": [bot]}),
    )
    .await;
    const POSTS: usize = 30;
    for i in 0..POSTS {
        let hook = if i % 2 == 0 { &admin_a } else { &admin_b };
        ok(
            hook,
            "im.message.add",
            json!({"DIALOG_ID": dialog, "MESSAGE": format!("to the bot {i}")}),
        )
        .await;
    }
    rx.wait_for("ONIMBOTMESSAGEADD", POSTS, Duration::from_secs(20))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in rx.all().iter().filter(|r| r.event() == "ONIMBOTMESSAGEADD") {
        *seen.entry(r.event_id.clone()).or_default() += 1;
    }
    assert_eq!(seen.len(), POSTS, "every message's event arrived");
    assert!(
        seen.values().all(|n| *n == 1),
        "an event arrived twice: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_in_flight_on_a_node_that_dies_is_delivered_by_another() {
    let Some(data) = TestData::new() else {
        return;
    };
    let rx = Receiver::start().await;
    let a = Server::start_with(&data, &["--https-listen", "off", "--event-timeout", "1"]);
    let admin = a.webhook.clone().expect("admin webhook");
    let bot = ok(&admin, "imbot.register", json!({
        "CODE": "survivor", "EVENT_HANDLER": rx.url, "PROPERTIES": {"NAME": "S"}, "CLIENT_ID": "app",
    }))
    .await;

    // A's dispatcher takes the welcome event; the handler hangs, so the
    // event is in flight (leased to A) when A is killed.
    let held = rx.hold().await;
    ok(&admin, "im.chat.add", json!({"USERS": [bot]})).await;
    until(Duration::from_secs(5), "A's delivery attempt", || async {
        rx.arrived() == 1
    })
    .await;
    let b = Server::start_with(&data, &["--https-listen", "off", "--event-timeout", "1"]);
    a.kill9();
    drop(held);

    // B delivers it once A's lease (2 × timeout + 5 s) has run out. (A's own
    // request may or may not be recorded: it died with A's connection.)
    until(Duration::from_secs(30), "B's delivery attempt", || async {
        rx.arrived() >= 2
    })
    .await;
    let got = rx
        .wait_for("ONIMBOTJOINCHAT", 1, Duration::from_secs(10))
        .await;
    assert!(
        got.iter().all(|r| r.event_id == got[0].event_id),
        "one event"
    );
    assert_eq!(
        got[0].form["data"]["BOT"][bot.to_string()]["BOT_ID"],
        bot.to_string()
    );
    until(Duration::from_secs(10), "the delivery recorded", || async {
        data_list(&data).contains("ONIMBOTJOINCHAT\tdelivered")
    })
    .await;
    drop(b);
}

/// `b24im events list` on the test's database.
fn data_list(data: &TestData) -> String {
    cli(data, &["events", "list"]).1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_carry_on_when_their_database_connections_are_killed() {
    let Some(app) = crate::helpers::TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let mut messages = Vec::new();
    for i in 0..10 {
        messages.push(app.post(&app.admin, chat, &format!("m{i}")).await);
    }
    // Every pooled connection and both listeners die, as in a database restart.
    let killed = app.data.kill_connections();
    assert!(killed >= 4, "pools and listeners of both nodes: {killed}");
    // Each node finds its dead connections at BEGIN and replaces them: no request fails.
    for id in &messages {
        let (status, body) = app
            .call(
                &app.admin,
                "im.message.like",
                json!({"MESSAGE_ID": id, "ACTION": "plus"}),
            )
            .await;
        assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    }
    assert_eq!(
        app.likes(&app.admin, chat, messages[0]).await,
        vec![app.admin.user]
    );
}

/// Connections killed while likes are in flight (in groups on the writers,
/// some perhaps in COMMIT): every like answers `true`, none fails, and each
/// is applied once. A group that lost its connection before COMMIT runs
/// again; one that lost it during COMMIT is resolved with `txid_status`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn likes_in_flight_survive_killed_connections() {
    let Some(app) = crate::helpers::TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let mut messages = Vec::new();
    for i in 0..120 {
        messages.push(app.post(&app.admin, chat, &format!("m{i}")).await);
    }
    let app = std::sync::Arc::new(app);
    let likes: Vec<_> = messages
        .iter()
        .map(|id| {
            let (app, id) = (std::sync::Arc::clone(&app), *id);
            tokio::spawn(async move {
                app.call(
                    &app.admin,
                    "im.message.like",
                    json!({"MESSAGE_ID": id, "ACTION": "plus"}),
                )
                .await
            })
        })
        .collect();
    let mut killed = 0;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(15)).await;
        let data = std::sync::Arc::clone(&app);
        killed += tokio::task::spawn_blocking(move || data.data.kill_connections())
            .await
            .expect("kill");
    }
    assert!(killed > 0, "nothing was killed");
    for like in likes {
        let (status, body) = like.await.expect("like task");
        assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    }
    // The latest page (what `likes` reads): each liked exactly once.
    for id in messages.iter().rev().take(50) {
        assert_eq!(app.likes(&app.admin, chat, *id).await, vec![app.admin.user]);
    }
}
