//! `batch`: shapes the SDKs send, errors per command, halt, references, limits.

use serde_json::{json, Value};

use crate::helpers::TestApp;

#[tokio::test]
async fn object_commands_answer_under_their_keys() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "x").await;
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"halt": 0, "cmd": {
                "like": format!("im.message.like?MESSAGE_ID={msg}&ACTION=plus"),
                "me": "user.current",
            }}),
        )
        .await;
    assert_eq!(result["result"]["like"], json!(true));
    assert_eq!(
        result["result"]["me"]["ID"],
        json!(app.admin.user.to_string())
    );
    assert_eq!(result["result_error"], json!([]));
    assert_eq!(result["result_total"], json!([]));
    assert_eq!(result["result_next"], json!([]));
    for key in ["like", "me"] {
        let t = &result["result_time"][key];
        assert!(t["start"].is_number() && t["date_start"].is_string(), "{t}");
    }
}

#[tokio::test]
async fn fast_bitrix24_shape_with_order_and_trailing_ampersand() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "x").await;
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"halt": 0, "cmd": {
                "order0000000000": format!("im.message.like?__order=order0000000000&MESSAGE_ID={msg}&ACTION=plus&"),
                "order0000000001": format!("im.message.like?__order=order0000000001&MESSAGE_ID={msg}&ACTION=plus&"),
            }}),
        )
        .await;
    assert_eq!(result["result"], json!({"order0000000000": true}));
    assert_eq!(
        result["result_error"],
        json!({"order0000000001": {"error": "WITHOUT_CHANGES", "error_description": "Action completed without changes"}})
    );
}

#[tokio::test]
async fn array_commands_answer_by_position() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "x").await;
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"halt": false, "cmd": [
                format!("im.message.like?MESSAGE_ID={msg}"),
                format!("im.message.like?MESSAGE_ID={msg}&ACTION=plus"),
                "server.time",
            ]}),
        )
        .await;
    assert_eq!(result["result"]["0"], json!(true));
    assert!(result["result"]["2"].is_string());
    assert_eq!(result["result_error"]["1"]["error"], "WITHOUT_CHANGES");
}

#[tokio::test]
async fn all_successful_array_commands_form_a_list() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"cmd": ["server.time", "user.current"]}),
        )
        .await;
    assert!(result["result"].is_array(), "{result}");
    assert_eq!(result["result"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn halt_stops_at_the_first_error() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    for halt in [json!(1), json!(true), json!("1")] {
        let result = app
            .ok(
                &app.admin,
                "batch",
                json!({"halt": halt, "cmd": {
                    "a": "server.time",
                    "b": "im.message.like?MESSAGE_ID=0",
                    "c": "server.time",
                }}),
            )
            .await;
        assert!(result["result"]["a"].is_string());
        assert_eq!(result["result_error"]["b"]["error"], "MESSAGE_ID_ERROR");
        assert!(result["result"].get("c").is_none(), "halt={halt}: {result}");
    }
}

#[tokio::test]
async fn without_halt_every_command_answers() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"halt": 0, "cmd": {
                "a": "im.message.like?MESSAGE_ID=0",
                "b": "no.such.method",
                "c": "server.time",
            }}),
        )
        .await;
    assert_eq!(result["result_error"]["a"]["error"], "MESSAGE_ID_ERROR");
    assert_eq!(
        result["result_error"]["b"]["error"],
        "ERROR_METHOD_NOT_FOUND"
    );
    assert!(result["result"]["c"].is_string());
}

#[tokio::test]
async fn results_feed_later_commands() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"halt": 1, "cmd": {
                "chat": format!("im.chat.add?TITLE=Linked&USERS[]={}", anna.user),
                "msg": "im.message.add?DIALOG_ID=chat$result[chat]&MESSAGE=first",
                "like": "im.message.like?MESSAGE_ID=$result[msg]&ACTION=plus",
                "me": "user.current",
                "me_again": "im.user.get?ID=$result[me][ID]",
            }}),
        )
        .await;
    assert_eq!(result["result_error"], json!([]), "{result}");
    let chat = result["result"]["chat"].as_i64().unwrap();
    let msg = result["result"]["msg"].as_i64().unwrap();
    assert_eq!(result["result"]["like"], json!(true));
    assert_eq!(result["result"]["me_again"]["id"], json!(app.admin.user));
    assert_eq!(app.likes(&anna, chat, msg).await, vec![app.admin.user]);
}

#[tokio::test]
async fn url_encoded_references_and_brackets_work() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"cmd": {
                "me": "user.current",
                "again": "im.user.get?ID=%24result%5Bme%5D%5BID%5D",
            }}),
        )
        .await;
    assert_eq!(result["result"]["again"]["id"], json!(app.admin.user));
}

#[tokio::test]
async fn nested_batch_is_refused() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"cmd": {"inner": "batch?cmd[a]=server.time"}}),
        )
        .await;
    assert_eq!(
        result["result_error"]["inner"]["error"],
        "ERROR_BATCH_METHOD_NOT_ALLOWED"
    );
}

#[tokio::test]
async fn commands_beyond_fifty_fail_with_length_exceeded() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let cmd: serde_json::Map<String, Value> = (0..55)
        .map(|i| (format!("c{i}"), json!("server.time")))
        .collect();
    let result = app.ok(&app.admin, "batch", json!({"cmd": cmd})).await;
    assert_eq!(result["result"].as_object().unwrap().len(), 50);
    let errors = result["result_error"].as_object().unwrap();
    assert_eq!(errors.len(), 5);
    assert_eq!(errors["c54"]["error"], "ERROR_BATCH_LENGTH_EXCEEDED");
}

#[tokio::test]
async fn batch_commands_respect_scopes() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let user_only = app
        .hook(
            app.admin.user,
            b24im::domain::credentials::Scopes::parse("user").unwrap(),
        )
        .await;
    let result = app
        .ok(
            &user_only,
            "batch",
            json!({"cmd": {"a": "im.user.get", "b": "user.current"}}),
        )
        .await;
    assert_eq!(result["result_error"]["a"]["error"], "insufficient_scope");
    assert!(result["result"]["b"].is_object());
}

#[tokio::test]
async fn batch_over_a_form_body_works() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let res = app
        .client
        .post(format!("{}batch", app.admin.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("halt=0&cmd[t]=server.time&cmd[u]=im.user.get%3FID%3D1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["result"]["result"]["t"].is_string(), "{body}");
    assert_eq!(body["result"]["result"]["u"]["id"], json!(1));
}

/// `$result[...]` references count toward a size limit as they expand: a
/// command repeating a 19,999-character message 30,000 times (600 MB once
/// expanded) fails with a clear error instead of filling memory.
#[tokio::test]
async fn references_stop_expanding_at_the_limit() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    app.post(&app.admin, chat, &"x".repeat(19_999)).await;
    let reference = "$result[a][messages][0][text]".repeat(30_000);
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"cmd": {
                "a": format!("im.dialog.messages.get?DIALOG_ID=chat{chat}&LIMIT=1"),
                "b": format!("im.message.add?DIALOG_ID=chat{chat}&MESSAGE={reference}"),
            }}),
        )
        .await;
    assert!(
        result["result"]["a"].is_object(),
        "{}",
        result["result_error"]
    );
    let error = &result["result_error"]["b"];
    assert_eq!(error["error"], "ERROR_BATCH_EXPANSION_EXCEEDED", "{error}");
    assert!(error["error_description"]
        .as_str()
        .unwrap()
        .contains("1048576"));
    // A reference that fits still works.
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"cmd": {
                "a": format!("im.dialog.messages.get?DIALOG_ID=chat{chat}&LIMIT=1"),
                "b": format!("im.message.add?DIALOG_ID=chat{chat}&MESSAGE=$result[a][messages][0][text]"),
            }}),
        )
        .await;
    assert!(result["result"]["b"].is_i64(), "{result}");
}

/// A batch of 50 reads of the longest messages would answer about 50 MB; its
/// answer holds at most `--batch-answer-limit` (4 MiB) of results: the
/// command that would pass it, and every one after it (a write too), answer
/// ERROR_BATCH_ANSWER_TOO_LARGE and are not run.
#[tokio::test]
async fn a_batch_answer_is_bounded_and_what_passes_the_bound_is_not_run() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let long = "x".repeat(20_000);
    for _ in 0..50 {
        app.post(&app.admin, chat, &long).await;
    }
    let target = app.post(&app.admin, chat, "like me later").await;
    let mut cmd = serde_json::Map::new();
    for i in 0..49 {
        cmd.insert(
            format!("read{i}"),
            json!(format!(
                "im.dialog.messages.get?DIALOG_ID=chat{chat}&LIMIT=50"
            )),
        );
    }
    cmd.insert(
        "like".into(),
        json!(format!("im.message.like?MESSAGE_ID={target}&ACTION=plus")),
    );
    let (status, body) = app.call(&app.admin, "batch", json!({"cmd": cmd})).await;
    assert_eq!(status, 200);
    let size = body.to_string().len();
    assert!(size < 5 * 1024 * 1024, "the answer is {size} bytes");
    let results = body["result"]["result"].as_object().unwrap();
    let errors = body["result"]["result_error"].as_object().unwrap();
    // Each read is about 1 MB: four fit.
    assert!(
        (3..=4).contains(&results.len()),
        "{} results",
        results.len()
    );
    assert_eq!(results.len() + errors.len(), 50);
    assert_eq!(errors["like"]["error"], "ERROR_BATCH_ANSWER_TOO_LARGE");
    assert!(errors["like"]["error_description"]
        .as_str()
        .unwrap()
        .contains("4194304 bytes"));
    assert_eq!(
        app.likes(&app.admin, chat, target).await,
        Vec::<i64>::new(),
        "a command past the bound is not run"
    );
}
