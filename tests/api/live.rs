//! The live channel (`GET /live`, a WebSocket): what a chat's members hear
//! after each commit, on every node, and how a client that reconnects
//! catches up (or is told to reload).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Hook, TestApp};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The webhook's user and secret, as the live channel takes them.
fn webhook_of(hook: &Hook) -> Value {
    let parts: Vec<&str> = hook.url.trim_end_matches('/').rsplit('/').collect();
    json!({"user": parts[1], "token": parts[0]})
}

/// Opens the channel on node `node` and sends `hello`; the first frame back.
pub async fn open(app: &TestApp, node: usize, hello: Value) -> (Socket, Value) {
    let base = &app.bases[node % app.bases.len()];
    let url = format!("{}/live", base.replacen("http://", "ws://", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .expect("hello");
    let first = next(&mut socket).await.expect("an answer");
    (socket, first)
}

/// Connects as `hook`'s user (resuming from `since`); the welcome.
async fn watch(app: &TestApp, node: usize, hook: &Hook, since: Option<&str>) -> (Socket, Value) {
    let mut hello = json!({"webhook": webhook_of(hook)});
    if let Some(since) = since {
        hello["since"] = json!(since);
    }
    let (socket, welcome) = open(app, node, hello).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(welcome["user"], hook.user);
    (socket, welcome)
}

/// The next JSON frame, within 5 s.
async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = frame {
            return Some(serde_json::from_str(text.as_str()).expect("JSON frame"));
        }
    }
}

/// Collects updates until one matches `want`; every update seen.
#[track_caller]
fn until<'a>(
    socket: &'a mut Socket,
    want: impl Fn(&Value) -> bool + 'a,
) -> impl std::future::Future<Output = Vec<Value>> + 'a {
    let at = std::panic::Location::caller();
    async move {
        let mut seen = Vec::new();
        loop {
            let frame = next(socket)
                .await
                .unwrap_or_else(|| panic!("no matching update at {at}; saw {seen:?}"));
            assert_eq!(frame["type"], "updates", "{frame}");
            assert!(frame["revision"].is_string(), "{frame}");
            for u in frame["updates"].as_array().expect("updates") {
                seen.push(u.clone());
            }
            if seen.iter().any(&want) {
                return seen;
            }
        }
    }
}

/// Nothing arrives within a short while.
async fn quiet(socket: &mut Socket) {
    if let Ok(Some(Ok(Message::Text(t)))) =
        tokio::time::timeout(Duration::from_millis(300), socket.next()).await
    {
        panic!("expected nothing, got {t}");
    }
}

#[tokio::test]
async fn a_members_like_message_and_typing_reach_the_other_member_on_any_node() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let a = app.user("Ann", "A").await;
    let b = app.user("Bob", "B").await;
    let outsider = app.user("Oz", "O").await;
    let chat = app.chat(&a, &[&b]).await;
    let id = app.post(&a, chat, "hello").await;
    // Bob listens on the second node (on PostgreSQL), Oz on the first.
    let (mut bob, _) = watch(&app, 1, &b, None).await;
    let (mut oz, _) = watch(&app, 0, &outsider, None).await;
    let (mut ann, _) = watch(&app, 0, &a, None).await;

    app.ok(
        &a,
        "im.message.like",
        json!({"MESSAGE_ID": id, "ACTION": "plus"}),
    )
    .await;
    let seen = until(&mut bob, |u| u["type"] == "reaction").await;
    let like = seen.iter().find(|u| u["type"] == "reaction").unwrap();
    assert_eq!(
        like,
        &json!({"type": "reaction", "chat": chat, "message": id, "user": a.user,
                "reaction": "like", "set": true})
    );
    app.ok(
        &a,
        "im.message.like",
        json!({"MESSAGE_ID": id, "ACTION": "minus"}),
    )
    .await;
    until(&mut bob, |u| u["type"] == "reaction" && u["set"] == false).await;

    let second = app.post(&a, chat, "again").await;
    until(&mut bob, |u| {
        *u == json!({"type": "message", "chat": chat, "id": second})
    })
    .await;

    app.ok(
        &a,
        "im.dialog.writing",
        json!({"DIALOG_ID": format!("chat{chat}")}),
    )
    .await;
    until(&mut bob, |u| {
        *u == json!({"type": "typing", "chat": chat, "user": a.user})
    })
    .await;
    // Ann hears her own message and like, never her own typing.
    let own = until(&mut ann, |u| u["type"] == "message" && u["id"] == second).await;
    assert!(own.iter().all(|u| u["type"] != "typing"), "{own:?}");
    quiet(&mut ann).await;

    app.ok(
        &b,
        "im.dialog.read",
        json!({"DIALOG_ID": format!("chat{chat}")}),
    )
    .await;
    until(&mut ann, |u| {
        *u == json!({"type": "read", "chat": chat, "user": b.user, "message": second})
    })
    .await;

    // Someone outside the chat hears nothing of it...
    quiet(&mut oz).await;
    // ...until they are added: then the chat, and what follows in it.
    app.ok(
        &a,
        "im.chat.user.add",
        json!({"CHAT_ID": chat, "USERS": [outsider.user]}),
    )
    .await;
    until(&mut oz, |u| u["type"] == "chat" && u["chat"] == chat).await;
    let third = app.post(&a, chat, "welcome, Oz").await;
    until(&mut oz, |u| u["type"] == "message" && u["id"] == third).await;
}

#[tokio::test]
async fn a_client_that_reconnects_gets_what_it_missed_or_is_told_to_reload() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let a = app.user("Ann", "A").await;
    let b = app.user("Bob", "B").await;
    let chat = app.chat(&a, &[&b]).await;
    let first = app.post(&a, chat, "one").await;
    let (mut bob, welcome) = watch(&app, 0, &b, None).await;
    app.ok(
        &a,
        "im.message.like",
        json!({"MESSAGE_ID": first, "ACTION": "plus"}),
    )
    .await;
    let frame = next(&mut bob).await.expect("the like");
    let revision = frame["revision"].as_str().unwrap().to_owned();
    assert_ne!(welcome["revision"], frame["revision"]);
    bob.close(None).await.unwrap();

    // While Bob is away: a message, an edit, a delete.
    let second = app.post(&a, chat, "two").await;
    app.ok(
        &a,
        "im.message.update",
        json!({"MESSAGE_ID": second, "MESSAGE": "2"}),
    )
    .await;
    app.ok(&a, "im.message.delete", json!({"MESSAGE_ID": first}))
        .await;

    let (mut bob, _) = watch(&app, 0, &b, Some(&revision)).await;
    // Each once, in any order. What was missed comes first; a change
    // committed just before the reconnect may come a moment later, live
    // (updates are published after the commit that answered its caller).
    // On PostgreSQL a group's updates are sent after its callers were
    // answered (pg_writer.rs, `announce`), so two groups' updates may also
    // come in the other order.
    let mut kinds: Vec<(String, i64)> = Vec::new();
    while kinds.len() < 3 {
        let frame = next(&mut bob)
            .await
            .unwrap_or_else(|| panic!("the missed updates never all came; saw {kinds:?}"));
        assert_eq!(frame["type"], "updates", "{frame}");
        kinds.extend(
            frame["updates"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|u| u["type"] != "chat")
                .map(|u| {
                    (
                        u["type"].as_str().unwrap().to_owned(),
                        u["id"].as_i64().unwrap_or(0),
                    )
                }),
        );
    }
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            ("delete".to_owned(), first),
            ("edit".to_owned(), second),
            ("message".to_owned(), second),
        ]
    );
    // Nothing twice: the live feed goes on from there.
    let third = app.post(&a, chat, "three").await;
    let seen = until(&mut bob, |u| u["type"] == "message").await;
    assert_eq!(
        seen,
        vec![json!({"type": "message", "chat": chat, "id": third})]
    );

    // A revision this process never gave (or an earlier one's): reload.
    let (mut stale, _) = watch(&app, 0, &b, Some("1:5")).await;
    assert_eq!(next(&mut stale).await.unwrap()["type"], "reset");
    let (mut garbage, _) = watch(&app, 0, &b, Some("not a revision")).await;
    assert_eq!(next(&mut garbage).await.unwrap()["type"], "reset");
}

#[tokio::test]
async fn the_channel_wants_a_valid_credential_with_the_im_scope() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let a = app.user("Ann", "A").await;
    // An unknown token is `invalid_token`, as on the REST routes.
    let (_, answer) = open(&app, 0, json!({"auth": "no-such-token"})).await;
    assert_eq!(answer["type"], "error");
    assert_eq!(answer["error"], "invalid_token");
    let (_, answer) = open(
        &app,
        0,
        json!({"webhook": {"user": a.user, "token": "wrong"}}),
    )
    .await;
    assert_eq!(answer["error"], "INVALID_CREDENTIALS");
    let (_, answer) = open(&app, 0, json!("not an object")).await;
    assert_eq!(answer["error"], "NO_AUTH_FOUND");
    let user_only = app
        .hook(
            a.user,
            b24im::domain::credentials::Scopes::parse("user").unwrap(),
        )
        .await;
    let (_, answer) = open(&app, 0, json!({"webhook": webhook_of(&user_only)})).await;
    assert_eq!(answer["error"], "insufficient_scope", "{answer}");
    // An access token works as a webhook does.
    let token = app.access_token(a.user).await;
    let (_, welcome) = open(&app, 0, json!({"auth": token})).await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["user"], a.user);
}

#[tokio::test]
async fn a_plain_request_and_one_session_too_many_get_json_errors() {
    let Some(app) = TestApp::spawn_with_limits(b24im::config::Limits {
        max_connections: 2,
        ..b24im::config::Limits::default()
    })
    .await
    else {
        return;
    };
    let a = app.user("Ann", "A").await;
    // Not a WebSocket upgrade.
    let res = app
        .client
        .get(format!("{}/live", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "INVALID_REQUEST", "{body}");
    // An upgraded session no longer holds a connection permit, but counts
    // against the same cap: the third waits for a free slot.
    let (first, _) = watch(&app, 0, &a, None).await;
    let (_second, _) = watch(&app, 0, &a, None).await;
    let url = format!("{}/live", app.bases[0].replacen("http://", "ws://", 1));
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 503);
            let body: Value = serde_json::from_slice(res.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["error"], "SERVICE_UNAVAILABLE", "{body}");
        }
        other => panic!("expected 503, got {other:?}"),
    }
    // A session that ends frees its slot.
    drop(first);
    let since = std::time::Instant::now();
    loop {
        if tokio_tungstenite::connect_async(url.as_str()).await.is_ok() {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "the slot was never freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The upgrade alone, with no first frame: the socket, and how it ended
/// (the server's error, or `None` if it closed without one).
async fn silent(app: &TestApp) -> Result<Socket, u16> {
    let url = format!("{}/live", app.bases[0].replacen("http://", "ws://", 1));
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

/// Upgrades that never sign in take only the places for signing in from
/// their address (4), for 3 s each: they shut nobody else out for longer,
/// and a signed-in session is never shut out by them. One user holds at
/// most 16 sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_upgrades_and_one_greedy_user_leave_room_for_others() {
    let Some(app) = TestApp::spawn_with_limits(b24im::config::Limits {
        max_connections: 40,
        ..b24im::config::Limits::default()
    })
    .await
    else {
        return;
    };
    let a = app.user("Ann", "A").await;
    let b = app.user("Bob", "B").await;
    let (mut ann, _) = watch(&app, 0, &a, None).await;
    // Four silent upgrades from this address: a fifth is refused...
    let mut quiet_ones = Vec::new();
    for _ in 0..4 {
        quiet_ones.push(silent(&app).await.expect("upgraded"));
    }
    assert_eq!(silent(&app).await.err(), Some(503));
    // ...and each is closed after 3 s, with an error.
    let started = std::time::Instant::now();
    for mut q in quiet_ones {
        let end = tokio::time::timeout(Duration::from_secs(6), q.next())
            .await
            .expect("closed within 6 s");
        assert!(
            matches!(
                end,
                Some(Ok(Message::Text(_))) | Some(Ok(Message::Close(_))) | None
            ),
            "{end:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    // Bob signs in again; Ann was never cut off.
    let (_bob, welcome) = watch(&app, 0, &b, None).await;
    assert_eq!(welcome["type"], "welcome");
    let chat = app.chat(&b, &[&a]).await;
    let id = app.post(&b, chat, "still here?").await;
    until(&mut ann, |u| u["type"] == "message" && u["id"] == id).await;

    // Bob opens sessions until his 16th; the 17th is refused, Ann's works.
    let mut his = Vec::new();
    for _ in 0..15 {
        his.push(watch(&app, 0, &b, None).await.0);
    }
    let (_, refused) = open(&app, 0, json!({"webhook": webhook_of(&b)})).await;
    assert_eq!(refused["error"], "TOO_MANY_SESSIONS", "{refused}");
    let (_more_ann, welcome) = watch(&app, 0, &a, None).await;
    assert_eq!(welcome["type"], "welcome");
}

/// A session ends within a second of its webhook's deletion, or of its
/// user's deactivation, on any node.
#[tokio::test]
async fn revocation_and_deactivation_end_sessions_at_once() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Root").await;
    let a = app.user("Ann", "A").await;
    let b = app.user("Bob", "B").await;
    let ends_within_a_second = |mut socket: Socket| async move {
        let started = std::time::Instant::now();
        let frame = next(&mut socket).await.expect("an error frame");
        assert_eq!(frame["type"], "error", "{frame}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "ended after {:?}",
            started.elapsed()
        );
    };
    let (ann, _) = watch(&app, 1, &a, None).await;
    let secret = a.url.trim_end_matches('/').rsplit('/').next().unwrap();
    assert!(app
        .store
        .delete_webhook(b24im::domain::credentials::TokenHash::of(secret))
        .await
        .unwrap());
    ends_within_a_second(ann).await;

    let (bob, _) = watch(&app, 1, &b, None).await;
    app.ok(&admin, "user.update", json!({"ID": b.user, "ACTIVE": "N"}))
        .await;
    ends_within_a_second(bob).await;
}

/// A session that resumes right after its user joined a chat is told of the
/// join and what followed, never of what happened in the chat before.
#[tokio::test]
async fn a_resumed_session_hears_nothing_of_a_chat_from_before_the_join() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let a = app.user("Ann", "A").await;
    let b = app.user("Bob", "B").await;
    let c = app.user("Carl", "C").await;
    let theirs = app.chat(&a, &[&b]).await;
    let (mut carl, welcome) = watch(&app, 0, &c, None).await;
    let revision = welcome["revision"].as_str().unwrap().to_owned();
    carl.close(None).await.unwrap();

    let before = app.post(&a, theirs, "before Carl").await;
    app.ok(
        &b,
        "im.dialog.writing",
        json!({"DIALOG_ID": format!("chat{theirs}")}),
    )
    .await;
    app.ok(
        &a,
        "im.chat.user.add",
        json!({"CHAT_ID": theirs, "USERS": [c.user]}),
    )
    .await;
    let after = app.post(&a, theirs, "welcome, Carl").await;

    let (mut carl, _) = watch(&app, 0, &c, Some(&revision)).await;
    let missed = next(&mut carl).await.expect("what was missed");
    let updates = missed["updates"].as_array().unwrap();
    assert!(
        updates
            .iter()
            .all(|u| u["id"] != before && u["type"] != "typing"),
        "from before the join: {missed}"
    );
    assert!(
        updates
            .iter()
            .any(|u| u["type"] == "chat" && u["chat"] == theirs),
        "{missed}"
    );
    assert!(
        updates
            .iter()
            .any(|u| u["type"] == "message" && u["id"] == after),
        "{missed}"
    );
}

/// Presence: a user holding a live session is marked seen within seconds,
/// on every node (`user.get`'s `IS_ONLINE` and `LAST_ACTIVITY_DATE`,
/// `im.user.get`'s `last_activity_date`); one never seen is not online.
#[tokio::test]
async fn a_user_holding_a_live_session_is_seen_and_online_on_every_node() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let ann = app.user("Ann", "A").await;
    let bob = app.user("Bob", "B").await;
    let seen = |u: &Value| (u["IS_ONLINE"].clone(), u["LAST_ACTIVITY_DATE"].clone());
    let before = app.ok(&ann, "user.get", json!({"ID": bob.user})).await;
    let (online, last) = seen(&before[0]);
    assert_eq!(online, "N", "never seen: {before}");
    assert_eq!(last, before[0]["DATE_REGISTER"], "never seen: {before}");

    // Bob opens the channel on the second node (on PostgreSQL); Ann asks
    // the first.
    let (_bob_socket, _) = watch(&app, 1, &bob, None).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = app.ok(&ann, "user.get", json!({"ID": bob.user})).await;
        if now[0]["IS_ONLINE"] == "Y" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Bob, holding a live session, not online within 10 s: {now}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let im = app.ok(&ann, "im.user.get", json!({"ID": bob.user})).await;
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a date")).expect("ATOM")
    };
    assert!(
        at(&im["last_activity_date"]) >= at(&before[0]["DATE_REGISTER"]),
        "{im}"
    );
    // Ann never opened one.
    let ann_now = app.ok(&bob, "user.get", json!({"ID": ann.user})).await;
    assert_eq!(ann_now[0]["IS_ONLINE"], "N", "{ann_now}");
}
