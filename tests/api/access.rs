//! The access matrix, generated from the method table (so a new method is
//! covered the day it is added): every method with no credential, a wrong
//! one, a revoked one, an expired token, a credential without the method's
//! scope, and a stranger aiming at another user's chat, message and bot.
//! Nothing of that chat may appear in any answer, and nothing in it may change.

use b24im::domain::credentials::{CredentialKind, NewCredential, Scopes, Secret, TokenHash};
use b24im::domain::{Timestamp, UserId};
use b24im::methods::ctx::Scope;
use b24im::methods::table::METHODS;
use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};

/// Marks what only the victim's chat holds.
const SECRET: &str = "zq-private-7f3a";

async fn raw(app: &TestApp, url: String, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.route(&url))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A scope the method does not open, if it needs one.
fn wrong_scope(scope: Scope) -> Option<Scopes> {
    let Scope::AnyOf(names) = scope else {
        return None;
    };
    ["im", "imbot", "user", "crm"]
        .into_iter()
        .find(|s| !names.contains(s))
        .map(|s| Scopes::parse(s).unwrap())
}

#[tokio::test]
async fn every_method_refuses_a_missing_wrong_revoked_expired_or_narrow_credential() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let base = &app.base;
    let secret_of = |hook: &Hook| {
        hook.url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let admin_secret = secret_of(&app.admin);
    let revoked = app.user("Gone", "").await;
    assert!(app
        .store
        .delete_webhook(TokenHash::of(&secret_of(&revoked)))
        .await
        .unwrap());
    let expired = Secret::access_token();
    app.store
        .create_credential(NewCredential {
            kind: CredentialKind::AccessToken,
            user: UserId(app.admin.user),
            token_hash: expired.hash(),
            scopes: Scopes::all(),
            created_at: Timestamp(Timestamp::now().0 - 7200),
            expires_at: Some(Timestamp(Timestamp::now().0 - 3600)),
            client_id: None,
            ties: Default::default(),
        })
        .await
        .unwrap();

    let mut checked = 0;
    for m in METHODS {
        let name = m.name;
        let cases = [
            (
                format!("{base}/rest/{name}"),
                json!({}),
                401,
                "NO_AUTH_FOUND",
            ),
            // An empty token is no credential; an unknown one is
            // `invalid_token`, as portals' OAuth check answers (it was
            // NO_AUTH_FOUND here before; b24jssdk renews on invalid_token).
            (
                format!("{base}/rest/{name}"),
                json!({"auth": ""}),
                401,
                "NO_AUTH_FOUND",
            ),
            (
                format!("{base}/rest/{name}"),
                json!({"auth": "x".repeat(48)}),
                401,
                "invalid_token",
            ),
            (
                format!("{base}/rest/{name}?access_token={}", "x".repeat(48)),
                json!({}),
                401,
                "invalid_token",
            ),
            (
                format!("{base}/rest/{}/{admin_secret}x/{name}", app.admin.user),
                json!({}),
                401,
                "INVALID_CREDENTIALS",
            ),
            (
                format!("{}{name}", revoked.url),
                json!({}),
                401,
                "INVALID_CREDENTIALS",
            ),
            (
                format!("{base}/rest/{name}"),
                json!({"auth": expired.0}),
                401,
                "expired_token",
            ),
        ];
        for (url, body, status, code) in cases {
            let (got, answer) = raw(&app, url.clone(), &body).await;
            assert_eq!(
                (got, answer["error"].as_str()),
                (status, Some(code)),
                "{url}: {answer}"
            );
            checked += 1;
        }
        if let Some(scopes) = wrong_scope(m.scope) {
            let narrow = app.hook(app.admin.user, scopes).await;
            let (got, answer) = raw(&app, format!("{}{name}", narrow.url), &json!({})).await;
            assert_eq!(
                (got, answer["error"].as_str()),
                (403, Some("insufficient_scope")),
                "{name} with {:?}: {answer}",
                narrow.url
            );
            checked += 1;
        }
    }
    assert!(checked > 7 * METHODS.len(), "{checked}");
}

/// What the victim's chat looks like to its owner: its title, members,
/// messages with their text, likes and edit marks.
async fn snapshot(app: &TestApp, owner: &Hook, chat: i64) -> Value {
    let dialog = app
        .ok(
            owner,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    let messages = app
        .ok(
            owner,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}"), "LIMIT": 50}),
        )
        .await;
    let mut members: Vec<i64> = app
        .ok(owner, "im.chat.user.list", json!({"CHAT_ID": chat}))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    members.sort_unstable();
    json!({
        "name": dialog["name"], "description": dialog["description"], "owner": dialog["owner"],
        "members": members,
        "messages": messages["messages"].as_array().unwrap().iter()
            .map(|m| json!([m["id"], m["text"], m["params"]])).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn a_stranger_gets_nothing_of_another_users_chat_from_any_method() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let victim = app.user("Victim", "").await;
    let friend = app.user("Friend", "").await;
    let stranger = app.user("Stranger", "").await;
    let chat = app
        .ok(
            &victim,
            "im.chat.add",
            json!({"TITLE": format!("title {SECRET}"), "DESCRIPTION": SECRET, "USERS": [friend.user]}),
        )
        .await
        .as_i64()
        .unwrap();
    let msg = app.post(&victim, chat, &format!("text {SECRET}")).await;
    let bot = app
        .ok(
            &victim,
            "imbot.register",
            json!({"CODE": "victimbot", "EVENT_HANDLER": "http://127.0.0.1:9/", "PROPERTIES": {"NAME": "VBot"}, "CLIENT_ID": "victim-app"}),
        )
        .await
        .as_i64()
        .unwrap();
    let private = app
        .write_to(&victim, &friend.user.to_string(), &format!("dm {SECRET}"))
        .await;
    let before = snapshot(&app, &victim, chat).await;

    // Every parameter name the methods read ids from, aimed at the victim.
    let aimed = json!({
        "CHAT_ID": chat, "DIALOG_ID": format!("chat{chat}"), "MESSAGE_ID": msg, "ID": msg,
        "USER_ID": victim.user, "BOT_ID": bot, "COMMAND_ID": 1,
        "ACTION": "plus", "MESSAGE": "hijacked", "TITLE": "hijacked", "USERS": [stranger.user],
        "chatId": chat, "dialogId": format!("chat{chat}"), "messageId": msg, "botId": bot,
        "reaction": "like", "fields": {"message": "hijacked"}, "FIRST_ID": 0, "LAST_ID": msg + 1,
        "ENTITY_TYPE": "", "ENTITY_ID": "",
    });
    let mut calls = 0;
    let mut leaked = Vec::new();
    for m in METHODS {
        if m.name == "batch" {
            continue;
        }
        for params in [
            aimed.clone(),
            json!({"MESSAGE_ID": private, "DIALOG_ID": victim.user.to_string()}),
        ] {
            let (_, body) = app.call(&stranger, m.name, params).await;
            calls += 1;
            if body.to_string().contains(SECRET) {
                leaked.push(format!("{}: {body}", m.name));
            }
        }
    }
    // The same through batch, each method a command, with references.
    let cmd: serde_json::Map<String, Value> = METHODS
        .iter()
        .filter(|m| m.name != "batch")
        .take(48)
        .enumerate()
        .map(|(i, m)| {
            (
                format!("c{i}"),
                json!(format!(
                    "{}?CHAT_ID={chat}&DIALOG_ID=chat{chat}&MESSAGE_ID={msg}&ID=$result[c0][ID]",
                    m.name
                )),
            )
        })
        .collect();
    let (_, body) = app.call(&stranger, "batch", json!({"cmd": cmd})).await;
    if body.to_string().contains(SECRET) {
        leaked.push(format!("batch: {body}"));
    }
    assert!(
        leaked.is_empty(),
        "leaked to a stranger:\n{}",
        leaked.join("\n")
    );
    assert!(calls >= 2 * (METHODS.len() - 1));

    // And nothing in the victim's chat changed.
    assert_eq!(snapshot(&app, &victim, chat).await, before);
    let dm = app
        .ok(
            &victim,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": friend.user.to_string()}),
        )
        .await;
    let dm = dm["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == private)
        .cloned()
        .unwrap();
    assert_eq!(dm["text"], format!("dm {SECRET}"));
    assert_eq!(dm["params"], json!([]));
}
