//! The REST edge: request shapes, authentication, envelopes, limits, CORS.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use b24im::domain::credentials::Scopes;

async fn body(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

async fn like_state(app: &TestApp) -> (i64, i64) {
    let chat = app.chat(&app.admin, &[]).await;
    let msg = app.post(&app.admin, chat, "x").await;
    (chat, msg)
}

#[tokio::test]
async fn the_docs_curl_shapes_all_work() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (chat, msg) = like_state(&app).await;
    let url = |m: &str| format!("{}{m}", app.admin.url);

    // JSON body, as the docs' cURL examples send it.
    let (s, b) = body(
        app.client
            .post(url("im.message.like"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(format!(r#"{{"MESSAGE_ID":{msg},"ACTION":"plus"}}"#))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, &b["result"]), (200, &json!(true)));

    // Form body, as PHP CRest sends it.
    let (s, b) = body(
        app.client
            .post(url("im.message.like.json"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("MESSAGE_ID={msg}&ACTION=minus"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, &b["result"]), (200, &json!(true)));

    // Query string on GET, with the .json suffix.
    let (s, b) = body(
        app.client
            .get(format!(
                "{}?MESSAGE_ID={msg}&ACTION=plus",
                url("im.message.like.json")
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, &b["result"]), (200, &json!(true)));

    // Multipart form, as `curl -F` sends it.
    let form = reqwest::multipart::Form::new()
        .text("MESSAGE_ID", msg.to_string())
        .text("ACTION", "minus");
    let (s, b) = body(
        app.client
            .post(url("im.message.like"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, &b["result"]), (200, &json!(true)), "{b}");
    assert!(app.likes(&app.admin, chat, msg).await.is_empty());
}

#[tokio::test]
async fn method_names_are_case_insensitive() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let result = app.ok(&app.admin, "IM.User.GET", json!({})).await;
    assert_eq!(result["id"], json!(app.admin.user));
}

#[tokio::test]
async fn php_brackets_in_forms_become_lists_and_maps() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let bob = app.user("Bob", "").await;
    let (s, b) = body(
        app.client
            .post(format!("{}im.chat.add", app.admin.url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "TITLE=Brackets&USERS[]={}&USERS%5B%5D={}",
                anna.user, bob.user
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let chat = b["result"].as_i64().unwrap();
    let members = app
        .ok(&app.admin, "im.chat.user.list", json!({"CHAT_ID": chat}))
        .await;
    assert_eq!(members, json!([app.admin.user, anna.user, bob.user]));
}

#[tokio::test]
async fn query_and_json_body_merge_with_the_body_winning() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (chat, msg) = like_state(&app).await;
    let (s, b) = body(
        app.client
            .post(format!(
                "{}im.message.like?MESSAGE_ID=999999&ACTION=plus&bx24_request_id=abc&bx24_sdk_ver=2.2.0&bx24_sdk_type=b24-js-sdk",
                app.admin.url
            ))
            .json(&json!({"MESSAGE_ID": msg}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, &b["result"]), (200, &json!(true)), "{b}");
    assert_eq!(app.likes(&app.admin, chat, msg).await, vec![app.admin.user]);
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (_, msg) = like_state(&app).await;
    app.ok(
        &app.admin,
        "im.message.like",
        json!({"MESSAGE_ID": msg, "__order": "order0000000000", "NOT_A_PARAM": {"x": [1]}}),
    )
    .await;
}

#[tokio::test]
async fn success_carries_the_complete_time_object() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (_, body) = app.call(&app.admin, "server.time", json!({})).await;
    let time = &body["time"];
    for key in ["start", "finish", "duration", "processing", "operating"] {
        assert!(time[key].is_number(), "{key} in {time}");
    }
    assert!(time["operating_reset_at"].is_i64());
    // A double, as data-types.md gives it (b24pysdk's schema: float).
    assert!(time["operating"].is_f64(), "{time}");
    for key in ["date_start", "date_finish"] {
        let s = time[key].as_str().unwrap();
        chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|_| panic!("{key}: {s}"));
    }
    chrono::DateTime::parse_from_rfc3339(body["result"].as_str().unwrap()).unwrap();
}

#[tokio::test]
async fn missing_or_wrong_credentials_answer_401() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let base = &app.base;
    let secret = app
        .admin
        .url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    // A bad webhook is INVALID_CREDENTIALS (as portals answer, and as the
    // official Python SDK's tests expect: `webhook_token + "INVALID"` on
    // `profile`); no credential (an empty one included) is NO_AUTH_FOUND,
    // an unknown access token `invalid_token` (as portals' OAuth check
    // answers; NO_AUTH_FOUND here before).
    for (url, code) in [
        (format!("{base}/rest/im.user.get"), "NO_AUTH_FOUND"),
        (format!("{base}/rest/im.user.get?auth="), "NO_AUTH_FOUND"),
        (
            format!("{base}/rest/im.user.get?auth=nonsense"),
            "invalid_token",
        ),
        (
            format!("{base}/rest/im.user.get?access_token=nonsense"),
            "invalid_token",
        ),
        (
            format!("{base}/rest/1/wrongsecret/im.user.get"),
            "INVALID_CREDENTIALS",
        ),
        (
            format!("{base}/rest/1/{secret}INVALID/profile"),
            "INVALID_CREDENTIALS",
        ),
        (
            format!("{base}/rest/2/{secret}/im.user.get"),
            "INVALID_CREDENTIALS",
        ),
        (
            format!("{base}/rest/abc/{secret}/im.user.get"),
            "INVALID_CREDENTIALS",
        ),
        // The user id as the webhook's, not another spelling of it.
        (
            format!("{base}/rest/01/{secret}/im.user.get"),
            "INVALID_CREDENTIALS",
        ),
        (
            format!("{base}/rest/+1/{secret}/im.user.get"),
            "INVALID_CREDENTIALS",
        ),
    ] {
        let (s, b) = body(app.client.post(&url).send().await.unwrap()).await;
        assert_eq!(s, 401, "{url}");
        assert_eq!(b["error"], code, "{url}");
        let want = match code {
            "INVALID_CREDENTIALS" => "Invalid request credentials",
            "invalid_token" => "Unable to get application by token",
            _ => "Wrong authorization data",
        };
        assert_eq!(b["error_description"], want, "{url}");
    }
}

#[tokio::test]
async fn webhook_secrets_do_not_work_as_access_tokens() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let secret = app
        .admin
        .url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (s, _) = body(
        app.client
            .post(format!("{}/rest/im.user.get", app.base))
            .json(&json!({"auth": secret}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn access_tokens_work_in_query_form_json_and_bearer() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let token = app.access_token(app.admin.user).await;
    let url = format!("{}/rest/im.user.get", app.base);
    let requests = [
        app.client.get(format!("{url}?auth={token}")),
        app.client
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("auth={token}")),
        app.client.post(&url).json(&json!({"auth": token})),
        app.client.post(&url).bearer_auth(&token),
        app.client
            .post(format!("{}/rest/im.user.get.json", app.base))
            .json(&json!({"AUTH": token})),
    ];
    for req in requests {
        let (s, b) = body(req.send().await.unwrap()).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["result"]["id"], json!(app.admin.user));
    }
}

#[tokio::test]
async fn scopes_are_enforced() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let user_only = app
        .hook(app.admin.user, Scopes::parse("user").unwrap())
        .await;
    assert_eq!(
        app.err(&user_only, "im.message.like", json!({"MESSAGE_ID": 1}))
            .await,
        (403, "insufficient_scope".to_string())
    );
    // Basic methods and the user scope still work.
    app.ok(&user_only, "server.time", json!({})).await;
    app.ok(&user_only, "user.current", json!({})).await;
    let im_only = app.hook(app.admin.user, Scopes::parse("im").unwrap()).await;
    assert_eq!(
        app.err(&im_only, "user.current", json!({})).await,
        (403, "insufficient_scope".to_string())
    );
}

#[tokio::test]
async fn unknown_methods_answer_404() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    assert_eq!(
        app.err(&app.admin, "im.message.frobnicate", json!({}))
            .await,
        (404, "ERROR_METHOD_NOT_FOUND".to_string())
    );
    let (s, b) = body(
        app.client
            .get(format!("{}/nowhere", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (404, Some("NOT_FOUND")));
}

#[tokio::test]
async fn malformed_bodies_get_clear_json_errors() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let url = format!("{}im.message.like", app.admin.url);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{\"MESSAGE_ID\": ".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", b"{\"a\":\"\xff\xfe\"}".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"MESSAGE_ID=%ff%fe".to_vec(),
        ),
        (
            "application/json",
            format!("{{\"a\":{}1{}}}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        ),
        (
            "application/x-www-form-urlencoded",
            format!("a{}=1", "[x]".repeat(100)).into_bytes(),
        ),
        (
            "multipart/form-data; boundary=zzz",
            b"--zzz\r\ngarbage".to_vec(),
        ),
    ];
    for (content_type, payload) in cases {
        let (s, b) = body(
            app.client
                .post(&url)
                .header("Content-Type", content_type)
                .body(payload.clone())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 400, "{content_type}: {b}");
        assert_eq!(b["error"], "INVALID_REQUEST", "{b}");
    }
}

#[tokio::test]
async fn oversized_bodies_answer_413_json() {
    let Some(app) = TestApp::spawn_with_limit(1024).await else {
        return;
    };
    let big = "x".repeat(4096);
    let (s, b) = body(
        app.client
            .post(format!("{}im.message.add", app.admin.url))
            .json(&json!({"DIALOG_ID": "chat1", "MESSAGE": big}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 413);
    assert_eq!(b["error"], "REQUEST_TOO_LARGE");
}

#[tokio::test]
async fn every_answer_allows_cross_origin_calls_and_preflight_works() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let res = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}im.message.like", app.admin.url),
        )
        .header("Origin", "https://example.com")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");

    for url in [
        format!("{}server.time", app.admin.url),
        format!("{}/rest/im.user.get", app.base),
    ] {
        let res = app
            .client
            .post(&url)
            .header("Origin", "https://example.com")
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["access-control-allow-origin"], "*", "{url}");
    }
}

#[tokio::test]
async fn other_http_methods_answer_json_405() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (s, b) = body(
        app.client
            .delete(format!("{}server.time", app.admin.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 405);
    assert!(b["error"].is_string());
}

/// The system errors as `_includes/system-errors.md` gives them (status,
/// code, description), checked over HTTP: an unknown method, a missing
/// scope, an expired token, and the two batch limits.
#[tokio::test]
async fn system_errors_answer_as_the_docs_table_gives_them() {
    use b24im::domain::credentials::{CredentialKind, NewCredential, Secret};
    use b24im::domain::{Timestamp, UserId};
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let expect = |got: (u16, Value), status: u16, code: &str, description: &str| {
        assert_eq!(got.0, status, "{}", got.1);
        assert_eq!(got.1["error"], code, "{}", got.1);
        assert_eq!(got.1["error_description"], description, "{}", got.1);
    };
    // Not in the docs' table: what portals answer to a method they lack.
    expect(
        app.call(&app.admin, "im.nothing.here", json!({})).await,
        404,
        "ERROR_METHOD_NOT_FOUND",
        "Method not found!",
    );
    let im_only = app.hook(app.admin.user, Scopes::parse("im").unwrap()).await;
    expect(
        app.call(&im_only, "user.get", json!({})).await,
        403,
        "insufficient_scope",
        "The request requires higher privileges than provided by the webhook token",
    );

    let expired = Secret::access_token();
    let an_hour_ago = Timestamp(Timestamp::now().0 - 3600);
    app.store
        .create_credential(NewCredential {
            kind: CredentialKind::AccessToken,
            user: UserId(app.admin.user),
            token_hash: expired.hash(),
            scopes: Scopes::all(),
            created_at: Timestamp(an_hour_ago.0 - 3600),
            expires_at: Some(an_hour_ago),
            client_id: None,
            ties: Default::default(),
        })
        .await
        .unwrap();
    let res = app
        .client
        .post(format!("{}/rest/im.user.get", app.base))
        .json(&json!({"auth": expired.0}))
        .send()
        .await
        .unwrap();
    expect(
        body(res).await,
        401,
        "expired_token",
        "The access token provided has expired",
    );

    let mut cmd: serde_json::Map<String, Value> = (0..51)
        .map(|i| (format!("c{i}"), json!("server.time")))
        .collect();
    cmd.insert("inner".into(), json!("batch?cmd[a]=server.time"));
    let result = app.ok(&app.admin, "batch", json!({"cmd": cmd})).await;
    let errors = &result["result_error"];
    assert_eq!(
        errors["c50"],
        json!({"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"})
    );
    assert_eq!(result["result"].as_object().unwrap().len(), 50);
    // The nested batch is past the fiftieth command here; alone it is refused.
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"cmd": {"inner": "batch?cmd[a]=server.time"}}),
        )
        .await;
    assert_eq!(
        result["result_error"]["inner"],
        json!({"error": "ERROR_BATCH_METHOD_NOT_ALLOWED", "error_description": "Method is not allowed for batch usage"})
    );
}
