//! The `department` scope (`department.fields`, `.get`, `.add`, `.update`,
//! `.delete`; api-reference/departments/): one structure with the CLI,
//! `im.department.*` and `UF_DEPARTMENT`; every documented error over HTTP.

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use b24im::domain::credentials::Scopes;
use b24im::domain::departments::NewDepartment;
use b24im::domain::UserId;

/// Calls and expects an error: its status, code and description.
async fn refused(app: &TestApp, hook: &Hook, method: &str, params: Value) -> (u16, String, String) {
    let (status, body) = app.call(hook, method, params).await;
    assert!(status >= 400, "{method}: {status} {body}");
    assert!(body.get("result").is_none(), "{body}");
    (
        status,
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"].as_str().unwrap().to_owned(),
    )
}

fn core(description: &str) -> (u16, String, String) {
    (400, "ERROR_CORE".into(), description.into())
}

/// The ids of a `department.get` result, as numbers.
fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d["ID"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn fields_and_the_head_department_as_portals_show_them() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "Stone").await;
    assert_eq!(
        app.ok(&bob, "department.fields", json!({})).await,
        json!({"ID": "ID", "NAME": "Department Name", "SORT": "Sort Order",
               "PARENT": "Parent Department", "UF_HEAD": "Manager"})
    );
    let (status, body) = app.call(&bob, "department.get", json!({})).await;
    assert_eq!(status, 200, "{body}");
    // The head department: no PARENT, and no UF_HEAD (none was named).
    assert_eq!(
        body["result"],
        json!([{"ID": "1", "NAME": "My Company", "SORT": 500}])
    );
    assert_eq!(body["total"], json!(1));
    assert!(body.get("next").is_none());
    // The scope is known, listed, and needed.
    let full = app.ok(&bob, "scope", json!({"full": true})).await;
    assert!(full.as_array().unwrap().contains(&json!("department")));
    let im_only = app.hook(bob.user, Scopes::parse("im,user").unwrap()).await;
    let (_, code, _) = refused(&app, &im_only, "department.get", json!({})).await;
    assert_eq!(code, "insufficient_scope");
    let dept_only = app
        .hook(bob.user, Scopes::parse("department").unwrap())
        .await;
    app.ok(&dept_only, "department.get", json!({})).await;
}

#[tokio::test]
async fn administrators_add_update_and_delete_departments() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let anna = app.user("Anna", "Lee").await;
    let id = app
        .ok(
            &boss,
            "department.add",
            json!({"NAME": "Muggle Studies", "SORT": 450, "UF_HEAD": anna.user, "PARENT": 1}),
        )
        .await;
    assert!(id.is_i64(), "the new id is a JSON number: {id}");
    let id = id.as_i64().unwrap();
    let get = |params: Value| {
        let app = &app;
        let anna = &anna;
        async move { app.ok(anna, "department.get", params).await }
    };
    assert_eq!(
        get(json!({"ID": id})).await,
        json!([{"ID": id.to_string(), "NAME": "Muggle Studies", "SORT": 450,
                "PARENT": "1", "UF_HEAD": anna.user.to_string()}])
    );
    // Keys in any case, numbers as strings; no SORT is 500, no head no key.
    let plain = app
        .ok(
            &boss,
            "department.add",
            json!({"name": "  Plain  ", "parent": id.to_string(), "sort": 0}),
        )
        .await
        .as_i64()
        .unwrap();
    assert_eq!(
        get(json!({"ID": plain})).await,
        json!([{"ID": plain.to_string(), "NAME": "Plain", "SORT": 500,
                "PARENT": id.to_string()}])
    );

    // update: what is given changes; SORT 0 changes nothing.
    assert_eq!(
        app.ok(&boss, "department.update", json!({"ID": id, "SORT": 123}))
            .await,
        json!(true)
    );
    assert_eq!(get(json!({"ID": id})).await[0]["SORT"], json!(123));
    app.ok(
        &boss,
        "department.update",
        json!({"ID": plain, "NAME": "Secrets", "SORT": 0, "PARENT": 1, "UF_HEAD": anna.user}),
    )
    .await;
    assert_eq!(
        get(json!({"ID": plain})).await,
        json!([{"ID": plain.to_string(), "NAME": "Secrets", "SORT": 500,
                "PARENT": "1", "UF_HEAD": anna.user.to_string()}])
    );
    // A removed head shows as "0".
    app.ok(
        &boss,
        "department.update",
        json!({"ID": plain, "UF_HEAD": 0}),
    )
    .await;
    assert_eq!(get(json!({"ID": plain})).await[0]["UF_HEAD"], json!("0"));

    // delete: a department with a head goes too.
    assert_eq!(
        app.ok(&boss, "department.delete", json!({"ID": id})).await,
        json!(true)
    );
    assert_eq!(get(json!({"ID": id})).await, json!([]));
    let (status, body) = app.call(&anna, "department.get", json!({"ID": id})).await;
    assert_eq!((status, body["total"].clone()), (200, json!(0)));
}

#[tokio::test]
async fn each_documented_error_answers_as_portals_do() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let bob = app.user("Bob", "Stone").await;
    let top = "There can only be one top-level department in the company structure";
    let a = app
        .ok(&boss, "department.add", json!({"NAME": "A", "PARENT": 1}))
        .await
        .as_i64()
        .unwrap();
    let b = app
        .ok(&boss, "department.add", json!({"NAME": "B", "PARENT": a}))
        .await
        .as_i64()
        .unwrap();

    // Not an administrator: 403, before anything else is looked at.
    let denied = (403, "ACCESS_DENIED".to_owned(), "Access denied!".to_owned());
    for (method, params) in [
        ("department.add", json!({"NAME": "X", "PARENT": 1})),
        ("department.add", json!({})),
        ("department.update", json!({"ID": a, "NAME": "X"})),
        ("department.update", json!({"ID": 999})),
        ("department.delete", json!({"ID": a})),
    ] {
        assert_eq!(
            refused(&app, &bob, method, params.clone()).await,
            denied,
            "{method} {params}"
        );
    }

    let cases = [
        (
            "department.add",
            json!({"PARENT": 1}),
            "Department name not provided.<br>",
        ),
        (
            "department.add",
            json!({"NAME": "  ", "PARENT": 1}),
            "Department name not provided.<br>",
        ),
        (
            "department.add",
            json!({"NAME": ["x"], "PARENT": 1}),
            "Department name not provided.<br>",
        ),
        ("department.add", json!({"NAME": "X"}), top),
        ("department.add", json!({"NAME": "X", "PARENT": 0}), top),
        ("department.add", json!({"NAME": "X", "PARENT": 999}), top),
        ("department.add", json!({"NAME": "X", "PARENT": "abc"}), top),
        (
            "department.add",
            json!({"NAME": "X", "PARENT": 1, "UF_HEAD": 999}),
            "User not found",
        ),
        ("department.update", json!({}), "Department not found"),
        (
            "department.update",
            json!({"ID": 999, "NAME": "X"}),
            "Department not found",
        ),
        (
            "department.update",
            json!({"ID": 999, "NAME": ""}),
            "Department not found",
        ),
        (
            "department.update",
            json!({"ID": a, "NAME": " "}),
            "Department name not provided.<br>",
        ),
        (
            "department.update",
            json!({"ID": a, "PARENT": a}),
            "Wrong parent department",
        ),
        (
            "department.update",
            json!({"ID": a, "PARENT": b}),
            "Wrong parent department",
        ),
        ("department.update", json!({"ID": a, "PARENT": 0}), top),
        ("department.update", json!({"ID": a, "PARENT": 999}), top),
        ("department.update", json!({"ID": 1, "PARENT": a}), top),
        (
            "department.update",
            json!({"ID": a, "UF_HEAD": 999}),
            "User not found",
        ),
        ("department.delete", json!({}), "Department not found"),
        (
            "department.delete",
            json!({"ID": 0}),
            "Department not found",
        ),
        (
            "department.delete",
            json!({"ID": 999}),
            "Department not found",
        ),
        (
            "department.delete",
            json!({"ID": 1}),
            "The top-level department cannot be deleted",
        ),
    ];
    for (method, params, description) in cases {
        assert_eq!(
            refused(&app, &boss, method, params.clone()).await,
            core(description),
            "{method} {params}"
        );
    }
    // The literal `<br>` reaches the client (JSON may escape it).
    let (_, body) = app
        .call(&boss, "department.add", json!({"PARENT": 1}))
        .await;
    assert_eq!(
        body["error_description"],
        json!("Department name not provided.<br>")
    );
    // Nothing refused changed anything.
    let all = app.ok(&bob, "department.get", json!({})).await;
    assert_eq!(
        all,
        json!([
            {"ID": "1", "NAME": "My Company", "SORT": 500},
            {"ID": a.to_string(), "NAME": "A", "SORT": 500, "PARENT": "1"},
            {"ID": b.to_string(), "NAME": "B", "SORT": 500, "PARENT": a.to_string()},
        ])
    );
    // A move that is allowed: B up to the head department.
    app.ok(&boss, "department.update", json!({"ID": b, "PARENT": 1}))
        .await;
    // The root may be "moved" to no parent: nothing changes.
    app.ok(&boss, "department.update", json!({"ID": 1, "PARENT": 0}))
        .await;
    let parents: Vec<Value> = app
        .ok(&bob, "department.get", json!({"sort": "ID"}))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.get("PARENT").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(parents, [Value::Null, json!("1"), json!("1")]);
}

#[tokio::test]
async fn deleting_moves_departments_and_people_up_to_the_parent() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let xena = app.user("Xena", "Ray").await;
    let yuri = app.user("Yuri", "Gold").await;
    let add = |name: &'static str, parent: i64| {
        let (app, boss) = (&app, &boss);
        async move {
            app.ok(
                boss,
                "department.add",
                json!({"NAME": name, "PARENT": parent, "UF_HEAD": boss.user}),
            )
            .await
            .as_i64()
            .unwrap()
        }
    };
    let sales = add("Sales", 1).await;
    let east = add("East", sales).await;
    let north = add("North", east).await;
    // Xena only in East; Yuri in Sales and East.
    for (who, places) in [(&xena, json!([east])), (&yuri, json!([sales, east]))] {
        app.ok(
            &boss,
            "user.update",
            json!({"ID": who.user, "UF_DEPARTMENT": places}),
        )
        .await;
    }
    app.ok(&boss, "department.delete", json!({"ID": east}))
        .await;
    let got = app
        .ok(&xena, "department.get", json!({"ID": [sales, east, north]}))
        .await;
    assert_eq!(ids(&got), [sales, north]);
    assert_eq!(got[1]["PARENT"], json!(sales.to_string()));
    let departments = |who: i64| {
        let (app, boss) = (&app, &boss);
        async move { app.ok(boss, "user.get", json!({"ID": who})).await[0]["UF_DEPARTMENT"].clone() }
    };
    assert_eq!(departments(xena.user).await, json!([sales]));
    assert_eq!(departments(yuri.user).await, json!([sales]));
    assert_eq!(
        app.ok(&boss, "im.department.employees.get", json!({"ID": [sales]}))
            .await,
        json!({ sales.to_string(): [xena.user, yuri.user] })
    );
    // The head department is left alone by a deletion below it.
    app.ok(&boss, "department.delete", json!({"ID": sales}))
        .await;
    assert_eq!(departments(xena.user).await, json!([1]));
    let got = app.ok(&xena, "department.get", json!({})).await;
    assert_eq!(ids(&got), [1, north]);
    assert_eq!(got[1]["PARENT"], json!("1"));
}

#[tokio::test]
async fn lists_are_filtered_sorted_and_paged_by_fifty() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let anna = app.user("Anna", "Lee").await;
    // 120 departments under the head one, in batches of 40 (as an SDK
    // would add them).
    for chunk in 0..3 {
        let cmd: serde_json::Map<String, Value> = (0..40)
            .map(|i| {
                let n = chunk * 40 + i;
                let sort = 1000 - n;
                (
                    format!("d{n}"),
                    json!(format!(
                        "department.add?NAME=Dept%20{n:03}&PARENT=1&SORT={sort}"
                    )),
                )
            })
            .collect();
        let done = app.ok(&boss, "batch", json!({"halt": 1, "cmd": cmd})).await;
        assert_eq!(done["result_error"], json!([]), "{done}");
    }
    let page = |params: Value| {
        let app = &app;
        let anna = &anna;
        async move {
            let (status, body) = app.call(anna, "department.get", params).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    let first = page(json!({})).await;
    assert_eq!(first["total"], json!(121));
    assert_eq!(first["next"], json!(50));
    assert_eq!(first["result"].as_array().unwrap().len(), 50);
    // Tree order: the head department, then its children by SORT (the
    // last added has the lowest).
    assert_eq!(first["result"][0]["ID"], json!("1"));
    assert_eq!(first["result"][1]["NAME"], json!("Dept 119"));
    let second = page(json!({"start": 50})).await;
    assert_eq!(second["next"], json!(100));
    // A start inside a page answers that page.
    assert_eq!(page(json!({"start": 70})).await["result"], second["result"]);
    let last = page(json!({"start": 100})).await;
    assert_eq!(last["result"].as_array().unwrap().len(), 21);
    assert_eq!(last["total"], json!(121));
    assert!(last.get("next").is_none());
    let mut all: Vec<i64> = Vec::new();
    for p in [&first, &second, &last] {
        all.extend(ids(&p["result"]));
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 121);
    assert_eq!(page(json!({"start": 200})).await["result"], json!([]));
    // start = -1: the first 50, uncounted.
    let uncounted = page(json!({"start": -1})).await;
    assert_eq!(uncounted["result"].as_array().unwrap().len(), 50);
    assert!(uncounted.get("total").is_none() && uncounted.get("next").is_none());

    // b24pysdk's cursor: SORT ID DESC, filter <ID, start -1.
    let mut seen: Vec<i64> = Vec::new();
    let mut below = i64::MAX;
    loop {
        let got =
            page(json!({"SORT": "ID", "ORDER": "DESC", "filter": {"<ID": below}, "start": -1}))
                .await;
        let got = ids(&got["result"]);
        if got.is_empty() {
            break;
        }
        below = *got.last().unwrap();
        seen.extend(got);
    }
    assert_eq!(seen.len(), 121);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
    // b24jssdk's: order {ID: ASC}, filter >ID.
    let got = page(json!({"order": {"ID": "ASC"}, "filter": {">ID": 1}, "start": -1})).await;
    let got = ids(&got["result"]);
    assert_eq!(got.len(), 50);
    assert!(got.windows(2).all(|w| w[0] < w[1]) && got[0] > 1);

    // Filters: ID (a value or a list), NAME (whole, any case), SORT,
    // PARENT, UF_HEAD; sort and order.
    let d7 = all[7];
    let got = page(json!({"ID": [1, d7, 99999]})).await;
    assert_eq!(ids(&got["result"]), [1, d7]);
    assert_eq!(got["total"], json!(2));
    let got = page(json!({"NAME": "dept 007"})).await;
    assert_eq!(got["result"][0]["NAME"], json!("Dept 007"));
    assert_eq!(got["total"], json!(1));
    assert_eq!(page(json!({"NAME": "Dept"})).await["total"], json!(0));
    assert_eq!(page(json!({"SORT": 993})).await["total"], json!(1));
    assert_eq!(page(json!({"PARENT": 1})).await["total"], json!(120));
    assert_eq!(page(json!({"PARENT": [d7]})).await["total"], json!(0));
    assert_eq!(page(json!({"ID": "abc"})).await["total"], json!(0));
    app.ok(
        &boss,
        "department.update",
        json!({"ID": d7, "UF_HEAD": anna.user}),
    )
    .await;
    assert_eq!(
        ids(&page(json!({"UF_HEAD": anna.user})).await["result"]),
        [d7]
    );
    let by_name = page(json!({"sort": "name", "order": "desc", "PARENT": 1})).await;
    assert_eq!(by_name["result"][0]["NAME"], json!("Dept 119"));
    assert_eq!(by_name["result"][49]["NAME"], json!("Dept 070"));
    // The FILTER object replaces the top-level keys, sort and order with it.
    let got = page(json!({"ID": 1, "FILTER": {"PARENT": 1, "sort": "SORT", "order": "ASC"}})).await;
    assert_eq!(got["total"], json!(120));
    assert_eq!(got["result"][0]["SORT"], json!(881));
    // An order of an unknown kind is ignored.
    page(json!({"sort": ["x"], "order": 5})).await;
}

#[tokio::test]
async fn im_department_and_user_get_see_the_same_structure() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let anna = app.user("Anna", "Lee").await;
    // One made by the CLI's path (the store), one over REST.
    let cli = app
        .store
        .add_department(NewDepartment::parse("Marketing", 1, Some(UserId(anna.user))).unwrap())
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let rest = app
        .ok(
            &boss,
            "department.add",
            json!({"NAME": "Online ads", "PARENT": cli}),
        )
        .await
        .as_i64()
        .unwrap();
    assert_eq!(
        app.ok(&anna, "department.get", json!({"ID": cli})).await,
        json!([{"ID": cli.to_string(), "NAME": "Marketing", "SORT": 500,
                "PARENT": "1", "UF_HEAD": anna.user.to_string()}])
    );
    app.ok(
        &boss,
        "user.update",
        json!({"ID": anna.user, "UF_DEPARTMENT": [rest]}),
    )
    .await;
    app.ok(
        &boss,
        "department.update",
        json!({"ID": rest, "NAME": "Ads", "UF_HEAD": anna.user}),
    )
    .await;
    assert_eq!(
        app.ok(&anna, "im.department.get", json!({"ID": [rest]}))
            .await,
        json!([{"id": rest, "name": "Ads", "full_name": "Ads / Marketing / My Company",
                "manager_user_id": anna.user}])
    );
    assert_eq!(
        app.ok(&anna, "user.get", json!({"ID": anna.user})).await[0]["UF_DEPARTMENT"],
        json!([rest])
    );
    assert_eq!(
        app.ok(&anna, "im.user.get", json!({"ID": anna.user})).await["departments"],
        json!([rest])
    );
    app.ok(&boss, "department.delete", json!({"ID": rest}))
        .await;
    assert_eq!(
        app.ok(&anna, "im.department.get", json!({"ID": [rest]}))
            .await,
        json!([])
    );
    assert_eq!(
        app.ok(&anna, "user.get", json!({"ID": anna.user})).await[0]["UF_DEPARTMENT"],
        json!([cli])
    );
    assert_eq!(
        app.ok(&anna, "user.get", json!({"FILTER": {"UF_DEPARTMENT": cli}}))
            .await[0]["ID"],
        json!(anna.user.to_string())
    );
}
