//! `im.message.like`: every action, every error, visibility, concurrency.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn plus_sets_and_shows_in_params_like() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let msg = app.post(&app.admin, chat, "hello").await;

    let (status, body) = app
        .call(
            &anna,
            "im.message.like",
            json!({"MESSAGE_ID": msg, "ACTION": "plus"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"], json!(true));
    assert_eq!(app.likes(&app.admin, chat, msg).await, vec![anna.user]);
}

#[tokio::test]
async fn plus_twice_answers_without_changes() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "hi").await;
    app.ok(
        &app.admin,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "ACTION": "plus"}),
    )
    .await;
    let (status, body) = app
        .call(
            &app.admin,
            "im.message.like",
            json!({"MESSAGE_ID": msg, "ACTION": "plus"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "WITHOUT_CHANGES", "error_description": "Action completed without changes"})
    );
}

#[tokio::test]
async fn minus_removes_and_minus_again_answers_without_changes() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "hi").await;
    assert_eq!(
        app.err(
            &app.admin,
            "im.message.like",
            json!({"MESSAGE_ID": msg, "ACTION": "minus"})
        )
        .await,
        (400, "WITHOUT_CHANGES".to_string())
    );
    app.ok(
        &app.admin,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "ACTION": "plus"}),
    )
    .await;
    app.ok(
        &app.admin,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "ACTION": "minus"}),
    )
    .await;
    assert!(app.likes(&app.admin, chat, msg).await.is_empty());
}

#[tokio::test]
async fn auto_and_unknown_actions_toggle() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "hi").await;
    let me = app.admin.user;
    for (action, expected) in [
        (json!("auto"), vec![me]),
        (json!("AUTO"), vec![]),
        (json!("whatever"), vec![me]),
        (json!(null), vec![]),
    ] {
        let mut params = json!({"MESSAGE_ID": msg});
        if !action.is_null() {
            params["ACTION"] = action.clone();
        }
        app.ok(&app.admin, "im.message.like", params).await;
        assert_eq!(app.likes(&app.admin, chat, msg).await, expected, "{action}");
    }
}

#[tokio::test]
async fn action_is_case_insensitive() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "hi").await;
    app.ok(
        &app.admin,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "ACTION": "PLUS"}),
    )
    .await;
    app.ok(
        &app.admin,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "ACTION": "Minus"}),
    )
    .await;
    assert!(app.likes(&app.admin, chat, msg).await.is_empty());
}

#[tokio::test]
async fn bad_message_ids_answer_message_id_error() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    for params in [
        json!({}),
        json!({"MESSAGE_ID": 0}),
        json!({"MESSAGE_ID": -5}),
        json!({"MESSAGE_ID": "abc"}),
        json!({"MESSAGE_ID": ""}),
        json!({"MESSAGE_ID": null}),
        json!({"MESSAGE_ID": [1, 2]}),
    ] {
        let (status, body) = app
            .call(&app.admin, "im.message.like", params.clone())
            .await;
        assert_eq!(status, 400, "{params}");
        assert_eq!(
            body,
            json!({"error": "MESSAGE_ID_ERROR", "error_description": "Message ID can't be empty"}),
            "{params}"
        );
    }
}

#[tokio::test]
async fn message_id_may_be_a_string_or_lowercase_or_id() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "hi").await;
    app.ok(
        &app.admin,
        "im.message.like",
        json!({"message_id": msg.to_string(), "action": "plus"}),
    )
    .await;
    app.ok(
        &app.admin,
        "im.message.like",
        json!({"ID": msg, "ACTION": "minus"}),
    )
    .await;
    assert!(app.likes(&app.admin, chat, msg).await.is_empty());
}

#[tokio::test]
async fn missing_message_answers_without_changes_and_writes_nothing() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    assert_eq!(
        app.err(
            &app.admin,
            "im.message.like",
            json!({"MESSAGE_ID": 999_999, "ACTION": "plus"})
        )
        .await,
        (400, "WITHOUT_CHANGES".to_string())
    );
}

#[tokio::test]
async fn outsider_cannot_like_and_learns_nothing() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let outsider = app.user("Eve", "").await;
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "secret").await;

    for action in ["plus", "minus", "auto"] {
        let (status, body) = app
            .call(
                &outsider,
                "im.message.like",
                json!({"MESSAGE_ID": msg, "ACTION": action}),
            )
            .await;
        let (missing_status, missing_body) = app
            .call(
                &outsider,
                "im.message.like",
                json!({"MESSAGE_ID": msg + 1000, "ACTION": action}),
            )
            .await;
        assert_eq!((status, &body), (missing_status, &missing_body), "{action}");
        assert_eq!(body["error"], "WITHOUT_CHANGES");
    }
    assert!(app.likes(&app.admin, chat, msg).await.is_empty());
}

#[tokio::test]
async fn a_member_who_left_can_no_longer_like() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let chat = app.chat(&app.admin, &[&anna]).await;
    let msg = app.post(&app.admin, chat, "hi").await;
    app.ok(&anna, "im.chat.leave", json!({"CHAT_ID": chat}))
        .await;
    assert_eq!(
        app.err(&anna, "im.message.like", json!({"MESSAGE_ID": msg}))
            .await,
        (400, "WITHOUT_CHANGES".to_string())
    );
}

#[tokio::test]
async fn likes_work_in_private_dialogs() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let msg = app
        .ok(
            &app.admin,
            "im.message.add",
            json!({"DIALOG_ID": anna.user.to_string(), "MESSAGE": "hi Anna"}),
        )
        .await
        .as_i64()
        .unwrap();
    app.ok(
        &anna,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "ACTION": "plus"}),
    )
    .await;
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": app.admin.user.to_string()}),
        )
        .await;
    assert_eq!(history["messages"][0]["params"]["LIKE"], json!([anna.user]));
}

#[tokio::test]
async fn several_likers_are_listed_in_order() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let bob = app.user("Bob", "").await;
    let chat = app.chat(&app.admin, &[&anna, &bob]).await;
    let msg = app.post(&app.admin, chat, "hi").await;
    app.ok(&bob, "im.message.like", json!({"MESSAGE_ID": msg}))
        .await;
    app.ok(&anna, "im.message.like", json!({"MESSAGE_ID": msg}))
        .await;
    assert_eq!(
        app.likes(&app.admin, chat, msg).await,
        vec![bob.user, anna.user]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_plus_gives_exactly_one_true() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "race").await;
    let n = 32;
    let mut tasks = Vec::new();
    for _ in 0..n {
        let client = app.client.clone();
        let url = format!("{}im.message.like", app.admin.url);
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .json(&json!({"MESSAGE_ID": msg, "ACTION": "plus"}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body)
        }));
    }
    let mut trues = 0;
    let mut unchanged = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            200 => {
                assert_eq!(body["result"], json!(true));
                trues += 1;
            }
            400 => {
                assert_eq!(body["error"], "WITHOUT_CHANGES");
                unchanged += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((trues, unchanged), (1, n - 1));
    assert_eq!(app.likes(&app.admin, chat, msg).await, vec![app.admin.user]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_auto_leaves_the_state_their_parity_implies() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    for n in [16usize, 17] {
        let msg = app.post(&app.admin, chat, "toggle").await;
        let mut tasks = Vec::new();
        for _ in 0..n {
            let client = app.client.clone();
            let url = format!("{}im.message.like", app.admin.url);
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"MESSAGE_ID": msg, "ACTION": "auto"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 200, "every toggle changes something");
        }
        let expected = if n % 2 == 1 {
            vec![app.admin.user]
        } else {
            vec![]
        };
        assert_eq!(app.likes(&app.admin, chat, msg).await, expected, "n = {n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_users_liking_at_once_are_all_counted() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let mut hooks = Vec::new();
    for i in 0..20 {
        hooks.push(app.user(&format!("U{i}"), "").await);
    }
    let refs: Vec<&crate::helpers::Hook> = hooks.iter().collect();
    let chat = app.chat(&app.admin, &refs).await;
    let msg = app.post(&app.admin, chat, "like me").await;
    let mut tasks = Vec::new();
    for h in hooks.clone() {
        let client = app.client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{}im.message.like", h.url))
                .json(&json!({"MESSAGE_ID": msg, "ACTION": "plus"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let mut likes = app.likes(&app.admin, chat, msg).await;
    likes.sort();
    let mut expected: Vec<i64> = hooks.iter().map(|h| h.user).collect();
    expected.sort();
    assert_eq!(likes, expected);
}

/// Many users' likes of several messages at once, each pair once, mixed
/// actions (on PostgreSQL a writer runs a group's likes as one batch):
/// each answer is the one the like would get alone, and what stands is
/// what the answers say. An outsider's like and one of a deleted message
/// change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crowd_of_mixed_likes_each_get_their_own_answer() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let mut hooks = Vec::new();
    for i in 0..12 {
        hooks.push(app.user(&format!("U{i}"), "").await);
    }
    let outsider = app.user("Out", "Sider").await;
    let refs: Vec<&crate::helpers::Hook> = hooks.iter().collect();
    let chat = app.chat(&app.admin, &refs).await;
    let mut messages = Vec::new();
    for text in ["one", "two", "three"] {
        messages.push(app.post(&app.admin, chat, text).await);
    }
    let gone = app.post(&app.admin, chat, "gone").await;
    app.ok(&app.admin, "im.message.delete", json!({"MESSAGE_ID": gone}))
        .await;
    // Before: the even users like the first two messages.
    let liked_before = |i: usize, j: usize| i.is_multiple_of(2) && j < 2;
    for (i, h) in hooks.iter().enumerate() {
        for (j, m) in messages.iter().enumerate() {
            if liked_before(i, j) {
                app.ok(
                    h,
                    "im.message.like",
                    json!({"MESSAGE_ID": m, "ACTION": "plus"}),
                )
                .await;
            }
        }
    }

    let mut tasks = Vec::new();
    let send = |url: String, body: serde_json::Value| {
        let client = app.client.clone();
        tokio::spawn(async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body)
        })
    };
    for (i, h) in hooks.iter().enumerate() {
        for (j, m) in messages.iter().enumerate() {
            let action = ["plus", "minus", "auto"][(i + j) % 3];
            let changes = match action {
                "plus" => !liked_before(i, j),
                "minus" => liked_before(i, j),
                _ => true,
            };
            let body = json!({"MESSAGE_ID": m, "ACTION": action});
            tasks.push((
                format!("user {i} {action} message {j}"),
                changes,
                send(format!("{}im.message.like", h.url), body),
            ));
        }
        let body = json!({"MESSAGE_ID": gone, "ACTION": "plus"});
        tasks.push((
            format!("user {i} likes a deleted message"),
            false,
            send(format!("{}im.message.like", h.url), body),
        ));
    }
    let body = json!({"MESSAGE_ID": messages[0], "ACTION": "plus"});
    tasks.push((
        "an outsider".to_owned(),
        false,
        send(format!("{}im.message.like", outsider.url), body),
    ));
    for (what, changes, task) in tasks {
        let (status, body) = task.await.unwrap();
        if changes {
            assert_eq!(
                (status, &body["result"]),
                (200, &json!(true)),
                "{what}: {body}"
            );
        } else {
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("WITHOUT_CHANGES")),
                "{what}: {body}"
            );
        }
    }
    for (j, m) in messages.iter().enumerate() {
        let mut want: Vec<i64> = hooks
            .iter()
            .enumerate()
            .filter(|(i, _)| match ["plus", "minus", "auto"][(i + j) % 3] {
                "plus" => true,
                "minus" => false,
                _ => !liked_before(*i, j),
            })
            .map(|(_, h)| h.user)
            .collect();
        want.sort();
        let mut got = app.likes(&app.admin, chat, *m).await;
        got.sort();
        assert_eq!(got, want, "message {j}");
    }
}
