//! `im.notify.*`: sending, reading, tags, search; checked against the
//! pages' example answers (api-reference/chats/notifications/).

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn sent_notifications_are_listed_newest_first_with_the_pages_fields() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    // Nothing yet: only `notifications` and `users`, as the page says.
    let empty = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(empty, json!({"notifications": [], "users": []}));

    let personal = app
        .ok(
            &anna,
            "im.notify.personal.add",
            json!({"USER_ID": bob.user, "MESSAGE": "  Reminder  ", "MESSAGE_OUT": "Reminder (email)"}),
        )
        .await;
    assert!(personal.as_i64().unwrap() > 0, "{personal}");
    let system = app
        .ok(
            &anna,
            "im.notify.system.add",
            json!({"USER_ID": bob.user, "MESSAGE": "System notice"}),
        )
        .await;
    let via_type = app
        .ok(
            &anna,
            "im.notify",
            json!({"USER_ID": bob.user, "MESSAGE": "typed", "TYPE": "SYSTEM"}),
        )
        .await;
    let default_type = app
        .ok(
            &anna,
            "im.notify",
            json!({"TO": bob.user, "MESSAGE": "plain"}),
        )
        .await;

    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(
        keys(&got),
        [
            "total_count",
            "total_unread_count",
            "chat_id",
            "notifications",
            "users"
        ]
    );
    assert_eq!(
        (
            got["total_count"].as_i64(),
            got["total_unread_count"].as_i64()
        ),
        (Some(4), Some(4))
    );
    let list = &got["notifications"];
    assert_eq!(
        ids(list),
        [
            default_type.as_i64().unwrap(),
            via_type.as_i64().unwrap(),
            system.as_i64().unwrap(),
            personal.as_i64().unwrap()
        ]
    );
    let first = &list[3];
    assert_eq!(
        keys(first),
        [
            "id",
            "chat_id",
            "author_id",
            "date",
            "notify_type",
            "notify_module",
            "notify_event",
            "notify_tag",
            "notify_sub_tag",
            "notify_title",
            "setting_name",
            "text",
            "notify_read",
            "params"
        ]
    );
    assert_eq!(first["chat_id"], got["chat_id"]);
    assert_eq!(first["author_id"], anna.user);
    assert_eq!(first["notify_type"], 2);
    assert_eq!(first["notify_module"], "rest");
    assert_eq!(first["notify_event"], "rest_notify");
    assert_eq!(first["setting_name"], "rest|rest_notify");
    assert_eq!(first["text"], "Reminder", "trimmed");
    assert_eq!(first["notify_read"], "N");
    assert_eq!(first["notify_tag"], "");
    assert!(first["params"].is_null());
    chrono::DateTime::parse_from_rfc3339(first["date"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            list[2]["author_id"].as_i64(),
            list[2]["notify_type"].as_i64()
        ),
        (Some(0), Some(4))
    );
    assert_eq!(list[1]["notify_type"], 4, "TYPE=SYSTEM");
    assert_eq!(list[0]["notify_type"], 2, "TYPE defaults to USER");
    // personal.add and system.add take no TYPE.
    app.ok(
        &anna,
        "im.notify.personal.add",
        json!({"USER_ID": anna.user, "MESSAGE": "to self", "TYPE": "SYSTEM"}),
    )
    .await;
    let own = app.ok(&anna, "im.notify.get", json!({})).await;
    assert_eq!(own["notifications"][0]["notify_type"], 2);
    assert_eq!(own["notifications"][0]["author_id"], anna.user);
    app.ok(
        &anna,
        "im.notify.delete",
        json!({"ID": own["notifications"][0]["id"]}),
    )
    .await;
    // The authors, as im.user.get shows them (system ones have none).
    let users = got["users"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(
        users[0],
        app.ok(&bob, "im.user.get", json!({"ID": anna.user})).await
    );

    // The unread count reaches im.counters.get.
    let counters = app.ok(&bob, "im.counters.get", json!({})).await;
    assert_eq!(counters["TYPE"]["NOTIFY"], 4);
    assert_eq!(counters["TYPE"]["ALL"], 4);
    assert_eq!(counters["TYPE"]["MESSENGER"], 0);
    // Anna received none; her list stays empty.
    assert_eq!(
        app.ok(&anna, "im.notify.get", json!({})).await,
        json!({"notifications": [], "users": []})
    );

    // Pages: LIMIT, then LAST_ID with LAST_TYPE.
    let page = app.ok(&bob, "im.notify.get", json!({"LIMIT": 3})).await;
    assert_eq!(page["notifications"].as_array().unwrap().len(), 3);
    let last = page["notifications"][2]["id"].clone();
    let next = app
        .ok(
            &bob,
            "im.notify.get",
            json!({"LIMIT": 3, "LAST_ID": last, "LAST_TYPE": 3}),
        )
        .await;
    assert_eq!(ids(&next["notifications"]), [personal.as_i64().unwrap()]);

    // The notification chat is nobody's conversation.
    let chat = got["chat_id"].as_i64().unwrap();
    for method in [
        "im.dialog.get",
        "im.dialog.messages.get",
        "im.dialog.users.list",
    ] {
        let (status, body) = app
            .call(&bob, method, json!({"DIALOG_ID": format!("chat{chat}")}))
            .await;
        assert!((400..500).contains(&status), "{method}: {status} {body}");
    }
}

#[tokio::test]
async fn sending_checks_its_parameters() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    for method in [
        "im.notify",
        "im.notify.personal.add",
        "im.notify.system.add",
    ] {
        for params in [
            json!({"MESSAGE": "x"}),
            json!({"USER_ID": 0, "MESSAGE": "x"}),
        ] {
            let (status, body) = app.call(&anna, method, params).await;
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["error"], "USER_ID_EMPTY");
            assert_eq!(body["error_description"], "User ID can't be empty");
        }
        let (status, body) = app
            .call(
                &anna,
                method,
                json!({"USER_ID": bob.user, "MESSAGE": "   "}),
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("MESSAGE_EMPTY"))
        );
        assert_eq!(body["error_description"], "Message can't be empty");
        // A recipient who does not exist: no notification, `false`.
        assert_eq!(
            app.ok(&anna, method, json!({"USER_ID": 999_999, "MESSAGE": "x"}))
                .await,
            false
        );
    }
    // An empty one (`{}`, `[]`) is none, as on messages: PHP's empty().
    for bad in [json!("not json"), json!(5), json!("[]"), json!([5])] {
        assert_eq!(
            app.err(
                &anna,
                "im.notify",
                json!({"USER_ID": bob.user, "MESSAGE": "x", "ATTACH": bad})
            )
            .await,
            (400, "ATTACH_ERROR".to_owned()),
            "{bad}"
        );
    }
    let huge = json!([{"MESSAGE": "x".repeat(60_001)}]);
    assert_eq!(
        app.err(
            &anna,
            "im.notify",
            json!({"USER_ID": bob.user, "MESSAGE": "x", "ATTACH": huge})
        )
        .await,
        (400, "ATTACH_OVERSIZE".to_owned())
    );
    let attach = json!([{"MESSAGE": "API will be available soon"}]);
    app.ok(
        &anna,
        "im.notify",
        json!({"USER_ID": bob.user, "MESSAGE": "with attach", "ATTACH": attach.to_string()}),
    )
    .await;
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(got["total_count"], 1, "nothing refused was stored");
    // Kept as portals keep a message's: one attachment with its ID and
    // blocks, in a list.
    let kept = &got["notifications"][0]["params"]["ATTACH"];
    assert_eq!(kept[0]["BLOCKS"], attach, "{got}");
    assert!(kept[0]["ID"].is_i64(), "{got}");
    assert_eq!(kept.as_array().map(Vec::len), Some(1), "{got}");
}

#[tokio::test]
async fn read_marks_follow_the_pages() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let mut sent = Vec::new();
    for i in 0..5 {
        let id = app
            .ok(
                &anna,
                "im.notify",
                json!({"USER_ID": bob.user, "MESSAGE": format!("n{i}")}),
            )
            .await;
        sent.push(id.as_i64().unwrap());
    }
    let read_flags = |got: &Value| -> Vec<(i64, String)> {
        got["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["id"].as_i64().unwrap(),
                    n["notify_read"].as_str().unwrap().to_owned(),
                )
            })
            .rev()
            .collect()
    };
    let flags = |marks: [&str; 5]| -> Vec<(i64, String)> {
        sent.iter()
            .zip(marks)
            .map(|(i, m)| (*i, m.to_owned()))
            .collect()
    };
    // Another user cannot mark Bob's notifications.
    assert_eq!(
        app.ok(
            &anna,
            "im.notify.read",
            json!({"ID": sent[0], "ONLY_CURRENT": "Y"})
        )
        .await,
        true
    );
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(read_flags(&got), flags(["N", "N", "N", "N", "N"]));
    // ONLY_CURRENT=Y: that one.
    app.ok(
        &bob,
        "im.notify.read",
        json!({"ID": sent[1], "ONLY_CURRENT": "Y"}),
    )
    .await;
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(read_flags(&got), flags(["N", "Y", "N", "N", "N"]));
    assert_eq!(got["total_unread_count"], 4);
    // ID alone: it and every later one.
    app.ok(&bob, "im.notify.read", json!({"ID": sent[3]})).await;
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(read_flags(&got), flags(["N", "Y", "N", "Y", "Y"]));
    // ACTION=N unreads; no ID changes nothing and still answers true.
    app.ok(
        &bob,
        "im.notify.read",
        json!({"ID": sent[4], "ACTION": "N", "ONLY_CURRENT": "Y"}),
    )
    .await;
    assert_eq!(app.ok(&bob, "im.notify.read", json!({})).await, true);
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(read_flags(&got), flags(["N", "Y", "N", "Y", "N"]));
    // read.list: up to the first id that is not positive.
    assert_eq!(
        app.ok(
            &bob,
            "im.notify.read.list",
            json!({"IDS": [sent[0], 0, sent[2]]})
        )
        .await,
        true
    );
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(read_flags(&got), flags(["Y", "Y", "N", "Y", "N"]));
    // Any ACTION but Y unreads.
    app.ok(
        &bob,
        "im.notify.read.list",
        json!({"IDS": [sent[0], sent[1]], "ACTION": "no"}),
    )
    .await;
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(read_flags(&got), flags(["N", "N", "N", "Y", "N"]));
    for bad in [json!({}), json!({"IDS": 5})] {
        let (status, body) = app.call(&bob, "im.notify.read.list", bad).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("PARAMS_ERROR"))
        );
        assert_eq!(
            body["error_description"],
            "No IDS param or it is not an array"
        );
    }
    // read.all: an object with the new counter.
    assert_eq!(
        app.ok(&bob, "im.notify.read.all", json!({})).await,
        json!({"result": true, "newCounter": 0})
    );
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(read_flags(&got), flags(["Y", "Y", "Y", "Y", "Y"]));
    assert_eq!(
        app.ok(&bob, "im.counters.get", json!({})).await["TYPE"]["NOTIFY"],
        0
    );
}

#[tokio::test]
async fn paging_parameters_are_checked() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "Stone").await;
    for params in [json!({"LAST_ID": 5}), json!({"LAST_TYPE": 3})] {
        let (status, body) = app.call(&bob, "im.notify.get", params).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("LAST_ID_AND_LAST_TYPE"))
        );
        assert_eq!(
            body["error_description"],
            "Parameters LAST_ID and LAST_TYPE should be used together."
        );
    }
    let (status, body) = app
        .call(
            &bob,
            "im.notify.get",
            json!({"LAST_ID": "abc", "LAST_TYPE": 3}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("LAST_ID_STRING"))
    );
    assert_eq!(
        body["error_description"],
        "Last notification ID can't be string"
    );
}

#[tokio::test]
async fn tags_replace_and_delete_within_the_application() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let tagged = |text: &str, to: i64| json!({"USER_ID": to, "MESSAGE": text, "TAG": "TASK_42", "SUB_TAG": "TASK|42", "CLIENT_ID": "app.one"});
    let first = app.ok(&anna, "im.notify", tagged("first", bob.user)).await;
    let second = app.ok(&anna, "im.notify", tagged("second", bob.user)).await;
    app.ok(&anna, "im.notify", tagged("for carl", carl.user))
        .await;
    // Another application's tag of the same name is another tag.
    app.ok(
        &anna,
        "im.notify",
        json!({"USER_ID": bob.user, "MESSAGE": "other app", "TAG": "TASK_42", "CLIENT_ID": "app.two"}),
    )
    .await;
    // A webhook without CLIENT_ID keeps no tag.
    let untagged = app
        .ok(
            &anna,
            "im.notify",
            json!({"USER_ID": bob.user, "MESSAGE": "no app", "TAG": "TASK_42"}),
        )
        .await;
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    let list = got["notifications"].as_array().unwrap();
    assert_eq!(list.len(), 3, "the second replaced the first: {list:?}");
    assert!(!ids(&got["notifications"]).contains(&first.as_i64().unwrap()));
    let second = list.iter().find(|n| n["id"] == second).unwrap();
    let tag = second["notify_tag"].as_str().unwrap();
    let parts: Vec<&str> = tag.split('|').collect();
    // Portals keep five hex digits of the application's key; b24im keeps
    // 32, so that no two applications' tags collide (docs/security.md).
    assert_eq!(
        (parts[0], parts[1].len(), parts[2]),
        ("MP", 32, "TASK_42"),
        "{tag}"
    );
    assert_eq!(second["notify_sub_tag"], format!("MP|{}|TASK|42", parts[1]));
    let stored_sub_tag = second["notify_sub_tag"].as_str().unwrap().to_owned();
    let plain = list.iter().find(|n| n["id"] == untagged).unwrap();
    assert_eq!(
        (
            plain["notify_tag"].as_str(),
            plain["notify_sub_tag"].as_str()
        ),
        (Some(""), Some(""))
    );

    // Deleting by tag needs the application.
    let (status, body) = app
        .call(&anna, "im.notify.delete", json!({"TAG": "TASK_42"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    assert_eq!(
        body["error_description"],
        "Access denied! Client ID not specified"
    );
    let (status, body) = app
        .call(&anna, "im.notify.delete", json!({"CLIENT_ID": "app.one"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("PARAMS_ERROR"))
    );
    assert_eq!(body["error_description"], "Incorrect params");
    assert_eq!(
        app.ok(
            &anna,
            "im.notify.delete",
            json!({"SUB_TAG": "TASK|42", "CLIENT_ID": "app.one"})
        )
        .await,
        true
    );
    // Gone for both recipients; app.two's stays.
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    let texts: Vec<&str> = got["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["no app", "other app"]);
    assert_eq!(
        app.ok(&carl, "im.notify.get", json!({})).await["notifications"],
        json!([])
    );
    assert_eq!(
        app.ok(
            &anna,
            "im.notify.delete",
            json!({"TAG": "TASK_42", "CLIENT_ID": "app.one"})
        )
        .await,
        false,
        "nothing left to delete"
    );
    // By ID: the recipient (or the sender), nobody else.
    assert_eq!(
        app.ok(&carl, "im.notify.delete", json!({"ID": untagged}))
            .await,
        false
    );
    assert_eq!(
        app.ok(&bob, "im.notify.delete", json!({"ID": untagged}))
            .await,
        true
    );
    let got = app.ok(&bob, "im.notify.get", json!({})).await;
    assert_eq!(got["total_count"], 1);
    // By TAG: true when something went.
    app.ok(&anna, "im.notify", tagged("again", carl.user)).await;
    assert_eq!(
        app.ok(
            &anna,
            "im.notify.delete",
            json!({"TAG": "TASK_42", "CLIENT_ID": "app.one"})
        )
        .await,
        true
    );
    assert_eq!(
        app.ok(&carl, "im.notify.get", json!({})).await["notifications"],
        json!([])
    );
    // GROUP_TAG finds an application's tag as it was sent.
    app.ok(&anna, "im.notify", tagged("grouped", bob.user))
        .await;
    let grouped = app
        .ok(
            &anna,
            "im.notify.history.search",
            json!({"GROUP_TAG": "TASK|42", "CLIENT_ID": "app.one", "SEARCH_TYPE": "rest"}),
        )
        .await;
    assert_eq!(grouped["total_results"], 0, "Anna received none of them");
    // Bob's CLIENT_ID "app.one" is Bob's own application, not Anna's: its
    // tag is another; he finds hers as it is stored (notify_sub_tag).
    let grouped = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"GROUP_TAG": "TASK|42", "CLIENT_ID": "app.one", "SEARCH_TYPE": "rest"}),
        )
        .await;
    assert_eq!(grouped["total_results"], 0);
    let grouped = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"GROUP_TAG": stored_sub_tag, "SEARCH_TYPE": "rest"}),
        )
        .await;
    assert_eq!(grouped["total_results"], 1);
    assert_eq!(grouped["notifications"][0]["text"], "grouped");
}

#[tokio::test]
async fn history_search_filters_and_pages() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let carl = app.user("Carl", "Moss").await;
    let bob = app.user("Bob", "Stone").await;
    let mut invoices = Vec::new();
    for i in 0..3 {
        let id = app
            .ok(
                &anna,
                "im.notify",
                json!({"USER_ID": bob.user, "MESSAGE": format!("Invoice {i} paid")}),
            )
            .await;
        invoices.push(id.as_i64().unwrap());
    }
    let from_carl = app
        .ok(
            &carl,
            "im.notify",
            json!({"USER_ID": bob.user, "MESSAGE": "Meeting at noon"}),
        )
        .await;
    let (status, body) = app
        .call(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TEXT": "in"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("SEARCH_TEXT_ERROR"))
    );
    assert_eq!(
        body["error_description"],
        "SEARCH_TEXT can't be less than 3 symbols"
    );

    let found = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TEXT": "INVOICE", "LIMIT": 2}),
        )
        .await;
    assert_eq!(
        keys(&found),
        ["chat_id", "total_results", "notifications", "users"]
    );
    assert_eq!(found["total_results"], 3);
    assert_eq!(ids(&found["notifications"]), [invoices[2], invoices[1]]);
    assert_eq!(found["users"][0]["id"], anna.user);
    // The next page: no total_results.
    let next = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TEXT": "invoice", "LIMIT": 2, "LAST_ID": invoices[1]}),
        )
        .await;
    assert_eq!(keys(&next), ["chat_id", "notifications", "users"]);
    assert_eq!(ids(&next["notifications"]), [invoices[0]]);
    // Other filters lift the three-character rule.
    let by_author = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_AUTHORS": [carl.user]}),
        )
        .await;
    assert_eq!(
        ids(&by_author["notifications"]),
        [from_carl.as_i64().unwrap()]
    );
    let by_type = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TYPE": "rest|rest_notify"}),
        )
        .await;
    assert_eq!(by_type["total_results"], 4);
    let other_type = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TYPES": ["tasks"]}),
        )
        .await;
    assert_eq!(other_type["total_results"], 0);
    let now = chrono::Utc::now();
    let today = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_DATE_FROM": (now - chrono::Duration::hours(1)).to_rfc3339(),
                   "SEARCH_DATE_TO": (now + chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(today["total_results"], 4);
    let today = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_DATE": (now - chrono::Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(today["total_results"], 4);
    let by_module = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TYPE": "rest"}),
        )
        .await;
    assert_eq!(by_module["total_results"], 4);
    let both = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TYPES": ["tasks", "rest|rest_notify"], "SEARCH_TEXT": "meeting"}),
        )
        .await;
    assert_eq!(ids(&both["notifications"]), [from_carl.as_i64().unwrap()]);
    let (status, body) = app
        .call(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TEXT": "invoice", "LAST_ID": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("LAST_ID_STRING"))
    );
    let many: Vec<String> = (0..101).map(|i| format!("m{i}")).collect();
    let (status, body) = app
        .call(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_TYPES": many}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("SEARCH_TYPE_ERROR"))
    );
    let authors: Vec<i64> = (1..=1001).collect();
    let (status, body) = app
        .call(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_AUTHORS": authors}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("TOO_MANY_USERS")),
        "{body}"
    );
    let tomorrow = app
        .ok(
            &bob,
            "im.notify.history.search",
            json!({"SEARCH_DATE": (now + chrono::Duration::days(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(tomorrow["total_results"], 0);
    // Anna's search sees none of Bob's notifications.
    let theirs = app
        .ok(
            &anna,
            "im.notify.history.search",
            json!({"SEARCH_TEXT": "invoice"}),
        )
        .await;
    assert_eq!(theirs["total_results"], 0);
}

#[tokio::test]
async fn answer_confirm_and_schema() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let id = app
        .ok(
            &anna,
            "im.notify",
            json!({"USER_ID": bob.user, "MESSAGE": "hi"}),
        )
        .await;
    let (status, body) = app
        .call(&bob, "im.notify.answer", json!({"ANSWER_TEXT": "ok"}))
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("ID_ERROR")));
    assert_eq!(body["error_description"], "Notification ID can't be empty");
    let (status, body) = app
        .call(&bob, "im.notify.answer", json!({"NOTIFY_ID": id}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("ANSWER_TEXT_ERROR"))
    );
    assert_eq!(body["error_description"], "ANSWER_TEXT can't be empty");
    // Nothing sent through REST offers a quick reply or buttons.
    assert_eq!(
        app.ok(
            &bob,
            "im.notify.answer",
            json!({"NOTIFY_ID": id, "ANSWER_TEXT": "ok"})
        )
        .await,
        json!({"result_message": false})
    );
    let (status, body) = app
        .call(&bob, "im.notify.confirm", json!({"NOTIFY_ID": id}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("NOTIFY_VALUE_ERROR"))
    );
    assert_eq!(
        body["error_description"],
        "Notification Value can't be empty"
    );
    assert_eq!(
        app.ok(
            &bob,
            "im.notify.confirm",
            json!({"NOTIFY_ID": id, "NOTIFY_VALUE": "Y"})
        )
        .await,
        json!({"result_message": false})
    );
    let schema = app.ok(&bob, "im.notify.schema.get", json!({})).await;
    assert_eq!(keys(&schema["rest"]), ["NAME", "MODULE_ID", "LIST"]);
    assert_eq!(schema["rest"]["MODULE_ID"], "rest");
    assert_eq!(schema["rest"]["LIST"][0]["ID"], "rest|rest_notify");
}
