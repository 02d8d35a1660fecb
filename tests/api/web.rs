//! The web client's server side: its files at `/`, its sign-in as the
//! public application `b24im.web`, and the events panel's methods
//! (`b24im.event.delivery.list|replay`). The page itself runs in a real
//! browser in `tests/browser.rs`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::receiver::Receiver;

#[tokio::test]
async fn the_client_is_served_at_the_root_with_its_script_and_style() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    for (path, kind, holds) in [
        ("/", "text/html", "/app.js"),
        ("/app.js", "text/javascript", "b24im.web"),
        ("/app.css", "text/css", ".msg"),
    ] {
        let res = app
            .client
            .get(app.route(&format!("{}{path}", app.base)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let headers = res.headers().clone();
        assert!(headers["content-type"].to_str().unwrap().starts_with(kind));
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
        assert!(res.text().await.unwrap().contains(holds), "{path}");
    }
    // Other paths stay JSON 404s.
    let res = app
        .client
        .get(format!("{}/nothing-here", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "NOT_FOUND");
}

/// Signs `user` in as the web client does: the authorization page (local
/// mode), the redirect to `/` with a code, the code exchanged without a secret.
async fn web_sign_in(app: &TestApp, user: i64) -> Value {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!("{}/oauth/authorize/", app.base);
    let (cookie, csrf) = crate::helpers::sign_in_page(&client, &authorize, "b24im.web").await;
    let res = client
        .post(&authorize)
        .header("Cookie", cookie)
        .form(&[
            ("client_id", "b24im.web"),
            ("state", "s1"),
            ("user_id", &user.to_string()),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/?code="), "{location}");
    let code = location
        .split('&')
        .next()
        .unwrap()
        .trim_start_matches("/?code=")
        .to_owned();
    let res = app
        .client
        .post(app.route(&format!("{}/oauth/token/", app.base)))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "b24im.web"),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn with_token(app: &TestApp, token: &str, method: &str, mut params: Value) -> Value {
    params["auth"] = json!(token);
    app.client
        .post(app.route(&format!("{}/rest/{method}", app.base)))
        .json(&params)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_web_client_signs_in_without_a_secret_and_acts_as_the_user_alone() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let ann = app.user("Ann", "Lee").await;
    let tokens = web_sign_in(&app, ann.user).await;
    assert_eq!(tokens["user_id"], ann.user);
    assert_eq!(tokens["scope"], "im,user");
    let token = tokens["access_token"].as_str().unwrap();
    let me = with_token(&app, token, "profile", json!({})).await;
    assert_eq!(me["result"]["ID"], ann.user.to_string());
    // No application behind it: no bots to register, no app to describe.
    let bot = with_token(&app, token, "imbot.register", json!({"CODE": "x"})).await;
    assert_eq!(bot["error"], "insufficient_scope", "{bot}");
    let info = with_token(&app, token, "app.info", json!({})).await;
    assert!(info.get("error").is_some(), "{info}");
    // The refresh token renews without a secret, once.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let renew = |refresh: String| {
        let app = &app;
        async move {
            app.client
                .post(app.route(&format!("{}/oauth/token/", app.base)))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", "b24im.web"),
                    ("refresh_token", &refresh),
                ])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let renewed = renew(refresh.to_owned()).await;
    assert_eq!(renewed["user_id"], ann.user, "{renewed}");
    assert_eq!(renew(refresh.to_owned()).await["error"], "invalid_grant");
    // Another application still needs its own secret.
    let (status, code) = {
        let res = app
            .client
            .post(format!("{}/oauth/token/", app.base))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", "local.00000000000000.00000000"),
                ("refresh_token", "x"),
            ])
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.json::<Value>().await.unwrap()["error"].clone(),
        )
    };
    assert_eq!((status, code), (401, json!("invalid_client")));
}

#[tokio::test]
async fn the_events_panel_lists_deliveries_to_administrators_and_replays_them() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Root").await;
    let user = app.user("Ann", "Lee").await;
    let receiver = Receiver::start().await;
    let bot = app
        .ok(
            &admin,
            "imbot.register",
            json!({"CODE": "echo", "TYPE": "B", "EVENT_HANDLER": receiver.url,
                   "CLIENT_ID": "panel.test", "PROPERTIES": {"NAME": "Echo"}}),
        )
        .await
        .as_i64()
        .unwrap();
    app.write_to(&user, &bot.to_string(), "ping").await;
    receiver
        .wait_for("ONIMBOTMESSAGEADD", 1, Duration::from_secs(10))
        .await;

    // The delivery is recorded once the handler has answered.
    let since = std::time::Instant::now();
    let list = loop {
        let list = app
            .ok(
                &admin,
                "b24im.event.delivery.list",
                json!({"CLIENT_ID": "panel.test"}),
            )
            .await;
        let done = list
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["STATE"] == "delivered");
        if done || since.elapsed() > Duration::from_secs(10) {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let rows = list.as_array().unwrap();
    let add = rows
        .iter()
        .find(|r| r["EVENT"] == "ONIMBOTMESSAGEADD")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(add["HANDLER"], receiver.url.as_str());
    assert_eq!(add["BOT_ID"], bot);
    assert_eq!(add["STATE"], "delivered");
    assert_eq!(add["LAST_STATUS"], 200);
    assert!(add["LAST_LATENCY_MS"].as_i64().unwrap() >= 0);
    assert!(add["DELIVERED"].is_string() && add["NEXT_ATTEMPT"].is_null());
    assert_eq!(add["PAYLOAD"]["data"]["PARAMS"]["MESSAGE"], "ping");
    assert_eq!(add["PAYLOAD"]["auth"]["access_token"], "(hidden)");
    assert!(
        rows.iter().any(|r| r["EVENT"] == "ONIMBOTJOINCHAT"),
        "{list}"
    );
    // Paging and filters.
    let older = app
        .ok(
            &admin,
            "b24im.event.delivery.list",
            json!({"BEFORE": rows[0]["ID"], "LIMIT": 1}),
        )
        .await;
    assert_eq!(older.as_array().unwrap().len(), 1);
    assert_eq!(older[0]["ID"], rows[1]["ID"]);
    let none = app
        .ok(
            &admin,
            "b24im.event.delivery.list",
            json!({"CLIENT_ID": "someone.else"}),
        )
        .await;
    assert_eq!(none, json!([]));
    assert_eq!(
        app.err(
            &admin,
            "b24im.event.delivery.list",
            json!({"STATE": "lost"})
        )
        .await,
        (400, "INVALID_STATE".into())
    );
    // Not for other users.
    assert_eq!(
        app.err(&user, "b24im.event.delivery.list", json!({})).await,
        (403, "ACCESS_DENIED".into())
    );
    assert_eq!(
        app.err(
            &user,
            "b24im.event.delivery.replay",
            json!({"ID": [add["ID"]]})
        )
        .await,
        (403, "ACCESS_DENIED".into())
    );

    // Replayed: the same event, its own id, once more.
    let before = receiver.arrived();
    assert_eq!(
        app.ok(
            &admin,
            "b24im.event.delivery.replay",
            json!({"ID": [add["ID"]]})
        )
        .await,
        1
    );
    let again = receiver
        .wait_for("ONIMBOTMESSAGEADD", 2, Duration::from_secs(10))
        .await;
    assert_eq!(receiver.arrived(), before + 1);
    assert_eq!(again[1].event_id, add["ID"].to_string());
    assert_eq!(
        app.err(&admin, "b24im.event.delivery.replay", json!({}))
            .await,
        (400, "ID_EMPTY".into())
    );
    let many: Vec<i64> = (1..=201).collect();
    assert_eq!(
        app.err(&admin, "b24im.event.delivery.replay", json!({"ID": many}))
            .await,
        (400, "TOO_MANY_IDS".into())
    );
}
