//! OAuth 2.0 applications: installation, `/oauth/authorize/`, `/oauth/token/`
//! (code grant and refresh), the tokens acting for the application, and
//! deletion (docs settings/oauth/, local-integrations/local-apps.md).

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::helpers::TestApp;
use b24im::domain::applications::IssuedTokens;
use b24im::domain::cases::applications as apps;
use b24im::domain::credentials::Scopes;
use b24im::domain::UserId;

/// A new application with a handler, installed by an administrator (the
/// test's user 2; user 1 is no administrator here).
async fn installed(app: &TestApp, scopes: &str) -> (String, String, IssuedTokens) {
    let installer = match app.store.user(UserId(2)).await.unwrap() {
        Some(u) => u.id,
        None => UserId(app.admin_user("Installer").await.user),
    };
    let (application, secret) = apps::add(
        app.store.as_ref(),
        "Bot app",
        Scopes::parse(scopes).unwrap(),
        "https://app.example/handler",
        "https://app.example/return",
    )
    .await
    .unwrap();
    let (_, tokens) = apps::install(app.store.as_ref(), &application.client_id, installer, 3600)
        .await
        .unwrap()
        .expect("installed");
    (application.client_id, secret.0, tokens)
}

/// The `application_token` the ONAPPINSTALL of `client_id`'s latest
/// installation carried (what its handler keeps to check events by).
pub async fn install_token(app: &TestApp, client_id: &str) -> String {
    let application = app
        .store
        .application(client_id.to_owned())
        .await
        .unwrap()
        .expect("the application");
    let portal = b24im::events::portal(app.store.as_ref(), &app.base)
        .await
        .unwrap();
    let tokens = IssuedTokens {
        access_token: b24im::domain::credentials::Secret("unused".into()),
        refresh_token: b24im::domain::credentials::Secret("unused".into()),
        issued: b24im::domain::Timestamp(0),
        expires: b24im::domain::Timestamp(0),
        user: UserId(1),
        scopes: application.scopes.clone(),
        client_id: client_id.to_owned(),
    };
    b24im::events::app::install_payload(&portal, &application, &tokens)["auth"]["application_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A REST call with `auth` in a JSON body, as the SDKs send it.
pub async fn call_with(
    app: &TestApp,
    token: &str,
    method: &str,
    mut params: Value,
) -> (u16, Value) {
    params["auth"] = json!(token);
    let url = app.route(&format!("{}/rest/{method}", app.base));
    let res = app.client.post(url).json(&params).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// `/oauth/token/` with `params` as a form body (CRest) or a query (the
/// docs, b24pysdk).
async fn token_call(app: &TestApp, params: &[(&str, &str)], as_form: bool) -> (u16, Value) {
    let url = app.route(&format!("{}/oauth/token/", app.base));
    let req = if as_form {
        app.client.post(url).form(params)
    } else {
        app.client.get(url).query(params)
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_of(location: &str) -> HashMap<String, String> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    url_pairs(query)
}

fn url_pairs(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_installed_application_acts_with_its_tokens_and_renews_them() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (client_id, secret, tokens) = installed(&app, "im,imbot,user").await;
    assert!(client_id.starts_with("local."), "{client_id}");
    let access = tokens.access_token.0.clone();
    let (status, body) = call_with(&app, &access, "user.current", json!({})).await;
    assert_eq!(
        (status, &body["result"]["ID"]),
        (200, &json!("2")),
        "{body}"
    );
    let (status, body) = call_with(&app, &access, "scope", json!({})).await;
    assert_eq!(
        (status, &body["result"]),
        (200, &json!(["im", "imbot", "user"])),
        "{body}"
    );
    // app.info answers for the application.
    let (status, body) = call_with(&app, &access, "app.info", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["CODE"], json!(client_id));
    assert_eq!(body["result"]["STATUS"], "L");
    assert_eq!(body["result"]["INSTALLED"], true);

    // A refresh (form body, as CRest sends it) hands out a new pair.
    let refresh = tokens.refresh_token.0.clone();
    let (status, renewed) = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("refresh_token", &refresh),
        ],
        true,
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    for key in [
        "access_token",
        "expires",
        "expires_in",
        "scope",
        "domain",
        "server_endpoint",
        "status",
        "client_endpoint",
        "member_id",
        "user_id",
        "refresh_token",
    ] {
        assert!(!renewed[key].is_null(), "{key} missing from {renewed}");
    }
    assert_eq!(renewed["scope"], "im,imbot,user");
    assert_eq!(renewed["status"], "L");
    assert_eq!(renewed["user_id"], 2);
    assert_eq!(renewed["expires_in"], 3600);
    assert!(renewed["expires"].as_i64().unwrap() > chrono::Utc::now().timestamp() + 3500);
    assert_eq!(
        renewed["client_endpoint"].as_str().unwrap(),
        format!("{}/rest/", renewed_base(&app, &renewed))
    );
    let new_access = renewed["access_token"].as_str().unwrap().to_owned();
    let new_refresh = renewed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh);
    assert!(new_access.bytes().all(|b| b.is_ascii_alphanumeric()));
    let (status, body) = call_with(&app, &new_access, "user.current", json!({})).await;
    assert_eq!(
        (status, &body["result"]["ID"]),
        (200, &json!("2")),
        "{body}"
    );

    // The used refresh token is retired; the new one works (a query, as
    // the docs and b24pysdk send it).
    let (status, body) = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("refresh_token", &refresh),
        ],
        false,
    )
    .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_grant")),
        "{body}"
    );
    assert!(body["error_description"].is_string());
    let (status, body) = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("refresh_token", &new_refresh),
        ],
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// The base URL a token answer names (the host the client reached).
fn renewed_base(app: &TestApp, body: &Value) -> String {
    let domain = body["domain"].as_str().unwrap();
    assert!(
        app.bases.iter().any(|b| b.ends_with(domain)),
        "{domain} is none of {:?}",
        app.bases
    );
    format!("http://{domain}")
}

#[tokio::test]
async fn the_token_endpoint_refuses_what_it_cannot_trust() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (client_id, secret, tokens) = installed(&app, "im").await;
    let refresh = tokens.refresh_token.0.clone();
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        // The wrong secret, an unknown client: invalid_client, and the
        // refresh token is not used up by them.
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("client_secret", "wrong"),
                ("refresh_token", &refresh),
            ],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", "local.nope.1"),
                ("client_secret", &secret),
                ("refresh_token", &refresh),
            ],
            401,
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", &client_id),
                ("client_secret", &secret),
            ],
            400,
            "unsupported_grant_type",
        ),
        (vec![("client_id", &client_id)], 400, "invalid_request"),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("code", "nosuchcode"),
            ],
            400,
            "invalid_grant",
        ),
        // A refresh token is no authorization code.
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("code", &refresh),
            ],
            400,
            "invalid_grant",
        ),
    ];
    for (params, status, code) in cases {
        let (got, body) = token_call(&app, &params, false).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "{params:?}: {body}"
        );
    }
    // After all that, the refresh token still works once.
    let (status, body) = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("refresh_token", &refresh),
        ],
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Another application's refresh token is that application's only.
    let (other_id, other_secret, other) = installed(&app, "im").await;
    let (status, body) = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("refresh_token", &other.refresh_token.0),
        ],
        false,
    )
    .await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));
    let (status, _) = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &other_id),
            ("client_secret", &other_secret),
            ("refresh_token", &other.refresh_token.0),
        ],
        false,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_code_grant_signs_a_user_in_and_its_code_works_once() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (client_id, secret, _) = installed(&app, "im,user").await;
    let second = app.user("Second", "User").await;
    let client = no_redirects();
    let authorize = format!("{}/oauth/authorize/", app.base);

    // The page lists the users to act as (local mode on loopback).
    let res = client
        .get(&authorize)
        .query(&[("client_id", client_id.as_str()), ("state", "xyz<1>")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Second User"), "{page}");
    assert!(
        page.contains("xyz&lt;1&gt;"),
        "the state is escaped: {page}"
    );

    // Picking the second user sends them back to the application.
    let (cookie, csrf) = crate::helpers::sign_in_page(&client, &authorize, &client_id).await;
    let res = client
        .post(&authorize)
        .header("Cookie", &cookie)
        .form(&[
            ("client_id", client_id.as_str()),
            ("state", "xyz<1>"),
            ("user_id", &second.user.to_string()),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://app.example/return?"),
        "{location}"
    );
    let q = query_of(&location);
    assert_eq!(q["state"], "xyz<1>");
    assert_eq!(q["scope"], "im,user");
    assert_eq!(q["domain"], app.base.trim_start_matches("http://"));
    assert_eq!(q["server_domain"], q["domain"]);
    assert_eq!(q["member_id"].len(), 32);
    let code = q["code"].clone();

    let exchange = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("code", code.as_str()),
    ];
    let (status, body) = token_call(&app, &exchange, false).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], second.user);
    assert_eq!(body["member_id"], json!(q["member_id"]));
    let access = body["access_token"].as_str().unwrap();
    let (status, me) = call_with(&app, access, "user.current", json!({})).await;
    assert_eq!(
        (status, &me["result"]["ID"]),
        (200, &json!(second.user.to_string()))
    );
    // A code is good once.
    let (status, body) = token_call(&app, &exchange, false).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")));

    // Signing in with a webhook of one's own instead of picking a user.
    let res = client
        .post(&authorize)
        .header("Cookie", &cookie)
        .form(&[
            ("client_id", client_id.as_str()),
            ("credential", second.url.as_str()),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let code = query_of(res.headers()["location"].to_str().unwrap())["code"].clone();
    let (status, body) = token_call(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("code", code.as_str()),
        ],
        true,
    )
    .await;
    assert_eq!((status, &body["user_id"]), (200, &json!(second.user)));

    // A wrong credential, an application that is not installed, a bot:
    // an error page, and no redirect.
    let res = client
        .post(&authorize)
        .header("Cookie", &cookie)
        .form(&[
            ("client_id", client_id.as_str()),
            ("credential", "nope"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (fresh, _) = apps::add(app.store.as_ref(), "Not installed", Scopes::all(), "", "")
        .await
        .unwrap();
    let res = client
        .get(&authorize)
        .query(&[("client_id", fresh.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
}

#[tokio::test]
async fn a_deleted_application_loses_its_tokens_and_bots() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (client_id, secret, tokens) = installed(&app, "im,imbot").await;
    let access = tokens.access_token.0.clone();
    // A bot registered with the application's token is the application's.
    let (status, body) = call_with(
        &app,
        &access,
        "imbot.register",
        json!({
            "CODE": "helper",
            "EVENT_HANDLER": "https://app.example/bot",
            "PROPERTIES": {"NAME": "Helper"}
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let bot = body["result"].as_i64().unwrap();
    let (_, body) = call_with(&app, &access, "imbot.bot.list", json!({})).await;
    assert!(body["result"][bot.to_string()].is_object(), "{body}");

    let deleted = apps::delete(app.store.as_ref(), &client_id).await.unwrap();
    assert_eq!(deleted.map(|a| a.client_id), Some(client_id.clone()));
    // Every node stops trusting the token within the credential cache's TTL.
    tokio::time::sleep(b24im::protocol::auth::CACHE_TTL * 2).await;
    // Unknown now: `invalid_token`, as portals answer (NO_AUTH_FOUND before).
    let (status, body) = call_with(&app, &access, "user.current", json!({})).await;
    assert_eq!(
        (status, &body["error"]),
        (401, &json!("invalid_token")),
        "{body}"
    );
    let (status, body) = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("client_secret", &secret),
            ("refresh_token", &tokens.refresh_token.0),
        ],
        false,
    )
    .await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
    let bots = app.ok(&app.admin, "imbot.bot.list", json!({})).await;
    assert!(bots.get(bot.to_string()).is_none(), "{bots}");
    // ONIMBOTDELETE went to the bot's handler.
    let events = app.store_events(None).await;
    assert!(
        events
            .iter()
            .any(|e| e.record.kind.name() == "ONIMBOTDELETE" && e.record.bot_id == bot),
        "no ONIMBOTDELETE"
    );
    assert!(apps::delete(app.store.as_ref(), &client_id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn the_authorization_servers_app_info_describes_the_token() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (client_id, _, tokens) = installed(&app, "im,imbot").await;
    let url = app.route(&format!("{}/rest/app.info/", app.base));
    let res = app
        .client
        .get(&url)
        .query(&[("auth", tokens.access_token.0.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let r = &body["result"];
    assert_eq!(r["client_id"], json!(client_id));
    assert_eq!(r["scope"], "im,imbot");
    assert_eq!(r["user_id"], 2);
    assert!(r["expires"].as_str().unwrap().contains('T'), "{body}");
    assert_eq!(r["install"]["installed"], true);
    assert_eq!(r["install"]["status"], "L");
    assert_eq!(r["install"]["member_id"].as_str().unwrap().len(), 32);
    assert!(body["time"]["date_start"].is_string());
    let res = app
        .client
        .get(&url)
        .query(&[("auth", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn an_expired_application_token_answers_expired_token_until_renewed() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Installer").await;
    let (application, secret) = apps::add(
        app.store.as_ref(),
        "Short",
        Scopes::parse("im").unwrap(),
        "",
        "",
    )
    .await
    .unwrap();
    let (_, tokens) = apps::install(
        app.store.as_ref(),
        &application.client_id,
        UserId(admin.user),
        1,
    )
    .await
    .unwrap()
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = call_with(&app, &tokens.access_token.0, "im.recent.list", json!({})).await;
    assert_eq!(
        (status, &body["error"]),
        (401, &json!("expired_token")),
        "{body}"
    );
    let (status, renewed) = token_call(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &application.client_id),
            ("client_secret", &secret.0),
            ("refresh_token", &tokens.refresh_token.0),
        ],
        true,
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    let (status, body) = call_with(
        &app,
        renewed["access_token"].as_str().unwrap(),
        "im.recent.list",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// A bot application's whole life: installed, it registers its bot with its
/// token; the bot hears a message with the application's token and likes
/// it with the event's `auth`; it registers and answers a command; deleted,
/// its bot goes.
#[tokio::test]
async fn a_bot_application_lives_from_installation_to_deletion() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let rx = crate::receiver::Receiver::start().await;
    let (client_id, _, tokens) = installed(&app, "im,imbot").await;
    let access = tokens.access_token.0.clone();
    let (status, body) = call_with(
        &app,
        &access,
        "imbot.register",
        json!({"CODE": "lifebot", "EVENT_HANDLER": rx.url, "PROPERTIES": {"NAME": "Life"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let bot = body["result"].as_i64().unwrap();
    let (status, body) = call_with(
        &app,
        &access,
        "imbot.command.register",
        json!({"BOT_ID": bot, "COMMAND": "echo", "EVENT_COMMAND_ADD": rx.url,
               "LANG": [{"LANGUAGE_ID": "en", "TITLE": "Echo"}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let anna = app.user("Anna", "").await;
    let message = app.write_to(&anna, &bot.to_string(), "Hello").await;
    let got = rx
        .wait_for("ONIMBOTMESSAGEADD", 1, std::time::Duration::from_secs(10))
        .await;
    let auth = &got[0].form["auth"];
    assert_eq!(
        auth["application_token"],
        json!(install_token(&app, &client_id).await),
        "the token ONAPPINSTALL brought"
    );
    assert_eq!(auth["scope"], "im,imbot");
    assert_eq!(auth["status"], "L");
    // The bot likes the message with the event's own token.
    let bot_auth = got[0].form["data"]["BOT"][bot.to_string()]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = call_with(
        &app,
        &bot_auth,
        "imbot.message.like",
        json!({"BOT_ID": bot, "MESSAGE_ID": message}),
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    let history = app
        .ok(&anna, "im.dialog.messages.get", json!({"DIALOG_ID": bot}))
        .await;
    let liked = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message)
        .unwrap()["params"]["LIKE"]
        .clone();
    assert_eq!(liked, json!([bot]));

    let command_message = app.write_to(&anna, &bot.to_string(), "/echo hi").await;
    rx.wait_for("ONIMCOMMANDADD", 1, std::time::Duration::from_secs(10))
        .await;
    let (status, body) = call_with(
        &app,
        &access,
        "imbot.command.answer",
        json!({"COMMAND": "echo", "MESSAGE_ID": command_message, "MESSAGE": "hi"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    apps::delete(app.store.as_ref(), &client_id).await.unwrap();
    rx.wait_for("ONIMBOTDELETE", 1, std::time::Duration::from_secs(10))
        .await;
    let bots = app.ok(&app.admin, "imbot.bot.list", json!({})).await;
    assert!(bots.get(bot.to_string()).is_none(), "{bots}");
}

/// b24jssdk's OAuth client calls `client_endpoint` + `/METHOD`, that is
/// `/rest//METHOD`, which portals answer as `/rest/METHOD`.
#[tokio::test]
async fn a_doubled_slash_after_rest_is_the_same_method() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (_, _, tokens) = installed(&app, "im,user").await;
    let url = app.route(&format!("{}/rest//user.current", app.base));
    let res = app
        .client
        .post(url)
        .json(&json!({"auth": tokens.access_token.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["result"]["ID"], "2", "{body}");
}

/// A webhook names its application with `CLIENT_ID`, but never an OAuth
/// application's (client ids are not secret); a token an application holds
/// signs nobody in; a user is picked only by POST.
#[tokio::test]
async fn nobody_poses_as_an_application_or_its_user() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (client_id, _, tokens) = installed(&app, "im,imbot").await;
    let (status, body) = call_with(
        &app,
        &tokens.access_token.0,
        "imbot.register",
        json!({"CODE": "owned", "EVENT_HANDLER": "https://app.example/bot",
               "PROPERTIES": {"NAME": "Owned"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let bot = body["result"].as_i64().unwrap();
    for (method, params) in [
        (
            "imbot.message.add",
            json!({"BOT_ID": bot, "DIALOG_ID": "1", "MESSAGE": "hi"}),
        ),
        ("imbot.unregister", json!({"BOT_ID": bot})),
        ("imbot.chat.add", json!({"BOT_ID": bot, "TITLE": "x"})),
    ] {
        // A webhook's CLIENT_ID is its user's own application, whatever the
        // name: not the one that owns the bot.
        let mut params = params;
        params["CLIENT_ID"] = json!(client_id);
        let (status, body) = app.call(&app.admin, method, params).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("APP_ID_ERROR")),
            "{method}: {body}"
        );
    }
    assert!(app.store.bot(UserId(bot)).await.unwrap().is_some());

    let client = no_redirects();
    let authorize = format!("{}/oauth/authorize/", app.base);
    // A GET that names a user only shows the page.
    let res = client
        .get(&authorize)
        .query(&[("client_id", client_id.as_str()), ("user_id", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("location").is_none());
    // The application's own token is no proof of who is at the browser.
    let (cookie, csrf) = crate::helpers::sign_in_page(&client, &authorize, &client_id).await;
    let res = client
        .post(&authorize)
        .header("Cookie", &cookie)
        .form(&[
            ("client_id", client_id.as_str()),
            ("credential", tokens.access_token.0.as_str()),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Through a proxy, local mode is off.
    let res = client
        .post(&authorize)
        .header("X-Forwarded-For", "203.0.113.9")
        .header("Cookie", &cookie)
        .form(&[
            ("client_id", client_id.as_str()),
            ("user_id", "1"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
