//! The page b24im was founded on (../shared/reference/seed/), played exactly:
//! a chat-bot's handler receives an event and calls `im.message.like` with the
//! `auth` it was handed, as Bitrix24's PHP examples do (`restCommand()` posts
//! a PHP form to `auth[client_endpoint]` with `auth=auth[access_token]`).

use std::time::Duration;

use b24im::domain::credentials::Scopes;
use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use crate::receiver::{Received, Receiver};

const WAIT: Duration = Duration::from_secs(10);

/// What the seed's `restCommand($method, $params, $_REQUEST["auth"])` sends:
/// a form POST to `auth[client_endpoint] . $method` with `auth` added.
async fn rest_command(
    app: &TestApp,
    method: &str,
    params: &[(&str, String)],
    auth: &Value,
) -> (u16, Value) {
    let endpoint = auth["client_endpoint"].as_str().expect("client_endpoint");
    let token = auth["access_token"].as_str().expect("access_token");
    let mut form: Vec<(&str, String)> = params.to_vec();
    form.push(("auth", token.to_owned()));
    let res = app
        .client
        .post(app.route(&format!("{endpoint}{method}")))
        .form(&form)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.expect("JSON"))
}

/// The id of `user`'s private dialog with `other`.
async fn dialog_chat(app: &TestApp, user: &Hook, other: i64) -> i64 {
    app.ok(
        user,
        "im.dialog.get",
        json!({"DIALOG_ID": other.to_string()}),
    )
    .await["id"]
        .as_i64()
        .expect("chat id")
}

/// Registers a v1 bot through `hook` (a webhook), with every handler at `url`.
async fn register_v1(app: &TestApp, hook: &Hook, code: &str, url: &str) -> i64 {
    app.ok(
        hook,
        "imbot.register",
        json!({
            "CODE": code, "TYPE": "B", "EVENT_HANDLER": url,
            "PROPERTIES": {"NAME": "LikeBot"}, "CLIENT_ID": format!("app_{code}"),
        }),
    )
    .await
    .as_i64()
    .expect("bot id")
}

fn message_id(got: &Received) -> String {
    got.form["data"]["PARAMS"]["MESSAGE_ID"]
        .as_str()
        .expect("MESSAGE_ID")
        .to_owned()
}

#[tokio::test]
async fn a_v1_bot_likes_with_the_auth_it_was_handed_as_the_seed_page_shows() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let alice = app.user("Alice", "Smith").await;
    let bot = register_v1(&app, &app.admin, "seedbot", &rx.url).await;

    let msg = app.write_to(&alice, &bot.to_string(), "Like me").await;
    let got = &rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await[0];
    assert_eq!(message_id(got), msg.to_string());
    let auth = &got.form["auth"];
    // The application was registered through a webhook with every scope:
    // the token it is handed carries them, `im` among them.
    let scopes: Vec<&str> = auth["scope"].as_str().unwrap().split(',').collect();
    assert!(
        scopes.contains(&"im") && scopes.contains(&"imbot"),
        "{auth}"
    );
    let bot_auth = &got.form["data"]["BOT"][bot.to_string()];
    assert_eq!(bot_auth["scope"], auth["scope"], "the bot's own token too");

    // restCommand('im.message.like', ['MESSAGE_ID' => .., 'ACTION' => 'auto'], $_REQUEST["auth"])
    let (status, body) = rest_command(
        &app,
        "im.message.like",
        &[("MESSAGE_ID", message_id(got)), ("ACTION", "auto".into())],
        auth,
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    let chat = dialog_chat(&app, &alice, bot).await;
    // The event's auth acts for the user who wrote: the like is Alice's.
    assert_eq!(app.likes(&alice, chat, msg).await, [alice.user]);

    // imbot.message.like with the same auth likes as the bot.
    let (status, body) = rest_command(
        &app,
        "imbot.message.like",
        &[
            ("BOT_ID", bot.to_string()),
            ("MESSAGE_ID", msg.to_string()),
            ("ACTION", "auto".into()),
        ],
        auth,
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    let mut likes = app.likes(&alice, chat, msg).await;
    likes.sort_unstable();
    assert_eq!(likes, [alice.user, bot]);

    // And with the bot's own token (`data[BOT][id]`), `auto` takes it back.
    let (status, body) = rest_command(
        &app,
        "imbot.message.like",
        &[("MESSAGE_ID", msg.to_string()), ("ACTION", "auto".into())],
        bot_auth,
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    assert_eq!(app.likes(&alice, chat, msg).await, [alice.user]);
}

#[tokio::test]
async fn a_v2_webhook_bot_likes_with_the_auth_it_was_handed() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let anna = app.user("Anna", "Weber").await;
    let reg = app
        .ok(
            &app.admin,
            "imbot.v2.Bot.register",
            json!({"fields": {
                "code": "seedbot2", "botToken": "seed_token", "properties": {"name": "LikeBot2"},
                "eventMode": "webhook", "webhookUrl": rx.url,
            }}),
        )
        .await;
    let bot = reg["bot"]["id"].as_i64().unwrap();

    let msg = app.write_to(&anna, &bot.to_string(), "Like me too").await;
    let got = &rx.wait_for("ONIMBOTV2MESSAGEADD", 1, WAIT).await[0];
    assert_eq!(got.form["data"]["message"]["id"], msg.to_string());
    let auth = &got.form["auth"];
    assert!(
        auth["scope"]
            .as_str()
            .unwrap()
            .split(',')
            .any(|s| s == "im"),
        "{auth}"
    );
    let (status, body) = rest_command(
        &app,
        "im.message.like",
        &[("MESSAGE_ID", msg.to_string()), ("ACTION", "auto".into())],
        auth,
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    let chat = dialog_chat(&app, &anna, bot).await;
    assert_eq!(app.likes(&anna, chat, msg).await, [anna.user]);

    // The bot's own token (`data[bot][auth]`) carries the same scopes.
    let bot_auth = &got.form["data"]["bot"]["auth"];
    assert_eq!(bot_auth["scope"], auth["scope"]);
    let (status, body) = rest_command(
        &app,
        "imbot.message.like",
        &[
            ("BOT_ID", bot.to_string()),
            ("MESSAGE_ID", msg.to_string()),
            ("ACTION", "plus".into()),
        ],
        bot_auth,
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    let mut likes = app.likes(&anna, chat, msg).await;
    likes.sort_unstable();
    assert_eq!(likes, [anna.user, bot]);
}

#[tokio::test]
async fn the_handed_token_carries_no_more_than_the_application_was_granted() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let alice = app.user("Alice", "").await;
    // An application granted `imbot` alone (the docs' sample app).
    let imbot_only = app
        .hook(app.admin.user, Scopes::parse("imbot").unwrap())
        .await;
    let bot = register_v1(&app, &imbot_only, "narrowbot", &rx.url).await;

    let msg = app.write_to(&alice, &bot.to_string(), "Hi").await;
    let got = &rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await[0];
    let auth = &got.form["auth"];
    assert_eq!(auth["scope"], "imbot", "{auth}");
    let (status, body) = rest_command(
        &app,
        "im.message.like",
        &[("MESSAGE_ID", msg.to_string())],
        auth,
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (403, &json!("insufficient_scope"))
    );
    // What `imbot` opens still works with it.
    let (status, body) = rest_command(
        &app,
        "imbot.message.like",
        &[("BOT_ID", bot.to_string()), ("MESSAGE_ID", msg.to_string())],
        auth,
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
}
