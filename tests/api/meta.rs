//! `methods`, `scope`, `server.time`, `profile`, `user.current`, `im.user.get`.

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
