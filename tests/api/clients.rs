//! The exact requests the official SDKs and fast-bitrix24 send
//! (../shared/reference/clients.md), replayed byte for byte, and what each
//! needs back.

use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn post_raw(app: &TestApp, url: &str, body: &str) -> (u16, Value) {
    let res = app
        .client
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

const TIME_KEYS: [&str; 8] = [
    "start",
    "finish",
    "duration",
    "processing",
    "date_start",
    "date_finish",
    "operating_reset_at",
    "operating",
];

fn assert_full_time(t: &Value) {
    for key in TIME_KEYS {
        assert!(t.get(key).is_some(), "time.{key} missing in {t}");
    }
    assert!(t["operating"].is_number(), "{t}");
}

#[tokio::test]
async fn b24jssdk_single_call_with_its_query_parameters() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "x").await;
    let url = format!(
        "{}im.message.like?bx24_request_id=0193c7f2-8f0e-7c3a-a1b2-c3d4e5f60718&bx24_sdk_ver=2.2.0&bx24_sdk_type=b24-js-sdk",
        app.admin.url
    );
    let (status, body) = post_raw(
        &app,
        &url,
        &format!(r#"{{"MESSAGE_ID":{msg},"ACTION":"plus"}}"#),
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    assert_full_time(&body["time"]);
    // The error keeps its 4xx status, so the SDK throws it.
    let (status, body) = post_raw(
        &app,
        &url,
        &format!(r#"{{"MESSAGE_ID":{msg},"ACTION":"plus"}}"#),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("WITHOUT_CHANGES"))
    );
}

#[tokio::test]
async fn b24jssdk_batches_as_object_and_array() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "").await;
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "x").await;
    let url = format!(
        "{}batch?bx24_request_id=1&bx24_sdk_ver=2.2.0&bx24_sdk_type=b24-js-sdk",
        app.admin.url
    );
    let body = format!(
        r#"{{"halt":0,"cmd":{{"a":"im.message.like?MESSAGE_ID={msg}&ACTION=plus","b":"im.chat.add?USERS%5B0%5D={}&TITLE=a%20b%26c"}}}}"#,
        bob.user
    );
    let (status, body) = post_raw(&app, &url, &body).await;
    assert_eq!(status, 200, "{body}");
    let r = &body["result"];
    assert_eq!(r["result"]["a"], true);
    let new_chat = r["result"]["b"].as_i64().unwrap();
    assert_eq!(r["result_error"], json!([]));
    for key in ["a", "b"] {
        assert_full_time(&r["result_time"][key]);
    }
    let title = app
        .ok(
            &app.admin,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{new_chat}")}),
        )
        .await["name"]
        .clone();
    assert_eq!(title, "a b&c");

    // Array form with halt 1: the failing command is reported, the rest skipped.
    let body = format!(
        r#"{{"halt":1,"cmd":["im.message.like?MESSAGE_ID={msg}&ACTION=minus","im.message.like?MESSAGE_ID={msg}&ACTION=minus","server.time"]}}"#
    );
    let (status, body) = post_raw(&app, &url, &body).await;
    assert_eq!(status, 200, "{body}");
    let r = &body["result"];
    // Positions are kept: `result` is the PHP list [true], the error sits under 1.
    assert_eq!(r["result"], json!([true]), "{r}");
    assert_eq!(r["result_error"]["1"]["error"], "WITHOUT_CHANGES", "{r}");
}

#[tokio::test]
async fn b24pysdk_json_suffix_and_its_batch() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "x").await;
    let (status, body) = post_raw(
        &app,
        &format!("{}im.message.like.json", app.admin.url),
        &format!(r#"{{"MESSAGE_ID": {msg}, "ACTION": "plus"}}"#),
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");

    // call_batch: halt as a JSON boolean, list keys "0", "1", brackets not
    // encoded, spaces as '+', a command without parameters ending in '?'.
    let (status, body) = post_raw(
        &app,
        &format!("{}batch.json", app.admin.url),
        r#"{"cmd": {"0": "im.chat.add?USERS[0]=1&TITLE=a+b%26c%2F%C3%A9", "1": "user.current?"}, "halt": true}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let r = &body["result"];
    // Keys "0", "1" form a PHP list, so Bitrix24 answers with JSON arrays;
    // b24pysdk reads either form.
    let new_chat = r["result"][0].as_i64().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(r["result"][1]["ID"], "1");
    assert_eq!(r["result_error"], json!([]));
    for key in ["result_total", "result_next", "result_time"] {
        assert!(r.get(key).is_some(), "{key} missing in {r}");
    }
    assert_full_time(&r["result_time"][0]);
    assert_full_time(&body["time"]);
    let title = app
        .ok(
            &app.admin,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{new_chat}")}),
        )
        .await["name"]
        .clone();
    assert_eq!(title, "a b&c/é");
}

#[tokio::test]
async fn fast_bitrix24_commands_in_any_case_and_its_extra_order() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "x").await;
    // Upper-case method names, %20 spaces, '/' left raw, the trailing '&'.
    let body = json!({"halt": 0, "cmd": {
        "order0000000000": "IM.CHAT.ADD?__order=order0000000000&TITLE=x%20y/z&USERS[0]=1&",
        "order0000000001": format!("im.message.like?__order=order0000000001&MESSAGE_ID={msg}&ACTION=auto&"),
    }});
    let r = app.ok(&app.admin, "batch", body).await;
    assert!(r["result"]["order0000000000"].is_i64(), "{r}");
    assert_eq!(r["result"]["order0000000001"], true);
    assert_eq!(
        r["result_error"],
        json!([]),
        "an empty result_error is falsy"
    );
    // Keys come back in command order (fast-bitrix24 turns them into a tuple).
    let keys: Vec<&String> = r["result"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["order0000000000", "order0000000001"]);

    // get_all adds `order` to any method; a non-list answer carries no total.
    let (status, body) = app
        .call(
            &app.admin,
            "im.message.like",
            json!({"MESSAGE_ID": msg, "order": {"ID": "ASC"}}),
        )
        .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    assert!(
        body.get("total").is_none() && body.get("next").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn oauth_auth_in_a_json_body_works_like_a_form_field() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let token = app.access_token(1).await;
    let base = &app.base;
    let (status, body) = post_raw(
        &app,
        &format!("{base}/rest/user.current"),
        &format!(r#"{{"auth": "{token}"}}"#),
    )
    .await;
    assert_eq!(
        (status, &body["result"]["ID"]),
        (200, &json!("1")),
        "{body}"
    );
    // In a batch, the commands run as the batch's caller.
    let (status, body) = post_raw(
        &app,
        &format!("{base}/rest/batch"),
        &format!(r#"{{"auth": "{token}", "halt": 0, "cmd": {{"me": "user.current"}}}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["result"]["me"]["ID"], "1");
}

#[tokio::test]
async fn webhook_and_token_secrets_are_letters_and_digits() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let key = app
        .admin
        .url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        key.len() >= 16 && key.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{key}"
    );
    let token = app.access_token(1).await;
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
}
