//! The `user.userfield` scope (docs api-reference/user/userfields/):
//! `user.userfield.add|update|delete|list`, administrators only, and the
//! `UF_USR_*` values `user.update` writes and `user.get`, `user.current`,
//! `user.search` and `user.fields` show. Where the pages and portals
//! differ, portals are followed (see each test).

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use b24im::domain::credentials::Scopes;

/// The status, code and description of an error answer.
async fn error(app: &TestApp, hook: &Hook, method: &str, params: Value) -> (u16, String, String) {
    let (status, body) = app.call(hook, method, params).await;
    assert!(body.get("result").is_none(), "{method}: {body}");
    (
        status,
        body["error"].as_str().expect("error").to_owned(),
        body["error_description"]
            .as_str()
            .expect("description")
            .to_owned(),
    )
}

/// `user.userfield.list` filtered on one id: the one item.
async fn listed(app: &TestApp, admin: &Hook, id: i64) -> Value {
    let (status, body) = app
        .call(admin, "user.userfield.list", json!({"filter": {"ID": id}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], json!(1), "{body}");
    assert!(body.get("next").is_none(), "{body}");
    body["result"][0].clone()
}

#[tokio::test]
async fn userfield_add_normalises_as_portals_do() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Ada").await;
    // FIELD_NAME is trimmed, uppercased and prefixed UF_USR_.
    for (given, kept) in [
        (" deals ", "UF_USR_DEALS"),
        ("UF_MONEY", "UF_USR_MONEY"),
        ("UF_USR_CITY", "UF_USR_CITY"),
    ] {
        let id = app
            .ok(
                &admin,
                "user.userfield.add",
                json!({"fields": {"FIELD_NAME": given, "USER_TYPE_ID": "string"}}),
            )
            .await;
        let id = id.as_i64().expect("the id is a JSON int");
        assert!(id > 0);
        let item = listed(&app, &admin, id).await;
        assert_eq!(item["FIELD_NAME"], kept);
    }
    // Defaults, and the keys the portal drops (MANDATORY and the rest).
    let id = app
        .ok(
            &admin,
            "user.userfield.add",
            json!({"FIELDS": {
                "FIELD_NAME": "colour",
                "USER_TYPE_ID": "enumeration",
                "MULTIPLE": "y",
                "SHOW_FILTER": "Y",
                "MANDATORY": "Y",
                "SHOW_IN_LIST": "N",
                "IS_SEARCHABLE": "Y",
                "SETTINGS": {"DISPLAY": "ui", "LIST_HEIGHT": 0, "OTHER": 1},
                "LIST": [
                    {"VALUE": "red", "SORT": 10, "DEF": "Y"},
                    {"VALUE": " "},
                    {"VALUE": "green", "SORT": 20, "DEF": "Y", "XML_ID": "mine"},
                ],
            }}),
        )
        .await
        .as_i64()
        .unwrap();
    let item = listed(&app, &admin, id).await;
    assert_eq!(item["ID"], id.to_string());
    assert_eq!(item["ENTITY_ID"], "USER");
    assert_eq!(item["FIELD_NAME"], "UF_USR_COLOUR");
    assert_eq!(item["USER_TYPE_ID"], "enumeration");
    assert_eq!(item["XML_ID"], Value::Null);
    assert_eq!(item["SORT"], "100");
    assert_eq!(item["MULTIPLE"], "Y");
    assert_eq!(item["MANDATORY"], "N");
    assert_eq!(item["SHOW_FILTER"], "E");
    assert_eq!(item["SHOW_IN_LIST"], "Y");
    assert_eq!(item["EDIT_IN_LIST"], "Y");
    assert_eq!(item["IS_SEARCHABLE"], "N");
    assert_eq!(item["SETTINGS"], json!({"DISPLAY": "UI", "LIST_HEIGHT": 1}));
    assert!(item.get("EDIT_FORM_LABEL").is_none(), "{item}");
    let list = item["LIST"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{item}");
    assert_eq!(list[0]["VALUE"], "red");
    assert_eq!(list[0]["SORT"], "10");
    assert_eq!(list[0]["DEF"], "Y");
    // Multiple: both defaults stay. XML_ID is never taken on add.
    assert_eq!(list[1]["DEF"], "Y");
    for entry in list {
        assert!(entry["ID"].as_str().unwrap().parse::<i64>().unwrap() > 0);
        let xml = entry["XML_ID"].as_str().unwrap();
        assert_eq!(xml.len(), 32, "{xml}");
        assert!(xml.bytes().all(|b| b.is_ascii_hexdigit()), "{xml}");
    }
    // A single-valued enumeration keeps only its first default; a boolean
    // is never multiple.
    let single = app
        .ok(
            &admin,
            "user.userfield.add",
            json!({"fields": {"FIELD_NAME": "size", "USER_TYPE_ID": "enumeration",
                "LIST": [{"VALUE": "S", "DEF": "Y"}, {"VALUE": "M", "DEF": "Y"}]}}),
        )
        .await
        .as_i64()
        .unwrap();
    let item = listed(&app, &admin, single).await;
    assert_eq!(item["LIST"][0]["DEF"], "Y");
    assert_eq!(item["LIST"][1]["DEF"], "N");
    let flag = app
        .ok(
            &admin,
            "user.userfield.add",
            json!({"fields": {"FIELD_NAME": "remote", "USER_TYPE_ID": "boolean", "MULTIPLE": "Y"}}),
        )
        .await
        .as_i64()
        .unwrap();
    let item = listed(&app, &admin, flag).await;
    assert_eq!(item["MULTIPLE"], "N");
    assert_eq!(
        item["SETTINGS"],
        json!({"DEFAULT_VALUE": 0, "DISPLAY": "CHECKBOX"})
    );
    assert!(item.get("LIST").is_none());
}

#[tokio::test]
async fn userfield_add_errors_are_the_portals() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Ada").await;
    let e = error(
        &app,
        &admin,
        "user.userfield.add",
        json!({"fields": {"USER_TYPE_ID": "string"}}),
    )
    .await;
    assert_eq!(
        e,
        (
            400,
            String::new(),
            "The 'FIELD_NAME' field is not found.".into()
        )
    );
    let e = error(
        &app,
        &admin,
        "user.userfield.add",
        json!({"fields": {"FIELD_NAME": "X"}}),
    )
    .await;
    assert_eq!(
        e,
        (
            400,
            String::new(),
            "The 'USER_TYPE_ID' field is not found.".into()
        )
    );
    let e = error(&app, &admin, "user.userfield.add", json!({})).await;
    assert_eq!(
        e.2,
        "The 'USER_TYPE_ID' field is not found.\nThe 'FIELD_NAME' field is not found."
    );
    app.ok(
        &admin,
        "user.userfield.add",
        json!({"fields": {"FIELD_NAME": "twice", "USER_TYPE_ID": "string"}}),
    )
    .await;
    let e = error(
        &app,
        &admin,
        "user.userfield.add",
        json!({"fields": {"FIELD_NAME": "UF_TWICE", "USER_TYPE_ID": "integer"}}),
    )
    .await;
    assert_eq!(
        e,
        (
            400,
            "ERROR_CORE".into(),
            "Field UF_USR_TWICE for USER object already exists".into()
        )
    );
    let e = error(
        &app,
        &admin,
        "user.userfield.add",
        json!({"fields": {"FIELD_NAME": "odd", "USER_TYPE_ID": "no_such_type"}}),
    )
    .await;
    assert_eq!(e.0, 400);
    assert_eq!(e.1, "ERROR_CORE");
}

/// b24pysdk's integration test, step by step (tests/integration/scopes/
/// user/test_user_userfield.py).
#[tokio::test]
async fn userfield_sdk_round_trip() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Ada").await;
    let name = "UF_USR_SDK_TEST_1747313326";
    let id = app
        .ok(
            &admin,
            "user.userfield.add",
            json!({"fields": {"FIELD_NAME": name, "USER_TYPE_ID": "string", "MULTIPLE": "Y"}}),
        )
        .await;
    let id = id.as_i64().expect("int");
    let updated = app
        .ok(
            &admin,
            "user.userfield.update",
            json!({"id": id, "fields": {
                "XML_ID": "123",
                "SORT": 250,
                "SHOW_IN_LIST": "Y",
                "EDIT_IN_LIST": "Y",
                "SETTINGS": {"DEFAULT_VALUE": "some text", "ROWS": 3},
            }}),
        )
        .await;
    assert_eq!(updated, json!(true));
    let item = listed(&app, &admin, id).await;
    assert_eq!(item["ID"], id.to_string());
    assert_eq!(item["FIELD_NAME"], name);
    assert_eq!(item["USER_TYPE_ID"], "string");
    assert_eq!(item["MULTIPLE"], "Y");
    assert_eq!(item["XML_ID"], "123");
    assert_eq!(item["SORT"], "250");
    assert_eq!(item["SHOW_IN_LIST"], "Y");
    assert_eq!(item["EDIT_IN_LIST"], "Y");
    assert_eq!(item["SETTINGS"]["DEFAULT_VALUE"], "some text");
    assert_eq!(item["SETTINGS"]["ROWS"], json!(3));
    // as_list_fast's page shape.
    let (status, body) = app
        .call(
            &admin,
            "user.userfield.list",
            json!({"order": {"ID": "DESC"}, "filter": {"<ID": id + 1}, "start": -1}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"][0]["ID"], id.to_string());
    assert!(app
        .ok(&admin, "user.userfield.delete", json!({"id": id}))
        .await
        .as_bool()
        .unwrap());
    let (_, body) = app
        .call(&admin, "user.userfield.list", json!({"filter": {"ID": id}}))
        .await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(body["total"], json!(0));
}

#[tokio::test]
async fn userfield_update_changes_what_may_change() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Ada").await;
    let id = app
        .ok(
            &admin,
            "user.userfield.add",
            json!({"fields": {"FIELD_NAME": "level", "USER_TYPE_ID": "enumeration",
                "LIST": [{"VALUE": "low", "SORT": 10, "DEF": "Y"}, {"VALUE": "high", "SORT": 20}]}}),
        )
        .await
        .as_i64()
        .unwrap();
    let before = listed(&app, &admin, id).await;
    let low = before["LIST"][0]["ID"].as_str().unwrap().to_owned();
    let high = before["LIST"][1]["ID"].as_str().unwrap().to_owned();
    app.ok(
        &admin,
        "user.userfield.update",
        json!({"ID": id, "FIELDS": {
            "FIELD_NAME": "OTHER", "USER_TYPE_ID": "string", "MULTIPLE": "Y",
            "SHOW_FILTER": "Y",
            "LIST": [
                {"ID": low, "DEL": "Y"},
                {"ID": high, "VALUE": "HIGH", "DEF": "Y"},
                {"VALUE": "mid", "SORT": 15, "XML_ID": "MID"},
            ],
        }}),
    )
    .await;
    let item = listed(&app, &admin, id).await;
    assert_eq!(item["FIELD_NAME"], "UF_USR_LEVEL");
    assert_eq!(item["USER_TYPE_ID"], "enumeration");
    assert_eq!(item["MULTIPLE"], "N");
    assert_eq!(item["SHOW_FILTER"], "E");
    let list = item["LIST"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{item}");
    assert_eq!(list[0]["VALUE"], "mid");
    assert_eq!(list[0]["XML_ID"], "MID");
    assert_eq!(list[1]["ID"], high);
    assert_eq!(list[1]["VALUE"], "HIGH");
    assert_eq!(list[1]["DEF"], "Y");

    for bad in [json!({}), json!({"id": 0}), json!({"id": "x"})] {
        let e = error(&app, &admin, "user.userfield.update", bad.clone()).await;
        assert_eq!(
            e,
            (400, String::new(), "ID is not defined or invalid.".into()),
            "{bad}"
        );
        let e = error(&app, &admin, "user.userfield.delete", bad).await;
        assert_eq!(e.2, "ID is not defined or invalid.");
    }
    let e = error(
        &app,
        &admin,
        "user.userfield.update",
        json!({"id": id + 100, "fields": {"SORT": 1}}),
    )
    .await;
    assert_eq!(e, (400, String::new(), "Access denied.".into()));
    let e = error(
        &app,
        &admin,
        "user.userfield.delete",
        json!({"id": id + 100}),
    )
    .await;
    assert_eq!(e, (400, String::new(), "Access denied.".into()));
}

#[tokio::test]
async fn userfield_methods_are_for_administrators() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Ada").await;
    let bob = app.user("Bob", "Stone").await;
    let id = app
        .ok(
            &admin,
            "user.userfield.add",
            json!({"fields": {"FIELD_NAME": "x", "USER_TYPE_ID": "string"}}),
        )
        .await;
    for (method, params) in [
        (
            "user.userfield.add",
            json!({"fields": {"FIELD_NAME": "y", "USER_TYPE_ID": "string"}}),
        ),
        ("user.userfield.add", json!({})),
        ("user.userfield.update", json!({"id": id, "fields": {}})),
        ("user.userfield.delete", json!({"id": id})),
        ("user.userfield.list", json!({})),
    ] {
        let e = error(&app, &bob, method, params).await;
        assert_eq!(e, (400, String::new(), "Access denied.".into()), "{method}");
    }
    // Without the scope: insufficient_scope, as for every method.
    let narrow = app.hook(admin.user, Scopes::parse("user").unwrap()).await;
    let (status, body) = app.call(&narrow, "user.userfield.list", json!({})).await;
    assert_eq!(body["error"], "insufficient_scope", "{status} {body}");
    // list filters and sorts.
    let (_, body) = app
        .call(
            &admin,
            "user.userfield.list",
            json!({"order": {"id": "desc"}, "filter": {"%field_name": "usr_x"}}),
        )
        .await;
    assert_eq!(body["total"], json!(1), "{body}");
}

#[tokio::test]
async fn userfield_values_in_user_get_after_user_update() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let admin = app.admin_user("Ada").await;
    let bob = app.user("Bob", "Stone").await;
    let city = app
        .ok(
            &admin,
            "user.userfield.add",
            json!({"fields": {"FIELD_NAME": "city", "USER_TYPE_ID": "string",
                "EDIT_FORM_LABEL": {"en": "City", "de": "Stadt"}}}),
        )
        .await
        .as_i64()
        .unwrap();
    app.ok(
        &admin,
        "user.userfield.add",
        json!({"fields": {"FIELD_NAME": "tags", "USER_TYPE_ID": "string", "MULTIPLE": "Y",
            "LABEL": "Tags"}}),
    )
    .await;
    // Every user shows every field, null while unset.
    let users = app.ok(&admin, "user.get", json!({})).await;
    for u in users.as_array().unwrap() {
        assert_eq!(u["UF_USR_CITY"], Value::Null, "{u}");
        assert_eq!(u["UF_USR_TAGS"], Value::Null, "{u}");
    }
    assert_eq!(
        app.ok(
            &admin,
            "user.update",
            json!({"ID": bob.user, "UF_USR_CITY": "Riga", "uf_usr_tags": ["a", 2], "UF_USR_NONE": 1}),
        )
        .await,
        json!(true)
    );
    let got = app.ok(&admin, "user.get", json!({"ID": bob.user})).await;
    assert_eq!(got[0]["UF_USR_CITY"], "Riga");
    assert_eq!(got[0]["UF_USR_TAGS"], json!(["a", 2]));
    assert!(got[0].get("UF_USR_NONE").is_none());
    let me = app.ok(&bob, "user.current", json!({})).await;
    assert_eq!(me["UF_USR_CITY"], "Riga");
    let found = app
        .ok(&admin, "user.search", json!({"FILTER": {"NAME": "Bob"}}))
        .await;
    assert_eq!(found[0]["UF_USR_CITY"], "Riga");
    let fields = app.ok(&admin, "user.fields", json!({})).await;
    assert_eq!(fields["UF_USR_CITY"], "City");
    assert_eq!(fields["UF_USR_TAGS"], "Tags");
    assert!(fields["NAME"].is_string());
    // A brief credential without user.userfield sees none.
    let brief = app
        .hook(admin.user, Scopes::parse("user_brief").unwrap())
        .await;
    let got = app.ok(&brief, "user.get", json!({"ID": bob.user})).await;
    assert!(got[0].get("UF_USR_CITY").is_none(), "{got}");
    // Deleting the field removes its values; a new field of that name starts empty.
    app.ok(&admin, "user.userfield.delete", json!({"id": city}))
        .await;
    let got = app.ok(&admin, "user.get", json!({"ID": bob.user})).await;
    assert!(got[0].get("UF_USR_CITY").is_none(), "{got}");
    app.ok(
        &admin,
        "user.userfield.add",
        json!({"fields": {"FIELD_NAME": "city", "USER_TYPE_ID": "string"}}),
    )
    .await;
    let got = app.ok(&admin, "user.get", json!({"ID": bob.user})).await;
    assert_eq!(got[0]["UF_USR_CITY"], Value::Null, "{got}");
    assert_eq!(got[0]["UF_USR_TAGS"], json!(["a", 2]));
}
