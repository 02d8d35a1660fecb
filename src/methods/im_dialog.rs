//! `im.dialog.*`: docs api-reference/chats/im-dialog-get.md,
//! api-reference/chats/messages/im-dialog-messages-get.md and
//! api-reference/chats/chat-users/im-dialog-users-list.md.

use serde_json::{json, Value};

use super::ctx::Ctx;
use super::{atom_date, dialog_id, views};
use crate::domain::cases;
use crate::domain::messages::Page;
use crate::domain::reactions::LIKE;
use crate::domain::store::{MessageSearch, ReadMark};
use crate::domain::{ChatId, DialogRef, MessageId, Timestamp};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// The dialog, and `DIALOG_ID` as given (trimmed), for answers that echo it.
fn dialog_of(p: &Params) -> Result<(DialogRef, String), ApiError> {
    let dialog = dialog_id(p)?;
    Ok((
        dialog,
        p.str("DIALOG_ID").unwrap_or_default().trim().to_owned(),
    ))
}

/// `im.dialog.get`: docs api-reference/chats/im-dialog-get.md
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (dialog, raw) = dialog_of(p)?;
    let chat = cases::chats::open(cx.store(), cx.user(), dialog).await?;
    let users = cx.store().users(chat.members.clone()).await?;
    let read = cx.store().read_view(chat.id, cx.user()).await?;
    Ok(Reply::value(views::chat(
        &chat,
        cx.user(),
        &raw,
        &users,
        read,
        &cx.state.config.delivery.public_url,
    )))
}

/// `im.dialog.messages.get`: docs api-reference/chats/messages/im-dialog-messages-get.md
pub async fn messages_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (dialog, _) = dialog_of(p)?;
    if p.has("FIRST_ID") && !p.is_numeric("FIRST_ID") {
        return Err(ApiError::param(
            "FIRST_ID_STRING",
            "First ID can't be string",
        ));
    }
    if p.has("LAST_ID") && !p.is_numeric("LAST_ID") {
        return Err(ApiError::param("LAST_ID_STRING", "Last ID can't be string"));
    }
    let limit = Page::limit(p.intval("LIMIT"));
    // As in Bitrix24: FIRST_ID wins over LAST_ID; LAST_ID of 0 or less means "latest".
    let page = match (p.intval("FIRST_ID"), p.intval("LAST_ID")) {
        (Some(after), _) => Page::After {
            after: after.max(0),
            limit,
        },
        (None, Some(before)) if before > 0 => Page::Before { before, limit },
        _ => Page::Latest { limit },
    };
    let history = cases::messages::history(cx.store(), cx.user(), dialog, page).await?;
    // The page's files (each with a link for the caller; a message names
    // its files in `params.FILE_ID`, as on portals) and the caller's read
    // mark come with the page, from one read.
    let files = super::im_file::file_views(cx, &history.files).await?;
    let answer = views::history(&history, cx.user(), files).map_err(|e| {
        tracing::error!("im.dialog.messages.get: cannot write the answer: {e}");
        ApiError::internal()
    })?;
    Ok(Reply::written(answer))
}

/// The most participants `im.dialog.users.list` returns a page, and its default.
const USERS_MAX_LIMIT: i64 = 200;
const USERS_DEFAULT_LIMIT: i64 = 50;

/// `im.dialog.users.list`: docs api-reference/chats/chat-users/im-dialog-users-list.md
/// The participants in ascending id order, paged by `LAST_ID` (ids above
/// it) and `OFFSET`, at most `LIMIT` (50, up to 200); `SKIP_EXTERNAL=Y`
/// leaves out bots unless `SKIP_EXTERNAL_EXCEPT_TYPES` names `bot` (b24im has
/// no other external users: e-mail, connectors, network).
pub async fn users_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (dialog, _) = dialog_of(p)?;
    let chat = cases::chats::open(cx.store(), cx.user(), dialog).await?;
    let mut ids = chat.members.clone();
    ids.sort_unstable();
    if let Some(last) = p.intval("LAST_ID").filter(|n| *n > 0) {
        ids.retain(|id| id.0 > last);
    }
    let mut users = cx.store().users(ids).await?;
    let keep_bots = p
        .str("SKIP_EXTERNAL_EXCEPT_TYPES")
        .is_some_and(|t| t.split(',').any(|t| t.trim().eq_ignore_ascii_case("bot")));
    if p.flag("SKIP_EXTERNAL") == Some(true) && !keep_bots {
        users.retain(|u| !u.bot);
    }
    let limit = p
        .intval("LIMIT")
        .filter(|n| *n > 0)
        .unwrap_or(USERS_DEFAULT_LIMIT)
        .min(USERS_MAX_LIMIT);
    let offset = p.intval("OFFSET").unwrap_or(0).max(0);
    let total = users.len() as i64;
    let page: Vec<Value> = users
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(views::user)
        .collect();
    let next = (offset + limit < total).then_some(offset + limit);
    Ok(Reply::page(Value::Array(page), Some(total), next))
}

/// `im.dialog.writing`: docs api-reference/chats/messages/im-dialog-writing.md
/// Checks that the caller may write to the dialog, shows them typing to its
/// members (live, see `crate::live`) and answers `true`.
pub async fn writing(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (dialog, _) = dialog_of(p)?;
    cases::chats::writing(cx.store(), cx.user(), dialog).await?;
    Ok(Reply::value(true))
}

/// `im.dialog.read`: docs api-reference/chats/messages/im-dialog-read.md
/// Up to `MESSAGE_ID` (never back), or everything; `false` for a dialog the
/// caller has no chat in.
pub async fn read(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (dialog, raw) = dialog_of(p)?;
    let mark = match p.positive_id("MESSAGE_ID") {
        Some(id) => ReadMark::UpTo(MessageId(id)),
        None => ReadMark::All,
    };
    Ok(Reply::value(
        match cases::messages::mark_read(cx.store(), cx.user(), dialog, mark).await? {
            Some((chat, state)) => json!({
                "dialogId": raw,
                "chatId": chat.0,
                "lastId": state.last_read,
                "counter": state.counter,
            }),
            None => Value::Bool(false),
        },
    ))
}

/// `im.dialog.unread`: docs api-reference/chats/messages/im-dialog-unread.md
/// `MESSAGE_ID` and what follows it are unread again.
pub async fn unread(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (dialog, _) = dialog_of(p)?;
    let first = p.positive_id("MESSAGE_ID").ok_or_else(|| {
        ApiError::param("MESSAGE_ID_ERROR", "First unread message id can't be empty")
    })?;
    let mark = ReadMark::UnreadFrom(MessageId(first));
    let done = cases::messages::mark_read(cx.store(), cx.user(), dialog, mark).await?;
    Ok(Reply::value(done.is_some()))
}

/// `im.dialog.read.all`: docs api-reference/chats/special-operations/im-dialog-read-all.md
pub async fn read_all(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    cases::messages::read_all(cx.store(), cx.user()).await?;
    Ok(Reply::value(true))
}

/// Messages `im.dialog.messages.search` answers at most, and by default.
const SEARCH_MAX_LIMIT: i64 = 200;
const SEARCH_DEFAULT_LIMIT: i64 = 50;

/// `im.dialog.messages.search`: docs api-reference/chats/messages/im-dialog-messages-search.md
/// Messages of `CHAT_ID` whose text holds `SEARCH_MESSAGE` (three characters
/// or more; shorter is not searched), between `DATE_FROM` and `DATE_TO` (or
/// within 24 hours of `DATE`), by `ORDER[ID]` (`DESC` by default), `LIMIT`
/// (50, at most 200) after `LAST_ID`. Likes are the only reactions shown.
pub async fn messages_search(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = ChatId(
        p.positive_id("CHAT_ID")
            .ok_or_else(|| ApiError::param("CHAT_ID_EMPTY", "CHAT_ID can't be empty"))?,
    );
    let text = p
        .str("SEARCH_MESSAGE")
        .map(|s| s.trim().to_owned())
        .filter(|s| s.chars().count() > 2);
    let (from, to) = match atom_date(p, "DATE") {
        Some(day) => (Some(day), Some(Timestamp(day.0 + 24 * 3600))),
        None => (atom_date(p, "DATE_FROM"), atom_date(p, "DATE_TO")),
    };
    let ascending = p
        .get("ORDER")
        .and_then(|o| o.get("ID").or_else(|| o.get("id")).cloned())
        .and_then(|v| v.as_str().map(|s| s.eq_ignore_ascii_case("ASC")))
        .unwrap_or(false);
    let limit = p
        .intval("LIMIT")
        .filter(|n| *n > 0)
        .unwrap_or(SEARCH_DEFAULT_LIMIT)
        .min(SEARCH_MAX_LIMIT);
    let search = MessageSearch {
        text,
        from,
        to,
        ascending,
        after_id: p.positive_id("LAST_ID").map(MessageId),
        limit,
    };
    let page = cases::messages::search(cx.store(), cx.user(), chat, search).await?;
    let me = cx.user();
    let reactions: Vec<Value> = page
        .messages
        .iter()
        .filter(|m| !m.likes.is_empty())
        .map(|m| {
            json!({
                "messageId": m.id.0,
                "reactionCounters": {LIKE: m.likes.len()},
                "reactionUsers": {LIKE: m.likes.iter().map(|u| u.0).collect::<Vec<i64>>()},
                "ownReactions": if m.likes.contains(&me) { json!([LIKE]) } else { json!([]) },
            })
        })
        .collect();
    Ok(Reply::value(json!({
        "users": page.authors.iter().map(views::user_v2).collect::<Vec<Value>>(),
        "files": [],
        "additionalMessages": [],
        "copilot": null,
        "stickers": [],
        "reactions": reactions,
        "tariffRestrictions": {"isHistoryLimitExceeded": false},
        "usersShort": [],
        "messages": page.messages.iter().map(views::message_v2).collect::<Vec<Value>>(),
    })))
}
