//! `im.search.user.list`, `im.search.chat.list`, `im.search.last.*`
//! (api-reference/chats/search/).

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use b24im::domain::departments::NewDepartment;
use b24im::domain::UserId;

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

async fn titled(app: &TestApp, owner: &Hook, title: &str, members: &[&Hook]) -> i64 {
    let users: Vec<i64> = members.iter().map(|h| h.user).collect();
    app.ok(
        owner,
        "im.chat.add",
        json!({"TITLE": title, "USERS": users}),
    )
    .await
    .as_i64()
    .unwrap()
}

#[tokio::test]
async fn users_are_found_by_the_start_of_a_name_or_department() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let annabel = app.user("Annabel", "Moss-Hart").await;
    let bob = app.user("Bob", "Stone").await;
    let analytics = app
        .store
        .add_department(NewDepartment::parse("Analytics", 1, None).unwrap())
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert!(app
        .store
        .place_user(UserId(bob.user), vec![analytics])
        .await
        .unwrap());

    let found = app
        .ok(&bob, "im.search.user.list", json!({"FIND": "ann"}))
        .await;
    assert_eq!(
        keys(&found),
        [anna.user.to_string(), annabel.user.to_string()]
    );
    let user = &found[anna.user.to_string()];
    assert_eq!(
        keys(user),
        [
            "id",
            "name",
            "first_name",
            "last_name",
            "work_position",
            "color",
            "avatar",
            "gender",
            "birthday",
            "extranet",
            "network",
            "bot",
            "connector",
            "external_auth_id",
            "status",
            "idle",
            "last_activity_date",
            "mobile_last_date",
            "absent",
            "departments",
            "phones"
        ],
        "the page's shorter user"
    );
    assert_eq!(user["name"], "Anna Lee");
    // A later word, and a word after a hyphen.
    let by_last = app
        .ok(&bob, "im.search.user.list", json!({"FIND": "LEE"}))
        .await;
    assert_eq!(keys(&by_last), [anna.user.to_string()]);
    let hyphen = app
        .ok(&bob, "im.search.user.list", json!({"FIND": "hart"}))
        .await;
    assert_eq!(keys(&hyphen), [annabel.user.to_string()]);
    // A department's name finds its people.
    let by_dept = app
        .ok(&anna, "im.search.user.list", json!({"FIND": "analyt"}))
        .await;
    assert_eq!(keys(&by_dept), [bob.user.to_string()]);
    // A job title finds its people too.
    let boss = app.admin_user("Boss").await;
    app.ok(
        &boss,
        "user.update",
        json!({"ID": anna.user, "WORK_POSITION": "Chief Designer"}),
    )
    .await;
    let by_title = app
        .ok(&bob, "im.search.user.list", json!({"FIND": "design"}))
        .await;
    assert_eq!(keys(&by_title), [anna.user.to_string()]);
    assert_eq!(
        by_title[anna.user.to_string()]["work_position"],
        "Chief Designer"
    );
    // Not the middle of a word; nothing is [].
    assert_eq!(
        app.ok(&bob, "im.search.user.list", json!({"FIND": "nna"}))
            .await,
        json!([])
    );
    // Pages.
    let (_, body) = app
        .call(
            &bob,
            "im.search.user.list",
            json!({"FIND": "an", "LIMIT": 2}),
        )
        .await;
    assert_eq!(
        (body["total"].as_i64(), body["next"].as_i64()),
        (Some(3), Some(2))
    );
    let (_, body) = app
        .call(
            &bob,
            "im.search.user.list",
            json!({"FIND": "an", "LIMIT": 2, "OFFSET": 2}),
        )
        .await;
    assert_eq!(keys(&body["result"]), [bob.user.to_string()]);
    assert!(body.get("next").is_none());
    for short in [json!({}), json!({"FIND": "a"}), json!({"FIND": " "})] {
        let (status, body) = app.call(&bob, "im.search.user.list", short).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("FIND_SHORT")));
        assert_eq!(body["error_description"], "Too short a search phrase.");
    }
}

#[tokio::test]
async fn chats_are_the_callers_by_title_or_member() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let alpha = titled(&app, &anna, "Project Alpha", &[&bob]).await;
    let beta = titled(&app, &anna, "Project Beta", &[&carl]).await;
    let secret = titled(&app, &bob, "Project Secret", &[&carl]).await;
    app.post(&bob, alpha, "hello").await;

    let found = app
        .ok(&anna, "im.search.chat.list", json!({"FIND": "proj"}))
        .await;
    let ids: Vec<i64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [beta, alpha], "newest first; not Bob's chat {secret}");
    let chat = &found[1];
    assert_eq!(
        keys(chat),
        [
            "id",
            "parent_chat_id",
            "parent_message_id",
            "name",
            "description",
            "owner",
            "extranet",
            "avatar",
            "color",
            "type",
            "counter",
            "user_counter",
            "message_count",
            "unread_id",
            "restrictions",
            "last_message_id",
            "last_id",
            "marked_id",
            "disk_folder_id",
            "entity_type",
            "entity_id",
            "entity_data_1",
            "entity_data_2",
            "entity_data_3",
            "mute_list",
            "date_create",
            "message_type",
            "public",
            "role",
            "entity_link",
            "text_field_enabled",
            "background_id",
            "permissions",
            "is_new"
        ],
        "the page's chat"
    );
    assert_eq!(
        (chat["name"].as_str(), chat["role"].as_str()),
        (Some("Project Alpha"), Some("owner"))
    );
    assert_eq!(chat["counter"], 1, "Bob's message is unread for Anna");
    // A member's name finds the chat.
    let by_member = app
        .ok(&anna, "im.search.chat.list", json!({"FIND": "carl"}))
        .await;
    assert_eq!(by_member.as_array().unwrap().len(), 1);
    assert_eq!(by_member[0]["id"], beta);
    assert_eq!(
        app.ok(&anna, "im.search.chat.list", json!({"FIND": "roject"}))
            .await,
        json!([])
    );
    let (_, body) = app
        .call(
            &carl,
            "im.search.chat.list",
            json!({"FIND": "project", "LIMIT": 1}),
        )
        .await;
    assert_eq!(
        (body["total"].as_i64(), body["next"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(body["result"][0]["id"], secret);
    // FIND wins over FIND_LINES; FIND_LINES alone searches open lines: none.
    let both = app
        .ok(
            &anna,
            "im.search.chat.list",
            json!({"FIND": "alpha", "FIND_LINES": "proj"}),
        )
        .await;
    assert_eq!(both.as_array().unwrap().len(), 1);
    let (_, lines) = app
        .call(&anna, "im.search.chat.list", json!({"FIND_LINES": "proj"}))
        .await;
    assert_eq!(
        (lines["result"].clone(), lines["total"].as_i64()),
        (json!([]), Some(0))
    );
    for short in [json!({}), json!({"FIND": "p"}), json!({"FIND_LINES": "p"})] {
        let (status, body) = app.call(&anna, "im.search.chat.list", short).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("FIND_SHORT")));
    }
}

#[tokio::test]
async fn last_search_keeps_the_callers_picks() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let ours = titled(&app, &anna, "Ours", &[&bob]).await;
    let theirs = titled(&app, &bob, "Theirs", &[&carl]).await;
    let add = |dialog: Value| {
        let app = &app;
        let anna = anna.clone();
        async move {
            app.ok(&anna, "im.search.last.add", json!({"DIALOG_ID": dialog}))
                .await
        }
    };
    assert_eq!(add(json!(format!("chat{ours}"))).await, true);
    assert_eq!(add(json!(bob.user)).await, true);
    assert_eq!(add(json!(carl.user.to_string())).await, true);
    assert_eq!(
        add(json!(format!("chat{ours}"))).await,
        true,
        "again: moves to the front"
    );
    assert_eq!(
        add(json!(format!("chat{theirs}"))).await,
        false,
        "not Anna's chat"
    );
    assert_eq!(add(json!(999_999)).await, false, "nobody");
    for bad in [json!({}), json!({"DIALOG_ID": "nonsense"})] {
        let (status, body) = app.call(&anna, "im.search.last.add", bad).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("DIALOG_ID_EMPTY"))
        );
        assert_eq!(body["error_description"], "Dialog ID can't be empty");
    }
    let got = app.ok(&anna, "im.search.last.get", json!({})).await;
    let ids: Vec<Value> = got
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(
        ids,
        [
            json!(format!("chat{ours}")),
            json!(carl.user),
            json!(bob.user)
        ]
    );
    let chat = &got[0];
    assert_eq!(keys(chat), ["id", "type", "avatar", "title", "chat"]);
    assert_eq!(
        (chat["type"].as_str(), chat["title"].as_str()),
        (Some("chat"), Some("Ours"))
    );
    assert_eq!(
        keys(&chat["chat"]),
        [
            "id",
            "name",
            "owner",
            "extranet",
            "avatar",
            "color",
            "type",
            "entity_type",
            "entity_id",
            "entity_data_1",
            "entity_data_2",
            "entity_data_3",
            "mute_list",
            "date_create",
            "message_type"
        ]
    );
    assert_eq!(keys(&chat["avatar"]), ["url", "color"]);
    let user = &got[2];
    assert_eq!(
        (user["type"].as_str(), user["title"].as_str()),
        (Some("user"), Some("Bob Stone"))
    );
    assert_eq!(
        user["user"],
        app.ok(&anna, "im.user.get", json!({"ID": bob.user})).await
    );
    // Skips; other users' lists are their own.
    let dialogs = app
        .ok(&anna, "im.search.last.get", json!({"SKIP_CHAT": "Y"}))
        .await;
    assert_eq!(dialogs.as_array().unwrap().len(), 2);
    let chats = app
        .ok(&anna, "im.search.last.get", json!({"SKIP_DIALOG": "Y"}))
        .await;
    assert_eq!(chats.as_array().unwrap().len(), 1);
    assert_eq!(
        app.ok(&bob, "im.search.last.get", json!({})).await,
        json!([])
    );
    // A chat Anna leaves drops out.
    app.ok(&anna, "im.chat.leave", json!({"CHAT_ID": ours}))
        .await;
    assert_eq!(
        app.ok(&anna, "im.search.last.get", json!({}))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Delete: whether there was such a pick.
    assert_eq!(
        app.ok(
            &anna,
            "im.search.last.delete",
            json!({"DIALOG_ID": bob.user})
        )
        .await,
        true
    );
    assert_eq!(
        app.ok(
            &anna,
            "im.search.last.delete",
            json!({"DIALOG_ID": bob.user})
        )
        .await,
        false
    );
    let (status, body) = app.call(&anna, "im.search.last.delete", json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("DIALOG_ID_EMPTY"))
    );
}
