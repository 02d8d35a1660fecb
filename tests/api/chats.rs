//! Group chats, private dialogs and membership.

use serde_json::json;

use crate::helpers::{Hook, TestApp};

/// The members of `chat` as `reader` lists them, in ascending order.
async fn member_ids(app: &TestApp, reader: &Hook, chat: i64) -> Vec<i64> {
    let mut ids: Vec<i64> = app
        .ok(reader, "im.chat.user.list", json!({"CHAT_ID": chat}))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn chat_add_creates_a_chat_with_owner_and_users() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let chat = app
        .ok(
            &app.admin,
            "im.chat.add",
            json!({"TYPE": "OPEN", "TITLE": "Project", "DESCRIPTION": "About it", "COLOR": "mint",
                   "USERS": [anna.user, 999_999], "MESSAGE": "Welcome", "ENTITY_TYPE": "CRM", "ENTITY_ID": "DEAL|1663"}),
        )
        .await
        .as_i64()
        .unwrap();
    let dialog = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_eq!(dialog["id"], json!(chat));
    assert_eq!(dialog["name"], "Project");
    assert_eq!(dialog["description"], "About it");
    assert_eq!(dialog["owner"], json!(app.admin.user));
    assert_eq!(dialog["type"], "open");
    assert_eq!(dialog["message_type"], "O");
    assert_eq!(dialog["color"], "#4ba984");
    assert_eq!(dialog["user_counter"], json!(2));
    assert_eq!(dialog["message_count"], json!(1));
    assert_eq!(dialog["role"], "member");
    assert_eq!(dialog["entity_type"], "CRM");
    assert_eq!(dialog["entity_id"], "DEAL|1663");
    assert_eq!(dialog["dialog_id"], format!("chat{chat}"));
    assert_eq!(dialog["manager_list"], json!([app.admin.user]));
    chrono::DateTime::parse_from_rfc3339(dialog["date_create"].as_str().unwrap()).unwrap();

    let found = app
        .ok(
            &app.admin,
            "im.chat.get",
            json!({"ENTITY_TYPE": "CRM", "ENTITY_ID": "DEAL|1663"}),
        )
        .await;
    assert_eq!(found, json!({"ID": chat}));
    let missing = app
        .ok(
            &app.admin,
            "im.chat.get",
            json!({"ENTITY_TYPE": "CRM", "ENTITY_ID": "DEAL|1"}),
        )
        .await;
    assert_eq!(missing, json!(null));
}

#[tokio::test]
async fn chat_add_without_parameters_makes_a_closed_chat_of_one() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app
        .ok(&app.admin, "im.chat.add", json!({}))
        .await
        .as_i64()
        .unwrap();
    let dialog = app
        .ok(
            &app.admin,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_eq!(dialog["type"], "chat");
    assert_eq!(dialog["role"], "owner");
    assert!(!dialog["name"].as_str().unwrap().is_empty());
    assert_eq!(
        app.ok(&app.admin, "im.chat.user.list", json!({"CHAT_ID": chat}))
            .await,
        json!([app.admin.user])
    );
}

#[tokio::test]
async fn chat_add_refuses_users_that_are_not_a_list() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    assert_eq!(
        app.err(&app.admin, "im.chat.add", json!({"USERS": "2"}))
            .await,
        (400, "USERS_EMPTY".to_string())
    );
}

#[tokio::test]
async fn members_add_others_and_the_join_is_recorded() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let bob = app.user("Bob", "Stone").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    app.ok(
        &anna,
        "im.chat.user.add",
        json!({"CHAT_ID": chat, "USERS": [bob.user]}),
    )
    .await;
    assert_eq!(
        app.ok(&bob, "im.chat.user.list", json!({"CHAT_ID": chat}))
            .await,
        json!([app.admin.user, anna.user, bob.user])
    );
    let history = app
        .ok(
            &bob,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    let join = &history["messages"][0];
    assert_eq!(join["author_id"], json!(0));
    assert_eq!(
        join["params"],
        json!({"CODE": ["CHAT_JOIN"], "NOTIFY": "N"})
    );
    assert_eq!(
        join["text"],
        format!("[USER={} REPLACE]Anna Weber[/USER] invited [USER={} REPLACE]Bob Stone[/USER] to the chat", anna.user, bob.user)
    );
    // Adding members again (the creator adding themself, as the official
    // Python SDK's tests do against live portals) answers true and changes
    // nothing: no second join message, no second member row.
    let members_before = member_ids(&app, &anna, chat).await;
    let before = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await["messages"]
        .as_array()
        .unwrap()
        .len();
    for users in [
        json!([bob.user]),
        json!([anna.user]),
        json!([anna.user, bob.user]),
    ] {
        assert_eq!(
            app.ok(
                &anna,
                "im.chat.user.add",
                json!({"CHAT_ID": chat, "USERS": users})
            )
            .await,
            json!(true)
        );
    }
    let after = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await["messages"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "no message for a change that did not happen");
    assert_eq!(member_ids(&app, &anna, chat).await, members_before);
    // Naming only people who do not exist is still an error.
    assert_eq!(
        app.err(
            &anna,
            "im.chat.user.add",
            json!({"CHAT_ID": chat, "USERS": [999999]})
        )
        .await,
        (400, "WRONG_REQUEST".to_string())
    );
}

#[tokio::test]
async fn outsiders_cannot_add_members_or_read() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let eve = app.user("Eve", "").await;
    let chat = app.chat(&app.admin, &[]).await;
    assert_eq!(
        app.err(
            &eve,
            "im.chat.user.add",
            json!({"CHAT_ID": chat, "USERS": [eve.user]})
        )
        .await,
        (403, "ACCESS_DENIED_EXTEND".to_string())
    );
    assert_eq!(
        app.err(
            &eve,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{chat}")})
        )
        .await,
        (403, "ACCESS_ERROR".to_string())
    );
    assert_eq!(
        app.err(
            &eve,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")})
        )
        .await,
        (403, "ACCESS_ERROR".to_string())
    );
    assert_eq!(
        app.ok(&eve, "im.chat.user.list", json!({"CHAT_ID": chat}))
            .await,
        json!([])
    );
    assert_eq!(
        app.err(&eve, "im.dialog.get", json!({"DIALOG_ID": "chat999999"}))
            .await,
        (403, "ACCESS_ERROR".to_string())
    );
}

#[tokio::test]
async fn only_the_owner_removes_others() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let bob = app.user("Bob", "").await;
    let chat = app.chat(&app.admin, &[&anna, &bob]).await;
    assert_eq!(
        app.err(
            &anna,
            "im.chat.user.delete",
            json!({"CHAT_ID": chat, "USER_ID": bob.user})
        )
        .await,
        (403, "ACCESS_DENIED_KICK".to_string())
    );
    app.ok(
        &app.admin,
        "im.chat.user.delete",
        json!({"CHAT_ID": chat, "USER_ID": bob.user}),
    )
    .await;
    assert_eq!(
        app.err(
            &app.admin,
            "im.chat.user.delete",
            json!({"CHAT_ID": chat, "USER_ID": bob.user})
        )
        .await,
        (400, "USER_NOT_FOUND".to_string())
    );
    assert_eq!(
        app.err(
            &bob,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")})
        )
        .await,
        (403, "ACCESS_ERROR".to_string())
    );
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_eq!(
        history["messages"][0]["params"]["CODE"],
        json!(["CHAT_LEAVE"])
    );
}

#[tokio::test]
async fn chat_user_errors_follow_the_docs() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    for method in [
        "im.chat.user.add",
        "im.chat.user.delete",
        "im.chat.user.list",
        "im.chat.leave",
    ] {
        assert_eq!(
            app.err(&app.admin, method, json!({"USERS": [1], "USER_ID": 1}))
                .await,
            (400, "CHAT_ID_EMPTY".to_string()),
            "{method}"
        );
    }
    assert_eq!(
        app.err(&app.admin, "im.chat.user.delete", json!({"CHAT_ID": 1}))
            .await,
        (400, "USER_ID_EMPTY".to_string())
    );
}

#[tokio::test]
async fn leaving_passes_ownership_on() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    app.ok(&app.admin, "im.chat.leave", json!({"CHAT_ID": chat}))
        .await;
    let dialog = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_eq!(dialog["owner"], json!(anna.user));
    assert_eq!(dialog["role"], "owner");
    assert_eq!(
        app.err(&app.admin, "im.chat.leave", json!({"CHAT_ID": chat}))
            .await,
        (403, "ACCESS_DENIED_KICK".to_string())
    );
}

#[tokio::test]
async fn private_dialogs_are_addressed_by_user_id() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let dialog = app
        .ok(
            &app.admin,
            "im.dialog.get",
            json!({"DIALOG_ID": anna.user.to_string()}),
        )
        .await;
    assert_eq!(dialog["type"], "private");
    assert_eq!(dialog["message_type"], "P");
    assert_eq!(dialog["name"], "Anna Weber");
    assert_eq!(dialog["dialog_id"], anna.user.to_string());
    let chat = dialog["id"].as_i64().unwrap();
    // The same chat from the other side.
    let other = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": app.admin.user.to_string()}),
        )
        .await;
    assert_eq!(other["id"], json!(chat));
    assert_eq!(other["name"], "Admin");
    // Private dialogs have fixed members.
    let bob = app.user("Bob", "").await;
    assert_eq!(
        app.err(
            &app.admin,
            "im.chat.user.add",
            json!({"CHAT_ID": chat, "USERS": [bob.user]})
        )
        .await,
        (403, "ACCESS_ERROR".to_string())
    );
    assert_eq!(
        app.err(&app.admin, "im.dialog.get", json!({"DIALOG_ID": "999999"}))
            .await,
        (403, "ACCESS_ERROR".to_string())
    );
    assert_eq!(
        app.err(&app.admin, "im.dialog.get", json!({"DIALOG_ID": "sg12"}))
            .await,
        (400, "DIALOG_ID_EMPTY".to_string())
    );
}
