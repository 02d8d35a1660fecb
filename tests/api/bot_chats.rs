//! The classic chat-bot API beyond messages: `imbot.chat.*`,
//! `imbot.dialog.get`, `imbot.command.update` and `imbot.command.answer` by
//! command name (docs api-reference/chat-bots/outdated/chats/, commands/).

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use crate::receiver::Receiver;

async fn bot(app: &TestApp, client: &str, code: &str, url: &str) -> i64 {
    app.ok(
        &app.admin,
        "imbot.register",
        json!({"CODE": code, "EVENT_HANDLER": url, "PROPERTIES": {"NAME": code},
               "CLIENT_ID": client}),
    )
    .await
    .as_i64()
    .unwrap()
}

/// Calls an `imbot.*` method for application `app1`.
async fn as_app(app: &TestApp, method: &str, mut params: Value) -> (u16, Value) {
    params["CLIENT_ID"] = json!("app1");
    app.call(&app.admin, method, params).await
}

async fn ok(app: &TestApp, method: &str, params: Value) -> Value {
    let (status, body) = as_app(app, method, params).await;
    assert_eq!(status, 200, "{method}: {body}");
    body["result"].clone()
}

async fn err(app: &TestApp, method: &str, params: Value) -> (u16, String, String) {
    let (status, body) = as_app(app, method, params).await;
    assert!(status >= 400, "{method}: {body}");
    (
        status,
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"].as_str().unwrap().to_owned(),
    )
}

async fn dialog(app: &TestApp, who: &Hook, chat: i64) -> Value {
    app.ok(
        who,
        "im.dialog.get",
        json!({"DIALOG_ID": format!("chat{chat}")}),
    )
    .await
}

#[tokio::test]
async fn a_bot_runs_its_chat_through_the_imbot_chat_methods() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let bob = app.user("Bob", "").await;
    let id = bot(&app, "app1", "keeper", &rx.url).await;
    let chat = ok(
        &app,
        "imbot.chat.add",
        json!({"USERS": [anna.user], "TITLE": "Kept", "ENTITY_TYPE": "CRM", "ENTITY_ID": "7"}),
    )
    .await
    .as_i64()
    .unwrap();
    assert_eq!(
        ok(
            &app,
            "imbot.chat.get",
            json!({"ENTITY_TYPE": "CRM", "ENTITY_ID": "7"})
        )
        .await,
        json!({"ID": chat})
    );
    assert_eq!(
        ok(&app, "imbot.chat.get", json!({"ENTITY_TYPE": "CRM"})).await,
        Value::Null
    );
    assert_eq!(
        ok(&app, "imbot.chat.user.list", json!({"CHAT_ID": chat})).await,
        json!([id, anna.user])
    );

    // Members: USERS must be a list of people.
    assert_eq!(
        ok(
            &app,
            "imbot.chat.user.add",
            json!({"CHAT_ID": chat, "USERS": [bob.user]})
        )
        .await,
        true
    );
    // Again: nothing to do, answered as im.chat.user.add answers it.
    assert_eq!(
        ok(
            &app,
            "imbot.chat.user.add",
            json!({"CHAT_ID": chat, "USERS": [bob.user]})
        )
        .await,
        true
    );
    assert_eq!(
        err(
            &app,
            "imbot.chat.user.add",
            json!({"CHAT_ID": chat, "USERS": [999]})
        )
        .await,
        (
            400,
            "WRONG_REQUEST".into(),
            "You don't have access or user already member in chat".into()
        )
    );
    assert_eq!(
        err(
            &app,
            "imbot.chat.user.add",
            json!({"CHAT_ID": chat, "USERS": 5})
        )
        .await
        .2,
        "User IDs must be passed in array format"
    );
    assert_eq!(
        err(&app, "imbot.chat.user.add", json!({"USERS": [bob.user]}))
            .await
            .1,
        "CHAT_ID_EMPTY"
    );

    // Managers: the owning bot makes Anna one, and takes it back.
    assert_eq!(
        ok(
            &app,
            "imbot.chat.setManager",
            json!({"CHAT_ID": chat, "USER_ID": anna.user})
        )
        .await,
        true
    );
    let seen = dialog(&app, &anna, chat).await;
    assert_eq!(seen["role"], "manager");
    assert_eq!(seen["manager_list"], json!([id, anna.user]));
    assert_eq!(
        ok(
            &app,
            "imbot.chat.setManager",
            json!({"CHAT_ID": chat, "USER_ID": anna.user, "IS_MANAGER": "N"})
        )
        .await,
        true
    );
    assert_eq!(dialog(&app, &anna, chat).await["manager_list"], json!([id]));
    let stranger = app.user("Stranger", "").await;
    assert_eq!(
        err(
            &app,
            "imbot.chat.setManager",
            json!({"CHAT_ID": chat, "USER_ID": stranger.user})
        )
        .await,
        (
            400,
            "WRONG_REQUEST".into(),
            "Change manager can only owner and user must be member in chat".into()
        )
    );

    // Title, colour, typing, avatar, as the bot.
    assert_eq!(
        ok(
            &app,
            "imbot.chat.updateTitle",
            json!({"CHAT_ID": chat, "TITLE": " Renamed \n"})
        )
        .await,
        true
    );
    assert_eq!(dialog(&app, &anna, chat).await["name"], "Renamed");
    assert_eq!(
        ok(
            &app,
            "imbot.chat.updateColor",
            json!({"CHAT_ID": chat, "COLOR": "MINT"})
        )
        .await,
        true
    );
    assert_eq!(dialog(&app, &anna, chat).await["color"], "#4ba984");
    assert_eq!(
        err(
            &app,
            "imbot.chat.updateColor",
            json!({"CHAT_ID": chat, "COLOR": "MINT"})
        )
        .await
        .1,
        "WRONG_REQUEST"
    );
    assert_eq!(
        ok(
            &app,
            "imbot.chat.sendTyping",
            json!({"DIALOG_ID": format!("chat{chat}")})
        )
        .await,
        true
    );
    assert_eq!(
        err(&app, "imbot.chat.sendTyping", json!({})).await.1,
        "DIALOG_ID_EMPTY"
    );
    let gif = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
    assert_eq!(
        ok(
            &app,
            "imbot.chat.updateAvatar",
            json!({"CHAT_ID": chat, "AVATAR": gif})
        )
        .await,
        true
    );
    assert!(dialog(&app, &anna, chat).await["avatar"]
        .as_str()
        .unwrap()
        .contains("/upload/avatar/"));

    // Removing Bob; twice is WRONG_REQUEST.
    assert_eq!(
        ok(
            &app,
            "imbot.chat.user.delete",
            json!({"CHAT_ID": chat, "USER_ID": bob.user})
        )
        .await,
        true
    );
    assert_eq!(
        err(
            &app,
            "imbot.chat.user.delete",
            json!({"CHAT_ID": chat, "USER_ID": bob.user})
        )
        .await
        .1,
        "WRONG_REQUEST"
    );

    // imbot.dialog.get is im.dialog.get.
    let via_bot = {
        let (status, body) = app
            .call(
                &anna,
                "imbot.dialog.get",
                json!({"DIALOG_ID": format!("chat{chat}")}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["result"].clone()
    };
    assert_eq!(via_bot, dialog(&app, &anna, chat).await);

    // Ownership to Anna; then the bot no longer names managers, and leaves.
    assert_eq!(
        ok(
            &app,
            "imbot.chat.setOwner",
            json!({"CHAT_ID": chat, "USER_ID": anna.user})
        )
        .await,
        true
    );
    assert_eq!(dialog(&app, &anna, chat).await["owner"], anna.user);
    assert_eq!(
        err(
            &app,
            "imbot.chat.setManager",
            json!({"CHAT_ID": chat, "USER_ID": anna.user})
        )
        .await
        .1,
        "WRONG_REQUEST"
    );
    assert_eq!(
        ok(&app, "imbot.chat.leave", json!({"CHAT_ID": chat})).await,
        true
    );
    assert_eq!(
        app.ok(&anna, "im.chat.user.list", json!({"CHAT_ID": chat}))
            .await,
        json!([anna.user])
    );
    assert_eq!(
        ok(&app, "imbot.chat.user.list", json!({"CHAT_ID": chat})).await,
        json!([])
    );

    // The application and the bot are checked first.
    let (status, body) = app
        .call(
            &app.admin,
            "imbot.chat.leave",
            json!({"CHAT_ID": chat, "CLIENT_ID": "app2", "BOT_ID": id}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("APP_ID_ERROR"))
    );
    let (_, body) = app
        .call(
            &app.admin,
            "imbot.chat.leave",
            json!({"CHAT_ID": chat, "CLIENT_ID": "nobody"}),
        )
        .await;
    assert_eq!(body["error"], "BOT_ID_ERROR");
}

#[tokio::test]
async fn commands_are_updated_and_answered_by_name() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let cmd_rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let id = bot(&app, "app1", "echoer", &rx.url).await;
    let command = ok(
        &app,
        "imbot.command.register",
        json!({"BOT_ID": id, "COMMAND": "echo", "EVENT_COMMAND_ADD": cmd_rx.url,
               "LANG": [{"LANGUAGE_ID": "en", "TITLE": "Echo", "PARAMS": "text"}]}),
    )
    .await
    .as_i64()
    .unwrap();
    assert_eq!(
        err(
            &app,
            "imbot.command.update",
            json!({"COMMAND_ID": command, "FIELDS": {}})
        )
        .await,
        (
            400,
            "WRONG_REQUEST".into(),
            "Update fields can't be empty".into()
        )
    );
    assert_eq!(
        err(
            &app,
            "imbot.command.update",
            json!({"COMMAND_ID": 999, "FIELDS": {"HIDDEN": "Y"}})
        )
        .await
        .1,
        "COMMAND_ID_ERROR"
    );
    assert_eq!(
        err(
            &app,
            "imbot.command.update",
            json!({"COMMAND_ID": command, "FIELDS": {"EVENT_COMMAND_ADD": "nope"}})
        )
        .await
        .1,
        "EVENT_COMMAND_ADD_ERROR"
    );
    let (_, body) = app
        .call(
            &app.admin,
            "imbot.command.update",
            json!({"COMMAND_ID": command, "CLIENT_ID": "app2", "FIELDS": {"HIDDEN": "Y"}}),
        )
        .await;
    assert_eq!(body["error"], "APP_ID_ERROR");
    assert_eq!(
        ok(
            &app,
            "imbot.command.update",
            json!({"COMMAND_ID": command, "FIELDS": {"COMMAND": "say", "HIDDEN": "Y",
                   "LANG": [{"LANGUAGE_ID": "en", "TITLE": "Say", "PARAMS": ""}]}})
        )
        .await,
        true
    );
    let stored = app.store.command(command).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.command.as_str(),
            stored.hidden,
            stored.lang[0].1.as_str()
        ),
        ("say", true, "Say")
    );

    // The renamed command is used, and answered by its name.
    let message = app.write_to(&anna, &id.to_string(), "/say hello").await;
    let got = cmd_rx
        .wait_for("ONIMCOMMANDADD", 1, Duration::from_secs(10))
        .await;
    assert_eq!(got.len(), 1);
    let answer = ok(
        &app,
        "imbot.command.answer",
        json!({"COMMAND": "say", "MESSAGE_ID": message, "MESSAGE": "hello back"}),
    )
    .await
    .as_i64()
    .unwrap();
    let history = app
        .ok(&anna, "im.dialog.messages.get", json!({"DIALOG_ID": id}))
        .await;
    let reply = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == answer)
        .expect("the answer is in the dialog")
        .clone();
    assert_eq!(
        (reply["author_id"].as_i64(), reply["text"].as_str()),
        (Some(id), Some("hello back"))
    );
    assert_eq!(
        err(
            &app,
            "imbot.command.answer",
            json!({"COMMAND": "nosuch", "MESSAGE_ID": message, "MESSAGE": "x"})
        )
        .await
        .1,
        "COMMAND_ID_ERROR"
    );

    // A COMMON command used in a chat without the bot: the answer is a
    // system message that names the bot.
    ok(
        &app,
        "imbot.command.register",
        json!({"BOT_ID": id, "COMMAND": "ping", "COMMON": "Y", "EVENT_COMMAND_ADD": cmd_rx.url,
               "LANG": [{"LANGUAGE_ID": "en", "TITLE": "Ping"}]}),
    )
    .await;
    let bob = app.user("Bob", "").await;
    let elsewhere = app.chat(&anna, &[&bob]).await;
    let used = app.post(&anna, elsewhere, "/ping").await;
    let plain = app.post(&anna, elsewhere, "no command here").await;
    cmd_rx
        .wait_for("ONIMCOMMANDADD", 2, Duration::from_secs(10))
        .await;
    let answer = ok(
        &app,
        "imbot.command.answer",
        json!({"COMMAND": "ping", "MESSAGE_ID": used, "MESSAGE": "pong"}),
    )
    .await
    .as_i64()
    .unwrap();
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{elsewhere}")}),
        )
        .await;
    let reply = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == answer)
        .expect("the answer is in the chat")
        .clone();
    assert_eq!(reply["author_id"], 0);
    assert_eq!(reply["text"], "[b]echoer[/b]: pong");
    assert_eq!(
        err(
            &app,
            "imbot.command.answer",
            json!({"COMMAND": "ping", "MESSAGE_ID": plain, "MESSAGE": "pong"})
        )
        .await
        .1,
        "WRONG_REQUEST"
    );
}
