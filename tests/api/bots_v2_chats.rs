//! The rest of the v2 chat-bot API: chats (`imbot.v2.Chat.*`), reading
//! messages, the chat interface, commands with ONIMBOTV2COMMANDADD,
//! ONIMBOTV2CONTEXTGET, files, `Bot.update` and `Revision.get` (docs
//! api-reference/chat-bots/chat-bots-v2/imbot.v2/).

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(10);
const TOKEN: &str = "chat_bot_token";

/// A v2 bot of `kind` in fetch mode, registered with [`TOKEN`]; its id.
async fn fetch_bot(app: &TestApp, code: &str, kind: &str) -> i64 {
    app.ok(
        &app.admin,
        "imbot.v2.Bot.register",
        json!({"fields": {"code": code, "botToken": TOKEN, "type": kind,
                          "eventMode": "fetch", "properties": {"name": code}}}),
    )
    .await["bot"]["id"]
        .as_i64()
        .unwrap()
}

/// Calls a v2 method as bot `bot` (a webhook caller names it with the token).
async fn v2(app: &TestApp, bot: i64, method: &str, mut params: Value) -> (u16, Value) {
    params["botId"] = json!(bot);
    params["botToken"] = json!(TOKEN);
    app.call(&app.admin, method, params).await
}

async fn v2_ok(app: &TestApp, bot: i64, method: &str, params: Value) -> Value {
    let (status, body) = v2(app, bot, method, params).await;
    assert_eq!(status, 200, "{method}: {body}");
    body["result"].clone()
}

async fn v2_err(app: &TestApp, bot: i64, method: &str, params: Value) -> (u16, String) {
    let (status, body) = v2(app, bot, method, params).await;
    assert!(status >= 400, "{method}: {body}");
    (status, body["error"].as_str().unwrap().to_owned())
}

/// The bot's queued events of `kind` (confirming nothing).
async fn events_of(app: &TestApp, bot: i64, kind: &str) -> Vec<Value> {
    let r = v2_ok(app, bot, "imbot.v2.Event.get", json!({"limit": 1000})).await;
    r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}

async fn member_ids(app: &TestApp, bot: i64, chat: &str) -> Vec<i64> {
    let list = v2_ok(
        app,
        bot,
        "imbot.v2.Chat.User.list",
        json!({"dialogId": chat}),
    )
    .await;
    list.as_array()
        .expect("a bare array")
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_v2_bot_creates_and_runs_a_chat() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Davis").await;
    let bob = app.user("Bob", "").await;
    let bot = fetch_bot(&app, "runner", "bot").await;
    let r = v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.add",
        json!({"fields": {"title": "Support Chat", "description": "Help", "color": "mint",
                          "userIds": [anna.user], "message": "Welcome"}}),
    )
    .await;
    let chat = &r["chat"];
    // The fields of the page's example, in its order.
    let keys: Vec<&str> = chat
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let documented = vec![
        "id",
        "dialogId",
        "name",
        "description",
        "type",
        "messageType",
        "owner",
        "color",
        "avatar",
        "extranet",
        "containsCollaber",
        "entityType",
        "entityId",
        "entityData1",
        "entityData2",
        "entityData3",
        "entityLink",
        "diskFolderId",
        "role",
        "permissions",
        "muteList",
        "parentChatId",
        "parentMessageId",
        "isNew",
        "textFieldEnabled",
        "backgroundId",
        "dateCreate",
        "lastMessageId",
        "lastMessageViews",
        "lastId",
        "managerList",
        "markedId",
        "messageCount",
        "public",
        "unreadId",
        "userCounter",
    ];
    assert_eq!(keys, documented);
    let dialog = chat["dialogId"].as_str().unwrap().to_owned();
    assert!(dialog.starts_with("chat"), "{chat}");
    assert_eq!(chat["name"], "Support Chat");
    assert_eq!(chat["description"], "Help");
    assert_eq!(chat["color"], "#4ba984");
    assert_eq!(chat["owner"], bot);
    assert_eq!(chat["role"], "owner");
    assert_eq!(chat["type"], "chat");
    assert_eq!(chat["messageType"], "C");
    assert_eq!(chat["textFieldEnabled"], "Y");
    assert_eq!(chat["userCounter"], 2);
    assert!(chat["messageCount"].as_i64().unwrap() >= 1);
    let users: Vec<i64> = r["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert!(
        users.contains(&anna.user) && users.contains(&bot),
        "{users:?}"
    );
    assert_eq!(
        r["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == anna.user)
            .unwrap()["name"],
        "Anna Davis"
    );

    let got = v2_ok(&app, bot, "imbot.v2.Chat.get", json!({"dialogId": dialog})).await;
    assert_eq!(got["chat"]["id"], chat["id"]);
    assert_eq!(
        v2_ok(
            &app,
            bot,
            "imbot.v2.Chat.update",
            json!({"dialogId": dialog, "fields": {"title": "Renamed", "color": "nosuch"}})
        )
        .await,
        json!({"result": true})
    );
    let got = v2_ok(&app, bot, "imbot.v2.Chat.get", json!({"dialogId": dialog})).await;
    assert_eq!(got["chat"]["name"], "Renamed");
    assert_eq!(
        got["chat"]["color"], "#4ba984",
        "an unknown colour is ignored"
    );

    // Members and managers.
    v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.User.add",
        json!({"dialogId": dialog, "userIds": [bob.user, 99999]}),
    )
    .await;
    assert_eq!(
        member_ids(&app, bot, &dialog).await,
        vec![bot, anna.user, bob.user]
    );
    let desc = v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.User.list",
        json!({"dialogId": dialog, "order": {"id": "DESC"}, "limit": 2}),
    )
    .await;
    let ids: Vec<i64> = desc
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    let mut expected = vec![bot, anna.user, bob.user];
    expected.sort_unstable_by(|a, b| b.cmp(a));
    expected.truncate(2);
    assert_eq!(ids, expected);
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Chat.Manager.add",
            json!({"dialogId": dialog, "userIds": []})
        )
        .await,
        (400, "EMPTY_USER_IDS".into())
    );
    v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.Manager.add",
        json!({"dialogId": dialog, "userIds": [anna.user, 99999]}),
    )
    .await;
    let got = v2_ok(&app, bot, "imbot.v2.Chat.get", json!({"dialogId": dialog})).await;
    assert_eq!(got["chat"]["managerList"], json!([anna.user]));
    v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.Manager.delete",
        json!({"dialogId": dialog, "userIds": [anna.user]}),
    )
    .await;
    let got = v2_ok(&app, bot, "imbot.v2.Chat.get", json!({"dialogId": dialog})).await;
    assert_eq!(got["chat"]["managerList"], json!([]));
    // A manager (another bot of the application) removes members, never
    // the owner; removing someone twice is fine.
    let deputy = fetch_bot(&app, "deputy", "bot").await;
    v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.User.add",
        json!({"dialogId": dialog, "userIds": [deputy]}),
    )
    .await;
    assert_eq!(
        v2_err(
            &app,
            deputy,
            "imbot.v2.Chat.User.delete",
            json!({"dialogId": dialog, "userId": bob.user})
        )
        .await,
        (403, "ACCESS_DENIED".into()),
        "not a manager yet"
    );
    v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.Manager.add",
        json!({"dialogId": dialog, "userIds": [deputy]}),
    )
    .await;
    for _ in 0..2 {
        v2_ok(
            &app,
            deputy,
            "imbot.v2.Chat.User.delete",
            json!({"dialogId": dialog, "userId": bob.user}),
        )
        .await;
    }
    assert_eq!(
        v2_err(
            &app,
            deputy,
            "imbot.v2.Chat.User.delete",
            json!({"dialogId": dialog, "userId": bot})
        )
        .await,
        (403, "ACCESS_DENIED".into())
    );
    v2_ok(
        &app,
        deputy,
        "imbot.v2.Chat.leave",
        json!({"dialogId": dialog}),
    )
    .await;
    assert_eq!(member_ids(&app, bot, &dialog).await, vec![bot, anna.user]);

    // The text field, seen in the chat.
    v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.TextField.enabled",
        json!({"dialogId": dialog, "enabled": false}),
    )
    .await;
    let got = v2_ok(&app, bot, "imbot.v2.Chat.get", json!({"dialogId": dialog})).await;
    assert_eq!(got["chat"]["textFieldEnabled"], "N");
    assert_eq!(
        v2_ok(
            &app,
            bot,
            "imbot.v2.Chat.InputAction.notify",
            json!({"dialogId": dialog, "statusMessageCode": "IMBOT_AGENT_ACTION_THINKING",
                   "duration": 30})
        )
        .await,
        json!({"result": true})
    );

    // Ownership to Anna; then the bot may no longer name managers; it leaves.
    v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.setOwner",
        json!({"dialogId": dialog, "userId": anna.user}),
    )
    .await;
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Chat.Manager.add",
            json!({"dialogId": dialog, "userIds": [anna.user]})
        )
        .await,
        (403, "ACCESS_DENIED".into())
    );
    v2_ok(
        &app,
        bot,
        "imbot.v2.Chat.leave",
        json!({"dialogId": dialog}),
    )
    .await;
    for method in [
        "imbot.v2.Chat.get",
        "imbot.v2.Chat.User.list",
        "imbot.v2.Chat.leave",
        "imbot.v2.Chat.TextField.enabled",
    ] {
        assert_eq!(
            v2_err(&app, bot, method, json!({"dialogId": dialog})).await,
            (403, "ACCESS_DENIED".into()),
            "{method}"
        );
    }
    // Another application's token is no key to this bot.
    let (status, body) = app
        .call(
            &app.admin,
            "imbot.v2.Chat.get",
            json!({"botId": bot, "botToken": "other", "dialogId": dialog}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("BOT_OWNERSHIP_ERROR"))
    );
}

#[tokio::test]
async fn supervisors_read_messages_and_any_bot_marks_them_read() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let watcher = fetch_bot(&app, "watcher", "supervisor").await;
    let plain = fetch_bot(&app, "plain", "bot").await;
    let chat = app.chat(&anna, &[]).await;
    app.ok(
        &anna,
        "im.chat.user.add",
        json!({"CHAT_ID": chat, "USERS": [watcher, plain]}),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.post(&anna, chat, &format!("m{i}")).await);
    }
    let got = v2_ok(
        &app,
        watcher,
        "imbot.v2.Chat.Message.get",
        json!({"messageId": ids[2]}),
    )
    .await;
    assert_eq!(got["message"]["id"], ids[2]);
    assert_eq!(got["message"]["text"], "m2");
    assert_eq!(got["message"]["chatId"], chat);
    assert_eq!(got["message"]["authorId"], anna.user);
    assert_eq!(got["user"]["id"], anna.user);
    assert_eq!(
        v2_err(
            &app,
            plain,
            "imbot.v2.Chat.Message.get",
            json!({"messageId": ids[2]})
        )
        .await,
        (403, "BOT_TYPE_NOT_ALLOWED".into())
    );
    assert_eq!(
        v2_err(
            &app,
            watcher,
            "imbot.v2.Chat.Message.get",
            json!({"messageId": 999999})
        )
        .await
        .1,
        "MESSAGE_NOT_FOUND"
    );

    let ctx = v2_ok(
        &app,
        watcher,
        "imbot.v2.Chat.Message.getContext",
        json!({"messageId": ids[2], "range": 1}),
    )
    .await;
    let window: Vec<i64> = ctx["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(window, vec![ids[1], ids[2], ids[3]]);
    assert_eq!(ctx["hasPrevPage"], true, "{ctx}");
    assert_eq!(ctx["hasNextPage"], true);
    assert_eq!(ctx["users"][0]["id"], anna.user);
    let last = v2_ok(
        &app,
        watcher,
        "imbot.v2.Chat.Message.getContext",
        json!({"messageId": ids[4], "range": 2}),
    )
    .await;
    assert_eq!(last["hasNextPage"], false);

    // Reading: up to ids[2], then the rest.
    let dialog = format!("chat{chat}");
    let read = v2_ok(
        &app,
        plain,
        "imbot.v2.Chat.Message.read",
        json!({"dialogId": dialog, "messageId": ids[2]}),
    )
    .await;
    assert_eq!(read["chatId"], chat);
    assert_eq!(read["lastId"], ids[2]);
    assert_eq!(read["counter"], 2);
    let viewed = read["viewedMessages"].as_array().unwrap().clone();
    assert!(
        viewed.contains(&json!(ids[0])) && viewed.contains(&json!(ids[2])),
        "{read}"
    );
    assert!(!viewed.contains(&json!(ids[3])));
    let read = v2_ok(
        &app,
        plain,
        "imbot.v2.Chat.Message.read",
        json!({"dialogId": dialog}),
    )
    .await;
    assert_eq!(read["counter"], 0);
    assert_eq!(read["viewedMessages"], json!([ids[3], ids[4]]));
    assert_eq!(
        v2_err(
            &app,
            plain,
            "imbot.v2.Chat.Message.read",
            json!({"dialogId": dialog, "messageId": 999999})
        )
        .await
        .1,
        "MESSAGE_NOT_FOUND"
    );
}

#[tokio::test]
async fn v2_commands_are_registered_used_and_answered() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let bot = fetch_bot(&app, "helper", "bot").await;
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Command.register",
            json!({"fields": {"command": "help"}})
        )
        .await
        .1,
        "COMMAND_TITLE_REQUIRED"
    );
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Command.register",
            json!({"fields": {}})
        )
        .await
        .1,
        "COMMAND_REQUIRED"
    );
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Command.register",
            json!({"fields": {"command": 5, "hidden": true}})
        )
        .await
        .1,
        "COMMAND_NAME_INVALID"
    );
    let reg = v2_ok(
        &app,
        bot,
        "imbot.v2.Command.register",
        json!({"fields": {"command": "help", "title": {"en": "Show Help"},
                          "params": {"en": "request text"}}}),
    )
    .await;
    let command = &reg["command"];
    assert_eq!(command["command"], "/help");
    assert_eq!(command["botId"], bot);
    assert_eq!(command["common"], false);
    let id = command["id"].as_i64().unwrap();
    // Idempotent: the same command again is the one registered.
    let again = v2_ok(
        &app,
        bot,
        "imbot.v2.Command.register",
        json!({"fields": {"command": "help", "title": {"en": "Other"}}}),
    )
    .await;
    assert_eq!(again["command"]["id"], id);
    let list = v2_ok(&app, bot, "imbot.v2.Command.list", json!({})).await;
    assert_eq!(list["commands"][0]["title"], "Show Help");
    assert_eq!(list["commands"][0]["params"], "request text");
    assert_eq!(list["commands"][0]["category"], "helper");

    // Used in the private dialog: ONIMBOTV2COMMANDADD, not MESSAGEADD.
    let message = app.write_to(&anna, &bot.to_string(), "/help topic").await;
    let mut got = Vec::new();
    for _ in 0..50 {
        got = events_of(&app, bot, "ONIMBOTV2COMMANDADD").await;
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 1, "no ONIMBOTV2COMMANDADD");
    let data = &got[0]["data"];
    assert_eq!(
        data["command"],
        json!({"id": id, "command": "/help", "params": "topic", "context": "textarea"})
    );
    assert_eq!(data["message"]["id"], message);
    assert_eq!(data["chat"]["dialogId"], anna.user.to_string());
    assert_eq!(data["user"]["id"], anna.user);
    assert!(events_of(&app, bot, "ONIMBOTV2MESSAGEADD").await.is_empty());

    let answer = v2_ok(
        &app,
        bot,
        "imbot.v2.Command.answer",
        json!({"commandId": id, "messageId": message, "dialogId": anna.user.to_string(),
               "fields": {"message": "Here is help"}}),
    )
    .await;
    assert_eq!(answer, json!({"result": true}));
    let history = app
        .ok(&anna, "im.dialog.messages.get", json!({"DIALOG_ID": bot}))
        .await;
    assert_eq!(history["messages"][0]["text"], "Here is help");
    assert_eq!(history["messages"][0]["author_id"], bot);
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Command.answer",
            json!({"commandId": id, "messageId": message, "dialogId": "chat999",
                   "fields": {"message": "x"}})
        )
        .await
        .1,
        "COMMAND_ANSWER_FAILED"
    );

    // Update: renamed, hidden; a title set to null is removed.
    let upd = v2_ok(
        &app,
        bot,
        "imbot.v2.Command.update",
        json!({"commandId": id, "fields": {"command": "assist", "hidden": true,
                                           "title": {"de": "Hilfe", "en": null}}}),
    )
    .await;
    assert_eq!(upd["command"]["command"], "/assist");
    assert_eq!(upd["command"]["hidden"], true);
    let list = v2_ok(&app, bot, "imbot.v2.Command.list", json!({})).await;
    assert_eq!(list["commands"][0]["title"], "Hilfe");
    v2_ok(
        &app,
        bot,
        "imbot.v2.Command.register",
        json!({"fields": {"command": "other", "hidden": true}}),
    )
    .await;
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Command.update",
            json!({"commandId": id, "fields": {"command": "other"}})
        )
        .await
        .1,
        "COMMAND_ALREADY_EXISTS"
    );
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Command.update",
            json!({"commandId": id, "fields": {"command": ""}})
        )
        .await
        .1,
        "COMMAND_NAME_EMPTY"
    );
    assert_eq!(
        v2_ok(
            &app,
            bot,
            "imbot.v2.Command.unregister",
            json!({"commandId": id})
        )
        .await,
        json!({"result": true})
    );
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Command.unregister",
            json!({"commandId": id})
        )
        .await
        .1,
        "COMMAND_NOT_FOUND"
    );
}

/// A webhook-mode bot: ONIMBOTV2CONTEXTGET when a user opens its dialog
/// with a context, and ONIMBOTV2COMMANDADD at its webhook.
#[tokio::test]
async fn context_and_commands_reach_a_webhook_bot() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let anna: Hook = app.user("Anna", "").await;
    let bot = app
        .ok(
            &app.admin,
            "imbot.v2.Bot.register",
            json!({"fields": {"code": "ctx", "botToken": TOKEN, "eventMode": "webhook",
                              "webhookUrl": rx.url, "properties": {"name": "Ctx"}}}),
        )
        .await["bot"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.ok(
            &anna,
            "im.v2.Chat.Bot.sendContext",
            json!({"dialogId": bot.to_string(), "context": {"entityType": "task", "entityId": 164}}),
        )
        .await,
        true
    );
    let got = &rx.wait_for("ONIMBOTV2CONTEXTGET", 1, WAIT).await[0];
    // Only a bot's dialog carries a context.
    let (status, body) = app
        .call(
            &anna,
            "im.v2.Chat.Bot.sendContext",
            json!({"dialogId": app.admin.user.to_string(), "context": {}}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    let d = &got.form["data"];
    assert_eq!(d["dialogId"], anna.user.to_string());
    assert_eq!(d["context"]["entityType"], "task");
    assert_eq!(d["context"]["entityId"], "164");
    assert_eq!(d["chat"]["type"], "private");
    assert_eq!(d["user"]["id"], anna.user.to_string());
    assert_eq!(d["bot"]["id"], bot.to_string());

    v2_ok(
        &app,
        bot,
        "imbot.v2.Command.register",
        json!({"fields": {"command": "ping", "title": {"en": "Ping"}}}),
    )
    .await;
    app.write_to(&anna, &bot.to_string(), "/ping now").await;
    let got = &rx.wait_for("ONIMBOTV2COMMANDADD", 1, WAIT).await[0];
    assert_eq!(got.form["data"]["command"]["command"], "/ping");
    assert_eq!(got.form["data"]["command"]["params"], "now");
    assert!(got.form["auth"]["access_token"].is_string());
}

#[tokio::test]
async fn bot_update_files_and_revision() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let bot = fetch_bot(&app, "updated", "bot").await;
    let r = v2_ok(
        &app,
        bot,
        "imbot.v2.Bot.update",
        json!({"fields": {"properties": {"name": "Updated", "lastName": "Bot"},
                          "isReactionsEnabled": false}}),
    )
    .await;
    assert_eq!(r["users"][0]["name"], "Updated Bot");
    assert_eq!(r["bot"]["isReactionsEnabled"], false);
    assert_eq!(r["bot"]["eventMode"], "fetch");
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Bot.update",
            json!({"fields": {"eventMode": "carrier-pigeon"}})
        )
        .await
        .1,
        "BOT_INVALID_EVENT_MODE"
    );
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.Bot.update",
            json!({"fields": {"eventMode": "webhook"}})
        )
        .await
        .1,
        "BOT_WEBHOOK_URL_REQUIRED"
    );

    // Files: the bot sends one to Anna and links to it.
    let content = "aGVsbG8gZnJvbSBhIGJvdA=="; // "hello from a bot"
    let up = v2_ok(
        &app,
        bot,
        "imbot.v2.File.upload",
        json!({"dialogId": anna.user.to_string(),
               "fields": {"name": "note.txt", "content": content, "message": "a file"}}),
    )
    .await;
    assert_eq!(up["file"]["name"], "note.txt");
    assert_eq!(up["dialogId"], anna.user.to_string());
    let file = up["file"]["id"].as_i64().unwrap();
    let link = v2_ok(&app, bot, "imbot.v2.File.download", json!({"fileId": file})).await;
    let url = link["downloadUrl"].as_str().unwrap();
    let body = app.client.get(app.route(url)).send().await.unwrap();
    assert_eq!(body.status(), 200);
    assert_eq!(body.text().await.unwrap(), "hello from a bot");
    assert_eq!(
        v2_err(
            &app,
            bot,
            "imbot.v2.File.download",
            json!({"fileId": 999999})
        )
        .await
        .1,
        "FILE_NOT_FOUND"
    );

    // Token rotation: the old token stops working at once.
    v2_ok(
        &app,
        bot,
        "imbot.v2.Bot.update",
        json!({"fields": {"botToken": "rotated_token"}}),
    )
    .await;
    assert_eq!(
        v2_err(&app, bot, "imbot.v2.Bot.get", json!({})).await,
        (403, "BOT_OWNERSHIP_ERROR".into())
    );
    let (status, _) = app
        .call(
            &app.admin,
            "imbot.v2.Bot.get",
            json!({"botId": bot, "botToken": "rotated_token"}),
        )
        .await;
    assert_eq!(status, 200);

    let rev = app.ok(&app.admin, "imbot.v2.Revision.get", json!({})).await;
    for key in ["rest", "web", "mobile", "desktop"] {
        assert!(rev[key].is_i64(), "{rev}");
    }
}
