//! The im.v2 user events: polled with im.v2.Event.get after
//! im.v2.Event.subscribe, or POSTed to an `event.bind` handler.

use std::time::Duration;

use serde_json::json;

use crate::helpers::TestApp;
use crate::receiver::Receiver;

#[tokio::test]
async fn a_subscribed_user_polls_messages_and_reactions() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let bob = app.user("Bob", "").await;
    let chat = app.chat(&anna, &[&bob]).await;
    // Nothing is recorded before the subscription.
    app.post(&bob, chat, "before").await;
    assert_eq!(
        app.ok(&anna, "im.v2.Event.subscribe", json!({})).await,
        true
    );
    let msg = app.post(&bob, chat, "hello").await;
    app.ok(&anna, "im.message.like", json!({"MESSAGE_ID": msg}))
        .await;

    let page = app.ok(&anna, "im.v2.Event.get", json!({})).await;
    let events = page["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ONIMV2MESSAGEADD", "ONIMV2REACTIONCHANGE"]);
    let add = &events[0]["data"];
    assert_eq!(add["message"]["id"], msg);
    assert_eq!(add["message"]["text"], "hello");
    assert_eq!(add["chat"]["dialogId"], format!("chat{chat}"));
    assert_eq!(add["user"]["id"], bob.user);
    assert!(add.get("bot").is_none());
    let reaction = &events[1]["data"];
    assert_eq!(
        (reaction["reaction"].as_str(), reaction["action"].as_str()),
        (Some("like"), Some("add"))
    );
    assert_eq!(reaction["user"]["id"], anna.user);
    assert_eq!(page["hasMore"], false);

    // Confirmed with nextOffset, they are gone; after unsubscribing nothing new comes.
    let next = page["nextOffset"].clone();
    assert_eq!(
        app.ok(&anna, "im.v2.Event.get", json!({"offset": next}))
            .await["events"],
        json!([])
    );
    app.ok(&anna, "im.v2.Event.unsubscribe", json!({})).await;
    app.post(&bob, chat, "after").await;
    assert_eq!(
        app.ok(&anna, "im.v2.Event.get", json!({})).await["events"],
        json!([])
    );
}

#[tokio::test]
async fn event_bind_posts_reaction_changes_to_the_handler() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let bob = app.user("Bob", "").await;
    let chat = app.chat(&anna, &[&bob]).await;
    let (status, code) = app
        .err(
            &anna,
            "event.bind",
            json!({"event": "ONSOMETHINGELSE", "handler": rx.url}),
        )
        .await;
    assert_eq!((status, code.as_str()), (400, "ERROR_EVENT_NOT_FOUND"));
    assert_eq!(
        app.ok(
            &anna,
            "event.bind",
            json!({"event": "onImV2ReactionChange", "handler": rx.url})
        )
        .await,
        true
    );
    let bound = app.ok(&anna, "event.get", json!({})).await;
    assert_eq!(
        bound,
        json!([{"event": "ONIMV2REACTIONCHANGE", "handler": rx.url, "auth_type": anna.user.to_string(), "offline": 0}])
    );
    let msg = app.post(&anna, chat, "like me").await;
    app.ok(
        &bob,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "ACTION": "plus"}),
    )
    .await;
    let got = &rx
        .wait_for("ONIMV2REACTIONCHANGE", 1, Duration::from_secs(10))
        .await[0];
    let d = &got.form["data"];
    assert_eq!(d["reaction"], "like");
    assert_eq!(d["action"], "add");
    assert_eq!(d["message"]["id"], msg.to_string());
    assert_eq!(d["user"]["id"], bob.user.to_string());
    assert_eq!(got.form["auth"]["user_id"], anna.user.to_string());
    // The token handed over works for the binder.
    let token = got.form["auth"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: serde_json::Value = app
        .client
        .post(format!("{}/rest/user.current", app.base))
        .json(&json!({"auth": token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["result"]["ID"], anna.user.to_string());

    assert_eq!(
        app.ok(
            &anna,
            "event.unbind",
            json!({"event": "ONIMV2REACTIONCHANGE", "handler": rx.url})
        )
        .await,
        json!({"count": 1})
    );
    app.ok(
        &bob,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "ACTION": "minus"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(rx.all().len(), 1);
}

#[tokio::test]
async fn offline_events_queue_the_latest_change_per_object() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let bob = app.user("Bob", "").await;
    let chat = app.chat(&boss, &[&bob]).await;
    // Only administrators bind offline events.
    let (status, code) = app
        .err(
            &bob,
            "event.bind",
            json!({"event": "ONIMV2REACTIONCHANGE", "event_type": "offline"}),
        )
        .await;
    assert_eq!((status, code.as_str()), (403, "ACCESS_DENIED"));
    assert_eq!(
        app.ok(
            &boss,
            "event.bind",
            json!({"event": "ONIMV2REACTIONCHANGE", "event_type": "offline"})
        )
        .await,
        true
    );
    // A handler in the context of a user who does not exist is refused.
    let (status, code) = app
        .err(&boss, "event.bind", json!({"event": "ONIMV2JOINCHAT", "handler": "https://example.com/h", "auth_type": 999999}))
        .await;
    assert_eq!((status, code.as_str()), (400, "USER_NOT_EXISTS"));
    let bound = app.ok(&boss, "event.get", json!({})).await;
    assert_eq!(bound[0]["offline"], 1);

    let msg = app.post(&boss, chat, "x").await;
    // Bob toggles the like three times: one record, the latest change.
    for _ in 0..3 {
        app.ok(&bob, "im.message.like", json!({"MESSAGE_ID": msg}))
            .await;
    }
    let list = app.ok(&boss, "event.offline.list", json!({})).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["EVENT_NAME"], "ONIMV2REACTIONCHANGE");
    assert_eq!(list[0]["EVENT_DATA"]["MESSAGE_ID"], msg);
    assert_eq!(list[0]["EVENT_DATA"]["USER_ID"], bob.user);

    // Reserve without clearing, mark as erroneous, take the errors, clear them.
    let taken = app
        .ok(&boss, "event.offline.get", json!({"clear": 0}))
        .await;
    let process = taken["process_id"].as_str().unwrap().to_owned();
    assert_eq!(taken["events"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.ok(&boss, "event.offline.get", json!({"clear": 0}))
            .await["events"],
        json!([]),
        "reserved records are not handed out twice"
    );
    let mid = taken["events"][0]["MESSAGE_ID"].clone();
    app.ok(
        &boss,
        "event.offline.error",
        json!({"process_id": process, "message_id": [mid]}),
    )
    .await;
    let errors = app
        .ok(&boss, "event.offline.get", json!({"error": 1}))
        .await;
    assert_eq!(errors["events"].as_array().unwrap().len(), 1);
    assert_eq!(
        errors["process_id"],
        serde_json::Value::Null,
        "clear=1 by default"
    );
    assert_eq!(
        app.ok(&boss, "event.offline.list", json!({})).await,
        json!([])
    );

    // clear with a process id.
    app.ok(&bob, "im.message.like", json!({"MESSAGE_ID": msg}))
        .await;
    let taken = app
        .ok(&boss, "event.offline.get", json!({"clear": 0}))
        .await;
    let process = taken["process_id"].clone();
    assert_eq!(
        app.ok(&boss, "event.offline.clear", json!({"process_id": process}))
            .await,
        true
    );
    assert_eq!(
        app.ok(&boss, "event.offline.list", json!({})).await,
        json!([])
    );
    assert_eq!(
        app.ok(
            &boss,
            "event.unbind",
            json!({"event": "ONIMV2REACTIONCHANGE", "event_type": "offline"})
        )
        .await,
        json!({"count": 1})
    );
}

/// A credential without `im` cannot hear the im.v2 events, which carry the
/// text of messages: not by binding a handler, not offline, not by polling.
#[tokio::test]
async fn events_with_message_text_need_the_im_scope() {
    use b24im::domain::credentials::Scopes;
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let boss = app.admin_user("Boss").await;
    let user_only = app.hook(boss.user, Scopes::parse("user").unwrap()).await;
    let bob = app.user("Bob", "").await;
    let chat = app.chat(&bob, &[&boss]).await;
    for event in ["ONIMV2MESSAGEADD", "ONIMV2REACTIONCHANGE", "ONIMV2JOINCHAT"] {
        let (status, code) = app
            .err(
                &user_only,
                "event.bind",
                json!({"event": event, "handler": rx.url}),
            )
            .await;
        assert_eq!(
            (status, code.as_str()),
            (400, "ERROR_EVENT_NOT_FOUND"),
            "{event}"
        );
        let (status, code) = app
            .err(
                &user_only,
                "event.bind",
                json!({"event": event, "event_type": "offline"}),
            )
            .await;
        assert_eq!(
            (status, code.as_str()),
            (400, "ERROR_EVENT_NOT_FOUND"),
            "{event}"
        );
    }
    let (status, code) = app
        .err(&user_only, "im.v2.Event.subscribe", json!({}))
        .await;
    assert_eq!((status, code.as_str()), (403, "insufficient_scope"));
    assert_eq!(app.ok(&user_only, "event.get", json!({})).await, json!([]));

    // Nothing reaches the handler when a message is posted.
    app.post(&bob, chat, "secret plans").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.all().is_empty(), "{:?}", rx.all());
    // With `im` the same binding works.
    app.ok(
        &boss,
        "event.bind",
        json!({"event": "ONIMV2MESSAGEADD", "handler": rx.url}),
    )
    .await;
}
