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

/// `im.chat.updateTitle`, `im.chat.updateColor`, `im.chat.setOwner`: the
/// docs' answers (chat-update/*.md), by `CHAT_ID` or `DIALOG_ID`, and what
/// `im.dialog.get` shows afterwards.
#[tokio::test]
async fn chat_updates_follow_the_docs() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let outsider = app.user("Otto", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let dialog = format!("chat{chat}");
    let get = |hook: &Hook| {
        let hook = hook.clone();
        let app = &app;
        let dialog = dialog.clone();
        async move {
            app.ok(&hook, "im.dialog.get", json!({"DIALOG_ID": dialog}))
                .await
        }
    };

    // Title: any member; trimmed; by DIALOG_ID too.
    let done = app
        .call(
            &anna,
            "im.chat.updateTitle",
            json!({"CHAT_ID": chat, "TITLE": "  Project Chat \n"}),
        )
        .await;
    assert_eq!(
        (done.0, &done.1["result"]),
        (200, &json!(true)),
        "{}",
        done.1
    );
    assert!(done.1["time"]["operating"].is_number());
    assert_eq!(get(&app.admin).await["name"], "Project Chat");
    app.ok(
        &app.admin,
        "im.chat.updateTitle",
        json!({"DIALOG_ID": dialog, "TITLE": "Renamed"}),
    )
    .await;
    assert_eq!(get(&anna).await["name"], "Renamed");
    for (params, status, code) in [
        (json!({"TITLE": "x"}), 400, "CHAT_ID_EMPTY"),
        (
            json!({"CHAT_ID": dialog, "TITLE": "x"}),
            400,
            "CHAT_ID_EMPTY",
        ),
        (
            json!({"DIALOG_ID": "1", "TITLE": "x"}),
            400,
            "DIALOG_ID_EMPTY",
        ),
        (
            json!({"DIALOG_ID": "nonsense", "TITLE": "x"}),
            400,
            "DIALOG_ID_EMPTY",
        ),
        (
            json!({"CHAT_ID": chat, "TITLE": " \n "}),
            400,
            "TITLE_EMPTY",
        ),
        (json!({"CHAT_ID": chat}), 400, "TITLE_EMPTY"),
        (
            json!({"CHAT_ID": 999_999, "TITLE": "x"}),
            403,
            "ACCESS_ERROR",
        ),
    ] {
        assert_eq!(
            app.err(&anna, "im.chat.updateTitle", params.clone()).await,
            (status, code.to_owned()),
            "{params}"
        );
    }
    // Someone not in the chat changes nothing.
    assert_eq!(
        app.err(
            &outsider,
            "im.chat.updateTitle",
            json!({"CHAT_ID": chat, "TITLE": "Mine"})
        )
        .await,
        (403, "ACCESS_ERROR".to_owned())
    );
    assert_eq!(get(&anna).await["name"], "Renamed");
    // A private dialog has no title to change, by either id.
    let private = app.write_to(&app.admin, &anna.user.to_string(), "hi").await;
    let private_chat = app
        .ok(
            &app.admin,
            "im.dialog.get",
            json!({"DIALOG_ID": anna.user.to_string()}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    assert!(private > 0);
    assert_eq!(
        app.err(
            &app.admin,
            "im.chat.updateTitle",
            json!({"CHAT_ID": private_chat, "TITLE": "x"})
        )
        .await,
        (400, "DIALOG_ID_EMPTY".to_owned())
    );

    // Colour: a palette name; the same colour again, or no chat, is WRONG_REQUEST.
    app.ok(
        &anna,
        "im.chat.updateColor",
        json!({"CHAT_ID": chat, "COLOR": "MINT"}),
    )
    .await;
    assert_eq!(get(&app.admin).await["color"], "#4ba984");
    for (params, status, code) in [
        (
            json!({"CHAT_ID": chat, "COLOR": "MINT"}),
            400,
            "WRONG_REQUEST",
        ),
        (
            json!({"CHAT_ID": chat, "COLOR": "ULTRAVIOLET"}),
            400,
            "WRONG_COLOR",
        ),
        (json!({"CHAT_ID": chat}), 400, "WRONG_COLOR"),
        (
            json!({"CHAT_ID": 999_999, "COLOR": "RED"}),
            400,
            "WRONG_REQUEST",
        ),
        (json!({"COLOR": "RED"}), 400, "CHAT_ID_EMPTY"),
    ] {
        assert_eq!(
            app.err(&anna, "im.chat.updateColor", params.clone()).await,
            (status, code.to_owned()),
            "{params}"
        );
    }
    assert_eq!(
        app.err(
            &outsider,
            "im.chat.updateColor",
            json!({"CHAT_ID": chat, "COLOR": "RED"})
        )
        .await,
        (403, "ACCESS_ERROR".to_owned())
    );

    // Owner: only the owner, only to a member.
    for (hook, params, status, code) in [
        (
            &anna,
            json!({"CHAT_ID": chat, "USER_ID": anna.user}),
            400,
            "WRONG_REQUEST",
        ),
        (
            &app.admin,
            json!({"CHAT_ID": chat, "USER_ID": outsider.user}),
            400,
            "WRONG_REQUEST",
        ),
        (&app.admin, json!({"CHAT_ID": chat}), 400, "USER_ID_EMPTY"),
        (
            &outsider,
            json!({"CHAT_ID": chat, "USER_ID": outsider.user}),
            403,
            "ACCESS_ERROR",
        ),
    ] {
        assert_eq!(
            app.err(hook, "im.chat.setOwner", params.clone()).await,
            (status, code.to_owned()),
            "{params}"
        );
    }
    assert_eq!(get(&anna).await["owner"], json!(app.admin.user));
    app.ok(
        &app.admin,
        "im.chat.setOwner",
        json!({"DIALOG_ID": dialog, "USER_ID": anna.user}),
    )
    .await;
    let after = get(&anna).await;
    assert_eq!(after["owner"], json!(anna.user));
    assert_eq!(after["role"], "owner");
    // The former owner is an ordinary member now.
    assert_eq!(
        app.err(
            &app.admin,
            "im.chat.setOwner",
            json!({"CHAT_ID": chat, "USER_ID": app.admin.user})
        )
        .await,
        (400, "WRONG_REQUEST".to_owned())
    );
}

/// `im.dialog.users.list`: the participants in id order, paged (`LIMIT`,
/// `OFFSET`, `LAST_ID`) with `total` and `next`, bots left out by
/// `SKIP_EXTERNAL=Y`; nothing for someone not in the chat.
#[tokio::test]
async fn dialog_users_list_pages_the_participants() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let bert = app.user("Bert", "").await;
    let outsider = app.user("Otto", "").await;
    let chat = app.chat(&app.admin, &[&anna, &bert]).await;
    let bot = app
        .ok(
            &app.admin,
            "imbot.register",
            json!({"CODE": "lister", "TYPE": "B", "EVENT_HANDLER": "https://example.com/bot",
                   "PROPERTIES": {"NAME": "Lister"}, "CLIENT_ID": "app"}),
        )
        .await
        .as_i64()
        .unwrap();
    app.ok(
        &app.admin,
        "im.chat.user.add",
        json!({"CHAT_ID": chat, "USERS": [bot]}),
    )
    .await;
    let dialog = format!("chat{chat}");
    let list = |params: serde_json::Value| {
        let app = &app;
        let anna = anna.clone();
        async move {
            let (status, body) = app.call(&anna, "im.dialog.users.list", params).await;
            assert_eq!(status, 200, "{body}");
            let ids: Vec<i64> = body["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_i64().unwrap())
                .collect();
            (ids, body["total"].clone(), body["next"].clone(), body)
        }
    };
    let everyone = vec![app.admin.user, anna.user, bert.user, bot];
    let (ids, total, next, body) = list(json!({"DIALOG_ID": dialog})).await;
    assert_eq!(ids, everyone);
    assert_eq!((total, next), (json!(4), serde_json::Value::Null));
    // Each item is the user as im.user.get shows it.
    let first = &body["result"][0];
    let im_user = app
        .ok(&anna, "im.user.get", json!({"ID": app.admin.user}))
        .await;
    assert_eq!(first, &im_user);
    assert_eq!(body["result"][3]["bot"], json!(true));

    let (ids, total, next, _) = list(json!({"DIALOG_ID": dialog, "LIMIT": 2})).await;
    assert_eq!(
        (ids, total, next),
        (everyone[..2].to_vec(), json!(4), json!(2))
    );
    let (ids, _, next, _) = list(json!({"DIALOG_ID": dialog, "LIMIT": 2, "OFFSET": 2})).await;
    assert_eq!(
        (ids, next),
        (everyone[2..].to_vec(), serde_json::Value::Null)
    );
    let (ids, total, _, _) = list(json!({"DIALOG_ID": dialog, "LAST_ID": anna.user})).await;
    assert_eq!((ids, total), (everyone[2..].to_vec(), json!(2)));
    let (ids, total, _, _) = list(json!({"DIALOG_ID": dialog, "SKIP_EXTERNAL": "Y"})).await;
    assert_eq!((ids, total), (everyone[..3].to_vec(), json!(3)));
    let (ids, _, _, _) = list(json!({"DIALOG_ID": dialog, "SKIP_EXTERNAL": "Y",
                                     "SKIP_EXTERNAL_EXCEPT_TYPES": "bot,email"}))
    .await;
    assert_eq!(ids, everyone);
    // A private dialog, by the other user's id.
    app.write_to(&anna, &bert.user.to_string(), "hi").await;
    let (ids, total, _, _) = list(json!({"DIALOG_ID": bert.user.to_string()})).await;
    assert_eq!((ids, total), (vec![anna.user, bert.user], json!(2)));

    assert_eq!(
        app.err(
            &outsider,
            "im.dialog.users.list",
            json!({"DIALOG_ID": dialog})
        )
        .await
        .1,
        "ACCESS_ERROR"
    );
    assert_eq!(
        app.err(&anna, "im.dialog.users.list", json!({})).await,
        (400, "DIALOG_ID_EMPTY".to_owned())
    );
}

/// `im.chat.mute`: a member's own switch, shown in `im.dialog.get`'s
/// `mute_list`; `MUTE=N` turns it back; someone not in the chat gets 403.
#[tokio::test]
async fn mute_is_each_members_own() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let outsider = app.user("Otto", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let dialog = format!("chat{chat}");
    let mute_list = || async {
        app.ok(&app.admin, "im.dialog.get", json!({"DIALOG_ID": dialog}))
            .await["mute_list"]
            .clone()
    };
    assert_eq!(mute_list().await, json!([]));
    assert_eq!(
        app.ok(&anna, "im.chat.mute", json!({"CHAT_ID": chat}))
            .await,
        json!(true)
    );
    assert_eq!(mute_list().await, json!([anna.user]));
    app.ok(
        &app.admin,
        "im.chat.mute",
        json!({"DIALOG_ID": dialog, "MUTE": "Y"}),
    )
    .await;
    assert_eq!(mute_list().await, json!([app.admin.user, anna.user]));
    app.ok(&anna, "im.chat.mute", json!({"CHAT_ID": chat, "MUTE": "N"}))
        .await;
    assert_eq!(mute_list().await, json!([app.admin.user]));
    // A private dialog, by the other user's id, once it exists.
    assert_eq!(
        app.err(
            &anna,
            "im.chat.mute",
            json!({"DIALOG_ID": outsider.user.to_string()})
        )
        .await,
        (403, "ACCESS_ERROR".to_owned())
    );
    app.write_to(&anna, &outsider.user.to_string(), "hi").await;
    app.ok(
        &anna,
        "im.chat.mute",
        json!({"DIALOG_ID": outsider.user.to_string()}),
    )
    .await;
    let private = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": outsider.user.to_string()}),
        )
        .await;
    assert_eq!(private["mute_list"], json!([anna.user]));
    for (hook, params, status, code) in [
        (&outsider, json!({"CHAT_ID": chat}), 403, "ACCESS_ERROR"),
        (&anna, json!({"CHAT_ID": 999_999}), 403, "ACCESS_ERROR"),
        (&anna, json!({}), 400, "CHAT_ID_EMPTY"),
        (&anna, json!({"CHAT_ID": "chat1"}), 400, "CHAT_ID_EMPTY"),
        (&anna, json!({"DIALOG_ID": "x1"}), 400, "DIALOG_ID_EMPTY"),
    ] {
        assert_eq!(
            app.err(hook, "im.chat.mute", params.clone()).await,
            (status, code.to_owned()),
            "{params}"
        );
    }
    assert_eq!(mute_list().await, json!([app.admin.user]));
}

/// `im.dialog.writing`: `true` where the caller may write; the page's errors.
#[tokio::test]
async fn dialog_writing_checks_access() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let outsider = app.user("Otto", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let dialog = format!("chat{chat}");
    assert_eq!(
        app.ok(&anna, "im.dialog.writing", json!({"DIALOG_ID": dialog}))
            .await,
        json!(true)
    );
    assert_eq!(
        app.ok(
            &anna,
            "im.dialog.writing",
            json!({"DIALOG_ID": outsider.user.to_string()})
        )
        .await,
        json!(true)
    );
    for (hook, params, status, code) in [
        (&outsider, json!({"DIALOG_ID": dialog}), 403, "ACCESS_ERROR"),
        (
            &anna,
            json!({"DIALOG_ID": "chat999999"}),
            403,
            "ACCESS_ERROR",
        ),
        (&anna, json!({"DIALOG_ID": "999999"}), 403, "ACCESS_ERROR"),
        (&anna, json!({}), 400, "DIALOG_ID_EMPTY"),
        (&anna, json!({"DIALOG_ID": "chat"}), 400, "DIALOG_ID_EMPTY"),
    ] {
        assert_eq!(
            app.err(hook, "im.dialog.writing", params.clone()).await,
            (status, code.to_owned()),
            "{params}"
        );
    }
}
