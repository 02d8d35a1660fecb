//! Messages: posting, editing, deleting, and reading history pages.

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn ids(result: &Value) -> Vec<i64> {
    result["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn history_has_the_documented_shape() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let first = app.post(&app.admin, chat, "Hello, Anna!").await;
    let second = app.post(&anna, chat, "Hi!").await;
    app.ok(&anna, "im.message.like", json!({"MESSAGE_ID": first}))
        .await;

    let result = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_eq!(result["chat_id"], json!(chat));
    assert_eq!(result["files"], json!([]));
    assert_eq!(ids(&result), vec![second, first], "newest first");
    let m = &result["messages"][1];
    let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "chat_id",
            "author_id",
            "date",
            "text",
            "unread",
            "uuid",
            "replaces",
            "params",
            "disappearing_date"
        ]
    );
    assert_eq!(m["text"], "Hello, Anna!");
    assert_eq!(m["author_id"], json!(app.admin.user));
    assert_eq!(m["chat_id"], json!(chat));
    assert_eq!(m["params"], json!({"LIKE": [anna.user]}));
    assert_eq!(
        result["messages"][0]["params"],
        json!([]),
        "no likes: PHP empty array"
    );
    chrono::DateTime::parse_from_rfc3339(m["date"].as_str().unwrap()).unwrap();

    let users = result["users"].as_array().unwrap();
    let mut user_ids: Vec<i64> = users.iter().map(|u| u["id"].as_i64().unwrap()).collect();
    user_ids.sort();
    assert_eq!(user_ids, vec![app.admin.user, anna.user]);
    let anna_view = users.iter().find(|u| u["id"] == anna.user).unwrap();
    assert_eq!(anna_view["name"], "Anna Weber");
    assert_eq!(anna_view["first_name"], "Anna");
    assert_eq!(anna_view["type"], "user");
    assert_eq!(anna_view["bot"], json!(false));
}

#[tokio::test]
async fn history_pages_by_last_id_first_id_and_limit() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let mut all = Vec::new();
    for i in 0..60 {
        all.push(app.post(&app.admin, chat, &format!("m{i}")).await);
    }
    let dialog = format!("chat{chat}");
    let latest = app
        .ok(
            &app.admin,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog}),
        )
        .await;
    let expected: Vec<i64> = all.iter().rev().take(20).copied().collect();
    assert_eq!(ids(&latest), expected, "default limit 20");

    let capped = app
        .ok(
            &app.admin,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog, "LIMIT": 500}),
        )
        .await;
    assert_eq!(ids(&capped).len(), 50, "limit at most 50");

    let before = app
        .ok(
            &app.admin,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog, "LAST_ID": all[10], "LIMIT": 5}),
        )
        .await;
    assert_eq!(ids(&before), vec![all[9], all[8], all[7], all[6], all[5]]);

    let after = app
        .ok(
            &app.admin,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog, "FIRST_ID": all[10], "LIMIT": 3, "LAST_ID": all[2]}),
        )
        .await;
    assert_eq!(
        ids(&after),
        vec![all[13], all[12], all[11]],
        "FIRST_ID wins"
    );

    let none = app
        .ok(
            &app.admin,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog, "FIRST_ID": all[59]}),
        )
        .await;
    assert_eq!(none["messages"], json!([]));
    assert_eq!(none["users"], json!([]));
}

#[tokio::test]
async fn history_parameter_errors_follow_the_docs() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let dialog = format!("chat{chat}");
    for (params, expected) in [
        (json!({}), "DIALOG_ID_EMPTY"),
        (json!({"DIALOG_ID": ""}), "DIALOG_ID_EMPTY"),
        (json!({"DIALOG_ID": "chat"}), "DIALOG_ID_EMPTY"),
        (
            json!({"DIALOG_ID": dialog, "FIRST_ID": "abc"}),
            "FIRST_ID_STRING",
        ),
        (
            json!({"DIALOG_ID": dialog, "LAST_ID": "x1"}),
            "LAST_ID_STRING",
        ),
    ] {
        assert_eq!(
            app.err(&app.admin, "im.dialog.messages.get", params.clone())
                .await,
            (400, expected.to_string()),
            "{params}"
        );
    }
    // Numeric strings are fine.
    app.ok(
        &app.admin,
        "im.dialog.messages.get",
        json!({"DIALOG_ID": dialog, "LAST_ID": "5", "LIMIT": "2"}),
    )
    .await;
}

#[tokio::test]
async fn message_add_errors_follow_the_docs() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let eve = app.user("Eve", "").await;
    let chat = app.chat(&app.admin, &[]).await;
    for (hook, params, status, code) in [
        (
            &app.admin,
            json!({"DIALOG_ID": format!("chat{chat}")}),
            400,
            "MESSAGE_EMPTY",
        ),
        (
            &app.admin,
            json!({"DIALOG_ID": format!("chat{chat}"), "MESSAGE": "   "}),
            400,
            "MESSAGE_EMPTY",
        ),
        (&app.admin, json!({"MESSAGE": "hi"}), 400, "PARAMS_ERROR"),
        (
            &app.admin,
            json!({"DIALOG_ID": "abc", "MESSAGE": "hi"}),
            400,
            "USER_ID_EMPTY",
        ),
        (
            &app.admin,
            json!({"DIALOG_ID": "chat0", "MESSAGE": "hi"}),
            400,
            "CHAT_ID_EMPTY",
        ),
        (
            &app.admin,
            json!({"DIALOG_ID": "999999", "MESSAGE": "hi"}),
            400,
            "USER_NOT_FOUND",
        ),
        (
            &eve,
            json!({"DIALOG_ID": format!("chat{chat}"), "MESSAGE": "hi"}),
            400,
            "ACCESS_ERROR",
        ),
        // Portals cancel a message to a chat that does not exist (the
        // official Python SDK's own tests: 400 CANCELED for `chat1111`).
        (
            &app.admin,
            json!({"DIALOG_ID": "chat999999", "MESSAGE": "hi"}),
            400,
            "CANCELED",
        ),
        (
            &app.admin,
            json!({"DIALOG_ID": "chat1111", "MESSAGE": "test message"}),
            400,
            "CANCELED",
        ),
    ] {
        assert_eq!(
            app.err(hook, "im.message.add", params.clone()).await,
            (status, code.to_string()),
            "{params}"
        );
    }
}

#[tokio::test]
async fn the_author_edits_and_deletes() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let msg = app.post(&anna, chat, "typo").await;
    app.ok(&anna, "im.message.like", json!({"MESSAGE_ID": msg}))
        .await;

    assert_eq!(
        app.err(
            &app.admin,
            "im.message.update",
            json!({"MESSAGE_ID": msg, "MESSAGE": "hijack"})
        )
        .await,
        (403, "CANT_EDIT_MESSAGE".to_string())
    );
    app.ok(
        &anna,
        "im.message.update",
        json!({"MESSAGE_ID": msg, "MESSAGE": "fixed"}),
    )
    .await;
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_eq!(history["messages"][0]["text"], "fixed");
    assert_eq!(history["messages"][0]["params"]["IS_EDITED"], "Y");
    assert_eq!(history["messages"][0]["params"]["LIKE"], json!([anna.user]));

    app.ok(&anna, "im.message.delete", json!({"MESSAGE_ID": msg}))
        .await;
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_eq!(history["messages"][0]["text"], "");
    assert_eq!(history["messages"][0]["params"]["IS_DELETED"], "Y");
    assert!(history["messages"][0]["params"].get("LIKE").is_none());
    assert_eq!(
        app.err(&anna, "im.message.like", json!({"MESSAGE_ID": msg}))
            .await,
        (400, "WITHOUT_CHANGES".to_string()),
        "a deleted message cannot be liked"
    );
    assert_eq!(
        app.err(&anna, "im.message.delete", json!({"MESSAGE_ID": msg}))
            .await,
        (403, "CANT_EDIT_MESSAGE".to_string())
    );
}

#[tokio::test]
async fn the_chat_owner_may_delete_any_message_and_empty_update_deletes() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let a = app.post(&anna, chat, "one").await;
    let b = app.post(&anna, chat, "two").await;
    app.ok(&app.admin, "im.message.delete", json!({"ID": a}))
        .await;
    app.ok(
        &anna,
        "im.message.update",
        json!({"MESSAGE_ID": b, "MESSAGE": ""}),
    )
    .await;
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    for m in history["messages"].as_array().unwrap() {
        assert_eq!(m["params"]["IS_DELETED"], "Y", "{m}");
    }
}

#[tokio::test]
async fn update_and_delete_need_a_message_id() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    for method in ["im.message.update", "im.message.delete"] {
        assert_eq!(
            app.err(&app.admin, method, json!({"MESSAGE": "x"})).await,
            (400, "MESSAGE_ID_ERROR".to_string()),
            "{method}"
        );
    }
}

#[tokio::test]
async fn a_private_dialog_opens_on_the_first_message() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let empty = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": app.admin.user}),
        )
        .await;
    assert_eq!(
        empty,
        json!({"chat_id": 0, "messages": [], "users": [], "files": []})
    );
    let msg = app
        .ok(
            &app.admin,
            "im.message.add",
            json!({"DIALOG_ID": anna.user, "MESSAGE": "psst"}),
        )
        .await
        .as_i64()
        .unwrap();
    let reply = app
        .ok(
            &anna,
            "im.message.add",
            json!({"USER_ID": app.admin.user, "MESSAGE": "yes?"}),
        )
        .await
        .as_i64()
        .unwrap();
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": app.admin.user}),
        )
        .await;
    assert_eq!(ids(&history), vec![reply, msg]);
    assert!(history["chat_id"].as_i64().unwrap() > 0);
}

/// `im.message.update` without `MESSAGE` changes nothing, but it still
/// answers only for a message the caller may edit.
#[tokio::test]
async fn update_without_text_is_checked_like_an_edit() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "").await;
    let chat = app.chat(&app.admin, &[&bob]).await;
    let mine = app.post(&app.admin, chat, "mine").await;
    assert_eq!(
        app.ok(&app.admin, "im.message.update", json!({"MESSAGE_ID": mine}))
            .await,
        json!(true)
    );
    for (who, id) in [(&bob, mine), (&app.admin, 999_999)] {
        assert_eq!(
            app.err(who, "im.message.update", json!({"MESSAGE_ID": id}))
                .await,
            (403, "CANT_EDIT_MESSAGE".to_string()),
            "message {id}"
        );
    }
}

/// Reading state: `im.dialog.read` / `im.dialog.unread` move the caller's
/// mark, `im.counters.get` counts what is after it (not one's own, not
/// deleted; muted chats apart; private dialogs by the other user), and
/// writing reads the chat up to one's own message.
#[tokio::test]
async fn read_marks_and_counters_follow_the_pages() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let outsider = app.user("Otto", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let dialog = format!("chat{chat}");
    let m: Vec<i64> = futures_util::future::join_all((0..3).map(|i| {
        let app = &app;
        async move { app.post(&app.admin, chat, &format!("m{i}")).await }
    }))
    .await;
    let mut m = m;
    m.sort_unstable();
    let counters = |hook: &crate::helpers::Hook| {
        let (app, hook) = (&app, hook.clone());
        async move { app.ok(&hook, "im.counters.get", json!({})).await }
    };
    let c = counters(&anna).await;
    assert_eq!(c["CHAT"], json!({chat.to_string(): 3}), "{c}");
    // im.dialog.get shows the same: the counter and the first unread message.
    let d = app
        .ok(&anna, "im.dialog.get", json!({"DIALOG_ID": dialog}))
        .await;
    assert_eq!((&d["counter"], &d["unread_id"]), (&json!(3), &json!(m[0])));
    let d = app
        .ok(&app.admin, "im.dialog.get", json!({"DIALOG_ID": dialog}))
        .await;
    assert_eq!((&d["counter"], &d["unread_id"]), (&json!(0), &json!(0)));
    assert_eq!(
        c["TYPE"],
        json!({"ALL": 3, "NOTIFY": 0, "CHAT": 3, "LINES": 0, "DIALOG": 0, "MESSENGER": 3})
    );
    for key in [
        "CHAT_MUTED",
        "CHAT_UNREAD",
        "LINES",
        "DIALOG",
        "DIALOG_UNREAD",
    ] {
        assert_eq!(c[key], json!([]), "{key}");
    }
    // The author's own messages are not unread for the author.
    assert_eq!(counters(&app.admin).await["TYPE"]["ALL"], json!(0));

    let read = app
        .ok(
            &anna,
            "im.dialog.read",
            json!({"DIALOG_ID": dialog, "MESSAGE_ID": m[0]}),
        )
        .await;
    assert_eq!(
        read,
        json!({"dialogId": dialog, "chatId": chat, "lastId": m[0], "counter": 2})
    );
    // Never back.
    let again = app
        .ok(
            &anna,
            "im.dialog.read",
            json!({"DIALOG_ID": dialog, "MESSAGE_ID": 1}),
        )
        .await;
    assert_eq!(
        (&again["lastId"], &again["counter"]),
        (&json!(m[0]), &json!(2))
    );
    let all = app
        .ok(&anna, "im.dialog.read", json!({"DIALOG_ID": dialog}))
        .await;
    assert_eq!((&all["lastId"], &all["counter"]), (&json!(m[2]), &json!(0)));
    assert_eq!(counters(&anna).await["CHAT"], json!([]));

    assert_eq!(
        app.ok(
            &anna,
            "im.dialog.unread",
            json!({"DIALOG_ID": dialog, "MESSAGE_ID": m[1]})
        )
        .await,
        json!(true)
    );
    assert_eq!(counters(&anna).await["CHAT"], json!({chat.to_string(): 2}));
    // A deleted message is not unread.
    app.ok(&app.admin, "im.message.delete", json!({"ID": m[2]}))
        .await;
    assert_eq!(counters(&anna).await["CHAT"], json!({chat.to_string(): 1}));
    // Muted chats are counted apart, and not in the totals.
    app.ok(&anna, "im.chat.mute", json!({"CHAT_ID": chat}))
        .await;
    let c = counters(&anna).await;
    assert_eq!(c["CHAT"], json!([]));
    assert_eq!(c["CHAT_MUTED"], json!({chat.to_string(): 1}));
    assert_eq!(c["TYPE"]["ALL"], json!(0));
    // Writing reads the chat up to one's own message.
    app.post(&anna, chat, "me too").await;
    assert_eq!(counters(&anna).await["CHAT_MUTED"], json!([]));

    // A private dialog counts under the other user's id.
    app.write_to(&app.admin, &anna.user.to_string(), "psst")
        .await;
    let c = counters(&anna).await;
    assert_eq!(c["DIALOG"], json!({app.admin.user.to_string(): 1}));
    assert_eq!(
        (&c["TYPE"]["DIALOG"], &c["TYPE"]["ALL"]),
        (&json!(1), &json!(1))
    );
    let read = app
        .ok(
            &anna,
            "im.dialog.read",
            json!({"DIALOG_ID": app.admin.user.to_string()}),
        )
        .await;
    assert_eq!(read["counter"], json!(0));
    assert_eq!(read["dialogId"], json!(app.admin.user.to_string()));

    // im.dialog.read.all: every chat read at once.
    app.post(&app.admin, chat, "one more").await;
    app.write_to(&app.admin, &anna.user.to_string(), "and more")
        .await;
    assert_eq!(counters(&anna).await["TYPE"]["ALL"], json!(1));
    assert_eq!(
        counters(&anna).await["CHAT_MUTED"],
        json!({chat.to_string(): 1})
    );
    assert_eq!(
        app.ok(&anna, "im.dialog.read.all", json!({})).await,
        json!(true)
    );
    let c = counters(&anna).await;
    assert_eq!(
        (&c["TYPE"]["ALL"], &c["CHAT_MUTED"]),
        (&json!(0), &json!([]))
    );

    // No chat for the caller: false; the pages' errors.
    assert_eq!(
        app.ok(&outsider, "im.dialog.read", json!({"DIALOG_ID": dialog}))
            .await,
        json!(false)
    );
    assert_eq!(
        app.ok(
            &outsider,
            "im.dialog.unread",
            json!({"DIALOG_ID": dialog, "MESSAGE_ID": m[0]})
        )
        .await,
        json!(false)
    );
    assert_eq!(
        app.err(&anna, "im.dialog.read", json!({})).await,
        (400, "DIALOG_ID_EMPTY".to_owned())
    );
    assert_eq!(
        app.err(&anna, "im.dialog.unread", json!({"DIALOG_ID": dialog}))
            .await,
        (400, "MESSAGE_ID_ERROR".to_owned())
    );
}

/// `im.dialog.messages.search`: case-insensitive text search (three
/// characters or more, `%` and `_` literal), order, paging, dates, likes as
/// reactions, v2 field names; nothing for someone not in the chat.
#[tokio::test]
async fn message_search_follows_the_page() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let outsider = app.user("Otto", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let mut ids = Vec::new();
    for text in [
        "Hello world",
        "hello again",
        "one_two",
        "one two",
        "100% sure",
    ] {
        ids.push(app.post(&app.admin, chat, text).await);
    }
    let gone = app.post(&app.admin, chat, "hello gone").await;
    app.ok(&app.admin, "im.message.delete", json!({"ID": gone}))
        .await;
    app.ok(&anna, "im.message.like", json!({"MESSAGE_ID": ids[0]}))
        .await;

    let search = |hook: &crate::helpers::Hook, params: Value| {
        let (app, hook) = (&app, hook.clone());
        async move {
            let r = app.ok(&hook, "im.dialog.messages.search", params).await;
            let found: Vec<i64> = r["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_i64().unwrap())
                .collect();
            (found, r)
        }
    };
    let (found, r) = search(&anna, json!({"CHAT_ID": chat, "SEARCH_MESSAGE": "HELLO"})).await;
    assert_eq!(found, vec![ids[1], ids[0]]);
    let m = &r["messages"][1];
    assert_eq!((&m["chatId"], &m["chat_id"]), (&json!(chat), &json!(chat)));
    assert_eq!(
        (&m["authorId"], &m["text"]),
        (&json!(app.admin.user), &json!("Hello world"))
    );
    assert_eq!(m["isSystem"], json!(false));
    assert_eq!(r["users"][0]["id"], json!(app.admin.user));
    assert!(r["users"][0]["firstName"].is_string(), "{}", r["users"]);
    assert_eq!(
        r["reactions"],
        json!([{"messageId": ids[0], "reactionCounters": {"like": 1},
                "reactionUsers": {"like": [anna.user]}, "ownReactions": ["like"]}])
    );
    assert_eq!(
        r["tariffRestrictions"],
        json!({"isHistoryLimitExceeded": false})
    );
    let (_, theirs) = search(
        &app.admin,
        json!({"CHAT_ID": chat, "SEARCH_MESSAGE": "hello"}),
    )
    .await;
    assert_eq!(theirs["reactions"][0]["ownReactions"], json!([]));
    // `_` and `%` are the characters themselves.
    let (found, _) = search(&anna, json!({"CHAT_ID": chat, "SEARCH_MESSAGE": "e_t"})).await;
    assert_eq!(found, vec![ids[2]]);
    let (found, _) = search(&anna, json!({"CHAT_ID": chat, "SEARCH_MESSAGE": "0% s"})).await;
    assert_eq!(found, vec![ids[4]]);
    // Two characters are not searched: everything (not deleted), newest first.
    let (found, _) = search(&anna, json!({"CHAT_ID": chat, "SEARCH_MESSAGE": "zz"})).await;
    let mut all = ids.clone();
    all.reverse();
    assert_eq!(found, all);
    // Order, limit, paging by LAST_ID.
    let (found, _) = search(
        &anna,
        json!({"CHAT_ID": chat, "ORDER": {"ID": "ASC"}, "LIMIT": 2}),
    )
    .await;
    assert_eq!(found, ids[..2].to_vec());
    let (found, _) = search(
        &anna,
        json!({"CHAT_ID": chat, "ORDER": {"ID": "ASC"}, "LIMIT": 2, "LAST_ID": ids[1]}),
    )
    .await;
    assert_eq!(found, ids[2..4].to_vec());
    let (found, _) = search(&anna, json!({"CHAT_ID": chat, "LAST_ID": ids[1]})).await;
    assert_eq!(found, vec![ids[0]]);
    // Dates.
    let (found, _) = search(
        &anna,
        json!({"CHAT_ID": chat, "DATE_FROM": "2999-01-01T00:00:00+00:00"}),
    )
    .await;
    assert!(found.is_empty());
    let today = chrono::Utc::now() - chrono::Duration::hours(1);
    let (found, _) = search(&anna, json!({"CHAT_ID": chat, "DATE": today.to_rfc3339()})).await;
    assert_eq!(found.len(), ids.len());

    assert_eq!(
        app.err(
            &outsider,
            "im.dialog.messages.search",
            json!({"CHAT_ID": chat})
        )
        .await,
        (403, "ACCESS_ERROR".to_owned())
    );
    assert_eq!(
        app.err(
            &anna,
            "im.dialog.messages.search",
            json!({"SEARCH_MESSAGE": "hello"})
        )
        .await,
        (400, "CHAT_ID_EMPTY".to_owned())
    );
}

#[tokio::test]
async fn share_makes_a_chat_from_a_message() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let chat = app.chat(&anna, &[&bob]).await;
    let other = app.chat(&anna, &[&carl]).await;
    let msg = app.post(&bob, chat, "Release plan\nship on Friday").await;
    let dialog = format!("chat{chat}");
    assert_eq!(
        app.ok(
            &anna,
            "im.message.share",
            json!({"MESSAGE_ID": msg, "DIALOG_ID": dialog, "TYPE": "CHAT"})
        )
        .await,
        true
    );
    let found = app
        .ok(&anna, "im.search.chat.list", json!({"FIND": "release"}))
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let new_chat = found[0]["id"].as_i64().unwrap();
    assert_eq!(found[0]["name"], "Release plan");
    assert_eq!(found[0]["owner"], anna.user);
    let mut members: Vec<i64> = app
        .ok(&bob, "im.chat.user.list", json!({"CHAT_ID": new_chat}))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_i64().unwrap())
        .collect();
    members.sort_unstable();
    assert_eq!(members, [anna.user, bob.user]);
    let history = app
        .ok(
            &bob,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{new_chat}")}),
        )
        .await;
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Bob Stone [") && t.contains("Release plan\nship on Friday")),
        "{texts:?}"
    );
    // Tasks, posts and events are not part of b24im: nothing is made.
    for kind in ["TASK", "POST", "CALEND"] {
        assert_eq!(
            app.ok(
                &anna,
                "im.message.share",
                json!({"MESSAGE_ID": msg, "DIALOG_ID": dialog, "TYPE": kind})
            )
            .await,
            false
        );
    }
    for (params, status, code) in [
        (
            json!({"DIALOG_ID": dialog, "TYPE": "CHAT"}),
            400,
            "MESSAGE_ID_ERROR",
        ),
        (
            json!({"MESSAGE_ID": msg, "TYPE": "CHAT"}),
            400,
            "DIALOG_ID_EMPTY",
        ),
        (
            json!({"MESSAGE_ID": msg, "DIALOG_ID": dialog, "TYPE": "FILE"}),
            400,
            "PARAMS_ERROR",
        ),
        (
            json!({"MESSAGE_ID": msg, "DIALOG_ID": dialog}),
            400,
            "PARAMS_ERROR",
        ),
        // The message is not in that dialog.
        (
            json!({"MESSAGE_ID": msg, "DIALOG_ID": format!("chat{other}"), "TYPE": "CHAT"}),
            403,
            "ACCESS_ERROR",
        ),
    ] {
        let (s, body) = app.call(&anna, "im.message.share", params.clone()).await;
        assert_eq!(
            (s, body["error"].as_str()),
            (status, Some(code)),
            "{params}: {body}"
        );
    }
    // Someone outside the chat.
    let (s, body) = app
        .call(
            &carl,
            "im.message.share",
            json!({"MESSAGE_ID": msg, "DIALOG_ID": dialog, "TYPE": "CHAT"}),
        )
        .await;
    assert_eq!((s, body["error"].as_str()), (403, Some("ACCESS_ERROR")));
    assert_eq!(
        body["error_description"],
        "You do not have access to the specified dialog"
    );
}

#[tokio::test]
async fn read_marks_show_in_unread_flags_and_the_readed_list() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let chat = app.chat(&anna, &[&bob]).await;
    let dialog = format!("chat{chat}");
    let first = app.post(&anna, chat, "one").await;
    let second = app.post(&anna, chat, "two").await;
    let unread_of = |who: &crate::helpers::Hook| {
        let (app, who, dialog) = (&app, who.clone(), dialog.clone());
        async move {
            let page = app
                .ok(&who, "im.dialog.messages.get", json!({"DIALOG_ID": dialog}))
                .await;
            page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["author_id"] == json!(anna.user))
                .map(|m| (m["id"].as_i64().unwrap(), m["unread"].as_bool().unwrap()))
                .collect::<Vec<_>>()
        }
    };
    // Bob has read neither; Anna's own messages are never unread for her.
    assert_eq!(unread_of(&bob).await, [(second, true), (first, true)]);
    assert_eq!(unread_of(&anna).await, [(second, false), (first, false)]);
    let before = app
        .ok(&anna, "im.dialog.get", json!({"DIALOG_ID": dialog}))
        .await;
    let bob_mark = before["readed_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == json!(bob.user))
        .unwrap()
        .clone();
    assert_eq!(bob_mark["user_name"], "Bob Stone");
    assert!(
        bob_mark["message_id"].as_i64().unwrap() < first,
        "{bob_mark}"
    );
    assert_eq!(before["last_message_views"]["count_of_viewers"], 0);
    // Bob reads the first: it is read, the second not; the list says so, with a date.
    app.ok(
        &bob,
        "im.dialog.read",
        json!({"DIALOG_ID": dialog, "MESSAGE_ID": first}),
    )
    .await;
    assert_eq!(unread_of(&bob).await, [(second, true), (first, false)]);
    let after = app
        .ok(&anna, "im.dialog.get", json!({"DIALOG_ID": dialog}))
        .await;
    let bob_mark = after["readed_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == json!(bob.user))
        .unwrap()
        .clone();
    assert_eq!(bob_mark["message_id"], first);
    chrono::DateTime::parse_from_rfc3339(bob_mark["date"].as_str().unwrap()).unwrap();
    assert!(
        after["readed_list"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["user_id"] != json!(anna.user)),
        "not the caller"
    );
    app.ok(&bob, "im.dialog.read", json!({"DIALOG_ID": dialog}))
        .await;
    let all = app
        .ok(&anna, "im.dialog.get", json!({"DIALOG_ID": dialog}))
        .await;
    assert_eq!(all["last_message_views"]["count_of_viewers"], 1);
}
