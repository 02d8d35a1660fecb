//! `methods`, `scope`, `server.time`, `profile`, `user.current`, `im.user.get`,
//! `method.get`, `feature.get`, `events`.

use serde_json::json;

use crate::helpers::TestApp;
use b24im::domain::credentials::Scopes;

#[tokio::test]
async fn methods_lists_what_the_credential_may_call() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let all = app.ok(&app.admin, "methods", json!({})).await;
    let all: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for m in [
        "batch",
        "im.message.like",
        "im.dialog.messages.get",
        "user.current",
    ] {
        assert!(all.contains(&m), "{m}");
    }
    let user_only = app
        .hook(app.admin.user, Scopes::parse("user").unwrap())
        .await;
    let some = app.ok(&user_only, "methods", json!({})).await;
    let some: Vec<&str> = some
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(some.contains(&"user.current") && !some.contains(&"im.message.like"));
    let im = app.ok(&user_only, "methods", json!({"scope": "im"})).await;
    assert!(im
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m.as_str().unwrap().starts_with("im.")));
    let full = app.ok(&user_only, "methods", json!({"full": true})).await;
    assert_eq!(full.as_array().unwrap().len(), all.len());
}

#[tokio::test]
async fn scope_lists_the_granted_scopes() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let hook = app
        .hook(app.admin.user, Scopes::parse("im,user").unwrap())
        .await;
    assert_eq!(
        app.ok(&hook, "scope", json!({})).await,
        json!(["im", "user"])
    );
    let full = app.ok(&hook, "scope", json!({"full": "true"})).await;
    assert!(full.as_array().unwrap().contains(&json!("imbot")));
}

#[tokio::test]
async fn user_current_and_profile_describe_the_caller() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let me = app.ok(&anna, "user.current", json!({})).await;
    assert_eq!(me["ID"], json!(anna.user.to_string()));
    assert_eq!(me["NAME"], "Anna");
    assert_eq!(me["LAST_NAME"], "Weber");
    assert_eq!(me["ACTIVE"], json!(true));
    let profile = app.ok(&anna, "profile", json!({})).await;
    assert_eq!(profile["ID"], json!(anna.user.to_string()));
    assert_eq!(profile["ADMIN"], json!(false));
}

#[tokio::test]
async fn im_user_get_reads_self_or_another() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let me = app.ok(&anna, "im.user.get", json!({})).await;
    assert_eq!(me["id"], json!(anna.user));
    assert_eq!(me["name"], "Anna Weber");
    assert_eq!(me["phones"], json!(false));
    assert_eq!(me["bot_data"], json!(null));
    let admin = app
        .ok(&anna, "im.user.get", json!({"ID": app.admin.user}))
        .await;
    assert_eq!(admin["first_name"], "Admin");
    assert_eq!(
        app.err(&anna, "im.user.get", json!({"ID": 0})).await,
        (400, "ID_EMPTY".to_string())
    );
    assert_eq!(
        app.err(&anna, "im.user.get", json!({"ID": 999_999})).await,
        (400, "USER_NOT_EXISTS".to_string())
    );
}

/// `im.revision.get`: the page's fields, all integers, mobile twice.
#[tokio::test]
async fn revision_get_has_the_pages_fields() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let r = app.ok(&app.admin, "im.revision.get", json!({})).await;
    for key in ["rest", "web", "mobile", "desktop", "im_revision_mobile"] {
        assert!(r[key].is_i64(), "{key}: {r}");
    }
    assert_eq!(r["mobile"], r["im_revision_mobile"]);
    assert_eq!(r.as_object().map(|o| o.len()), Some(5));
}

#[tokio::test]
async fn method_get_tells_existing_from_callable() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let user_only = app
        .hook(app.admin.user, Scopes::parse("user").unwrap())
        .await;
    let ask = |name: &'static str| {
        let hook = user_only.clone();
        let app = &app;
        async move { app.ok(&hook, "method.get", json!({"name": name})).await }
    };
    let both = |e: bool, a: bool| json!({"isExisting": e, "isAvailable": a});
    assert_eq!(ask("user.get").await, both(true, true));
    assert_eq!(
        ask("im.message.like").await,
        both(true, false),
        "no im scope"
    );
    assert_eq!(ask("im.message.likes").await, both(false, false));
    // Only the lowercase name matches, as the page says of portals.
    assert_eq!(ask("User.Get").await, both(false, false));
    assert_eq!(
        app.ok(&user_only, "method.get", json!({})).await,
        both(false, false)
    );
    // The page: the key `NAME` is not read.
    assert_eq!(
        app.ok(&user_only, "method.get", json!({"NAME": "user.get"}))
            .await,
        both(false, false)
    );
    assert_eq!(
        app.ok(&app.admin, "method.get", json!({"name": "im.message.like"}))
            .await,
        both(true, true)
    );
}

#[tokio::test]
async fn feature_get_answers_y_or_n_and_needs_a_code() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    for code in ["rest_offline_extended", "rest_auth_connector"] {
        assert_eq!(
            app.ok(&app.admin, "feature.get", json!({"CODE": code}))
                .await,
            json!({"value": "Y"})
        );
    }
    assert_eq!(
        app.ok(
            &app.admin,
            "feature.get",
            json!({"CODE": "no_such_feature"})
        )
        .await,
        json!({"value": "N"})
    );
    for empty in [json!({}), json!({"CODE": ""}), json!({"CODE": 0})] {
        let (status, body) = app.call(&app.admin, "feature.get", empty).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], "CODE_EMPTY");
        assert_eq!(body["error_description"], "CODE can't be empty");
    }
}

#[tokio::test]
async fn events_lists_what_event_bind_takes() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let im_events = json!([
        "ONIMV2MESSAGEADD",
        "ONIMV2MESSAGEUPDATE",
        "ONIMV2MESSAGEDELETE",
        "ONIMV2REACTIONCHANGE",
        "ONIMV2JOINCHAT"
    ]);
    assert_eq!(app.ok(&app.admin, "events", json!({})).await, im_events);
    assert_eq!(
        app.ok(&app.admin, "events", json!({"SCOPE": "im"})).await,
        im_events
    );
    assert_eq!(
        app.ok(&app.admin, "events", json!({"SCOPE": "user"})).await,
        json!([])
    );
    let user_only = app
        .hook(app.admin.user, Scopes::parse("user").unwrap())
        .await;
    assert_eq!(app.ok(&user_only, "events", json!({})).await, json!([]));
    assert_eq!(
        app.ok(&user_only, "events", json!({"FULL": true})).await,
        im_events
    );
    // Each listed event binds.
    let boss = app.admin_user("Boss").await;
    for name in im_events.as_array().unwrap() {
        app.ok(
            &boss,
            "event.bind",
            json!({"event": name, "event_type": "offline"}),
        )
        .await;
    }
}

#[tokio::test]
async fn app_info_describes_the_calling_application() {
    use b24im::domain::credentials::{CredentialKind, NewCredential, Scopes, Secret};
    use b24im::domain::{Timestamp, UserId};
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let token = |client: &'static str| {
        let app = &app;
        async move {
            let secret = Secret::access_token();
            let now = Timestamp::now();
            app.store
                .create_credential(NewCredential {
                    kind: CredentialKind::AccessToken,
                    user: UserId(app.admin.user),
                    token_hash: secret.hash(),
                    scopes: Scopes::all(),
                    created_at: now,
                    expires_at: Some(Timestamp(now.0 + 3600)),
                    client_id: Some(client.to_owned()),
                    ties: Default::default(),
                })
                .await
                .unwrap();
            secret.0
        }
    };
    let info = |auth: String| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(format!("{}/rest/app.info", app.base))
                .json(&json!({"auth": auth}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, one) = info(token("app.one").await).await;
    assert_eq!(status, 200, "{one}");
    let one = &one["result"];
    assert_eq!(
        one.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "ID",
            "CODE",
            "VERSION",
            "STATUS",
            "INSTALLED",
            "PAYMENT_EXPIRED",
            "DAYS",
            "LANGUAGE_ID",
            "LICENSE",
            "LICENSE_TYPE",
            "LICENSE_FAMILY"
        ]
    );
    assert_eq!(
        (
            one["CODE"].as_str(),
            one["STATUS"].as_str(),
            one["INSTALLED"].as_bool()
        ),
        (Some("app.one"), Some("L"), Some(true))
    );
    let id = one["ID"].as_i64().unwrap();
    // The same application keeps its id; another gets its own.
    let (_, again) = info(token("app.one").await).await;
    assert_eq!(again["result"]["ID"], id);
    let (_, two) = info(token("app.two").await).await;
    assert_ne!(two["result"]["ID"], id);
    // A webhook has no application: portals answer its scopes and the
    // license, no ID (it was 400 ACCESS_DENIED here, as the page says; the
    // official Python SDK reads a webhook's answer as `AppInfoWebhook`).
    let im = app
        .hook(app.admin.user, Scopes::parse("im,user").unwrap())
        .await;
    assert_eq!(
        app.ok(&im, "app.info", json!({})).await,
        json!({"SCOPE": ["im", "user"], "LICENSE": "en_selfhosted"})
    );
}
