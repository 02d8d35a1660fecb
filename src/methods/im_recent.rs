//! `im.recent.*`: docs api-reference/chats/im-recent-list.md and
//! api-reference/chats/special-operations/im-recent-{pin,hide,unread}.md.

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use super::{atom_date, dialog_id, views};
use crate::domain::cases;
use crate::domain::chats::ChatKind;
use crate::domain::store::{RecentEntry, RecentMark, RecentQuery};
use crate::domain::users::User;
use crate::domain::UserId;
use crate::protocol::envelope::{iso_date, Reply};
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// Entries a page of `im.recent.list` holds (as a portal's default).
const PAGE: i64 = 50;

/// `im.recent.list`: the caller's chats by last message, newest first, 50 a
/// page; the next page starts below `LAST_MESSAGE_DATE` (the last item's
/// `date_update`). `SKIP_CHAT`, `SKIP_DIALOG`, `UNREAD_ONLY` filter; b24im
/// has no open lines or copilot chats, so their options change nothing.
pub async fn list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let before = atom_date(p, "LAST_MESSAGE_DATE");
    let yes = |name: &str| p.flag(name) == Some(true);
    let query = RecentQuery {
        before,
        since: None,
        skip_chats: yes("SKIP_CHAT"),
        skip_dialogs: yes("SKIP_DIALOG"),
        unread_only: yes("UNREAD_ONLY"),
        limit: PAGE,
    };
    let page = cases::recent::list(cx.store(), cx.user(), query).await?;
    let items: Vec<Value> = page
        .entries
        .iter()
        .map(|e| item(e, &page.users, cx.user()))
        .collect();
    let mut reply = Reply::value(json!({
        "items": items,
        "hasMorePages": page.has_more,
        "hasMore": page.has_more,
        "copilot": {"chats": null, "messages": null, "roles": {}},
        "messagesAutoDeleteConfigs": [],
    }));
    // "In the current implementation, usually -1" (the page).
    reply.total = Some(-1);
    Ok(reply)
}

/// The most items `im.recent.get` answers (it has no paging).
const GET_LIMIT: i64 = 1000;

/// `im.recent.get`: docs api-reference/chats/im-recent-get.md
/// The same items as `im.recent.list`, as a plain list, newest first (at most
/// 1,000); `LAST_UPDATE` / `LAST_SYNC_DATE` keep those changed since then.
/// b24im has no open lines: `ONLY_OPENLINES=Y` answers an empty list.
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let yes = |name: &str| p.flag(name) == Some(true);
    if yes("ONLY_OPENLINES") {
        return Ok(Reply::value(json!([])));
    }
    let since = match (atom_date(p, "LAST_UPDATE"), atom_date(p, "LAST_SYNC_DATE")) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let query = RecentQuery {
        before: None,
        since,
        skip_chats: yes("SKIP_CHAT"),
        skip_dialogs: yes("SKIP_DIALOG"),
        unread_only: false,
        limit: GET_LIMIT,
    };
    let page = cases::recent::list(cx.store(), cx.user(), query).await?;
    Ok(Reply::value(Value::Array(
        page.entries
            .iter()
            .map(|e| item(e, &page.users, cx.user()))
            .collect(),
    )))
}

/// `im.recent.pin`: `PIN` `Y` (default) or `N`.
pub async fn pin(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let on = p.flag("PIN").unwrap_or(true);
    let done =
        cases::recent::mark(cx.store(), cx.user(), dialog_id(p)?, RecentMark::Pin(on)).await?;
    if !done {
        return Err(ApiError::param(
            "ACCESS_ERROR",
            "You don't have permission to pin this chat",
        ));
    }
    Ok(Reply::value(true))
}

/// `im.recent.hide`: out of the list until the next message.
pub async fn hide(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let done = cases::recent::mark(cx.store(), cx.user(), dialog_id(p)?, RecentMark::Hide).await?;
    Ok(Reply::value(done))
}

/// `im.recent.unread`: `ACTION` `Y` (default) marks the dialog unread, `N`
/// takes the mark away and reads it.
pub async fn unread(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let on = p.flag("ACTION").unwrap_or(true);
    let done =
        cases::recent::mark(cx.store(), cx.user(), dialog_id(p)?, RecentMark::Unread(on)).await?;
    Ok(Reply::value(done))
}

/// One item of the recent list, as the page shows it.
fn item(e: &RecentEntry, users: &[User], caller: UserId) -> Value {
    let user_of = |id: UserId| users.iter().find(|u| u.id == id);
    let private = e.kind == ChatKind::Private;
    let other = e.other.and_then(user_of);
    let (id, kind, title, color) = match (private, other) {
        (true, Some(o)) => (
            Value::from(o.id.0),
            "user",
            o.full_name(),
            o.color().to_owned(),
        ),
        (true, None) => (
            Value::from(0),
            "user",
            String::new(),
            e.color.hex().to_owned(),
        ),
        (false, _) => (
            Value::from(format!("chat{}", e.chat.0)),
            "chat",
            e.title.clone(),
            e.color.hex().to_owned(),
        ),
    };
    let mute_list: Value = if e.muted.is_empty() {
        json!([])
    } else {
        Value::Object(
            e.muted
                .iter()
                .map(|u| (u.0.to_string(), Value::Bool(true)))
                .collect::<Map<String, Value>>(),
        )
    };
    let chat = if private {
        json!({"text_field_enabled": true, "background_id": null, "mute_list": mute_list})
    } else {
        let owner = e.owner == caller;
        json!({
            "id": e.chat.0,
            "parent_chat_id": 0,
            "parent_message_id": 0,
            "name": e.title,
            "owner": e.owner.0,
            "extranet": false,
            "contains_collaber": false,
            "avatar": "",
            "color": e.color.hex(),
            "type": if e.kind == ChatKind::Open { "open" } else { "chat" },
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "entity_data_1": "",
            "entity_data_2": "",
            "entity_data_3": "",
            "mute_list": mute_list,
            "manager_list": [],
            "date_create": iso_date(e.created_at),
            "message_type": e.kind.code(),
            "user_counter": e.member_count,
            "restrictions": {
                "avatar": true, "rename": true, "extend": true, "call": true, "mute": true,
                "leave": true, "leave_owner": true, "send": true, "user_list": true,
            },
            "role": if owner { "OWNER" } else { "MEMBER" },
            "text_field_enabled": true,
            "background_id": null,
            "entity_link": {"type": "", "url": "", "id": ""},
            "permissions": {
                "manage_users_add": "member", "manage_users_delete": "owner",
                "manage_ui": "member", "manage_settings": "owner",
                "manage_messages": "member", "can_post": "member",
            },
            "public": "",
        })
    };
    let m = &e.message;
    let mut out = json!({
        "id": id,
        "chat_id": e.chat.0,
        "type": kind,
        "avatar": {"url": "", "color": color},
        "title": title,
        "message": {
            "id": m.id.0,
            "text": if m.attach {
                format!("{} [Attachment]", m.text).trim().to_owned()
            } else {
                m.text.clone()
            },
            "file": false,
            "author_id": m.author.map_or(0, |a| a.0),
            "attach": m.attach,
            "sticker": null,
            "date": iso_date(m.date),
            "status": "received",
            "uuid": null,
        },
        "counter": e.counter,
        "last_id": e.last_read,
        "pinned": e.pinned,
        "unread": e.marked_unread,
        "has_reminder": false,
        "date_update": iso_date(m.date),
        "date_last_activity": iso_date(m.date),
        "chat": chat,
        "options": [],
    });
    // A dialog's other side; a chat's last author.
    let shown = if private {
        other
    } else {
        m.author.and_then(user_of)
    };
    if let (Some(u), Some(map)) = (shown, out.as_object_mut()) {
        map.insert("user".into(), views::user(u));
    }
    out
}
