//! What a bot sends beside text: keyboards, context menus and attachment
//! cards (api-reference/chats/messages/{keyboards,menu,attachments}.md),
//! stored as portals normalise them and returned where portals return
//! them; a button pressed reaches the bot as a keyboard command from the
//! person who pressed it; deletion with and without `COMPLETE`; every
//! documented validation error.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(10);

async fn register(app: &TestApp, url: &str) -> i64 {
    app.ok(
        &app.admin,
        "imbot.register",
        json!({
            "CODE": "uibot", "TYPE": "B", "EVENT_HANDLER": url,
            "PROPERTIES": {"NAME": "UiBot"}, "CLIENT_ID": "ui",
        }),
    )
    .await
    .as_i64()
    .expect("bot id")
}

/// The message `id` as `reader` reads it in `dialog` (`None`: not there).
async fn read(app: &TestApp, reader: &Hook, dialog: &str, id: i64) -> Option<Value> {
    let page = app
        .ok(
            reader,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog, "LIMIT": 50}),
        )
        .await;
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
}

#[tokio::test]
async fn a_bots_keyboard_menu_and_card_are_stored_as_portals_return_them() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let bot = register(&app, &rx.url).await;
    let dialog = anna.user.to_string();
    let id = app
        .ok(
            &app.admin,
            "imbot.message.add",
            json!({
                "BOT_ID": bot, "CLIENT_ID": "ui", "DIALOG_ID": dialog,
                "MESSAGE": "Pick one",
                "KEYBOARD": [
                    {"TEXT": " Help ", "COMMAND": "/help", "BLOCK": "Y", "DISPLAY": "LINE", "BG_COLOR": "#29619b"},
                    {"TYPE": "NEWLINE"},
                    {"TEXT": "Site", "LINK": "https://a.example/?x=1&y=2"},
                    {"TEXT": "no action"}
                ],
                "MENU": [{"TEXT": "Copy id", "ACTION": "COPY", "ACTION_VALUE": "42"}],
                "ATTACH": {"ID": 7, "COLOR": "#29619b", "BLOCKS": [
                    {"MESSAGE": "[B]New request[/B]"},
                    {"LINK": {"NAME": "Open", "LINK": "https://example.com"}},
                    {"GRID": [{"NAME": "Status", "VALUE": "open", "DISPLAY": "LINE"}]},
                    {"DELIMITER": {}},
                    {"UNKNOWN": 1}
                ]},
            }),
        )
        .await
        .as_i64()
        .expect("id");
    let bot_dialog = bot.to_string();
    let m = read(&app, &anna, &bot_dialog, id)
        .await
        .expect("the message");
    assert_eq!(m["text"], "Pick one");
    let params = &m["params"];
    assert_eq!(
        params["KEYBOARD"],
        json!([
            {"BOT_ID": bot, "TYPE": "BUTTON", "COMMAND": "help", "COMMAND_PARAMS": "", "TEXT": "Help",
             "VOTE": "N", "BLOCK": "Y", "WAIT": "N", "CONTEXT": "ALL", "DISABLED": "N",
             "DISPLAY": "LINE", "BG_COLOR": "#29619b"},
            {"TYPE": "NEWLINE"},
            {"BOT_ID": bot, "TYPE": "BUTTON", "LINK": "https://a.example/?x=1&amp;y=2", "TEXT": "Site",
             "VOTE": "N", "BLOCK": "N", "WAIT": "N", "CONTEXT": "ALL", "DISABLED": "N",
             "DISPLAY": "BLOCK"}
        ])
    );
    assert_eq!(
        params["MENU"],
        json!([{"BOT_ID": bot, "ACTION": "COPY", "ACTION_VALUE": "42", "TEXT": "Copy id",
                "CONTEXT": "ALL", "DISABLED": "N"}])
    );
    assert_eq!(
        params["ATTACH"],
        json!([{"ID": 7, "BLOCKS": [
            {"MESSAGE": "[B]New request[/B]"},
            {"LINK": [{"NAME": "Open", "LINK": "https://example.com"}]},
            {"GRID": [{"DISPLAY": "LINE", "NAME": "Status", "VALUE": "open"}]},
            {"DELIMITER": {"SIZE": 200}}
        ], "COLOR": "#29619b"}])
    );
    // The recent list says the last message has a card.
    let recent = app.ok(&anna, "im.recent.get", json!({})).await;
    let entry = recent
        .as_array()
        .expect("recent")
        .iter()
        .find(|e| e["id"] == bot_dialog || e["id"] == bot)
        .cloned()
        .expect("the bot's dialog");
    assert_eq!(entry["message"]["attach"], true);
    assert_eq!(entry["message"]["text"], "Pick one [Attachment]");
    // Update: a new keyboard replaces the old; "N" removes the menu; the
    // card stays; not marked edited (no text changed).
    assert_eq!(
        app.ok(
            &app.admin,
            "imbot.message.update",
            json!({"BOT_ID": bot, "CLIENT_ID": "ui", "MESSAGE_ID": id,
                   "KEYBOARD": {"BUTTONS": [{"TEXT": "Next", "COMMAND": "page", "COMMAND_PARAMS": "2"}]},
                   "MENU": "N"}),
        )
        .await,
        json!(true)
    );
    let m = read(&app, &anna, &bot_dialog, id)
        .await
        .expect("the message");
    assert_eq!(m["params"]["KEYBOARD"][0]["COMMAND"], "page");
    assert_eq!(m["params"]["KEYBOARD"].as_array().map(Vec::len), Some(1));
    assert!(m["params"].get("MENU").is_none(), "{}", m["params"]);
    assert_eq!(m["params"]["ATTACH"][0]["ID"], 7);
    assert!(m["params"].get("IS_EDITED").is_none(), "{}", m["params"]);
    // Removing everything leaves plain text.
    app.ok(
        &app.admin,
        "imbot.message.update",
        json!({"BOT_ID": bot, "CLIENT_ID": "ui", "MESSAGE_ID": id,
               "KEYBOARD": "N", "ATTACH": "N"}),
    )
    .await;
    let m = read(&app, &anna, &bot_dialog, id)
        .await
        .expect("the message");
    assert_eq!(m["params"], json!([]));
}

#[tokio::test]
async fn a_pressed_button_reaches_the_bot_as_a_keyboard_command_and_its_answer_shows() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let cmd_rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let bot = register(&app, &rx.url).await;
    let command = app
        .ok(
            &app.admin,
            "imbot.command.register",
            json!({"BOT_ID": bot, "CLIENT_ID": "ui", "COMMAND": "page",
                   "EVENT_COMMAND_ADD": cmd_rx.url,
                   "LANG": [{"LANGUAGE_ID": "en", "TITLE": "Page", "PARAMS": "n"}]}),
        )
        .await
        .as_i64()
        .expect("command id");
    let keyboard_msg = app
        .ok(
            &app.admin,
            "imbot.message.add",
            json!({"BOT_ID": bot, "CLIENT_ID": "ui", "DIALOG_ID": anna.user.to_string(),
                   "MESSAGE": "Page 1",
                   "KEYBOARD": [{"TEXT": "Next", "COMMAND": "page", "COMMAND_PARAMS": "2"}]}),
        )
        .await
        .as_i64()
        .expect("id");
    // The client presses the button as it was stored.
    let bot_dialog = bot.to_string();
    let m = read(&app, &anna, &bot_dialog, keyboard_msg)
        .await
        .expect("message");
    let button = &m["params"]["KEYBOARD"][0];
    assert_eq!(
        app.ok(
            &anna,
            "im.message.command",
            json!({"MESSAGE_ID": keyboard_msg, "BOT_ID": button["BOT_ID"],
                   "COMMAND": button["COMMAND"], "COMMAND_PARAMS": button["COMMAND_PARAMS"]}),
        )
        .await,
        json!(true)
    );
    let got = &cmd_rx.wait_for("ONIMCOMMANDADD", 1, WAIT).await[0];
    let c = &got.form["data"]["COMMAND"][command.to_string()];
    assert_eq!(c["COMMAND_CONTEXT"], "KEYBOARD");
    assert_eq!(c["COMMAND_PARAMS"], "2");
    assert_eq!(c["MESSAGE_ID"], keyboard_msg.to_string());
    assert_eq!(
        got.form["data"]["PARAMS"]["FROM_USER_ID"],
        anna.user.to_string()
    );
    assert_eq!(got.form["data"]["PARAMS"]["MESSAGE"], "/page 2");
    // The bot answers with the next page's keyboard and a card.
    let answer = app
        .ok(
            &app.admin,
            "imbot.command.answer",
            json!({"COMMAND_ID": command, "CLIENT_ID": "ui", "MESSAGE_ID": keyboard_msg,
                   "MESSAGE": "Page 2",
                   "KEYBOARD": [{"TEXT": "Back", "COMMAND": "page", "COMMAND_PARAMS": "1"}],
                   "ATTACH": [{"MESSAGE": "page two"}]}),
        )
        .await
        .as_i64()
        .expect("answer id");
    let m = read(&app, &anna, &bot_dialog, answer)
        .await
        .expect("answer");
    assert_eq!(m["params"]["KEYBOARD"][0]["BOT_ID"], bot);
    assert_eq!(m["params"]["KEYBOARD"][0]["COMMAND_PARAMS"], "1");
    assert_eq!(m["params"]["ATTACH"][0]["BLOCKS"][0]["MESSAGE"], "page two");
}

#[tokio::test]
async fn a_person_sends_a_card_without_text_and_bad_parts_get_the_documented_errors() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let chat = app.chat(&anna, &[]).await;
    let dialog = format!("chat{chat}");
    let id = app
        .ok(
            &anna,
            "im.message.add",
            json!({"DIALOG_ID": dialog, "ATTACH": [{"MESSAGE": "only a card"}],
                   "KEYBOARD": [{"TEXT": "Go", "COMMAND": "go"},
                                {"TEXT": "Call", "ACTION": "CALL", "ACTION_VALUE": "+100"}]}),
        )
        .await
        .as_i64()
        .expect("id");
    let m = read(&app, &anna, &dialog, id).await.expect("the message");
    assert_eq!(m["text"], "");
    assert_eq!(
        m["params"]["ATTACH"][0]["BLOCKS"][0]["MESSAGE"],
        "only a card"
    );
    // No bot named: the command button is left out, the call stays.
    assert_eq!(m["params"]["KEYBOARD"].as_array().map(Vec::len), Some(1));
    assert_eq!(m["params"]["KEYBOARD"][0]["ACTION"], "CALL");

    let big_keyboard: Vec<Value> = (0..700)
        .map(|_| json!({"TEXT": "x".repeat(100), "ACTION": "PUT", "ACTION_VALUE": "y"}))
        .collect();
    let big_menu: Vec<Value> = (0..700)
        .map(|_| json!({"TEXT": "x".repeat(100), "ACTION": "PUT", "ACTION_VALUE": "y"}))
        .collect();
    let add = |extra: Value| {
        let mut p = json!({"DIALOG_ID": dialog, "MESSAGE": "hi"});
        for (k, v) in extra.as_object().expect("object") {
            p[k] = v.clone();
        }
        p
    };
    for (method, params, code) in [
        (
            "im.message.add",
            json!({"DIALOG_ID": dialog, "MESSAGE": "  "}),
            "MESSAGE_EMPTY",
        ),
        (
            "im.message.add",
            add(json!({"ATTACH": [{"IMAGE": {"LINK": "ftp://x"}}]})),
            "ATTACH_ERROR",
        ),
        (
            "im.message.add",
            add(json!({"ATTACH": {"MESSAGE": "x"}})),
            "ATTACH_ERROR",
        ),
        (
            "im.message.add",
            add(json!({"ATTACH": "garbage"})),
            "ATTACH_ERROR",
        ),
        (
            "im.message.add",
            add(json!({"ATTACH": [{"MESSAGE": "a".repeat(60_000)}]})),
            "ATTACH_OVERSIZE",
        ),
        (
            "im.message.add",
            add(json!({"KEYBOARD": [{"TEXT": "x"}]})),
            "KEYBOARD_ERROR",
        ),
        (
            "im.message.add",
            add(json!({"KEYBOARD": "N"})),
            "KEYBOARD_ERROR",
        ),
        (
            "im.message.add",
            add(json!({"KEYBOARD": [{"TEXT": "Go", "COMMAND": "go"}]})),
            "KEYBOARD_ERROR",
        ),
        (
            "im.message.add",
            add(json!({"MENU": [{"TEXT": "x", "LINK": "mailto:a"}]})),
            "MENU_ERROR",
        ),
        (
            "im.message.update",
            json!({"MESSAGE_ID": id, "MENU": [{"TEXT": "x", "LINK": "mailto:a"}]}),
            "menu_ERROR",
        ),
        (
            "im.message.update",
            json!({"MESSAGE_ID": id, "KEYBOARD": big_keyboard}),
            "KEYBOARD_OVERSIZE",
        ),
        (
            "im.message.update",
            json!({"MESSAGE_ID": id, "MENU": big_menu}),
            "MENU_OVERSIZE",
        ),
        (
            "im.message.update",
            json!({"MESSAGE_ID": id, "ATTACH": [{"FILE": [{"LINK": "ftp://x"}]}]}),
            "ATTACH_ERROR",
        ),
    ] {
        assert_eq!(
            app.err(&anna, method, params.clone()).await,
            (400, code.to_owned()),
            "{method} {}",
            params.to_string().chars().take(200).collect::<String>()
        );
    }
    // Nothing of a refused update was written.
    let m = read(&app, &anna, &dialog, id).await.expect("the message");
    assert_eq!(
        m["params"]["ATTACH"][0]["BLOCKS"][0]["MESSAGE"],
        "only a card"
    );
    // Another person may not change the message's parts.
    let otto = app.user("Otto", "").await;
    app.ok(
        &anna,
        "im.chat.user.add",
        json!({"CHAT_ID": chat, "USERS": [otto.user]}),
    )
    .await;
    assert_eq!(
        app.err(
            &otto,
            "im.message.update",
            json!({"MESSAGE_ID": id, "KEYBOARD": "N"})
        )
        .await,
        (403, "CANT_EDIT_MESSAGE".to_owned())
    );
}

#[tokio::test]
async fn a_deletion_mark_stays_unless_the_bot_deletes_completely() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = Receiver::start().await;
    let anna = app.user("Anna", "").await;
    let bot = register(&app, &rx.url).await;
    let dialog = anna.user.to_string();
    let bot_dialog = bot.to_string();
    let send = |text: &'static str| {
        let app = &app;
        let dialog = dialog.clone();
        async move {
            app.ok(
                &app.admin,
                "imbot.message.add",
                json!({"BOT_ID": bot, "CLIENT_ID": "ui", "DIALOG_ID": dialog, "MESSAGE": text,
                       "KEYBOARD": [{"TEXT": "Go", "ACTION": "SEND", "ACTION_VALUE": "go"}],
                       "MENU": [{"TEXT": "Copy", "ACTION": "COPY", "ACTION_VALUE": "1"}],
                       "ATTACH": [{"MESSAGE": "card"}]}),
            )
            .await
            .as_i64()
            .expect("id")
        }
    };
    let soft = send("soft").await;
    let hard = send("hard").await;
    let delete = |id: i64, complete: &'static str| {
        let app = &app;
        async move {
            app.ok(
                &app.admin,
                "imbot.message.delete",
                json!({"BOT_ID": bot, "CLIENT_ID": "ui", "MESSAGE_ID": id, "COMPLETE": complete}),
            )
            .await
        }
    };
    assert_eq!(delete(soft, "N").await, json!(true));
    assert_eq!(delete(hard, "Y").await, json!(true));
    // The mark: keyboard and card gone, the menu kept (as portals keep it).
    let m = read(&app, &anna, &bot_dialog, soft)
        .await
        .expect("a deletion mark");
    assert_eq!(m["params"]["IS_DELETED"], "Y");
    assert!(m["params"].get("KEYBOARD").is_none(), "{}", m["params"]);
    assert!(m["params"].get("ATTACH").is_none(), "{}", m["params"]);
    assert_eq!(m["params"]["MENU"][0]["ACTION"], "COPY");
    // Completely: no mark at all.
    assert_eq!(read(&app, &anna, &bot_dialog, hard).await, None);
    // The bot may delete its marked message completely afterwards; a second
    // soft delete is refused.
    assert_eq!(
        app.err(
            &app.admin,
            "imbot.message.delete",
            json!({"BOT_ID": bot, "CLIENT_ID": "ui", "MESSAGE_ID": soft}),
        )
        .await,
        (403, "CANT_EDIT_MESSAGE".to_owned())
    );
    assert_eq!(delete(soft, "Y").await, json!(true));
    assert_eq!(read(&app, &anna, &bot_dialog, soft).await, None);
}

#[tokio::test]
async fn a_v2_bot_sends_and_updates_a_keyboard_and_a_card() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let reg = app
        .ok(
            &app.admin,
            "imbot.v2.Bot.register",
            // A supervisor, which may read messages (Chat.Message.get).
            json!({"fields": {"code": "v2ui", "botToken": "tok", "type": "supervisor",
                              "properties": {"name": "V2"}}}),
        )
        .await;
    let bot = reg["bot"]["id"].as_i64().expect("bot id");
    let sent = app
        .ok(
            &app.admin,
            "imbot.v2.Chat.Message.send",
            json!({"botId": bot, "botToken": "tok", "dialogId": anna.user.to_string(),
                   "fields": {"attach": [{"MESSAGE": "a card, no text"}],
                              "keyboard": [{"TEXT": "Help", "COMMAND": "help"}]}}),
        )
        .await;
    let id = sent["id"].as_i64().expect("id");
    let bot_dialog = bot.to_string();
    let m = read(&app, &anna, &bot_dialog, id)
        .await
        .expect("the message");
    assert_eq!(m["params"]["KEYBOARD"][0]["BOT_ID"], bot);
    assert_eq!(
        m["params"]["ATTACH"][0]["BLOCKS"][0]["MESSAGE"],
        "a card, no text"
    );
    // The v2 message object carries the same params.
    let got = app
        .ok(
            &app.admin,
            "imbot.v2.Chat.Message.get",
            json!({"botId": bot, "botToken": "tok", "messageId": id}),
        )
        .await;
    assert_eq!(
        got["message"]["params"]["KEYBOARD"],
        m["params"]["KEYBOARD"]
    );
    // Only the keyboard changes; the text and card stay.
    app.ok(
        &app.admin,
        "imbot.v2.Chat.Message.update",
        json!({"botId": bot, "botToken": "tok", "messageId": id, "fields": {"keyboard": "N"}}),
    )
    .await;
    let m = read(&app, &anna, &bot_dialog, id)
        .await
        .expect("the message");
    assert!(m["params"].get("KEYBOARD").is_none(), "{}", m["params"]);
    assert_eq!(
        m["params"]["ATTACH"][0]["BLOCKS"][0]["MESSAGE"],
        "a card, no text"
    );
    assert_eq!(
        app.err(
            &app.admin,
            "imbot.v2.Chat.Message.send",
            json!({"botId": bot, "botToken": "tok", "dialogId": anna.user.to_string(),
                   "fields": {"message": "x", "attach": "garbage"}}),
        )
        .await,
        (400, "ATTACH_ERROR".to_owned())
    );
    app.ok(
        &app.admin,
        "imbot.v2.Chat.Message.delete",
        json!({"botId": bot, "botToken": "tok", "messageId": id, "complete": true}),
    )
    .await;
    assert_eq!(read(&app, &anna, &bot_dialog, id).await, None);
}
