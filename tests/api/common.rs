//! The common methods (docs api-reference/common/): `user.admin`,
//! `user.access`, `access.name`, `app.option.get|set`, `user.option.get|set`,
//! `app.info` through a webhook, and where an access token may come from
//! (`auth`, `access_token`, `Authorization: Bearer`) with what an unknown
//! one answers. Where the pages and portals differ, portals are followed
//! (see each test).

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use b24im::domain::cases::applications as apps;
use b24im::domain::credentials::{CredentialKind, NewCredential, Scopes, Secret, Ties};
use b24im::domain::departments::NewDepartment;
use b24im::domain::options::OptionsOwner;
use b24im::domain::{ChatId, Timestamp, UserId};

/// An access token of `user` acting for the application `client_id`
/// (`None`: for no application, as the CLI's `token add` makes), bound by
/// `ties`.
async fn token(app: &TestApp, user: i64, client_id: Option<&str>, ties: Ties) -> String {
    let secret = Secret::access_token();
    let now = Timestamp::now();
    app.store
        .create_credential(NewCredential {
            kind: CredentialKind::AccessToken,
            user: UserId(user),
            token_hash: secret.hash(),
            scopes: Scopes::all(),
            created_at: now,
            expires_at: Some(Timestamp(now.0 + 3600)),
            client_id: client_id.map(str::to_owned),
            ties,
        })
        .await
        .unwrap();
    secret.0
}

async fn app_token(app: &TestApp, user: i64, client_id: &str) -> String {
    token(app, user, Some(client_id), Ties::default()).await
}

/// A call with `auth` in a JSON body, as the SDKs send it.
async fn with(app: &TestApp, token: &str, method: &str, mut params: Value) -> (u16, Value) {
    params["auth"] = json!(token);
    let url = app.route(&format!("{}/rest/{method}", app.base));
    let res = app.client.post(url).json(&params).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn ok_with(app: &TestApp, token: &str, method: &str, params: Value) -> Value {
    let (status, body) = with(app, token, method, params).await;
    assert_eq!(status, 200, "{method}: {body}");
    assert!(body.get("error").is_none(), "{method}: {body}");
    assert!(body.get("time").is_some(), "{method}: {body}");
    body["result"].clone()
}

/// The status, code and description of an error answer.
fn error_of(status: u16, body: &Value) -> (u16, &str, &str) {
    (
        status,
        body["error"].as_str().unwrap_or("<none>"),
        body["error_description"].as_str().unwrap_or("<none>"),
    )
}

const CONTEXT: (u16, &str, &str) = (
    403,
    "ACCESS_DENIED",
    "Access denied! Application context required",
);
const ADMIN_ONLY: (u16, &str, &str) = (
    403,
    "ACCESS_DENIED",
    "Access denied! Administrator authorization required",
);
const NO_OPTIONS: (u16, &str, &str) =
    (400, "ERROR_ARGUMENT", "Argument 'options' is null or empty");

/// A non-administrator placed in department 3, under 2, under the head
/// department 1; returns (the user's webhook, the departments 2 and 3).
async fn placed_user(app: &TestApp) -> (Hook, i64, i64) {
    let sales = app
        .store
        .add_department(NewDepartment::parse("Sales", 1, None).unwrap())
        .await
        .unwrap()
        .into_result()
        .expect("added");
    let east = app
        .store
        .add_department(NewDepartment::parse("East", sales, None).unwrap())
        .await
        .unwrap()
        .into_result()
        .expect("added");
    let ann = app.user("Ann", "Lee").await;
    assert!(app
        .store
        .place_user(UserId(ann.user), vec![east])
        .await
        .unwrap());
    (ann, sales, east)
}

#[tokio::test]
async fn user_admin_says_whether_the_caller_is_an_administrator_with_any_scope() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    assert_eq!(app.ok(&boss, "user.admin", json!({})).await, json!(true));
    assert_eq!(
        app.ok(&app.admin, "user.admin", json!({})).await,
        json!(false)
    );
    // No scope needed (portals register it in none): a webhook with `im` alone.
    let narrow = app.hook(boss.user, Scopes::parse("im").unwrap()).await;
    assert_eq!(app.ok(&narrow, "user.admin", json!({})).await, json!(true));
    // Through an application's token: the token's user.
    let ann = app.user("Ann", "").await;
    let t = app_token(&app, ann.user, "local.app1").await;
    assert_eq!(
        ok_with(&app, &t, "user.admin", json!({})).await,
        json!(false)
    );
}

#[tokio::test]
async fn user_access_matches_the_callers_codes_and_is_true_for_administrators() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (ann, sales, east) = placed_user(&app).await;
    let me = format!("U{}", ann.user);
    let other = format!("U{}", app.admin.user);
    for (access, want) in [
        (json!(["DR1"]), true),
        (json!([format!("DR{sales}")]), true),
        (json!([format!("DR{east}")]), true),
        (json!(["D1"]), false),
        (json!([format!("D{sales}")]), false),
        (json!([format!("D{east}")]), true),
        (json!(["G2"]), true),
        (json!(["AU"]), true),
        (json!(["AU", "G2"]), true),
        (json!([me.clone()]), true),
        (json!([format!("IU{}", ann.user)]), true),
        (json!([other.clone()]), false),
        (json!(["G1"]), false),
        (json!(["X9", "G1"]), false),
        (json!([]), false),
        // One code, not in a list, is a list of one.
        (json!("AU"), true),
        (json!(me), true),
        (json!("G1"), false),
    ] {
        assert_eq!(
            app.ok(&ann, "user.access", json!({"ACCESS": access.clone()}))
                .await,
            json!(want),
            "{access}"
        );
    }
    // The parameter's name in any case; none at all is false, no error.
    assert_eq!(
        app.ok(&ann, "user.access", json!({"access": ["AU"]})).await,
        json!(true)
    );
    assert_eq!(app.ok(&ann, "user.access", json!({})).await, json!(false));
    // A form and a query as PHP writes lists.
    let form: Value = app
        .client
        .post(format!("{}user.access", app.route(&ann.url)))
        .form(&[("ACCESS[]", "G1"), ("ACCESS[]", "G2")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form["result"], json!(true), "{form}");
    let query: Value = app
        .client
        .get(format!(
            "{}user.access?ACCESS[]=G1&ACCESS[]=DR1",
            app.route(&ann.url)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(query["result"], json!(true), "{query}");
    // An administrator has every code, any code at all.
    let boss = app.admin_user("Boss").await;
    for access in [json!(["U999"]), json!(["X9"]), json!([])] {
        assert_eq!(
            app.ok(&boss, "user.access", json!({"ACCESS": access}))
                .await,
            json!(true)
        );
    }
    assert_eq!(app.ok(&boss, "user.access", json!({})).await, json!(true));
}

#[tokio::test]
async fn access_name_names_the_codes_that_exist() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (ann, sales, _) = placed_user(&app).await;
    // The page's example, exactly.
    assert_eq!(
        app.ok(&ann, "access.name", json!({"ACCESS": ["G2", "AU"]}))
            .await,
        json!({
            "G2": {"provider": "", "name": "All visitors", "provider_id": "other"},
            "AU": {"provider": "", "name": "All authorized users", "provider_id": "other"}
        })
    );
    let u = format!("U{}", ann.user);
    let iu = format!("IU{}", ann.user);
    let d = format!("D{sales}");
    let dr = format!("DR{sales}");
    let names = app
        .ok(
            &ann,
            "access.name",
            json!({"access": [dr.clone(), "X9", iu.clone(), u.clone(), "G1", d.clone(), "U99999", "D99999", "U01"]}),
        )
        .await;
    // Codes that do not exist are left out; providers in the portal's
    // order: groups, users, others, the intranet's.
    assert_eq!(
        names.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["G1", u.as_str(), dr.as_str(), iu.as_str(), d.as_str()]
    );
    assert_eq!(
        names["G1"],
        json!({"provider": "User groups", "name": "Administrators", "provider_id": "group"})
    );
    assert_eq!(
        names[&u],
        json!({"provider": "Users", "name": "Ann Lee", "provider_id": "user"})
    );
    assert_eq!(
        names[&iu],
        json!({"provider": "Employee and supervisors", "name": "Ann Lee", "provider_id": "intranet"})
    );
    assert_eq!(
        names[&d],
        json!({"provider": "Department", "name": "Sales: All department employees", "provider_id": "intranet"})
    );
    assert_eq!(
        names[&dr]["name"],
        "Sales: All department and subdepartment employees"
    );
    // D1 alone is D1 (not DR1).
    let one = app.ok(&ann, "access.name", json!({"ACCESS": ["D1"]})).await;
    assert_eq!(
        one.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["D1"],
        "{one}"
    );
    // Nothing known: `[]`, a PHP empty array. No list, or an empty one,
    // or one bare code: false.
    assert_eq!(
        app.ok(&ann, "access.name", json!({"ACCESS": ["X9"]})).await,
        json!([])
    );
    for params in [
        json!({}),
        json!({"ACCESS": []}),
        json!({"ACCESS": "G2"}),
        json!({"ACCESS": null}),
    ] {
        assert_eq!(
            app.ok(&ann, "access.name", params.clone()).await,
            json!(false),
            "{params}"
        );
    }
}

#[tokio::test]
async fn options_need_an_applications_token() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let no_app = token(&app, boss.user, None, Ties::default()).await;
    for (method, params) in [
        ("app.option.get", json!({})),
        ("app.option.get", json!({"option": "nonexistent_option"})),
        ("app.option.set", json!({"options": {"a": 1}})),
        ("app.option.set", json!({"options": {}})),
        ("user.option.get", json!({})),
        ("user.option.set", json!({"options": {"a": 1}})),
        ("user.option.set", json!({})),
    ] {
        // An administrator's webhook: the official Python SDK's live test
        // expects 403 ACCESS_DENIED (the pages say 400 AccessException).
        let (status, body) = app.call(&boss, method, params.clone()).await;
        assert_eq!(error_of(status, &body), CONTEXT, "{method} {params}");
        let (status, body) = with(&app, &no_app, method, params.clone()).await;
        assert_eq!(error_of(status, &body), CONTEXT, "{method} {params}");
    }
}

#[tokio::test]
async fn app_options_are_the_applications_and_keep_their_values_and_order() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let admin = app_token(&app, boss.user, "local.app1").await;
    let ann = app.user("Ann", "").await;
    let user = app_token(&app, ann.user, "local.app1").await;
    // Nothing stored: `[]`, as PHP writes an empty array (the page: `{}`).
    assert_eq!(
        ok_with(&app, &admin, "app.option.get", json!({})).await,
        json!([])
    );
    let b = json!({"x": 1, "a": [true, null, 2.5], "m": {"z": "", "b": "2"}});
    assert_eq!(
        ok_with(
            &app,
            &admin,
            "app.option.set",
            json!({"options": {"data": "value", "b": b.clone(), "n": 7}})
        )
        .await,
        json!(true)
    );
    let all = ok_with(&app, &user, "app.option.get", json!({})).await;
    assert_eq!(all, json!({"data": "value", "b": b.clone(), "n": 7}));
    assert_eq!(
        all.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["data", "b", "n"]
    );
    assert_eq!(
        all["b"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["x", "a", "m"]
    );
    // One option; an unknown one is null; `OPTION` is not `option`.
    assert_eq!(
        ok_with(&app, &user, "app.option.get", json!({"option": "b"})).await,
        b
    );
    assert_eq!(
        ok_with(&app, &user, "app.option.get", json!({"option": "data"})).await,
        json!("value")
    );
    assert_eq!(
        ok_with(&app, &user, "app.option.get", json!({"option": "zz"})).await,
        Value::Null
    );
    assert_eq!(
        ok_with(&app, &user, "app.option.get", json!({"OPTION": "data"})).await,
        all
    );
    // Without `options` the parameters are the options (less the token);
    // a name set again keeps its place; nothing is removed.
    assert_eq!(
        ok_with(
            &app,
            &admin,
            "app.option.set",
            json!({"c": "3", "data": "new"})
        )
        .await,
        json!(true)
    );
    let all = ok_with(&app, &user, "app.option.get", json!({})).await;
    assert_eq!(all, json!({"data": "new", "b": b, "n": 7, "c": "3"}));
    assert_eq!(
        all.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["data", "b", "n", "c"]
    );
    // Checks in the portal's order: no options (400), then the
    // administrator (403).
    for params in [
        json!({"options": {}}),
        json!({"options": []}),
        json!({"options": "text"}),
        json!({"options": 5}),
        json!({}),
    ] {
        for t in [&admin, &user] {
            let (status, body) = with(&app, t, "app.option.set", params.clone()).await;
            assert_eq!(error_of(status, &body), NO_OPTIONS, "{params}");
            assert_eq!(body["argument"], "options", "{body}");
        }
    }
    let (status, body) = with(
        &app,
        &user,
        "app.option.set",
        json!({"options": {"data": "mine"}}),
    )
    .await;
    assert_eq!(error_of(status, &body), ADMIN_ONLY);
    assert_eq!(
        ok_with(&app, &admin, "app.option.get", json!({"option": "data"})).await,
        json!("new")
    );
    // Any name a JSON object may hold (PostgreSQL keeps no NUL in text:
    // it becomes U+FFFD there and here, never a 500).
    assert_eq!(
        ok_with(
            &app,
            &admin,
            "app.option.set",
            json!({"options": {"a\u{0}b": 1, "": 2}})
        )
        .await,
        json!(true)
    );
    let all = ok_with(&app, &user, "app.option.get", json!({})).await;
    assert_eq!(
        (&all["a\u{FFFD}b"], &all[""]),
        (&json!(1), &json!(2)),
        "{all}"
    );
    // Another application has its own.
    let other = app_token(&app, boss.user, "local.app2").await;
    assert_eq!(
        ok_with(&app, &other, "app.option.get", json!({})).await,
        json!([])
    );
}

#[tokio::test]
async fn user_options_are_each_users_own_in_each_application() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let ann = app.user("Ann", "").await;
    let bob = app.user("Bob", "").await;
    let ann1 = app_token(&app, ann.user, "local.app1").await;
    let ann2 = app_token(&app, ann.user, "local.app2").await;
    let bob1 = app_token(&app, bob.user, "local.app1").await;
    assert_eq!(
        ok_with(&app, &ann1, "user.option.get", json!({})).await,
        json!([])
    );
    // No administrator needed.
    assert_eq!(
        ok_with(
            &app,
            &ann1,
            "user.option.set",
            json!({"options": {"theme": "dark", "size": 3}})
        )
        .await,
        json!(true)
    );
    assert_eq!(
        ok_with(&app, &bob1, "user.option.set", json!({"theme": "light"})).await,
        json!(true)
    );
    assert_eq!(
        ok_with(&app, &ann1, "user.option.get", json!({})).await,
        json!({"theme": "dark", "size": 3})
    );
    assert_eq!(
        ok_with(&app, &ann1, "user.option.get", json!({"option": "size"})).await,
        json!(3)
    );
    assert_eq!(
        ok_with(&app, &bob1, "user.option.get", json!({})).await,
        json!({"theme": "light"})
    );
    assert_eq!(
        ok_with(&app, &ann2, "user.option.get", json!({})).await,
        json!([])
    );
    assert_eq!(
        ok_with(&app, &ann2, "user.option.get", json!({"option": "theme"})).await,
        Value::Null
    );
    // A user's options are not the application's.
    assert_eq!(
        ok_with(&app, &ann1, "app.option.get", json!({})).await,
        json!([])
    );
    for params in [json!({"options": {}}), json!({"options": "x"}), json!({})] {
        let (status, body) = with(&app, &ann1, "user.option.set", params.clone()).await;
        assert_eq!(error_of(status, &body), NO_OPTIONS, "{params}");
        assert_eq!(body["argument"], "options");
    }
}

#[tokio::test]
async fn options_work_in_batch_with_the_callers_application() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let t = app_token(&app, boss.user, "local.app1").await;
    let result = ok_with(
        &app,
        &t,
        "batch",
        json!({"halt": 0, "cmd": {
            "set": "app.option.set?options[a]=1&options[b][c]=2",
            "mine": "user.option.set?options[k]=v",
            "get": "app.option.get",
            "one": "user.option.get?option=k",
            "empty": "app.option.set?options=",
            "access": "user.access?ACCESS[]=G2&ACCESS[]=AU",
            "names": "access.name?ACCESS[]=AU",
            "admin": "user.admin",
        }}),
    )
    .await;
    assert_eq!(result["result"]["set"], json!(true), "{result}");
    assert_eq!(result["result"]["mine"], json!(true));
    assert_eq!(result["result"]["get"], json!({"a": "1", "b": {"c": "2"}}));
    assert_eq!(result["result"]["one"], json!("v"));
    assert_eq!(result["result"]["access"], json!(true));
    assert_eq!(result["result"]["names"]["AU"]["provider_id"], "other");
    assert_eq!(result["result"]["admin"], json!(true));
    assert_eq!(result["result_error"]["empty"]["error"], "ERROR_ARGUMENT");
    assert_eq!(result["result_error"]["empty"]["argument"], "options");
    // A webhook's batch has no application either.
    let result = app
        .ok(
            &boss,
            "batch",
            json!({"halt": 0, "cmd": {"get": "app.option.get"}}),
        )
        .await;
    assert_eq!(result["result_error"]["get"]["error"], "ACCESS_DENIED");
    assert_eq!(
        result["result_error"]["get"]["error_description"],
        CONTEXT.2
    );
}

#[tokio::test]
async fn a_bots_event_token_reads_and_writes_no_options() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    // What a bot's event hands its handler: a token of the user who wrote,
    // for the bot's application, acting in the event's chat alone. Its
    // user being an administrator changes nothing.
    let chat = app.chat(&boss, &[]).await;
    let confined = token(
        &app,
        boss.user,
        Some("local.app1"),
        Ties {
            chat: Some(ChatId(chat)),
            ..Ties::default()
        },
    )
    .await;
    for (method, params) in [
        ("app.option.get", json!({})),
        ("app.option.set", json!({"options": {"a": 1}})),
        ("user.option.get", json!({})),
        ("user.option.set", json!({"options": {"a": 1}})),
    ] {
        let (status, body) = with(&app, &confined, method, params).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("ACCESS_DENIED")),
            "{method}: {body}"
        );
    }
    let full = app_token(&app, boss.user, "local.app1").await;
    assert_eq!(
        ok_with(&app, &full, "app.option.get", json!({})).await,
        json!([])
    );
}

#[tokio::test]
async fn deleting_an_application_deletes_its_options() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let (application, _) = apps::add(
        app.store.as_ref(),
        "Options app",
        Scopes::parse("im").unwrap(),
        "https://app.example/handler",
        "https://app.example/return",
    )
    .await
    .unwrap();
    let client_id = application.client_id;
    let (_, tokens) = apps::install(app.store.as_ref(), &client_id, UserId(boss.user), 3600)
        .await
        .unwrap()
        .expect("installed");
    let t = tokens.access_token.0;
    // app.info names the application; no scope is needed for options.
    let info = ok_with(&app, &t, "app.info", json!({})).await;
    assert_eq!(info["CODE"], json!(client_id));
    ok_with(&app, &t, "app.option.set", json!({"options": {"a": 1}})).await;
    ok_with(&app, &t, "user.option.set", json!({"options": {"b": 2}})).await;
    assert_eq!(
        ok_with(&app, &t, "app.option.get", json!({})).await,
        json!({"a": 1})
    );
    apps::delete(app.store.as_ref(), &client_id)
        .await
        .unwrap()
        .expect("deleted");
    for owner in [
        OptionsOwner::App(client_id.clone()),
        OptionsOwner::User(client_id.clone(), UserId(boss.user)),
    ] {
        assert!(app.store.options(owner, None).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn app_info_through_a_webhook_is_its_scopes_and_the_license() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let narrow = app.hook(app.admin.user, Scopes::parse("im").unwrap()).await;
    let (status, body) = app.call(&narrow, "app.info", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"],
        json!({"SCOPE": ["im"], "LICENSE": "en_selfhosted"})
    );
    let info = app.ok(&app.admin, "app.info", json!({})).await;
    assert!(info.get("ID").is_none(), "{info}");
    assert!(info["SCOPE"].as_array().unwrap().len() > 2, "{info}");
    assert!(info["SCOPE"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_string));
    // A token that acts for no application: 403, a portal's AccessException.
    let no_app = token(&app, app.admin.user, None, Ties::default()).await;
    let (status, body) = with(&app, &no_app, "app.info", json!({})).await;
    assert_eq!(error_of(status, &body), CONTEXT);
}

#[tokio::test]
async fn access_tokens_come_from_bearer_auth_or_access_token_and_leave_the_params() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let t = app_token(&app, boss.user, "local.app1").await;
    let url = |method: &str| app.route(&format!("{}/rest/{method}", app.base));
    let answer = |res: reqwest::Response| async move {
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap())
    };
    // `access_token` in a query, a form and a JSON body. Without `options`,
    // app.option.set stores every parameter it is given: neither `auth`
    // nor `access_token` is among them.
    let requests = [
        app.client
            .post(format!("{}?access_token={t}&q=1", url("app.option.set"))),
        app.client
            .post(url("app.option.set"))
            .form(&[("access_token", t.as_str()), ("f", "2")]),
        app.client
            .post(url("app.option.set"))
            .json(&json!({"access_token": t, "j": 3})),
        app.client
            .post(url("app.option.set"))
            .json(&json!({"auth": t, "access_token": "", "a": 4})),
    ];
    for req in requests {
        let (status, body) = answer(req.send().await.unwrap()).await;
        assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    }
    assert_eq!(
        ok_with(&app, &t, "app.option.get", json!({})).await,
        json!({"q": "1", "f": "2", "j": 3, "a": 4})
    );
    // `Authorization: Bearer` comes first, as on portals: a good one wins
    // over a bad `auth`, a bad one loses to a good `auth`.
    let (status, body) = answer(
        app.client
            .post(url("user.admin"))
            .bearer_auth(&t)
            .json(&json!({"auth": "nonsense"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &body["result"]), (200, &json!(true)), "{body}");
    let (status, body) = answer(
        app.client
            .post(url("user.admin"))
            .header("Authorization", "bearer   nonsense")
            .json(&json!({"auth": t}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        error_of(status, &body),
        (401, "invalid_token", "Unable to get application by token")
    );
    // `auth` before `access_token`.
    let (status, body) = answer(
        app.client
            .post(url("user.admin"))
            .json(&json!({"auth": "nonsense", "access_token": t}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(error_of(status, &body).1, "invalid_token", "{body}");
    // Empty ones are no credential at all; so is an empty Bearer.
    for req in [
        app.client
            .post(url("user.admin"))
            .json(&json!({"auth": ""})),
        app.client
            .post(format!("{}?access_token=", url("user.admin"))),
        app.client
            .post(url("user.admin"))
            .header("Authorization", "Bearer "),
    ] {
        let (status, body) = answer(req.send().await.unwrap()).await;
        assert_eq!(
            error_of(status, &body),
            (401, "NO_AUTH_FOUND", "Wrong authorization data")
        );
    }
    // A method that does not exist is 404 before any credential is read.
    let (status, body) = answer(app.client.post(url("no.such.method")).send().await.unwrap()).await;
    assert_eq!(
        error_of(status, &body),
        (404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    );
}
