//! `user.get`: filters, sorting, and the three ways the SDKs page through it.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use b24im::domain::credentials::Scopes;
use b24im::domain::users::NewUser;
use b24im::domain::Timestamp;

/// Adds `n` users named `Person{i} Family{i % 3}`; returns their ids.
async fn people(app: &TestApp, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let u = app
            .store
            .create_user(
                NewUser::parse(&format!("Person{i}"), &format!("Family{}", i % 3), false).unwrap(),
                Timestamp::now(),
            )
            .await
            .unwrap();
        ids.push(u.id.0);
    }
    ids
}

fn ids_of(result: &Value) -> Vec<i64> {
    result
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["ID"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn users_have_the_documented_fields() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let (status, body) = app
        .call(
            &app.admin,
            "user.get",
            json!({"UF_DEPARTMENT": 1, "SORT": "ID", "ORDER": "asc", "start": 0}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 1);
    assert!(body.get("next").is_none(), "{body}");
    let u = &body["result"][0];
    assert_eq!(u["ID"], "1");
    assert_eq!(u["NAME"], "Admin");
    assert_eq!(u["ACTIVE"], true);
    assert_eq!(u["USER_TYPE"], "employee");
    assert_eq!(u["UF_DEPARTMENT"], json!([1]));
    for key in [
        "LAST_NAME",
        "EMAIL",
        "DATE_REGISTER",
        "IS_ONLINE",
        "WORK_POSITION",
    ] {
        assert!(u.get(key).is_some(), "{key} missing in {u}");
    }
}

#[tokio::test]
async fn start_total_and_next_agree_with_the_pages() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let mut all = vec![1];
    all.extend(people(&app, 120).await);
    let mut seen = Vec::new();
    let mut start = json!(0);
    loop {
        let (status, body) = app
            .call(&app.admin, "user.get", json!({"start": start}))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], 121);
        let page = ids_of(&body["result"]);
        assert!(page.len() <= 50);
        seen.extend(page);
        match body.get("next") {
            Some(next) => {
                assert_eq!(
                    next.as_i64().unwrap(),
                    seen.len() as i64,
                    "next is an absolute offset"
                );
                start = next.clone();
            }
            None => break,
        }
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn the_id_cursor_mode_pages_without_counting() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let mut all = vec![1];
    all.extend(people(&app, 120).await);
    let mut seen: Vec<i64> = Vec::new();
    let mut last = 0;
    loop {
        let (status, body) = app
            .call(
                &app.admin,
                "user.get",
                json!({"order": {"ID": "ASC"}, "filter": {">ID": last}, "start": -1}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.get("total").is_none() && body.get("next").is_none(),
            "{body}"
        );
        let page = ids_of(&body["result"]);
        seen.extend(&page);
        if page.len() < 50 {
            break;
        }
        last = *page.last().unwrap();
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn filters_and_sorting_follow_the_docs() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let ids = people(&app, 9).await;
    let get = |params: Value| {
        let app = &app;
        async move { ids_of(&app.ok(&app.admin, "user.get", params).await) }
    };
    assert_eq!(get(json!({"FILTER": {"NAME": "person3"}})).await, [ids[3]]);
    assert_eq!(
        get(json!({"NAME": "Person3"})).await,
        [ids[3]],
        "top-level keys filter too"
    );
    assert_eq!(
        get(json!({"FILTER": {"LAST_NAME": "Family1"}})).await,
        [ids[1], ids[4], ids[7]]
    );
    assert_eq!(
        get(json!({"FILTER": {"@ID": [ids[2], ids[5]]}})).await,
        [ids[2], ids[5]]
    );
    assert_eq!(
        get(json!({"FILTER": {"!@ID": ids[1..].to_vec()}})).await,
        [1, ids[0]]
    );
    assert_eq!(
        get(json!({"FILTER": {"!ID": 1, "<=ID": ids[1]}})).await,
        [ids[0], ids[1]]
    );
    assert_eq!(get(json!({"FILTER": {">=ID": ids[8]}})).await, [ids[8]]);
    assert_eq!(get(json!({"FILTER": {"%NAME": "son8"}})).await, [ids[8]]);
    assert_eq!(get(json!({"FILTER": {"=%NAME": "Person%"}})).await, ids);
    assert_eq!(get(json!({"FILTER": {"!%NAME": "Person"}})).await, [1]);
    assert_eq!(
        get(json!({"FILTER": {"NAME_SEARCH": "person4 family1"}})).await,
        [ids[4]]
    );
    assert_eq!(
        get(json!({"FILTER": {"USER_TYPE": "employee", "ACTIVE": true}}))
            .await
            .len(),
        10
    );
    assert!(get(json!({"FILTER": {"USER_TYPE": "extranet"}}))
        .await
        .is_empty());
    assert!(get(json!({"FILTER": {"ACTIVE": "N"}})).await.is_empty());
    assert!(get(json!({"FILTER": {"ID": "abc"}})).await.is_empty());
    // Fields b24im does not know are ignored, not errors.
    assert_eq!(
        get(json!({"FILTER": {"PERSONAL_CITY": "Riga"}}))
            .await
            .len(),
        10
    );

    let mut desc = ids.clone();
    desc.reverse();
    desc.push(1);
    assert_eq!(get(json!({"sort": "ID", "order": "DESC"})).await, desc);
    assert_eq!(get(json!({"order": {"ID": "DESC"}})).await, desc);
    let by_name = get(json!({"sort": "LAST_NAME", "order": "asc", "FILTER": {"!ID": 1}})).await;
    assert_eq!(by_name[..3], [ids[0], ids[3], ids[6]]);
}

#[tokio::test]
async fn user_get_needs_the_user_scope() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let im_only = app.hook(1, Scopes::parse("im").unwrap()).await;
    let (status, code) = app.err(&im_only, "user.get", json!({})).await;
    assert_eq!((status, code.as_str()), (403, "insufficient_scope"));
}

#[tokio::test]
async fn user_get_pages_inside_a_batch() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    people(&app, 60).await;
    let result = app
        .ok(
            &app.admin,
            "batch",
            json!({"halt": 0, "cmd": {"a": "user.get?start=0", "b": "user.get?start=50"}}),
        )
        .await;
    assert_eq!(result["result"]["a"].as_array().unwrap().len(), 50);
    assert_eq!(result["result"]["b"].as_array().unwrap().len(), 11);
    assert_eq!(result["result_total"], json!({"a": 61, "b": 61}));
    assert_eq!(result["result_next"], json!({"a": 50}));
}

#[tokio::test]
async fn cyrillic_names_filter_without_regard_to_case() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let ivan = app.user("Иван", "Петров").await.user;
    app.user("Anna", "Smith").await;
    let get = |params: Value| {
        let app = &app;
        async move { ids_of(&app.ok(&app.admin, "user.get", params).await) }
    };
    assert_eq!(get(json!({"FILTER": {"NAME": "иван"}})).await, [ivan]);
    assert_eq!(get(json!({"FILTER": {"%LAST_NAME": "ПЕТР"}})).await, [ivan]);
    assert_eq!(get(json!({"FILTER": {"=%NAME": "ив%"}})).await, [ivan]);
    assert_eq!(
        get(json!({"FILTER": {"NAME_SEARCH": "иВАН"}})).await,
        [ivan]
    );
}

/// Every field `user.fields` names (api-reference/user/user-fields.md), in
/// its order.
const USER_FIELDS: [&str; 62] = [
    "ID",
    "XML_ID",
    "ACTIVE",
    "NAME",
    "LAST_NAME",
    "SECOND_NAME",
    "TITLE",
    "EMAIL",
    "LAST_LOGIN",
    "DATE_REGISTER",
    "TIME_ZONE",
    "IS_ONLINE",
    "TIMESTAMP_X",
    "LAST_ACTIVITY_DATE",
    "PERSONAL_GENDER",
    "PERSONAL_PROFESSION",
    "PERSONAL_WWW",
    "PERSONAL_BIRTHDAY",
    "PERSONAL_PHOTO",
    "PERSONAL_ICQ",
    "PERSONAL_PHONE",
    "PERSONAL_FAX",
    "PERSONAL_MOBILE",
    "PERSONAL_PAGER",
    "PERSONAL_STREET",
    "PERSONAL_CITY",
    "PERSONAL_STATE",
    "PERSONAL_ZIP",
    "PERSONAL_COUNTRY",
    "PERSONAL_MAILBOX",
    "PERSONAL_NOTES",
    "WORK_PHONE",
    "WORK_COMPANY",
    "WORK_POSITION",
    "WORK_DEPARTMENT",
    "WORK_WWW",
    "WORK_FAX",
    "WORK_PAGER",
    "WORK_STREET",
    "WORK_MAILBOX",
    "WORK_CITY",
    "WORK_STATE",
    "WORK_ZIP",
    "WORK_COUNTRY",
    "WORK_PROFILE",
    "WORK_LOGO",
    "WORK_NOTES",
    "UF_SKYPE_LINK",
    "UF_ZOOM",
    "UF_EMPLOYMENT_DATE",
    "UF_TIMEMAN",
    "UF_DEPARTMENT",
    "UF_INTERESTS",
    "UF_SKILLS",
    "UF_WEB_SITES",
    "UF_XING",
    "UF_LINKEDIN",
    "UF_TWITTER",
    "UF_SKYPE",
    "UF_DISTRICT",
    "UF_PHONE_INNER",
    "USER_TYPE",
];

#[tokio::test]
async fn a_user_has_every_documented_field_with_its_type() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "Stone").await;
    let current = app.ok(&bob, "user.current", json!({})).await;
    let listed = app
        .ok(&bob, "user.get", json!({"FILTER": {"ID": bob.user}}))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    for user in [&current, &listed[0]] {
        let keys: Vec<&str> = user
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, USER_FIELDS, "every field, in user.fields' order");
        for field in USER_FIELDS {
            let v = &user[field];
            // What the official Python SDK's tests assert of each field.
            assert!(
                v.is_boolean() || v.is_string() || v.is_array(),
                "{field}: {v}"
            );
        }
        assert_eq!(user["ID"], bob.user.to_string());
        assert_eq!(user["XML_ID"], "");
        assert_eq!(user["ACTIVE"], true);
        assert_eq!(
            (&user["NAME"], &user["LAST_NAME"]),
            (&json!("Bob"), &json!("Stone"))
        );
        assert_eq!(user["UF_DEPARTMENT"], json!([1]));
        assert_eq!(user["USER_TYPE"], "employee");
        for date in [
            "LAST_LOGIN",
            "DATE_REGISTER",
            "TIMESTAMP_X",
            "LAST_ACTIVITY_DATE",
        ] {
            chrono::DateTime::parse_from_rfc3339(user[date].as_str().unwrap())
                .unwrap_or_else(|e| panic!("{date}: {e}"));
        }
    }
}

#[tokio::test]
async fn user_fields_names_every_field_with_its_title() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "Stone").await;
    let fields = app.ok(&bob, "user.fields", json!({})).await;
    let keys: Vec<&str> = fields
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, USER_FIELDS, "the page's fields, in its order");
    // Titles as the page's example answer gives them.
    assert_eq!(fields["UF_DEPARTMENT"], "Units");
    assert_eq!(fields["NAME"], "First Name");
    assert_eq!(fields["USER_TYPE"], "USER_TYPE");
    // The same scope as user.get: an im-only token may not call it.
    let im_only = app.hook(bob.user, Scopes::parse("im").unwrap()).await;
    assert_eq!(
        app.err(&im_only, "user.fields", json!({})).await,
        (403, "insufficient_scope".to_owned())
    );
}

#[tokio::test]
async fn departments_are_one_truth_across_user_and_im_methods() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "").await;
    let rest = app.ok(&bob, "user.current", json!({})).await;
    let im = app.ok(&bob, "im.user.get", json!({})).await;
    assert_eq!(im["departments"], rest["UF_DEPARTMENT"]);
    assert_eq!(im["departments"], json!([1]));
    // The users of a history page say the same.
    let chat = app.chat(&bob, &[]).await;
    app.post(&bob, chat, "hi").await;
    let page = app
        .ok(
            &bob,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    let me = page["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == bob.user)
        .unwrap_or_else(|| panic!("{page}"));
    assert_eq!(me["departments"], json!([1]));
}

/// `im.user.status.*`: the caller's own status and idle time, as the pages
/// give them, and what `im.user.get` shows of them to others.
#[tokio::test]
async fn status_and_idle_are_the_callers_own() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "").await;
    let status = |hook: &crate::helpers::Hook| {
        let (app, hook) = (&app, hook.clone());
        async move { app.ok(&hook, "im.user.status.get", json!({})).await }
    };
    assert_eq!(status(&anna).await, json!("online"));
    assert_eq!(
        app.ok(&anna, "im.user.status.set", json!({"STATUS": "dnd"}))
            .await,
        json!(true)
    );
    assert_eq!(status(&anna).await, json!("dnd"));
    assert_eq!(status(&app.admin).await, json!("online"));
    let seen = app
        .ok(&app.admin, "im.user.get", json!({"ID": anna.user}))
        .await;
    assert_eq!(
        (&seen["status"], &seen["idle"]),
        (&json!("dnd"), &json!(false))
    );
    for bad in [
        json!({"STATUS": "DND"}),
        json!({"STATUS": "invisible"}),
        json!({}),
    ] {
        assert_eq!(
            app.err(&anna, "im.user.status.set", bad.clone()).await,
            (400, "STATUS_ERROR".to_owned()),
            "{bad}"
        );
    }
    assert_eq!(status(&anna).await, json!("dnd"));

    let before = chrono::Utc::now().timestamp();
    app.ok(&anna, "im.user.status.idle.start", json!({"AGO": 5}))
        .await;
    let idle = app.ok(&anna, "im.user.get", json!({})).await["idle"].clone();
    let since = chrono::DateTime::parse_from_rfc3339(idle.as_str().expect("a date"))
        .unwrap()
        .timestamp();
    assert!((before - 300 - since).abs() <= 2, "{idle}");
    // Without AGO: ten minutes ago.
    app.ok(&anna, "im.user.status.idle.start", json!({})).await;
    let idle = app.ok(&anna, "im.user.get", json!({})).await["idle"].clone();
    let since = chrono::DateTime::parse_from_rfc3339(idle.as_str().unwrap())
        .unwrap()
        .timestamp();
    assert!((before - 600 - since).abs() <= 2, "{idle}");
    assert_eq!(
        app.ok(&anna, "im.user.status.idle.end", json!({})).await,
        json!(true)
    );
    assert_eq!(
        app.ok(&anna, "im.user.get", json!({})).await["idle"],
        json!(false)
    );
}

/// `im.user.list.get`: users by id, keyed by id or as a list, `ID` as a
/// list or a JSON string; unknown ids left out; a bad `ID` is INVALID_FORMAT.
#[tokio::test]
async fn im_user_list_get_returns_users_by_id() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let keyed = app
        .ok(
            &anna,
            "im.user.list.get",
            json!({"ID": [anna.user, app.admin.user, 999_999]}),
        )
        .await;
    let map = keyed.as_object().expect("keyed by id");
    assert_eq!(map.len(), 2, "{keyed}");
    let one = app.ok(&anna, "im.user.get", json!({"ID": anna.user})).await;
    assert_eq!(map[&anna.user.to_string()], one);
    let listed = app
        .ok(
            &anna,
            "im.user.list.get",
            json!({"ID": format!("[{}, {}]", anna.user, app.admin.user), "RESULT_TYPE": "array"}),
        )
        .await;
    let ids: Vec<i64> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![app.admin.user, anna.user]);
    for bad in [json!({}), json!({"ID": "4,5"}), json!({"ID": 4})] {
        assert_eq!(
            app.err(&anna, "im.user.list.get", bad.clone()).await,
            (400, "INVALID_FORMAT".to_owned()),
            "{bad}"
        );
    }
}

/// `user.search`: `FILTER` by name parts (containing), `FIND` across first
/// and last names, fields b24im does not keep match nobody; paged as user.get.
#[tokio::test]
async fn user_search_follows_the_page() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Weber").await;
    let hanna = app.user("Hannah", "Schmidt").await;
    let bert = app.user("Bert", "Weberling").await;
    let search = |params: Value| {
        let app = &app;
        async move {
            let (status, body) = app.call(&app.admin, "user.search", params).await;
            assert_eq!(status, 200, "{body}");
            let ids: Vec<i64> = body["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["ID"].as_str().unwrap().parse().unwrap())
                .collect();
            (ids, body)
        }
    };
    let (ids, body) = search(json!({"FILTER": {"NAME": "ann"}})).await;
    assert_eq!(ids, vec![anna.user, hanna.user]);
    assert_eq!(body["total"], json!(2));
    let (ids, _) = search(json!({"FILTER": {"LAST_NAME": "Weber"}})).await;
    assert_eq!(ids, vec![anna.user, bert.user]);
    let (ids, _) = search(json!({"FILTER": {"NAME": "ann", "LAST_NAME": "Weber"}})).await;
    assert_eq!(ids, vec![anna.user]);
    let (ids, _) = search(json!({"FILTER": {"FIND": "weber"}})).await;
    assert_eq!(ids, vec![anna.user, bert.user]);
    // FIND wins over the other keys.
    let (ids, _) = search(json!({"FILTER": {"FIND": "schmidt", "NAME": "Bert"}})).await;
    assert_eq!(ids, vec![hanna.user]);
    let (ids, _) = search(json!({"FILTER": {"WORK_POSITION": "Manager"}})).await;
    assert!(ids.is_empty());
    let boss = app.admin_user("Boss").await;
    app.ok(
        &boss,
        "user.update",
        json!({"ID": hanna.user, "WORK_POSITION": "Sales Manager"}),
    )
    .await;
    let (ids, _) = search(json!({"FILTER": {"WORK_POSITION": "manager"}})).await;
    assert_eq!(ids, vec![hanna.user], "job titles hold the text");
    // UF_DEPARTMENT_NAME: people placed in a department whose name holds it.
    let sales = app
        .store
        .add_department(
            b24im::domain::departments::NewDepartment::parse("Sales East", 1, None).unwrap(),
        )
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert!(app
        .store
        .place_user(b24im::domain::UserId(bert.user), vec![sales])
        .await
        .unwrap());
    let (ids, _) = search(json!({"FILTER": {"UF_DEPARTMENT_NAME": "sales"}})).await;
    assert_eq!(ids, vec![bert.user]);
    let (ids, _) = search(json!({"FILTER": {"UF_DEPARTMENT_NAME": "company"}})).await;
    assert_eq!(
        ids,
        vec![app.admin.user, anna.user, hanna.user, boss.user],
        "My Company: department 1"
    );
    let (ids, _) = search(json!({"FILTER": {"UF_DEPARTMENT_NAME": "nowhere"}})).await;
    assert!(ids.is_empty());
    let (ids, _) =
        search(json!({"FILTER": {"LAST_NAME": "Weber"}, "sort": "ID", "order": "DESC"})).await;
    assert_eq!(ids, vec![bert.user, anna.user]);
    // Without a filter: everyone, as user.get (Boss too).
    let (ids, _) = search(json!({})).await;
    assert_eq!(ids.len(), 5);
}

#[tokio::test]
async fn administrators_add_users_by_email() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let bob = app.user("Bob", "Stone").await;
    let add = |who: &crate::helpers::Hook, params: Value| {
        let app = &app;
        let who = who.clone();
        async move { app.call(&who, "user.add", params).await }
    };
    let (status, body) = add(
        &bob,
        json!({"EMAIL": "x@example.com", "UF_DEPARTMENT": [1]}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("ERROR_CORE")),
        "{body}"
    );
    assert_eq!(body["error_description"], "access_denied");
    for (params, code, text) in [
        (
            json!({"UF_DEPARTMENT": [1]}),
            "ERROR_ARGUMENT",
            "wrong_email",
        ),
        (
            json!({"EMAIL": "not-an-email", "UF_DEPARTMENT": [1]}),
            "ERROR_ARGUMENT",
            "wrong_email",
        ),
        (
            json!({"EMAIL": "x@example.com"}),
            "ERROR_ARGUMENT",
            "no_extranet_field",
        ),
        (
            json!({"EMAIL": "x@example.com", "EXTRANET": "Y"}),
            "ERROR_GROUPID",
            "Group code not specified",
        ),
        (
            json!({"EMAIL": "x@example.com", "EXTRANET": "Y", "SONET_GROUP_ID": [5]}),
            "ERROR_NO_GROUP",
            "Group is specified incorrectly",
        ),
        (
            json!({"EMAIL": "x@example.com", "UF_DEPARTMENT": [99]}),
            "ERROR_CORE",
            "There is no such department",
        ),
    ] {
        let (status, body) = add(&boss, params.clone()).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(code)),
            "{params}: {body}"
        );
        assert_eq!(body["error_description"], text);
    }
    let many: Vec<i64> = (1..=101).collect();
    let (status, body) = add(
        &boss,
        json!({"EMAIL": "x@example.com", "UF_DEPARTMENT": many}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("ERROR_CORE")),
        "{body}"
    );
    let id = app
        .ok(
            &boss,
            "user.add",
            json!({"EMAIL": "Newuser1@Example.com", "NAME": "Nina", "LAST_NAME": "Ray",
                   "WORK_POSITION": "Designer", "PERSONAL_GENDER": "F", "UF_DEPARTMENT": [1]}),
        )
        .await;
    let id = id.as_i64().expect("the new id, a number");
    let (status, body) = add(
        &boss,
        json!({"EMAIL": "NEWUSER1@example.com", "UF_DEPARTMENT": [1]}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("ERROR_ARGUMENT"))
    );
    assert_eq!(
        body["error_description"],
        "A user with this email already exists"
    );
    // Nothing refused was made.
    let all = app
        .ok(&boss, "user.get", json!({"FILTER": {">ID": id}}))
        .await;
    assert_eq!(all, json!([]));

    let rest = &app.ok(&bob, "user.get", json!({"ID": id})).await[0];
    assert_eq!(
        (
            &rest["NAME"],
            &rest["LAST_NAME"],
            &rest["EMAIL"],
            &rest["WORK_POSITION"]
        ),
        (
            &json!("Nina"),
            &json!("Ray"),
            &json!("newuser1@example.com"),
            &json!("Designer")
        )
    );
    assert_eq!(rest["PERSONAL_GENDER"], "F");
    assert_eq!(rest["UF_DEPARTMENT"], json!([1]));
    let im = app.ok(&bob, "im.user.get", json!({"ID": id})).await;
    assert_eq!(
        (&im["work_position"], &im["email"], &im["gender"]),
        (
            &json!("Designer"),
            &json!("newuser1@example.com"),
            &json!("F")
        )
    );
    // user_brief sees no contact details; user_basic does.
    let brief_hook = app
        .hook(bob.user, Scopes::parse("user_brief").unwrap())
        .await;
    let brief = &app.ok(&brief_hook, "user.get", json!({"ID": id})).await[0];
    assert!(
        brief.get("EMAIL").is_none() && brief.get("WORK_PHONE").is_none(),
        "{brief}"
    );
    assert_eq!(brief["WORK_POSITION"], "Designer");
    let basic_hook = app
        .hook(bob.user, Scopes::parse("user_basic").unwrap())
        .await;
    let basic = &app.ok(&basic_hook, "user.get", json!({"ID": id})).await[0];
    assert_eq!(basic["EMAIL"], "newuser1@example.com");
    // Only the full user scope adds users.
    let brief = app
        .hook(boss.user, Scopes::parse("user_brief").unwrap())
        .await;
    assert_eq!(
        app.err(
            &brief,
            "user.add",
            json!({"EMAIL": "y@example.com", "UF_DEPARTMENT": [1]})
        )
        .await,
        (403, "insufficient_scope".to_owned())
    );
}

#[tokio::test]
async fn administrators_update_users_and_deactivation_ends_access() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    app.ok(
        &boss,
        "user.update",
        json!({"ID": carl.user, "EMAIL": "carl@example.com"}),
    )
    .await;
    let (status, body) = app
        .call(
            &bob,
            "user.update",
            json!({"ID": bob.user, "NAME": "Robert"}),
        )
        .await;
    assert_eq!(
        (
            status,
            body["error"].as_str(),
            body["error_description"].as_str()
        ),
        (400, Some("ERROR_CORE"), Some("access_denied"))
    );
    for id in [json!(999_999), json!(0), json!(null)] {
        let (status, body) = app
            .call(&boss, "user.update", json!({"ID": id, "NAME": "X"}))
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("ERROR_CORE")),
            "{id}"
        );
    }
    let (status, body) = app
        .call(
            &boss,
            "user.update",
            json!({"ID": bob.user, "EMAIL": "CARL@example.com"}),
        )
        .await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("A user with this email already exists"))
    );
    assert_eq!(
        app.ok(
            &boss,
            "user.update",
            json!({"ID": bob.user, "NAME": "Robert", "WORK_POSITION": "Lead", "UF_DEPARTMENT": [1]}),
        )
        .await,
        true
    );
    let me = app.ok(&bob, "user.current", json!({})).await;
    assert_eq!(
        (&me["NAME"], &me["LAST_NAME"], &me["WORK_POSITION"]),
        (&json!("Robert"), &json!("Stone"), &json!("Lead"))
    );
    // An empty value clears a field; what is not named stays.
    app.ok(
        &boss,
        "user.update",
        json!({"ID": bob.user, "WORK_POSITION": ""}),
    )
    .await;
    let me = app.ok(&bob, "user.current", json!({})).await;
    assert_eq!(
        (&me["NAME"], &me["WORK_POSITION"]),
        (&json!("Robert"), &json!(""))
    );

    let (status, body) = app
        .call(
            &boss,
            "user.update",
            json!({"ID": bob.user, "ACTIVE": "maybe"}),
        )
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("ERROR_CORE")));
    // ACTIVE=N: the user is inactive, and their webhook stops working.
    app.ok(&boss, "user.update", json!({"ID": bob.user, "ACTIVE": "N"}))
        .await;
    let listed = app.ok(&boss, "user.get", json!({"ID": bob.user})).await;
    assert_eq!(listed[0]["ACTIVE"], false);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, _) = app.call(&bob, "user.current", json!({})).await;
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a deactivated user's webhook still works"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Reinstated, it works again.
    app.ok(&boss, "user.update", json!({"ID": bob.user, "ACTIVE": "Y"}))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (status, _) = app.call(&bob, "user.current", json!({})).await;
        if status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a reinstated user's webhook stays refused"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
