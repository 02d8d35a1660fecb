//! `im.department.*`, `im.search.department.list` and `UF_DEPARTMENT`:
//! the structure the admin CLI builds, as the pages show it
//! (api-reference/chats/departments/, chats/search/).

use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};
use b24im::domain::departments::NewDepartment;
use b24im::domain::UserId;

/// Marketing (2, head Anna) under My Company (1), Ads (3) under Marketing;
/// Anna in 1 and 2, Bob in 2, Carl in 3.
struct Company {
    anna: Hook,
    bob: Hook,
    carl: Hook,
    marketing: i64,
    ads: i64,
}

async fn company(app: &TestApp) -> Company {
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let add = |name: &str, parent: i64, head: Option<i64>| {
        NewDepartment::parse(name, parent, head.map(UserId)).unwrap()
    };
    let marketing = app
        .store
        .add_department(add("Marketing and Advertising", 1, Some(anna.user)))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let ads = app
        .store
        .add_department(add("Online ads", marketing, None))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    for (who, places) in [
        (&anna, vec![1, marketing]),
        (&bob, vec![marketing]),
        (&carl, vec![ads]),
    ] {
        assert!(app
            .store
            .place_user(UserId(who.user), places)
            .await
            .unwrap());
    }
    Company {
        anna,
        bob,
        carl,
        marketing,
        ads,
    }
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_i64().or_else(|| u["id"].as_i64()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_fresh_portal_has_its_head_department() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "Stone").await;
    assert_eq!(
        app.ok(&bob, "im.department.get", json!({"ID": [1]})).await,
        json!([{"id": 1, "name": "My Company", "full_name": "My Company", "manager_user_id": 0}])
    );
    assert_eq!(
        app.ok(&bob, "im.department.employees.get", json!({"ID": [1]}))
            .await,
        json!({"1": [app.admin.user, bob.user]})
    );
}

#[tokio::test]
async fn departments_show_names_heads_and_people() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let c = company(&app).await;
    let (m, a) = (c.marketing, c.ads);
    // A string holding a JSON list works too; highest id first, as the
    // page's example answers.
    let got = app
        .ok(
            &c.bob,
            "im.department.get",
            json!({"ID": format!("[{m},{a},999]")}),
        )
        .await;
    assert_eq!(
        got,
        json!([
            {"id": a, "name": "Online ads",
             "full_name": "Online ads / Marketing and Advertising / My Company",
             "manager_user_id": 0},
            {"id": m, "name": "Marketing and Advertising",
             "full_name": "Marketing and Advertising / My Company",
             "manager_user_id": c.anna.user},
        ])
    );
    let with_head = app
        .ok(
            &c.bob,
            "im.department.get",
            json!({"ID": [m, a], "USER_DATA": "Y"}),
        )
        .await;
    let anna_im = app
        .ok(&c.bob, "im.user.get", json!({"ID": c.anna.user}))
        .await;
    assert_eq!(with_head[1]["manager_user_data"], anna_im);
    assert_eq!(with_head[0]["manager_user_data"], Value::Null);
    assert_eq!(anna_im["departments"], json!([1, m]));

    assert_eq!(
        app.ok(
            &c.bob,
            "im.department.managers.get",
            json!({"ID": [m, a, 999]})
        )
        .await,
        json!({m.to_string(): [c.anna.user], a.to_string(): []})
    );
    let full = app
        .ok(
            &c.bob,
            "im.department.managers.get",
            json!({"ID": [m], "USER_DATA": "Y"}),
        )
        .await;
    assert_eq!(full[m.to_string()][0], anna_im);

    // Employees: those placed in the department itself, in id order.
    assert_eq!(
        app.ok(
            &c.carl,
            "im.department.employees.get",
            json!({"ID": [1, m, a]})
        )
        .await,
        json!({
            "1": [app.admin.user, c.anna.user],
            m.to_string(): [c.anna.user, c.bob.user],
            a.to_string(): [c.carl.user],
        })
    );
    let full = app
        .ok(
            &c.carl,
            "im.department.employees.get",
            json!({"ID": [a], "USER_DATA": "Y"}),
        )
        .await;
    assert_eq!(
        full[a.to_string()][0],
        app.ok(&c.carl, "im.user.get", json!({})).await
    );
    // Nothing found: [] (PHP's empty array).
    assert_eq!(
        app.ok(&c.bob, "im.department.managers.get", json!({"ID": [999]}))
            .await,
        json!([])
    );

    // The same truth in user.get and its filter.
    let bob_rest = app.ok(&c.bob, "user.current", json!({})).await;
    assert_eq!(bob_rest["UF_DEPARTMENT"], json!([m]));
    let in_marketing = app
        .ok(&c.bob, "user.get", json!({"FILTER": {"UF_DEPARTMENT": m}}))
        .await;
    let names: Vec<&str> = in_marketing
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["NAME"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Anna", "Bob"]);
    let outside_head = app
        .ok(&c.bob, "user.get", json!({"FILTER": {"!UF_DEPARTMENT": 1}}))
        .await;
    let names: Vec<&str> = outside_head
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["NAME"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bob", "Carl"]);
}

#[tokio::test]
async fn ids_are_checked_as_each_page_says() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bob = app.user("Bob", "Stone").await;
    for bad in [
        json!({}),
        json!({"ID": []}),
        json!({"ID": "7"}),
        json!({"ID": "nonsense"}),
    ] {
        let (status, body) = app.call(&bob, "im.department.get", bad.clone()).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("INVALID_FORMAT")),
            "{bad}"
        );
        assert_eq!(
            body["error_description"],
            "A wrong format for the ID field is passed"
        );
        for method in ["im.department.managers.get", "im.department.employees.get"] {
            let (status, body) = app.call(&bob, method, bad.clone()).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("ID_EMPTY")),
                "{method} {bad}"
            );
            assert_eq!(body["error_description"], "Department ID can't be empty");
        }
    }
}

#[tokio::test]
async fn colleagues_are_the_department_and_for_a_head_those_below() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let c = company(&app).await;
    // Bob: Anna shares Marketing (and heads it).
    assert_eq!(
        app.ok(&c.bob, "im.department.colleagues.list", json!({}))
            .await,
        json!([c.anna.user])
    );
    // Carl: nobody else in Ads; Anna heads the department above.
    assert_eq!(
        app.ok(&c.carl, "im.department.colleagues.list", json!({}))
            .await,
        json!([c.anna.user])
    );
    // Anna heads Marketing: its people and those below, and her head
    // department's people.
    let all = app
        .ok(
            &c.anna,
            "im.department.colleagues.list",
            json!({"LIMIT": 50}),
        )
        .await;
    assert_eq!(ids(&all), [app.admin.user, c.bob.user, c.carl.user]);
    // Pages: total and next.
    let (status, body) = app
        .call(
            &c.anna,
            "im.department.colleagues.list",
            json!({"LIMIT": 2, "USER_DATA": "Y"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["total"].as_i64(), body["next"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(ids(&body["result"]), [app.admin.user, c.bob.user]);
    assert_eq!(
        body["result"][1],
        app.ok(&c.anna, "im.user.get", json!({"ID": c.bob.user}))
            .await
    );
    let (_, last) = app
        .call(
            &c.anna,
            "im.department.colleagues.list",
            json!({"LIMIT": 2, "OFFSET": 2}),
        )
        .await;
    assert_eq!(last["result"], json!([c.carl.user]));
    assert!(last.get("next").is_none(), "{last}");
}

#[tokio::test]
async fn bots_may_not_read_the_structure() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let bot = app
        .ok(
            &app.admin,
            "imbot.register",
            json!({"CODE": "dept", "EVENT_HANDLER": "http://127.0.0.1:9/h", "PROPERTIES": {"NAME": "Dept"}, "CLIENT_ID": "app"}),
        )
        .await;
    let as_bot = app
        .hook(
            bot.as_i64().unwrap(),
            b24im::domain::credentials::Scopes::all(),
        )
        .await;
    for (method, params) in [
        ("im.department.get", json!({"ID": [1]})),
        ("im.department.managers.get", json!({"ID": [1]})),
        ("im.department.employees.get", json!({"ID": [1]})),
        ("im.department.colleagues.list", json!({})),
        ("im.search.department.list", json!({"FIND": "My"})),
    ] {
        let (status, body) = app.call(&as_bot, method, params).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("ACCESS_ERROR")),
            "{method}"
        );
        assert_eq!(
            body["error_description"],
            "Only intranet users have access to this method"
        );
    }
    // A bot is in no department.
    let bot_user = app.ok(&app.admin, "im.user.get", json!({"ID": bot})).await;
    assert_eq!(bot_user["departments"], json!([]));
}

#[tokio::test]
async fn department_search_matches_the_start_of_words() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let c = company(&app).await;
    let (status, body) = app
        .call(&c.bob, "im.search.department.list", json!({}))
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("FIND_SHORT")));
    assert_eq!(body["error_description"], "Too short a search phrase.");
    let adv = app
        .ok(&c.bob, "im.search.department.list", json!({"FIND": "adv"}))
        .await;
    assert_eq!(
        ids(&adv),
        [c.marketing, c.ads],
        "a parent's name is part of the full name"
    );
    assert!(
        app.ok(
            &c.bob,
            "im.search.department.list",
            json!({"FIND": "dvert"})
        )
        .await
        .as_array()
        .unwrap()
        .is_empty(),
        "not the middle of a word"
    );
    let (_, everything) = app
        .call(
            &c.bob,
            "im.search.department.list",
            json!({"FIND": "", "LIMIT": 2}),
        )
        .await;
    assert_eq!(ids(&everything["result"]), [1, c.marketing]);
    assert_eq!(
        (everything["total"].as_i64(), everything["next"].as_i64()),
        (Some(3), Some(2))
    );
    let with_head = app
        .ok(
            &c.bob,
            "im.search.department.list",
            json!({"FIND": "Marketing", "USER_DATA": "Y"}),
        )
        .await;
    assert_eq!(
        with_head[0]["full_name"],
        "Marketing and Advertising / My Company"
    );
    assert_eq!(with_head[0]["manager_user_data"]["id"], c.anna.user);
}
