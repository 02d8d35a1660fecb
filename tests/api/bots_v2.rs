//! The v2 bot platform: a bot written for Bitrix24's imbot.v2 registers,
//! hears a message, likes it with the token it was handed, and hears when a
//! person likes its own message (ONIMBOTV2REACTIONCHANGE); fetch mode; the
//! reaction methods' errors; and that reactions share one model with likes.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(10);

/// `imbot.v2.Bot.register` by the admin with these `fields`; returns `result`.
async fn register_v2(app: &TestApp, fields: Value) -> Value {
    app.ok(
        &app.admin,
        "imbot.v2.Bot.register",
        json!({ "fields": fields }),
    )
    .await
}

async fn post_json(app: &TestApp, url: String, body: Value) -> (u16, Value) {
    let res = app.client.post(url).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn a_v2_bot_hears_likes_and_is_told_of_likes_on_its_own_message() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let anna = app.user("Anna", "Weber").await;
    let reg = register_v2(
        &app,
        json!({
            "code": "support_bot", "botToken": "my_bot_token",
            "properties": {"name": "Support", "lastName": "Bot", "workPosition": "AI Assistant"},
            "type": "bot", "eventMode": "webhook", "webhookUrl": rx.url,
        }),
    )
    .await;
    let bot = reg["bot"]["id"].as_i64().unwrap();
    assert_eq!(reg["bot"]["code"], "support_bot");
    assert_eq!(reg["bot"]["eventMode"], "webhook");
    assert_eq!(reg["users"][0]["bot"], true);
    assert_eq!(reg["users"][0]["name"], "Support Bot");

    let msg = app.write_to(&anna, &bot.to_string(), "Hello bot!").await;
    let got = &rx.wait_for("ONIMBOTV2MESSAGEADD", 1, WAIT).await[0];
    let d = &got.form["data"];
    // Webhook mode: every scalar arrives as a string.
    assert_eq!(d["bot"]["id"], bot.to_string());
    assert_eq!(d["bot"]["code"], "support_bot");
    assert_eq!(d["message"]["id"], msg.to_string());
    assert_eq!(d["message"]["text"], "Hello bot!");
    assert_eq!(d["message"]["authorId"], anna.user.to_string());
    assert_eq!(d["message"]["isSystem"], "0");
    assert_eq!(d["chat"]["dialogId"], anna.user.to_string());
    assert_eq!(d["chat"]["type"], "private");
    assert_eq!(d["user"]["firstName"], "Anna");
    assert_eq!(d["user"]["bot"], "0");
    assert_eq!(d["language"], "en");
    assert!(got.form["auth"]["application_token"].is_string());
    let token = d["bot"]["auth"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(d["bot"]["auth"]["user_id"], bot.to_string());

    // Answer with the handed token: a like, then a reply.
    let (status, body) = post_json(
        &app,
        format!("{}/rest/imbot.v2.Chat.Message.Reaction.add", app.base),
        json!({"botId": bot, "messageId": msg, "reaction": "like", "auth": token}),
    )
    .await;
    assert_eq!(
        (status, &body["result"]),
        (200, &json!({"result": true})),
        "{body}"
    );
    let chat = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": bot.to_string()}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.likes(&anna, chat, msg).await,
        [bot],
        "one model: the v2 like is params.LIKE"
    );
    let (_, body) = post_json(
        &app,
        format!("{}/rest/imbot.v2.Chat.Message.send", app.base),
        json!({"botId": bot, "dialogId": anna.user.to_string(), "fields": {"message": "How can I help?"}, "auth": token}),
    )
    .await;
    let reply = body["result"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"));

    // Anna likes the bot's message, then takes it back.
    app.ok(
        &anna,
        "im.message.like",
        json!({"MESSAGE_ID": reply, "ACTION": "plus"}),
    )
    .await;
    app.ok(
        &anna,
        "im.message.like",
        json!({"MESSAGE_ID": reply, "ACTION": "minus"}),
    )
    .await;
    // Two events, delivered concurrently (on two nodes, by either): in
    // either order, as on a portal.
    let changes = rx.wait_for("ONIMBOTV2REACTIONCHANGE", 2, WAIT).await;
    let mut actions: Vec<_> = changes
        .iter()
        .map(|c| c.form["data"]["action"].as_str().unwrap_or("").to_owned())
        .collect();
    actions.sort();
    assert_eq!(actions, ["add", "delete"]);
    let added = changes
        .iter()
        .map(|c| &c.form["data"])
        .find(|d| d["action"] == "add")
        .unwrap();
    assert_eq!(added["reaction"], "like");
    assert_eq!(added["message"]["id"], reply.to_string());
    assert_eq!(added["message"]["authorId"], bot.to_string());
    assert_eq!(added["user"]["id"], anna.user.to_string());
    // The bot's own like on Anna's message is not an event for it.
    assert_eq!(
        rx.all()
            .iter()
            .filter(|r| r.event() == "ONIMBOTV2REACTIONCHANGE")
            .count(),
        2
    );
    // v2 bots get v2 events only.
    assert!(
        rx.all().iter().all(|r| r.event().starts_with("ONIMBOTV2")),
        "{:?}",
        rx.all()
            .iter()
            .map(|r| r.event().to_owned())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn fetch_mode_queues_events_until_confirmed() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let reg = register_v2(
        &app,
        json!({"code": "agent", "botToken": "tok", "properties": {"name": "Agent"}}),
    )
    .await;
    assert_eq!(reg["bot"]["eventMode"], "fetch");
    let bot = reg["bot"]["id"].as_i64().unwrap();
    let msg = app
        .ok(
            &anna,
            "im.message.add",
            json!({"DIALOG_ID": bot.to_string(), "MESSAGE": "ping"}),
        )
        .await;
    let get = |offset: Option<i64>, limit: i64| {
        let mut params = json!({"botId": bot, "botToken": "tok", "limit": limit});
        if let Some(o) = offset {
            params["offset"] = json!(o);
        }
        let app = &app;
        async move { app.ok(&app.admin, "imbot.v2.Event.get", params).await }
    };
    let page = get(None, 1).await;
    assert_eq!(page["events"][0]["type"], "ONIMBOTV2JOINCHAT");
    assert_eq!(page["hasMore"], true);
    let next = page["nextOffset"].as_i64().unwrap();
    // Not confirmed yet: the same event again.
    assert_eq!(
        get(None, 1).await["events"][0]["eventId"],
        page["events"][0]["eventId"]
    );
    let page = get(Some(next), 100).await;
    let e = &page["events"][0];
    assert_eq!(e["type"], "ONIMBOTV2MESSAGEADD");
    assert_eq!(e["data"]["message"]["id"], msg);
    assert_eq!(e["data"]["message"]["text"], "ping");
    assert_eq!(
        e["data"]["bot"]["eventMode"], "fetch",
        "fetch mode carries the full bot"
    );
    assert_eq!(e["data"]["message"]["isSystem"], false);
    assert_eq!(page["hasMore"], false);
    let done = get(page["nextOffset"].as_i64(), 100).await;
    assert_eq!(done["events"], json!([]));
}

#[tokio::test]
async fn reaction_methods_follow_the_docs() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let reg = register_v2(
        &app,
        json!({"code": "r", "botToken": "tok", "properties": {"name": "R"}}),
    )
    .await;
    let bot = reg["bot"]["id"].as_i64().unwrap();
    let msg = app.write_to(&anna, &bot.to_string(), "x").await;
    let err = |params: Value, method: &'static str| {
        let app = &app;
        async move { app.err(&app.admin, method, params).await }
    };
    let add = "imbot.v2.Chat.Message.Reaction.add";
    let del = "imbot.v2.Chat.Message.Reaction.delete";
    assert_eq!(
        err(
            json!({"botId": bot, "messageId": msg, "reaction": "like"}),
            add
        )
        .await
        .1,
        "BOT_TOKEN_NOT_SPECIFIED"
    );
    assert_eq!(
        err(
            json!({"botToken": "tok", "messageId": msg, "reaction": "like"}),
            add
        )
        .await
        .1,
        "BOT_ID_REQUIRED"
    );
    assert_eq!(
        err(
            json!({"botId": 999, "botToken": "tok", "messageId": msg, "reaction": "like"}),
            add
        )
        .await
        .1,
        "BOT_NOT_FOUND"
    );
    assert_eq!(
        err(
            json!({"botId": bot, "botToken": "nope", "messageId": msg, "reaction": "like"}),
            add
        )
        .await,
        (403, "BOT_OWNERSHIP_ERROR".into())
    );
    assert_eq!(
        err(
            json!({"botId": bot, "botToken": "tok", "messageId": msg, "reaction": "thumbsUp"}),
            add
        )
        .await
        .1,
        "REACTION_NOT_FOUND"
    );
    let ok = |method: &'static str, reaction: &'static str| {
        let app = &app;
        async move {
            app.ok(
                &app.admin,
                method,
                json!({"botId": bot, "botToken": "tok", "messageId": msg, "reaction": reaction}),
            )
            .await
        }
    };
    assert_eq!(ok(add, "fire").await, json!({"result": true}));
    assert_eq!(
        err(
            json!({"botId": bot, "botToken": "tok", "messageId": msg, "reaction": "fire"}),
            add
        )
        .await
        .1,
        "REACTION_ALREADY_SET"
    );
    assert_eq!(ok(del, "fire").await, json!({"result": true}));
    assert_eq!(
        err(
            json!({"botId": bot, "botToken": "tok", "messageId": msg, "reaction": "fire"}),
            del
        )
        .await
        .1,
        "REACTION_NOT_FOUND"
    );
    // A message in a chat without the bot.
    let other = app.chat(&app.admin, &[]).await;
    let elsewhere = app.post(&app.admin, other, "private").await;
    assert_eq!(
        err(
            json!({"botId": bot, "botToken": "tok", "messageId": elsewhere, "reaction": "like"}),
            add
        )
        .await,
        (403, "ACCESS_DENIED".into())
    );
    // One model: a like set by v2 is seen and removed by im.message.like's rules.
    ok(add, "like").await;
    let chat = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": bot.to_string()}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(app.likes(&anna, chat, msg).await, [bot]);
    assert_eq!(
        err(
            json!({"botId": bot, "botToken": "tok", "messageId": msg, "reaction": "like"}),
            add
        )
        .await
        .1,
        "REACTION_ALREADY_SET"
    );

    // Registration errors.
    let reg_err = |fields: Value| {
        let app = &app;
        async move {
            app.err(
                &app.admin,
                "imbot.v2.Bot.register",
                json!({"fields": fields}),
            )
            .await
            .1
        }
    };
    assert_eq!(
        reg_err(json!({"code": "a", "properties": {"name": "A"}})).await,
        "BOT_TOKEN_NOT_SPECIFIED"
    );
    assert_eq!(
        reg_err(json!({"botToken": "t", "properties": {"name": "A"}})).await,
        "BOT_CODE_REQUIRED"
    );
    assert_eq!(
        reg_err(json!({"botToken": "t", "code": "a"})).await,
        "BOT_PROPERTIES_REQUIRED"
    );
    assert_eq!(
        reg_err(
            json!({"botToken": "t", "code": "a", "properties": {"name": "A"}, "type": "robot"})
        )
        .await,
        "BOT_INVALID_TYPE"
    );
    assert_eq!(
        reg_err(
            json!({"botToken": "t", "code": "a", "properties": {"name": "A"}, "eventMode": "push"})
        )
        .await,
        "BOT_INVALID_EVENT_MODE"
    );
    assert_eq!(reg_err(json!({"botToken": "t", "code": "a", "properties": {"name": "A"}, "eventMode": "webhook"})).await, "BOT_WEBHOOK_URL_REQUIRED");
    assert_eq!(
        reg_err(json!({"botToken": "other", "code": "r", "properties": {"name": "A"}})).await,
        "BOT_CODE_ALREADY_TAKEN"
    );
    // Idempotent for the same application.
    let again = register_v2(
        &app,
        json!({"code": "r", "botToken": "tok", "properties": {"name": "R"}}),
    )
    .await;
    assert_eq!(again["bot"]["id"], bot);
    let list = app
        .ok(&app.admin, "imbot.v2.Bot.list", json!({"botToken": "tok"}))
        .await;
    assert_eq!(list["bots"].as_array().unwrap().len(), 1);
    let one = app
        .ok(
            &app.admin,
            "imbot.v2.Bot.get",
            json!({"botId": bot, "botToken": "tok"}),
        )
        .await;
    assert_eq!(
        (one["bot"]["id"].as_i64(), one["bot"]["code"].as_str()),
        (Some(bot), Some("r"))
    );
    assert_eq!(one["users"][0]["bot"], true);
    let (status, body) = app
        .call(
            &app.admin,
            "imbot.v2.Bot.get",
            json!({"botId": bot, "botToken": "other"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("BOT_OWNERSHIP_ERROR"))
    );
    assert_eq!(
        app.ok(
            &app.admin,
            "imbot.v2.Bot.unregister",
            json!({"botId": bot, "botToken": "tok"})
        )
        .await,
        json!({"result": true})
    );
}

#[tokio::test]
async fn v1_bots_get_no_v2_reaction_events() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let bot = app
        .ok(&app.admin, "imbot.register", json!({"CODE": "old", "EVENT_HANDLER": rx.url, "PROPERTIES": {"NAME": "Old"}, "CLIENT_ID": "app"}))
        .await
        .as_i64()
        .unwrap();
    let reply = app
        .ok(&app.admin, "imbot.message.add", json!({"BOT_ID": bot, "CLIENT_ID": "app", "DIALOG_ID": anna.user.to_string(), "MESSAGE": "hi"}))
        .await
        .as_i64()
        .unwrap();
    app.ok(&anna, "im.message.like", json!({"MESSAGE_ID": reply}))
        .await;
    app.ok(
        &anna,
        "im.message.add",
        json!({"DIALOG_ID": bot.to_string(), "MESSAGE": "after the like"}),
    )
    .await;
    rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await;
    assert!(rx.all().iter().all(|r| !r.event().starts_with("ONIMBOTV2")));
}

#[tokio::test]
async fn a_v2_bot_edits_and_deletes_only_its_own_messages() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let reg = register_v2(
        &app,
        json!({"code": "e", "botToken": "tok", "properties": {"name": "E"}}),
    )
    .await;
    let bot = reg["bot"]["id"].as_i64().unwrap();
    let hers = app.write_to(&anna, &bot.to_string(), "mine").await;
    let sent = app
        .ok(&app.admin, "imbot.v2.Chat.Message.send", json!({"botId": bot, "botToken": "tok", "dialogId": anna.user.to_string(), "fields": {"message": "v1"}}))
        .await["id"]
        .as_i64()
        .unwrap();
    let call = |method: &'static str, id: i64| {
        let app = &app;
        async move {
            app.call(&app.admin, method, json!({"botId": bot, "botToken": "tok", "messageId": id, "fields": {"message": "v2"}}))
                .await
        }
    };
    assert_eq!(
        call("imbot.v2.Chat.Message.update", sent).await.1["result"],
        json!({"result": true})
    );
    let (status, body) = call("imbot.v2.Chat.Message.update", hers).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    let (status, body) = call("imbot.v2.Chat.Message.delete", hers).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    assert_eq!(
        call("imbot.v2.Chat.Message.delete", sent).await.1["result"],
        json!({"result": true})
    );
    let chat = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": bot.to_string()}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    let m = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == sent)
        .unwrap()
        .clone();
    assert_eq!(m["params"]["IS_DELETED"], "Y");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_applications_never_share_a_code() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    // Ten applications (bot tokens) registering the one new code at once (on
    // two nodes, on PostgreSQL): one gets it, nine are told it is taken.
    let calls = (0..10).map(|n| {
        let fields = json!({"botToken": format!("token{n}"), "code": "contested",
                            "properties": {"name": "C"}});
        let app = &app;
        async move {
            app.call(
                &app.admin,
                "imbot.v2.Bot.register",
                json!({ "fields": fields }),
            )
            .await
        }
    });
    let answers: Vec<(u16, Value)> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|(status, body)| (status, body.get("error").unwrap_or(&body).clone()))
        .collect();
    let won = answers.iter().filter(|(status, _)| *status == 200).count();
    let taken = answers
        .iter()
        .filter(|(_, body)| *body == json!("BOT_CODE_ALREADY_TAKEN"))
        .count();
    assert_eq!((won, taken), (1, 9), "{answers:?}");
}
