//! The recent list (`im.recent.list`) and the caller's marks on it
//! (`im.recent.pin`, `.hide`, `.unread`).

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};

async fn recent(app: &TestApp, hook: &Hook, params: Value) -> Value {
    let (status, body) = app.call(hook, "im.recent.list", params).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], json!(-1), "{body}");
    body["result"].clone()
}

fn ids(page: &Value) -> Vec<Value> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].clone())
        .collect()
}

#[tokio::test]
async fn recent_list_shows_chats_by_last_message_with_the_callers_marks() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let outsider = app.user("Otto", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let quiet = app.chat(&app.admin, &[&anna]).await;
    assert!(quiet > chat);
    // Out of the way (a_new_chat_is_listed_before_its_first_message).
    for member in [&anna, &app.admin] {
        app.ok(
            member,
            "im.recent.hide",
            json!({"DIALOG_ID": format!("chat{quiet}")}),
        )
        .await;
    }
    let dialog = format!("chat{chat}");
    app.post(&app.admin, chat, "first").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.write_to(&app.admin, &anna.user.to_string(), "psst")
        .await;

    let page = recent(&app, &anna, json!({})).await;
    assert_eq!(ids(&page), vec![json!(app.admin.user), json!(dialog)]);
    assert_eq!(
        (&page["hasMore"], &page["hasMorePages"]),
        (&json!(false), &json!(false))
    );
    let private = &page["items"][0];
    assert_eq!(private["type"], "user");
    assert_eq!(private["title"], "Admin");
    assert_eq!(private["counter"], json!(1));
    assert_eq!(private["message"]["text"], "psst");
    assert_eq!(private["message"]["author_id"], json!(app.admin.user));
    assert_eq!(private["user"]["id"], json!(app.admin.user));
    assert_eq!(private["chat"]["mute_list"], json!([]));
    let group = &page["items"][1];
    assert_eq!(
        (&group["type"], &group["chat_id"]),
        (&json!("chat"), &json!(chat))
    );
    assert_eq!(group["counter"], json!(1));
    assert_eq!(group["chat"]["user_counter"], json!(2));
    assert_eq!(group["chat"]["role"], "MEMBER");
    assert_eq!(group["chat"]["owner"], json!(app.admin.user));
    assert_eq!(group["user"]["id"], json!(app.admin.user));
    assert_eq!(
        (&group["pinned"], &group["unread"]),
        (&json!(false), &json!(false))
    );
    for key in ["date_update", "date_last_activity"] {
        chrono::DateTime::parse_from_rfc3339(group[key].as_str().unwrap()).unwrap();
    }
    // The owner sees its role; its own messages are not unread.
    let mine = recent(&app, &app.admin, json!({"SKIP_DIALOG": "Y"})).await;
    assert_eq!(ids(&mine), vec![json!(dialog)]);
    assert_eq!(mine["items"][0]["chat"]["role"], "OWNER");
    assert_eq!(mine["items"][0]["counter"], json!(0));
    assert_eq!(
        ids(&recent(&app, &anna, json!({"SKIP_CHAT": "Y"})).await),
        vec![json!(app.admin.user)]
    );
    // The next page: below the last item's date.
    let older = private["date_update"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&recent(&app, &anna, json!({"LAST_MESSAGE_DATE": older})).await),
        vec![json!(dialog)]
    );

    // Pin, hide (until the next message), unread (and reading takes it away).
    assert_eq!(
        app.ok(&anna, "im.recent.pin", json!({"DIALOG_ID": dialog}))
            .await,
        json!(true)
    );
    let page = recent(&app, &anna, json!({})).await;
    assert_eq!(page["items"][1]["pinned"], json!(true));
    app.ok(
        &anna,
        "im.recent.pin",
        json!({"DIALOG_ID": dialog, "PIN": "N"}),
    )
    .await;
    assert_eq!(
        recent(&app, &anna, json!({})).await["items"][1]["pinned"],
        json!(false)
    );
    let other = app.admin.user.to_string();
    assert_eq!(
        app.ok(&anna, "im.recent.hide", json!({"DIALOG_ID": other}))
            .await,
        json!(true)
    );
    assert_eq!(
        ids(&recent(&app, &anna, json!({})).await),
        vec![json!(dialog)]
    );
    app.write_to(&app.admin, &anna.user.to_string(), "again")
        .await;
    assert_eq!(ids(&recent(&app, &anna, json!({})).await).len(), 2);

    app.ok(&anna, "im.dialog.read", json!({"DIALOG_ID": dialog}))
        .await;
    assert_eq!(
        ids(&recent(&app, &anna, json!({"UNREAD_ONLY": "Y"})).await),
        vec![json!(app.admin.user)]
    );
    assert_eq!(
        app.ok(&anna, "im.recent.unread", json!({"DIALOG_ID": dialog}))
            .await,
        json!(true)
    );
    let page = recent(&app, &anna, json!({"UNREAD_ONLY": "Y"})).await;
    assert_eq!(ids(&page).len(), 2);
    let marked = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == json!(dialog))
        .unwrap()
        .clone();
    assert_eq!(
        (&marked["unread"], &marked["counter"]),
        (&json!(true), &json!(0))
    );
    app.ok(&anna, "im.dialog.read", json!({"DIALOG_ID": dialog}))
        .await;
    assert_eq!(
        ids(&recent(&app, &anna, json!({"UNREAD_ONLY": "Y"})).await),
        vec![json!(app.admin.user)]
    );
    // ACTION=N takes the mark away and reads the dialog.
    app.ok(
        &anna,
        "im.recent.unread",
        json!({"DIALOG_ID": other, "ACTION": "N"}),
    )
    .await;
    assert_eq!(
        recent(&app, &anna, json!({"UNREAD_ONLY": "Y"})).await["items"],
        json!([])
    );

    // Someone not in the chat.
    assert_eq!(
        app.err(&outsider, "im.recent.pin", json!({"DIALOG_ID": dialog}))
            .await,
        (400, "ACCESS_ERROR".to_owned())
    );
    assert_eq!(
        app.ok(&outsider, "im.recent.hide", json!({"DIALOG_ID": dialog}))
            .await,
        json!(false)
    );
    assert_eq!(recent(&app, &outsider, json!({})).await["items"], json!([]));
    for method in ["im.recent.pin", "im.recent.hide", "im.recent.unread"] {
        assert_eq!(
            app.err(&anna, method, json!({})).await,
            (400, "DIALOG_ID_EMPTY".to_owned()),
            "{method}"
        );
    }
}

/// `im.recent.get`: the same items as a plain list; `LAST_UPDATE` keeps the
/// ones changed since then; no open lines.
#[tokio::test]
async fn recent_get_lists_the_same_items() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    app.post(&app.admin, chat, "first").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.write_to(&app.admin, &anna.user.to_string(), "psst")
        .await;
    let listed = recent(&app, &anna, json!({})).await["items"].clone();
    let got = app.ok(&anna, "im.recent.get", json!({})).await;
    assert_eq!(got, listed);
    let since = listed[0]["date_update"].as_str().unwrap().to_owned();
    let newer = app
        .ok(&anna, "im.recent.get", json!({"LAST_UPDATE": since}))
        .await;
    assert_eq!(newer.as_array().map(Vec::len), Some(1));
    assert_eq!(newer[0]["id"], json!(app.admin.user));
    assert_eq!(
        app.ok(&anna, "im.recent.get", json!({"SKIP_DIALOG": "Y"}))
            .await[0]["chat_id"],
        json!(chat)
    );
    assert_eq!(
        app.ok(&anna, "im.recent.get", json!({"ONLY_OPENLINES": "Y"}))
            .await,
        json!([])
    );
}

/// A group chat is in its members' lists from its creation, before anyone
/// writes (on portals its welcome message puts it there), with message id
/// 0 and no unread; hidden, it stays out until its first message.
#[tokio::test]
async fn a_new_chat_is_listed_before_its_first_message() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let quiet = app.chat(&app.admin, &[&anna]).await;
    let dialog = format!("chat{quiet}");
    for member in [&anna, &app.admin] {
        let page = recent(&app, member, json!({})).await;
        assert_eq!(ids(&page), vec![json!(dialog)], "{page}");
        let item = &page["items"][0];
        assert_eq!(
            (
                &item["message"]["id"],
                &item["message"]["text"],
                &item["counter"]
            ),
            (&json!(0), &json!(""), &json!(0)),
            "{page}"
        );
        assert_eq!(item["message"]["author_id"], json!(0), "{page}");
        chrono::DateTime::parse_from_rfc3339(item["date_update"].as_str().unwrap()).unwrap();
        let old = app.ok(member, "im.recent.get", json!({})).await;
        assert_eq!(old[0]["id"], json!(dialog), "{old}");
    }
    // A private dialog opened without a message is not listed.
    app.ok(&anna, "im.dialog.get", json!({"DIALOG_ID": app.admin.user}))
        .await;
    app.ok(&anna, "im.recent.hide", json!({"DIALOG_ID": dialog}))
        .await;
    assert_eq!(
        ids(&recent(&app, &anna, json!({})).await),
        Vec::<Value>::new()
    );
    assert_eq!(
        ids(&recent(&app, &app.admin, json!({})).await),
        vec![json!(dialog)]
    );
    let id = app.post(&app.admin, quiet, "hello").await;
    let page = recent(&app, &anna, json!({})).await;
    assert_eq!(ids(&page), vec![json!(dialog)], "{page}");
    assert_eq!(page["items"][0]["message"]["id"], json!(id), "{page}");
    assert_eq!(page["items"][0]["counter"], json!(1), "{page}");
}
