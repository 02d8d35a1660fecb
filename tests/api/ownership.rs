//! No user acts as another (docs/security.md): what an ordinary user can
//! learn or claim never lets them pass for another user, another user's
//! application or bot, or an event's sender.

use std::time::Duration;

use b24im::domain::cases::applications as apps;
use b24im::domain::credentials::{Scopes, TokenHash};
use b24im::domain::UserId;
use serde_json::json;

use crate::applications::{call_with, install_token};
use crate::helpers::TestApp;
use crate::receiver::Receiver;

const WAIT: Duration = Duration::from_secs(10);

/// What anyone could compute before: SHA-256 of `member_id:client_id`.
fn old_formula(member_id: &str, client_id: &str) -> String {
    TokenHash::of(&format!("{member_id}:{client_id}")).0[..32].to_owned()
}

/// An ordinary user learns the portal's `member_id` from her own event
/// handler and knows another application's client id; the
/// `application_token` that application's handler checks events by is not
/// what she can compute from them, nor hers, nor another user's; and a
/// reinstall gives the application a new one, which its events then carry.
#[tokio::test]
async fn application_tokens_are_secret_per_application_and_installation() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let installer = app.admin_user("Installer").await;
    let (application, _) = apps::add(
        app.store.as_ref(),
        "Victim app",
        Scopes::parse("im,imbot").unwrap(),
        "https://app.example/handler",
        "",
    )
    .await
    .unwrap();
    let client_id = application.client_id.clone();
    let (_, tokens) = apps::install(app.store.as_ref(), &client_id, UserId(installer.user), 3600)
        .await
        .unwrap()
        .expect("installed");
    let first = install_token(&app, &client_id).await;

    // Mallory and Bob bind their own handlers with their webhooks, and hear
    // an event each: member_id and their own application_token.
    let (mallory, bob) = (app.user("Mallory", "").await, app.user("Bob", "").await);
    let (rx_m, rx_b) = (Receiver::start().await, Receiver::start().await);
    for (who, rx) in [(&mallory, &rx_m), (&bob, &rx_b)] {
        app.ok(
            who,
            "event.bind",
            json!({"event": "ONIMV2MESSAGEADD", "handler": rx.url}),
        )
        .await;
    }
    let chat = app.chat(&mallory, &[&bob]).await;
    app.post(&mallory, chat, "hello").await;
    let heard_m = &rx_m.wait_for("ONIMV2MESSAGEADD", 1, WAIT).await[0].form["auth"];
    let heard_b = &rx_b.wait_for("ONIMV2MESSAGEADD", 1, WAIT).await[0].form["auth"];
    let member_id = heard_m["member_id"].as_str().unwrap();
    let mallorys = heard_m["application_token"].as_str().unwrap();
    let bobs = heard_b["application_token"].as_str().unwrap();
    assert_eq!(first.len(), 32);
    assert_ne!(first, old_formula(member_id, &client_id), "derivable");
    assert_ne!(mallorys, old_formula(member_id, ""), "derivable");
    assert_ne!(mallorys, bobs, "two users' webhook bindings share a token");
    assert_ne!(mallorys, first);

    // Reinstalled: a new token, and the application's events carry it.
    apps::install(app.store.as_ref(), &client_id, UserId(installer.user), 3600)
        .await
        .unwrap()
        .expect("installed again");
    let second = install_token(&app, &client_id).await;
    assert_ne!(first, second, "a reinstall keeps the token");
    let rx = Receiver::start().await;
    let (status, body) = call_with(
        &app,
        &tokens.access_token.0,
        "imbot.register",
        json!({"CODE": "victimbot", "EVENT_HANDLER": rx.url, "PROPERTIES": {"NAME": "Victim"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let bot = app
        .store
        .bots_of(client_id.clone())
        .await
        .unwrap()
        .first()
        .expect("the bot")
        .id;
    app.write_to(&bob, &bot.0.to_string(), "hi").await;
    let got = rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await;
    assert_eq!(got[0].form["auth"]["application_token"], json!(second));
}

/// A bot registered through a webhook belongs to its user and `CLIENT_ID`
/// together: a stranger who says the same `CLIENT_ID` is another
/// application, which can neither act as the bot, change or remove it, add
/// herself to its chats, read its deliveries, nor touch its notification
/// tags; her bots under that name do not take the owner's codes.
#[tokio::test]
async fn a_webhook_bot_is_its_registrants_and_no_one_elses() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (owner, stranger, bob) = (
        app.user("Olga", "").await,
        app.user("Mallory", "").await,
        app.user("Bob", "").await,
    );
    let rx = Receiver::start().await;
    let bot = app
        .ok(
            &owner,
            "imbot.register",
            json!({"CODE": "helper", "EVENT_HANDLER": rx.url, "CLIENT_ID": "shared",
                   "PROPERTIES": {"NAME": "Helper"}}),
        )
        .await
        .as_i64()
        .unwrap();
    let chat = app
        .ok(
            &owner,
            "imbot.chat.add",
            json!({"BOT_ID": bot, "CLIENT_ID": "shared", "TITLE": "Owners", "USERS": [bob.user]}),
        )
        .await
        .as_i64()
        .unwrap();
    app.write_to(&bob, &bot.to_string(), "private to the bot")
        .await;
    rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await;

    for (method, params) in [
        (
            "imbot.update",
            json!({"BOT_ID": bot, "FIELDS": {"PROPERTIES": {"NAME": "Mine"}}}),
        ),
        (
            "imbot.message.add",
            json!({"BOT_ID": bot, "DIALOG_ID": bob.user.to_string(), "MESSAGE": "as the bot"}),
        ),
        (
            "imbot.chat.user.add",
            json!({"BOT_ID": bot, "CHAT_ID": chat, "USERS": [stranger.user]}),
        ),
        ("imbot.unregister", json!({"BOT_ID": bot})),
    ] {
        let mut params = params;
        params["CLIENT_ID"] = json!("shared");
        let (status, body) = app.call(&stranger, method, params).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("APP_ID_ERROR")),
            "{method}: {body}"
        );
    }
    let bots = app
        .ok(&owner, "imbot.bot.list", json!({"CLIENT_ID": "shared"}))
        .await;
    assert_eq!(bots[bot.to_string()]["NAME"], "Helper", "{bots}");
    let (status, _) = app
        .call(
            &stranger,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    assert_ne!(status, 200, "the stranger reads the owner's chat");
    // The bot's deliveries (Bob's message to it) are the owner's alone.
    let theirs = app
        .ok(
            &stranger,
            "b24im.event.delivery.list",
            json!({"CLIENT_ID": "shared"}),
        )
        .await;
    assert_eq!(theirs, json!([]), "the stranger reads the bot's deliveries");
    let mine = app
        .ok(
            &owner,
            "b24im.event.delivery.list",
            json!({"CLIENT_ID": "shared"}),
        )
        .await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .any(|d| d["EVENT"] == "ONIMBOTMESSAGEADD"),
        "{mine}"
    );
    // Her own bot under the name takes nothing of the owner's.
    app.ok(
        &stranger,
        "imbot.register",
        json!({"CODE": "second", "EVENT_HANDLER": rx.url, "CLIENT_ID": "shared",
               "PROPERTIES": {"NAME": "Hers"}}),
    )
    .await;
    app.ok(
        &owner,
        "imbot.register",
        json!({"CODE": "second", "EVENT_HANDLER": rx.url, "CLIENT_ID": "shared",
               "PROPERTIES": {"NAME": "Second"}}),
    )
    .await;

    // Tags: the owner's application tags a notification to Bob; the
    // stranger's same name and tag neither replace nor delete it.
    let tagged = |text: &str| json!({"USER_ID": bob.user, "MESSAGE": text, "TAG": "T1", "CLIENT_ID": "shared"});
    let kept = app.ok(&owner, "im.notify", tagged("the owner's")).await;
    app.ok(&stranger, "im.notify", tagged("the stranger's"))
        .await;
    assert_eq!(
        app.ok(
            &stranger,
            "im.notify.delete",
            json!({"TAG": "T1", "CLIENT_ID": "shared"})
        )
        .await,
        true,
        "hers is deleted"
    );
    let left = app.ok(&bob, "im.notify.get", json!({})).await;
    let texts: Vec<&str> = left["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["the owner's"], "{left}");
    assert!(left["notifications"][0]["id"] == kept);
}

/// The token a bot's event hands its handler acts for the user who wrote to
/// the bot, as on a portal: the handler likes the message and answers with
/// it (the founding page, the docs' bot examples). But only there: the
/// user's other dialogs, user-wide reads and the live channel are closed to
/// it, in `batch` too, and it dies with the bot.
#[tokio::test]
async fn an_event_token_acts_only_in_its_events_chat_and_dies_with_the_bot() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (olga, anna, carl) = (
        app.user("Olga", "").await,
        app.user("Anna", "").await,
        app.user("Carl", "").await,
    );
    let rx = Receiver::start().await;
    let bot = app
        .ok(
            &olga,
            "imbot.register",
            json!({"CODE": "harvest", "EVENT_HANDLER": rx.url, "CLIENT_ID": "olgas",
                   "PROPERTIES": {"NAME": "Harvest"}}),
        )
        .await
        .as_i64()
        .unwrap();
    let private = app
        .write_to(&anna, &carl.user.to_string(), "between us")
        .await;
    let to_bot = app.write_to(&anna, &bot.to_string(), "hello bot").await;
    let event = rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await;
    let auth = event[0].form["auth"].clone();
    assert_eq!(auth["user_id"], anna.user.to_string());
    let token = auth["access_token"].as_str().unwrap().to_owned();
    let as_anna = |method: &'static str, params: serde_json::Value| {
        let token = token.clone();
        let app = &app;
        async move { call_with(app, &token, method, params).await }
    };

    // What bots do with it works.
    let (status, body) = as_anna(
        "im.message.like",
        json!({"MESSAGE_ID": to_bot, "ACTION": "plus"}),
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    let (status, body) = as_anna(
        "imbot.message.add",
        json!({"BOT_ID": bot, "DIALOG_ID": anna.user.to_string(), "MESSAGE": "Liked it!"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = as_anna(
        "im.dialog.messages.get",
        json!({"DIALOG_ID": bot.to_string()}),
    )
    .await;
    assert_eq!(status, 200, "the event's own chat: {body}");

    // Nothing else of Anna's, however it is asked for.
    let event_chat = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": bot.to_string()}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for (method, params) in [
        (
            "im.message.like",
            json!({"ID": private, "CHAT_ID": event_chat, "ACTION": "plus"}),
        ),
        (
            "im.message.like",
            json!({"ID": private, "DIALOG_ID": bot.to_string(), "ACTION": "plus"}),
        ),
        (
            "imbot.dialog.get",
            json!({"DIALOG_ID": carl.user.to_string()}),
        ),
        (
            "imbot.chat.get",
            json!({"ENTITY_TYPE": "x", "ENTITY_ID": "1"}),
        ),
        ("im.chat.get", json!({"CHAT_ID": event_chat})),
        (
            "im.dialog.messages.get",
            json!({"DIALOG_ID": carl.user.to_string()}),
        ),
        (
            "im.message.add",
            json!({"DIALOG_ID": carl.user.to_string(), "MESSAGE": "as Anna"}),
        ),
        (
            "im.message.add",
            json!({"DIALOG_ID": bot.to_string(), "MESSAGE": "as Anna"}),
        ),
        (
            "im.message.like",
            json!({"MESSAGE_ID": private, "ACTION": "plus"}),
        ),
        ("im.recent.list", json!({})),
        ("im.notify.get", json!({})),
        ("user.current", json!({})),
        (
            "event.bind",
            json!({"event": "ONIMV2MESSAGEADD", "handler": rx.url}),
        ),
        (
            "imbot.register",
            json!({"CODE": "annas", "EVENT_HANDLER": rx.url, "PROPERTIES": {"NAME": "A"}}),
        ),
    ] {
        let (status, body) = as_anna(method, params).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("ACCESS_DENIED")),
            "{method}: {body}"
        );
    }
    let (status, body) = as_anna(
        "batch",
        json!({"cmd": {"r": "im.recent.list", "d": format!("im.dialog.messages.get?DIALOG_ID={}", carl.user)}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for key in ["r", "d"] {
        assert_eq!(
            body["result"]["result_error"][key]["error"], "ACCESS_DENIED",
            "{body}"
        );
    }
    let (_, first) = crate::live::open(&app, 0, json!({"auth": token})).await;
    assert_eq!(
        (&first["type"], &first["error"]),
        (&json!("error"), &json!("ACCESS_DENIED")),
        "the live channel of all of Anna's chats: {first}"
    );
    let messages = app
        .ok(
            &carl,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": anna.user.to_string()}),
        )
        .await;
    assert_eq!(
        messages["messages"].as_array().unwrap().len(),
        1,
        "{messages}"
    );

    // Gone with the bot, and so is any token a replay of its old events
    // hands out.
    app.ok(
        &olga,
        "imbot.unregister",
        json!({"BOT_ID": bot, "CLIENT_ID": "olgas"}),
    )
    .await;
    let old = app
        .store_events(None)
        .await
        .into_iter()
        .find(|e| e.record.kind.name() == "ONIMBOTMESSAGEADD" && e.handler == rx.url)
        .expect("the message's delivery");
    let root = app.admin_user("Root").await;
    app.ok(
        &root,
        "b24im.event.delivery.replay",
        json!({"ID": [old.id]}),
    )
    .await;
    let again = rx.wait_for("ONIMBOTMESSAGEADD", 2, WAIT).await;
    let replayed = again[1].form["auth"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = call_with(
        &app,
        &replayed,
        "im.message.like",
        json!({"MESSAGE_ID": to_bot}),
    )
    .await;
    assert_eq!(
        status, 401,
        "a replay of a deleted bot's event acts: {body}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = as_anna(
            "im.message.like",
            json!({"MESSAGE_ID": to_bot, "ACTION": "minus"}),
        )
        .await;
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the token outlived its bot by 5 s: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Local sign-in (picking a user) answers only this machine, from the
/// server's own page: not through any proxy, not under another host name
/// (DNS rebinding), not from another site's form (login CSRF); its pages
/// and the web client are never framed.
#[tokio::test]
async fn local_sign_in_answers_only_this_machine_from_its_own_page() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let ann = app.user("Ann", "").await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!("{}/oauth/authorize/", app.base);
    let page = client
        .get(&authorize)
        .query(&[("client_id", "b24im.web"), ("state", "s")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(page.text().await.unwrap().contains("Act as"));
    let root = client.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(root.headers()["x-frame-options"], "DENY");

    // Another name for this machine gets no list.
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let rebound = client
        .get(&authorize)
        .header("Host", format!("rebind.example:{port}"))
        .query(&[("client_id", "b24im.web"), ("state", "s")])
        .send()
        .await
        .unwrap();
    assert!(!rebound.text().await.unwrap().contains("Act as"));

    let (cookie, csrf) = crate::helpers::sign_in_page(&client, &authorize, "b24im.web").await;
    let pick = |headers: Vec<(&'static str, String)>, cookie: Option<&str>, csrf: &str| {
        let mut req = client.post(&authorize).form(&[
            ("client_id", "b24im.web"),
            ("state", "s"),
            ("user_id", &ann.user.to_string()),
            ("csrf", csrf),
        ]);
        if let Some(c) = cookie {
            req = req.header("Cookie", c.to_owned());
        }
        for (name, value) in headers {
            req = req.header(name, value);
        }
        async move {
            let res = req.send().await.unwrap();
            (
                res.status().as_u16(),
                res.headers().get("location").is_some(),
            )
        }
    };
    for (name, value) in [
        ("X-Real-IP", "203.0.113.9"),
        ("Via", "1.1 proxy"),
        ("X-Forwarded-Host", "im.example"),
        ("X-Forwarded-Proto", "https"),
        ("True-Client-IP", "203.0.113.9"),
        ("CF-Connecting-IP", "203.0.113.9"),
        ("Forwarded", "for=203.0.113.9"),
        ("X-Forwarded-For", "203.0.113.9"),
    ] {
        assert_eq!(
            pick(vec![(name, value.to_owned())], Some(&cookie), &csrf).await,
            (403, false),
            "through a proxy ({name})"
        );
    }
    assert_eq!(
        pick(
            vec![("Host", format!("rebind.example:{port}"))],
            Some(&cookie),
            &csrf
        )
        .await,
        (403, false),
        "under another name"
    );
    assert_eq!(
        pick(vec![], None, &csrf).await,
        (403, false),
        "without the cookie"
    );
    assert_eq!(
        pick(
            vec![],
            Some(&cookie),
            "forged-forged-forged-forged-forged-forged-xx"
        )
        .await,
        (403, false),
        "with another value"
    );
    assert_eq!(pick(vec![], Some(&cookie), &csrf).await, (302, true));
}

/// Signing in with a webhook gives no more than the webhook has, and the
/// session (its access and refresh tokens) ends with the webhook.
#[tokio::test]
async fn a_web_session_needs_the_clients_scopes_and_ends_with_its_webhook() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let ann = app.user("Ann", "").await;
    let brief = app
        .hook(ann.user, Scopes::parse("user_brief").unwrap())
        .await;
    let enough = app.hook(ann.user, Scopes::parse("im,user").unwrap()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!("{}/oauth/authorize/", app.base);
    let (cookie, csrf) = crate::helpers::sign_in_page(&client, &authorize, "b24im.web").await;
    let sign_in = |credential: String| {
        let req = client
            .post(&authorize)
            .header("Cookie", cookie.clone())
            .form(&[
                ("client_id", "b24im.web"),
                ("state", "s"),
                ("credential", credential.as_str()),
                ("csrf", csrf.as_str()),
            ]);
        async move { req.send().await.unwrap() }
    };
    let refused = sign_in(brief.url.clone()).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused.text().await.unwrap().contains("im"),
        "names what is missing"
    );

    let res = sign_in(enough.url.clone()).await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let token_call = |form: Vec<(&'static str, String)>| {
        let req = app
            .client
            .post(app.route(&format!("{}/oauth/token/", app.base)))
            .form(&form);
        async move {
            let res = req.send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, tokens) = token_call(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", "b24im.web".into()),
        ("code", code),
    ])
    .await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, me) = call_with(&app, &access, "profile", json!({})).await;
    assert_eq!(status, 200, "{me}");

    // An event binding made in that session ends with the webhook too.
    let rx = Receiver::start().await;
    let (status, body) = call_with(
        &app,
        &access,
        "event.bind",
        json!({"event": "ONIMV2MESSAGEADD", "handler": rx.url}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let own = b24im::domain::applications::webhook_app(UserId(ann.user), "");
    assert_eq!(app.store.bindings(own.clone()).await.unwrap().len(), 1);

    // The webhook goes; so does everything signed in with it.
    let secret = enough.url.trim_end_matches('/').rsplit('/').next().unwrap();
    assert!(app
        .store
        .delete_webhook(TokenHash::of(secret))
        .await
        .unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _) = call_with(&app, &access, "profile", json!({})).await;
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the session outlived its webhook"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = token_call(vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", "b24im.web".into()),
        ("refresh_token", refresh),
    ])
    .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_grant")),
        "{body}"
    );
    assert!(
        app.store.bindings(own).await.unwrap().is_empty(),
        "the binding outlived it"
    );
}

/// With `--refuse-private-handlers`, a non-administrator's handlers may not
/// point at this machine or a private network: refused when registered by
/// any method, and (if one got there another way, or its name came to
/// resolve there) never reached at delivery. An administrator's may.
#[tokio::test]
async fn private_handlers_of_non_administrators_are_refused_when_asked() {
    let Some(app) = TestApp::spawn_refusing_private_handlers().await else {
        return;
    };
    let root = app.admin_user("Root").await;
    let mallory = app.user("Mallory", "").await;
    let rx = Receiver::start().await;
    for url in [
        rx.url.as_str(),
        "http://10.1.2.3/bot",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:9/bot",
        "http://[::1]:9/bot",
    ] {
        let (status, body) = app
            .call(
                &mallory,
                "imbot.register",
                json!({"CODE": "inside", "EVENT_HANDLER": url, "CLIENT_ID": "m",
                       "PROPERTIES": {"NAME": "Inside"}}),
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("EVENT_MESSAGE_ADD_ERROR")),
            "{url}: {body}"
        );
    }
    let (_, body) = app
        .call(
            &mallory,
            "event.bind",
            json!({"event": "ONIMV2MESSAGEADD", "handler": "http://127.0.0.1:9/x"}),
        )
        .await;
    assert_eq!(body["error"], "WRONG_HANDLER_URL", "{body}");
    let (_, body) = app
        .call(
            &mallory,
            "imbot.v2.Bot.register",
            json!({"fields": {"code": "v2in", "botToken": "t", "properties": {"name": "V"},
                   "eventMode": "webhook", "webhookUrl": "http://192.168.0.10/h"}}),
        )
        .await;
    assert_eq!(body["error"], "BOT_INVALID_CALLBACK", "{body}");
    // A public address is fine (it is not reached here).
    app.ok(
        &mallory,
        "imbot.register",
        json!({"CODE": "outside", "EVENT_HANDLER": "http://203.0.113.7/bot", "CLIENT_ID": "m",
               "PROPERTIES": {"NAME": "Outside"}}),
    )
    .await;
    // An administrator's bot on this machine works.
    let bot = app
        .ok(
            &root,
            "imbot.register",
            json!({"CODE": "local", "EVENT_HANDLER": rx.url, "CLIENT_ID": "r",
                   "PROPERTIES": {"NAME": "Local"}}),
        )
        .await;
    app.write_to(&mallory, &bot.to_string(), "hi").await;
    rx.wait_for("ONIMBOTMESSAGEADD", 1, WAIT).await;

    // Mallory's bot whose handler is on this machine all the same (as if its
    // name resolved elsewhere when it was registered): never delivered to.
    use b24im::domain::bots::{Handlers, NewBot, Registration};
    let sneaky = rx.url.replace("/bot/events", "/sneaky");
    let new = NewBot::parse(
        Registration {
            code: "sneaky".into(),
            common_handler: sneaky.clone(),
            handlers: Handlers::default(),
            first_name: "Sneaky".into(),
            ..Registration::default()
        },
        Some("webhook:0:sneaky".into()),
        UserId(mallory.user),
        Scopes::all(),
    )
    .unwrap();
    let sneaky_bot = b24im::domain::cases::bots::register(
        app.store.as_ref(),
        new,
        b24im::domain::Timestamp::now(),
    )
    .await
    .unwrap();
    app.write_to(&root, &sneaky_bot.0.to_string(), "hello sneaky")
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    let failed = loop {
        let entries = app.store_events(None).await;
        let mine: Vec<_> = entries.iter().filter(|e| e.handler == sneaky).collect();
        if let Some(e) = mine.iter().find(|e| e.attempts > 0) {
            break e.last_error.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never tried: {mine:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(failed.contains("private"), "{failed}");
    assert!(
        rx.all().iter().all(|r| r.event() != "ONIMBOTMESSAGEADD"
            || r.form["data"]["PARAMS"]["MESSAGE"] != "hello sneaky"),
        "delivered to a private handler"
    );
}
