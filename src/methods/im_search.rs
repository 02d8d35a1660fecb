//! `im.search.*`: docs api-reference/chats/search/.

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use super::im_department::{department, heads_of, paged, user_data};
use super::{dialog_id, views};
use crate::domain::cases;
use crate::domain::departments::Department;
use crate::domain::search::{Find, Found, LastFilter, Pick};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// `FIND` (or `name`) of at least two characters, with `OFFSET`/`LIMIT`.
fn find(p: &Params, name: &str) -> Result<Find, ApiError> {
    Find::parse(
        &p.str(name).unwrap_or_default(),
        p.intval("OFFSET"),
        p.intval("LIMIT"),
    )
    .ok_or_else(find_short)
}

/// `total`, and `next` when more follow.
fn page<T>(found: &Found<T>, find: &Find, result: Value) -> Reply {
    let end = find.offset.saturating_add(find.limit);
    Reply::page(
        result,
        Some(found.total),
        (end < found.total).then_some(end),
    )
}

/// `im.search.user.list`'s shorter user (the page's example): as
/// `im.user.get` shows it, without `active`, `avatar_hr`,
/// `desktop_last_date`, `bot_data`, `type`, `website` and `email`.
fn found_user(u: &crate::domain::users::User) -> Value {
    let mut v = views::user(u);
    if let Value::Object(m) = &mut v {
        for key in [
            "active",
            "avatar_hr",
            "desktop_last_date",
            "bot_data",
            "type",
            "website",
            "email",
        ] {
            m.shift_remove(key);
        }
    }
    v
}

/// `im.search.user.list`: docs .../im-search-user-list.md. Users (people
/// and bots) with a word of their first or last name starting with `FIND`,
/// or placed in a department whose name has one; b24im keeps no job
/// titles, and `BUSINESS` changes nothing (no user is kept apart as one).
/// Keyed by id, in id order; nothing found: `[]`.
pub async fn user_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let find = find(p, "FIND")?;
    let found = cases::search::users(cx.store(), find.clone()).await?;
    let result = if found.items.is_empty() {
        json!([])
    } else {
        Value::Object(
            found
                .items
                .iter()
                .map(|u| (u.id.0.to_string(), found_user(u)))
                .collect::<Map<String, Value>>(),
        )
    };
    Ok(page(&found, &find, result))
}

/// The keys of a found chat: `im.dialog.get`'s, to `is_new` (the page's
/// example).
fn found_chat(v: Value) -> Value {
    let mut v = v;
    if let Value::Object(m) = &mut v {
        for key in [
            "readed_list",
            "manager_list",
            "last_message_views",
            "dialog_id",
        ] {
            m.shift_remove(key);
        }
    }
    v
}

/// `im.search.chat.list`: docs .../im-search-chat-list.md. The caller's
/// group chats whose title, or a member's name, has a word starting with
/// `FIND`, newest first. `FIND_LINES` searches open lines, which b24im does
/// not have: nothing is found.
pub async fn chat_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let has = |name: &str| p.str(name).is_some_and(|s| !s.trim().is_empty());
    if !has("FIND") && has("FIND_LINES") {
        let lines = find(p, "FIND_LINES")?;
        let none: Found<()> = Found {
            items: Vec::new(),
            total: 0,
        };
        return Ok(page(&none, &lines, json!([])));
    }
    let find = find(p, "FIND")?;
    let found = cases::search::chats(cx.store(), cx.user(), find.clone()).await?;
    let result: Vec<Value> = found
        .items
        .iter()
        .map(|(chat, read)| {
            found_chat(views::chat(
                chat,
                cx.user(),
                &format!("chat{}", chat.id),
                &[],
                *read,
                &cx.state.config.delivery.public_url,
            ))
        })
        .collect();
    Ok(page(&found, &find, Value::Array(result)))
}

/// The short chat of `im.search.last.get` (the page's example).
fn last_chat(full: &Value) -> Value {
    let mut m = Map::new();
    for key in [
        "id",
        "name",
        "owner",
        "extranet",
        "avatar",
        "color",
        "type",
        "entity_type",
        "entity_id",
        "entity_data_1",
        "entity_data_2",
        "entity_data_3",
        "mute_list",
        "date_create",
        "message_type",
    ] {
        m.insert(key.into(), full[key].clone());
    }
    Value::Object(m)
}

/// `im.search.last.get`: docs .../im-search-last-get.md. The caller's
/// picks, newest first; `SKIP_CHAT`, `SKIP_DIALOG` (`SKIP_OPENLINES`: b24im
/// has no open lines).
pub async fn last_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let yes = |name: &str| p.str(name).is_some_and(|v| v.eq_ignore_ascii_case("Y"));
    let filter = LastFilter {
        skip_chats: yes("SKIP_CHAT"),
        skip_dialogs: yes("SKIP_DIALOG"),
    };
    let picks = cases::search::picks(cx.store(), cx.user(), filter).await?;
    let items: Vec<Value> = picks
        .iter()
        .map(|pick| match pick {
            Pick::Chat(c) => {
                let full = views::chat(
                    c,
                    cx.user(),
                    &format!("chat{}", c.id),
                    &[],
                    None,
                    &cx.state.config.delivery.public_url,
                );
                json!({
                    "id": format!("chat{}", c.id),
                    "type": "chat",
                    "avatar": {"url": "", "color": full["color"]},
                    "title": full["name"],
                    "chat": last_chat(&full),
                })
            }
            Pick::User(u) => json!({
                "id": u.id.0,
                "type": "user",
                "avatar": {"url": "", "color": u.color()},
                "title": u.full_name(),
                "user": views::user(u),
            }),
        })
        .collect();
    Ok(Reply::value(items))
}

/// `im.search.last.add`: docs .../im-search-last-add.md. `true` once the
/// dialog is in the list (also when it was), `false` for a dialog the
/// caller cannot open.
pub async fn last_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let dialog = dialog_id(p)?;
    Ok(Reply::value(
        cases::search::pick(cx.store(), cx.user(), dialog).await?,
    ))
}

/// `im.search.last.delete`: docs .../im-search-last-delete.md. Whether
/// there was such a pick.
pub async fn last_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let dialog = dialog_id(p)?;
    Ok(Reply::value(
        cases::search::unpick(cx.store(), cx.user(), dialog).await?,
    ))
}

fn find_short() -> ApiError {
    ApiError::param("FIND_SHORT", "Too short a search phrase.")
}

/// `im.search.department.list`: docs .../im-search-department-list.md.
/// Departments with a word of their full name starting with `FIND`; a
/// phrase under two characters lists every department, none at all is
/// `FIND_SHORT`. In id order, `OFFSET`/`LIMIT` (10, at most 50).
pub async fn department_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let find = p.str("FIND").ok_or_else(find_short)?;
    let structure = cases::departments::structure(cx.store(), cx.user()).await?;
    let found: Vec<&Department> = structure.search(&find);
    let heads = heads_of(cx, &found, user_data(p)).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|d| department(d, &structure, heads.as_deref()))
        .collect();
    Ok(paged(items, p))
}
