//! Chat-bots and their events: registration, the founding page's flow (a bot
//! receives a message and likes it with the `auth` it was handed), the
//! payloads field by field, retries, dead events and replay.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp, TestData};
use crate::receiver::{Receiver, Reply};

const WAIT: Duration = Duration::from_secs(10);

/// Registers a bot for application `app` with every handler at `url`.
async fn register(app: &TestApp, hook: &Hook, client: &str, code: &str, url: &str) -> i64 {
    app.ok(
        hook,
        "imbot.register",
        json!({
            "CODE": code, "TYPE": "B", "EVENT_HANDLER": url, "OPENLINE": "N",
            "PROPERTIES": {"NAME": "NewBot", "WORK_POSITION": "Support bot"},
            "CLIENT_ID": client,
        }),
    )
    .await
    .as_i64()
    .expect("bot id")
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

#[tokio::test]
async fn a_bot_hears_a_private_message_and_likes_it_with_the_auth_it_got() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let alice = app.user("Alice", "Smith").await;
    let bot = register(&app, &app.admin, "app1", "newbot", &rx.url).await;

    let msg = app.write_to(&alice, &bot.to_string(), "Hello").await;

    // Opening the dialog welcomes the bot, then the message arrives.
    let join = &rx.wait_for("ONIMBOTJOINCHAT", 1, WAIT).await[0];
    assert_eq!(
        join.form["data"]["PARAMS"]["DIALOG_ID"],
        alice.user.to_string()
    );
    assert_eq!(join.form["data"]["PARAMS"]["CHAT_TYPE"], "P");
    assert_eq!(
        join.form["data"]["PARAMS"]["USER_ID"],
        alice.user.to_string()
    );

    let got = &rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await[0];
    assert_eq!(got.content_type, "application/x-www-form-urlencoded");
    assert!(
        got.raw.contains("data%5BPARAMS%5D%5BMESSAGE%5D=Hello"),
        "{}",
        got.raw
    );
    assert!(!got.event_id.is_empty());
    let f = &got.form;
    assert_eq!(f["event_handler_id"], bot.to_string());
    assert!(s(&f["ts"]).parse::<i64>().is_ok());
    let p = &f["data"]["PARAMS"];
    for (key, want) in [
        ("MESSAGE", "Hello".to_owned()),
        ("MESSAGE_TYPE", "P".to_owned()),
        ("FROM_USER_ID", alice.user.to_string()),
        ("DIALOG_ID", alice.user.to_string()),
        ("AUTHOR_ID", alice.user.to_string()),
        ("TO_USER_ID", bot.to_string()),
        ("MESSAGE_ID", msg.to_string()),
        ("CHAT_TYPE", "P".to_owned()),
        ("SYSTEM", "N".to_owned()),
        ("CHAT_USER_COUNT", "2".to_owned()),
    ] {
        assert_eq!(p[key], want.as_str(), "PARAMS.{key} in {p}");
    }
    let u = &f["data"]["USER"];
    assert_eq!(
        (s(&u["ID"]), s(&u["NAME"])),
        (alice.user.to_string().as_str(), "Alice Smith")
    );
    assert_eq!((s(&u["FIRST_NAME"]), s(&u["IS_BOT"])), ("Alice", "N"));
    let b = &f["data"]["BOT"][bot.to_string()];
    assert_eq!(b["BOT_ID"], bot.to_string());
    assert_eq!(b["BOT_CODE"], "newbot");
    assert_eq!(b["user_id"], bot.to_string());
    assert_eq!(b["client_id"], "app1");
    assert_eq!(b["AUTH"]["access_token"], b["access_token"]);
    assert_eq!(f["auth"]["user_id"], alice.user.to_string());
    assert_eq!(f["auth"]["application_token"], b["application_token"]);
    assert_eq!(s(&b["client_endpoint"]), format!("{}/rest/", app.base));

    // The founding page: answer the event by liking the message, with the
    // bot's token, no CLIENT_ID needed.
    let token = s(&b["access_token"]).to_owned();
    let res: Value = app
        .client
        .post(format!("{}/rest/imbot.message.like", app.base))
        .json(&json!({"BOT_ID": bot, "MESSAGE_ID": msg, "ACTION": "plus", "auth": token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["result"], true, "{res}");
    let chat = app
        .ok(
            &alice,
            "im.dialog.get",
            json!({"DIALOG_ID": bot.to_string()}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(app.likes(&alice, chat, msg).await, [bot]);

    // And reply through imbot.message.add the same way.
    let reply: Value = app
        .client
        .post(format!("{}/rest/imbot.message.add", app.base))
        .json(&json!({"DIALOG_ID": alice.user.to_string(), "MESSAGE": "Hi!", "auth": token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(reply["result"].is_i64(), "{reply}");
    // The bot's own message is no event for itself.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn in_a_group_chat_a_bot_hears_only_what_mentions_it() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let bot = register(&app, &app.admin, "app1", "newbot", &rx.url).await;
    let chat = app
        .ok(
            &app.admin,
            "im.chat.add",
            json!({"TITLE": "Brown Chat", "USERS": [bot]}),
        )
        .await
        .as_i64()
        .unwrap();
    let join = &rx.wait_for("ONIMBOTJOINCHAT", 1, WAIT).await[0];
    assert_eq!(
        join.form["data"]["PARAMS"]["DIALOG_ID"],
        format!("chat{chat}")
    );
    assert_eq!(join.form["data"]["PARAMS"]["CHAT_TITLE"], "Brown Chat");

    app.post(&app.admin, chat, "not for the bot").await;
    let text = format!("[USER={bot}]NewBot[/USER] , how to set up the left menu");
    let msg = app.post(&app.admin, chat, &text).await;
    let got = &rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await[0];
    let p = &got.form["data"]["PARAMS"];
    assert_eq!(p["MESSAGE"], ", how to set up the left menu");
    assert_eq!(p["MESSAGE_ORIGINAL"], text.as_str());
    assert_eq!(p["MESSAGE_ID"], msg.to_string());
    assert_eq!(p["DIALOG_ID"], format!("chat{chat}"));
    assert_eq!(p["CHAT_ID"], chat.to_string());
    assert_eq!(p["CHAT_TITLE"], "Brown Chat");
    assert_eq!(p["MESSAGE_TYPE"], "C");
    assert_eq!(p["TO_USER_ID"], bot.to_string());
    assert_eq!(p["MENTIONED_LIST"][bot.to_string()], bot.to_string());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rx.all()
            .iter()
            .filter(|r| r.event() == "ONIMBOTMESSAGEADD")
            .count(),
        1
    );
}

#[tokio::test]
async fn registration_follows_the_docs() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let url = "https://example.com/bot/events";
    let call = |params: Value| {
        let app = &app;
        async move { app.err(&app.admin, "imbot.register", params).await }
    };
    let full =
        json!({"CODE": "b", "EVENT_HANDLER": url, "PROPERTIES": {"NAME": "B"}, "CLIENT_ID": "app"});
    let without = |key: &str| {
        let mut v = full.clone();
        v.as_object_mut().unwrap().remove(key);
        v
    };
    assert_eq!(
        call(without("CLIENT_ID")).await,
        (403, "ACCESS_DENIED".into())
    );
    assert_eq!(call(without("CODE")).await, (400, "CODE_ERROR".into()));
    assert_eq!(
        call(without("EVENT_HANDLER")).await,
        (400, "EVENT_MESSAGE_ADD_ERROR".into())
    );
    assert_eq!(
        call(without("PROPERTIES")).await,
        (400, "NAME_ERROR".into())
    );
    let mut bad = full.clone();
    bad["EVENT_WELCOME_MESSAGE"] = json!("not a url");
    assert_eq!(call(bad).await, (400, "EVENT_WELCOME_MESSAGE_ERROR".into()));

    let id = app.ok(&app.admin, "imbot.register", full.clone()).await;
    // The same code again is the same bot.
    assert_eq!(app.ok(&app.admin, "imbot.register", full.clone()).await, id);
    let list = app.ok(&app.admin, "imbot.bot.list", json!({})).await;
    assert_eq!(
        list[id.to_string()],
        json!({"ID": id, "NAME": "B", "CODE": "b", "OPENLINE": "N"})
    );
    // A bot is a user of its own kind: im.user.get says so, user.get leaves it out.
    let seen = app.ok(&app.admin, "im.user.get", json!({"ID": id})).await;
    assert_eq!(
        (seen["bot"].as_bool(), seen["type"].as_str()),
        (Some(true), Some("bot")),
        "{seen}"
    );
    // Bots are not users for user.get.
    let users = app.ok(&app.admin, "user.get", json!({})).await;
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["ID"].as_str() != Some(id.to_string().as_str())));

    // Another application cannot act as this bot.
    let (status, code) = app
        .err(
            &app.admin,
            "imbot.message.add",
            json!({"BOT_ID": id, "CLIENT_ID": "other", "DIALOG_ID": "1", "MESSAGE": "x"}),
        )
        .await;
    assert_eq!((status, code.as_str()), (400, "APP_ID_ERROR"));
    let (_, code) = app
        .err(
            &app.admin,
            "imbot.message.like",
            json!({"BOT_ID": 999, "CLIENT_ID": "app", "MESSAGE_ID": 1}),
        )
        .await;
    assert_eq!(code, "BOT_ID_ERROR");
    let (_, code) = app
        .err(
            &app.admin,
            "imbot.message.like",
            json!({"CLIENT_ID": "app", "MESSAGE_ID": 0}),
        )
        .await;
    assert_eq!(code, "MESSAGE_ID_ERROR");
    for n in 1..5 {
        let mut more = full.clone();
        more["CODE"] = json!(format!("b{n}"));
        app.ok(&app.admin, "imbot.register", more).await;
    }
    let mut sixth = full.clone();
    sixth["CODE"] = json!("b6");
    assert_eq!(call(sixth).await.1, "MAX_COUNT_ERROR");
}

#[tokio::test]
async fn unregistering_tells_the_bot_and_removes_it() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let bot = register(&app, &app.admin, "app1", "gone", &rx.url).await;
    let chat = app.chat(&app.admin, &[]).await;
    app.ok(
        &app.admin,
        "im.chat.user.add",
        json!({"CHAT_ID": chat, "USERS": [bot]}),
    )
    .await;
    assert_eq!(
        app.ok(
            &app.admin,
            "imbot.unregister",
            json!({"BOT_ID": bot, "CLIENT_ID": "app1"})
        )
        .await,
        true
    );
    let got = &rx.wait_for("ONIMBOTDELETE", 1, WAIT).await[0];
    assert_eq!(
        got.form["data"],
        json!({"BOT_ID": bot.to_string(), "BOT_CODE": "gone"})
    );
    assert!(got.form["auth"]["access_token"].is_string());
    assert_eq!(
        app.ok(&app.admin, "imbot.bot.list", json!({})).await,
        json!([])
    );
    let members = app
        .ok(&app.admin, "im.chat.user.list", json!({"CHAT_ID": chat}))
        .await;
    assert!(
        !members.as_array().unwrap().contains(&json!(bot)),
        "{members}"
    );
    let (_, code) = app
        .err(
            &app.admin,
            "imbot.unregister",
            json!({"BOT_ID": bot, "CLIENT_ID": "app1"}),
        )
        .await;
    assert_eq!(code, "BOT_ID_ERROR");
}

#[tokio::test]
async fn failed_and_timed_out_deliveries_are_retried_with_the_same_id() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    // 500, then a hang past the 700 ms timeout, then success.
    rx.script(&[
        Reply::Status(500),
        Reply::Sleep(Duration::from_millis(1500)),
        Reply::Ok,
    ]);
    let bot = register(&app, &app.admin, "app1", "retry", &rx.url).await;
    let user = app.user("U", "").await;
    app.ok(&user, "im.chat.add", json!({"USERS": [bot]})).await;
    let attempts = rx.wait_for("ONIMBOTJOINCHAT", 3, WAIT).await;
    let ids: Vec<&str> = attempts.iter().map(|r| r.event_id.as_str()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    // Delivered: no fourth attempt.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rx.all().len(), 3);
    let events = app.store_events(Some("delivered")).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].attempts, 3);
}

#[tokio::test]
async fn dead_events_are_kept_and_can_be_replayed() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script(&[Reply::Status(503), Reply::Status(503), Reply::Status(503)]);
    let bot = register(&app, &app.admin, "app1", "dead", &rx.url).await;
    app.ok(&app.admin, "im.chat.add", json!({"USERS": [bot]}))
        .await;
    rx.wait_for("ONIMBOTJOINCHAT", 3, WAIT).await;
    let deadline = std::time::Instant::now() + WAIT;
    let dead = loop {
        let dead = app.store_events(Some("dead")).await;
        if !dead.is_empty() {
            break dead;
        }
        assert!(std::time::Instant::now() < deadline, "the event never died");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(dead[0].last_error, "the handler answered HTTP 503");

    // The operator replays it with the CLI, beside the running server.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_b24im"))
        .args(["events", "replay"])
        .args(app.data.args())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
    let all = rx.wait_for("ONIMBOTJOINCHAT", 4, WAIT).await;
    assert_eq!(all[3].event_id, all[0].event_id);
    // The handler has it; the node records the delivery once its answer is
    // back, a moment later.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_b24im"))
            .args(["events", "list"])
            .args(app.data.args())
            .output()
            .unwrap();
        let listing = String::from_utf8_lossy(&out.stdout).into_owned();
        if listing.contains("ONIMBOTJOINCHAT\tdelivered") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{listing}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_hanging_handler_never_holds_a_like_up() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let bot = register(&app, &app.admin, "app1", "slow", &rx.url).await;
    let user = app.user("U", "").await;
    let held = rx.hold().await;
    let msg = app.write_to(&user, &bot.to_string(), "hi").await;
    // The handler is still hanging on the events of that message…
    for _ in 0..5 {
        assert_eq!(
            app.ok(
                &user,
                "im.message.like",
                json!({"MESSAGE_ID": msg, "ACTION": "auto"})
            )
            .await,
            true
        );
    }
    assert!(rx.all().is_empty(), "the handler answered nothing yet");
    drop(held);
    rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_in_flight_at_kill_9_is_delivered_after_restart() {
    use crate::cli::Server;
    let Some(dir) = TestData::new() else {
        return;
    };
    let rx = Receiver::start().await;
    let server = Server::start_with(&dir, &["--event-timeout", "1"]);
    let admin = Hook {
        user: 1,
        url: server.webhook.clone().unwrap(),
    };
    let client = crate::helpers::http();
    let call = |hook: &Hook, method: &str, params: Value| {
        let req = client.post(format!("{}{method}", hook.url)).json(&params);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let bot = call(&admin, "imbot.register", json!({
        "CODE": "crash", "EVENT_HANDLER": rx.url, "PROPERTIES": {"NAME": "B"}, "CLIENT_ID": "app",
    }))
    .await["result"]
    .as_i64()
    .unwrap();

    // The handler hangs, so the welcome event is in flight when the server dies.
    let held = rx.hold().await;
    let answer = call(&admin, "im.chat.add", json!({"USERS": [bot]})).await;
    assert!(answer["result"].is_i64(), "{answer}");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while rx.arrived() == 0 {
        assert!(std::time::Instant::now() < deadline, "no delivery attempt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let hook = server.webhook.clone().unwrap();
    server.kill9();
    drop(held);

    let mut again = Server::start_with(&dir, &["--event-timeout", "1"]);
    again.webhook = Some(again.rebase(&hook));
    // Delivered once the dead process's lease (2 × timeout + 5 s) ran out. (The receiver
    // may also record the dead process's request when released, so wait for the outbox.)
    let got = rx
        .wait_for("ONIMBOTJOINCHAT", 1, Duration::from_secs(20))
        .await;
    assert_eq!(
        got.last().unwrap().form["data"]["BOT"][bot.to_string()]["BOT_ID"],
        bot.to_string()
    );
    // The outbox says so too (the delivery is recorded right after the 200).
    let list = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_b24im"))
            .args(["events", "list"])
            .args(dir.args())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut listing = list();
    while !listing.contains("ONIMBOTJOINCHAT\tdelivered") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        listing = list();
    }
    assert!(listing.contains("ONIMBOTJOINCHAT\tdelivered"), "{listing}");
}

#[tokio::test]
async fn update_moves_the_handlers_and_a_bot_can_open_a_chat() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let old = Receiver::start().await;
    let new = Receiver::start().await;
    let bot = register(&app, &app.admin, "app1", "mover", &old.url).await;
    let (_, code) = app
        .err(&app.admin, "imbot.update", json!({"BOT_ID": bot, "CLIENT_ID": "app1", "FIELDS": {"EVENT_WELCOME_MESSAGE": "nope"}}))
        .await;
    assert_eq!(code, "EVENT_WELCOME_MESSAGE_ERROR");
    assert_eq!(
        app.ok(
            &app.admin,
            "imbot.update",
            json!({"BOT_ID": bot, "CLIENT_ID": "app1", "FIELDS": {
                "EVENT_HANDLER": new.url, "PROPERTIES": {"NAME": "Renamed"}
            }})
        )
        .await,
        true
    );
    assert_eq!(
        app.ok(&app.admin, "imbot.bot.list", json!({})).await[bot.to_string()]["NAME"],
        "Renamed"
    );

    // The bot opens a group chat with a user, then hears the user mention it.
    let user = app.user("U", "").await;
    let chat = app
        .ok(
            &app.admin,
            "imbot.chat.add",
            json!({"BOT_ID": bot, "CLIENT_ID": "app1", "TITLE": "Bot's", "USERS": [user.user]}),
        )
        .await
        .as_i64()
        .unwrap();
    let info = app
        .ok(
            &user,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_eq!(info["owner"], bot);
    app.post(&user, chat, &format!("[USER={bot}]Renamed[/USER] hi"))
        .await;
    new.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await;
    assert!(old.all().is_empty(), "the old handler hears nothing");
}

#[tokio::test]
async fn slash_commands_reach_the_command_handler_and_are_answered() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let cmd_rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let bot = register(&app, &app.admin, "app1", "cmdbot", &rx.url).await;
    let lang = json!([{"LANGUAGE_ID": "en", "TITLE": "Echo", "PARAMS": "text"}]);
    let reg = |extra: Value| {
        let mut params = json!({"BOT_ID": bot, "CLIENT_ID": "app1", "COMMAND": "echo",
            "EVENT_COMMAND_ADD": cmd_rx.url, "LANG": lang});
        for (k, v) in extra.as_object().unwrap() {
            params[k] = v.clone();
        }
        params
    };
    assert_eq!(
        app.err(
            &app.admin,
            "imbot.command.register",
            reg(json!({"COMMAND": ""}))
        )
        .await
        .1,
        "COMMAND_ERROR"
    );
    assert_eq!(
        app.err(
            &app.admin,
            "imbot.command.register",
            reg(json!({"LANG": []}))
        )
        .await
        .1,
        "LANG_ERROR"
    );
    assert_eq!(
        app.err(
            &app.admin,
            "imbot.command.register",
            reg(json!({"EVENT_COMMAND_ADD": "x"}))
        )
        .await
        .1,
        "EVENT_COMMAND_ADD_ERROR"
    );
    let command = app
        .ok(&app.admin, "imbot.command.register", reg(json!({})))
        .await
        .as_i64()
        .unwrap();

    let msg = app.write_to(&anna, &bot.to_string(), "/echo test").await;
    let got = &cmd_rx.wait_for("ONIMCOMMANDADD", 1, WAIT).await[0];
    let c = &got.form["data"]["COMMAND"][command.to_string()];
    assert_eq!(c["COMMAND"], "echo");
    assert_eq!(c["COMMAND_ID"], command.to_string());
    assert_eq!(c["COMMAND_PARAMS"], "test");
    assert_eq!(c["MESSAGE_ID"], msg.to_string());
    assert_eq!(c["BOT_ID"], bot.to_string());
    assert_eq!(got.form["data"]["PARAMS"]["MESSAGE"], "/echo test");
    assert_eq!(
        got.form["data"]["PARAMS"]["DIALOG_ID"],
        anna.user.to_string()
    );

    // Answered with the token the event handed over.
    let token = c["access_token"].as_str().unwrap().to_owned();
    let answer: Value = app
        .client
        .post(format!("{}/rest/imbot.command.answer", app.base))
        .json(&json!({"COMMAND_ID": command, "MESSAGE_ID": msg, "MESSAGE": "test", "auth": token}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let answer = answer["result"]
        .as_i64()
        .unwrap_or_else(|| panic!("{answer}"));
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": bot.to_string()}),
        )
        .await;
    let m = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == answer)
        .unwrap()
        .clone();
    assert_eq!(
        (m["author_id"].as_i64(), m["text"].as_str()),
        (Some(bot), Some("test"))
    );
    // The command went to its handler, not as a message event.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.all().iter().all(|r| r.event() != "ONIMBOTMESSAGEADD"));

    // Another application cannot touch it; unregistered, "/echo" is a message again.
    let (_, code) = app
        .err(
            &app.admin,
            "imbot.command.unregister",
            json!({"COMMAND_ID": command, "CLIENT_ID": "other"}),
        )
        .await;
    assert_eq!(code, "APP_ID_ERROR");
    assert_eq!(
        app.ok(
            &app.admin,
            "imbot.command.unregister",
            json!({"COMMAND_ID": command, "CLIENT_ID": "app1"})
        )
        .await,
        true
    );
    app.ok(
        &anna,
        "im.message.add",
        json!({"DIALOG_ID": bot.to_string(), "MESSAGE": "/echo again"}),
    )
    .await;
    rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_registrations_never_exceed_the_limit() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    // Twelve new codes of one application at once (on two nodes, on
    // PostgreSQL): five bots, seven refusals, whatever the interleaving.
    let url = "https://example.com/bot/events";
    let calls = (0..12).map(|n| {
        let params = json!({"CODE": format!("r{n}"), "EVENT_HANDLER": url,
                            "PROPERTIES": {"NAME": "R"}, "CLIENT_ID": "race"});
        let app = &app;
        async move { app.call(&app.admin, "imbot.register", params).await }
    });
    let answers: Vec<(u16, Value)> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|(status, body)| (status, body.get("result").unwrap_or(&body).clone()))
        .collect();
    let mut ids = Vec::new();
    for (status, body) in &answers {
        match status {
            200 => ids.push(body.as_i64().expect("a bot id")),
            400 => assert_eq!(body["error"], "MAX_COUNT_ERROR", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "{answers:?}");
    let list = app
        .ok(&app.admin, "imbot.bot.list", json!({"CLIENT_ID": "race"}))
        .await;
    let of_race = list
        .as_object()
        .expect("bots by id")
        .values()
        .filter(|b| b["CODE"].as_str().is_some_and(|c| c.starts_with('r')))
        .count();
    assert_eq!(of_race, 5, "{list}");
}

/// `imbot.update` is one atomic step: concurrent updates of different fields
/// both land (none writes the other's old value back), and a code another
/// bot of the application holds answers CODE_ERROR, not a server error.
#[tokio::test]
async fn updates_are_atomic_and_a_taken_code_is_refused() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let bot = register(&app, &app.admin, "app1", "first", &rx.url).await;
    register(&app, &app.admin, "app1", "second", &rx.url).await;
    let (status, code) = app
        .err(
            &app.admin,
            "imbot.update",
            json!({"BOT_ID": bot, "CLIENT_ID": "app1", "FIELDS": {"CODE": "second"}}),
        )
        .await;
    assert_eq!((status, code.as_str()), (400, "CODE_ERROR"));
    // Another application may use the code.
    register(&app, &app.admin, "app2", "third", &rx.url).await;
    app.ok(
        &app.admin,
        "imbot.update",
        json!({"BOT_ID": bot, "CLIENT_ID": "app1", "FIELDS": {"CODE": "third"}}),
    )
    .await;

    for round in 0..20 {
        let name = format!("Name{round}");
        let last = format!("Last{round}");
        let (a, b) = tokio::join!(
            app.call(
                &app.admin,
                "imbot.update",
                json!({"BOT_ID": bot, "CLIENT_ID": "app1", "FIELDS": {"PROPERTIES": {"NAME": name}}}),
            ),
            app.call(
                &app.admin,
                "imbot.update",
                json!({"BOT_ID": bot, "CLIENT_ID": "app1", "FIELDS": {"PROPERTIES": {"LAST_NAME": last}}}),
            ),
        );
        assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
        let listed = app.ok(&app.admin, "imbot.bot.list", json!({})).await;
        assert_eq!(
            listed[bot.to_string()]["NAME"],
            format!("{name} {last}"),
            "round {round}: an update wrote the other's old value back"
        );
    }
}

/// `im.message.command`: a user runs a bot's command on a message (as a
/// keyboard button does); the command handler gets ONIMCOMMANDADD with
/// `COMMAND_CONTEXT=KEYBOARD`, the message's id and, as portals fill it,
/// the presser's fields; a command the bot does not offer is `true` and
/// no event (as on portals); the page's errors.
#[tokio::test]
async fn message_command_runs_a_bots_command_on_a_message() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let cmd_rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let outsider = app.user("Otto", "").await;
    let bot = register(&app, &app.admin, "app1", "cmdbot", &rx.url).await;
    let command = app
        .ok(
            &app.admin,
            "imbot.command.register",
            json!({"BOT_ID": bot, "CLIENT_ID": "app1", "COMMAND": "echo",
                   "EVENT_COMMAND_ADD": cmd_rx.url,
                   "LANG": [{"LANGUAGE_ID": "en", "TITLE": "Echo", "PARAMS": "text"}]}),
        )
        .await
        .as_i64()
        .unwrap();
    let msg = app.write_to(&anna, &bot.to_string(), "pick one").await;
    assert_eq!(
        app.ok(
            &anna,
            "im.message.command",
            json!({"MESSAGE_ID": msg, "BOT_ID": bot, "COMMAND": "echo", "COMMAND_PARAMS": "42"}),
        )
        .await,
        json!(true)
    );
    let got = &cmd_rx.wait_for("ONIMCOMMANDADD", 1, WAIT).await[0];
    let c = &got.form["data"]["COMMAND"][command.to_string()];
    assert_eq!(c["COMMAND"], "echo");
    assert_eq!(c["COMMAND_PARAMS"], "42");
    assert_eq!(c["MESSAGE_ID"], msg.to_string());
    assert_eq!(c["COMMAND_CONTEXT"], "KEYBOARD");
    let params = &got.form["data"]["PARAMS"];
    assert_eq!(params["MESSAGE"], "/echo 42");
    assert_eq!(params["FROM_USER_ID"], anna.user.to_string());
    assert_eq!(params["AUTHOR_ID"], anna.user.to_string());
    assert_eq!(params["MESSAGE_ID"], msg.to_string());
    assert!(params.get("COMMAND_CONTEXT").is_none(), "{params}");
    assert_eq!(got.form["data"]["USER"]["ID"], anna.user.to_string());
    assert_eq!(
        app.ok(
            &anna,
            "im.message.command",
            json!({"MESSAGE_ID": msg, "BOT_ID": bot, "COMMAND": "nope"}),
        )
        .await,
        json!(true)
    );
    for (hook, params, code) in [
        (
            &anna,
            json!({"BOT_ID": bot, "COMMAND": "echo"}),
            "MESSAGE_ID_ERROR",
        ),
        (
            &anna,
            json!({"MESSAGE_ID": msg, "COMMAND": "echo"}),
            "BOT_ID_ERROR",
        ),
        (
            &anna,
            json!({"MESSAGE_ID": msg, "BOT_ID": bot}),
            "COMMAND_ERROR",
        ),
        (
            &anna,
            json!({"MESSAGE_ID": msg, "BOT_ID": bot, "COMMAND": "echo",
                        "COMMAND_PARAMS": {"a": 1}}),
            "PARAMS_ERROR",
        ),
        (
            &outsider,
            json!({"MESSAGE_ID": msg, "BOT_ID": bot, "COMMAND": "echo"}),
            "PARAMS_ERROR",
        ),
    ] {
        assert_eq!(
            app.err(hook, "im.message.command", params.clone()).await,
            (400, code.to_owned()),
            "{params}"
        );
    }
    // Nothing more reached the handler.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        cmd_rx
            .all()
            .iter()
            .filter(|r| r.event() == "ONIMCOMMANDADD")
            .count(),
        1
    );
}
