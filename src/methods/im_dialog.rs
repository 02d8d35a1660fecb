//! `im.dialog.*`: docs api-reference/chats/im-dialog-get.md and
//! api-reference/chats/messages/im-dialog-messages-get.md.

use serde_json::{json, Value};

use super::ctx::Ctx;
use super::{views, DIALOG_ID_EMPTY};
use crate::domain::cases;
use crate::domain::messages::Page;
use crate::domain::DialogRef;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

fn dialog_of(p: &Params) -> Result<(DialogRef, String), ApiError> {
    let raw = p.str("DIALOG_ID").unwrap_or_default();
    let dialog = DialogRef::parse(&raw)
        .ok_or_else(|| ApiError::param(DIALOG_ID_EMPTY.0, DIALOG_ID_EMPTY.1))?;
    Ok((dialog, raw.trim().to_owned()))
}

/// `im.dialog.get`: docs api-reference/chats/im-dialog-get.md
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let (dialog, raw) = dialog_of(p)?;
    let chat = cases::chats::open(cx.store(), cx.user(), dialog).await?;
    let users = cx.store().users(chat.members.clone()).await?;
    Ok(Reply::value(views::chat(&chat, cx.user(), &raw, &users)))
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
    Ok(Reply::value(json!({
        "chat_id": history.chat.map_or(0, |c| c.0),
        "messages": history.messages.iter().map(views::message).collect::<Vec<Value>>(),
        "users": history.authors.iter().map(views::user).collect::<Vec<Value>>(),
        "files": [],
    })))
}
