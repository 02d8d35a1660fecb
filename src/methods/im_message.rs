//! `im.message.*`: docs api-reference/chats/messages/.

use serde_json::Value;

use super::ctx::Ctx;
use super::message_parts::Given;
use super::{dialog_id, required_id, CHAT_ID_EMPTY, MESSAGE_ID_ERROR, USER_ID_EMPTY};
use crate::domain::cases;
use crate::domain::messages::ShareKind;
use crate::domain::reactions::LikeAction;
use crate::domain::{ChatId, DialogRef, MessageId, UserId};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// `im.message.add`: docs api-reference/chats/messages/im-message-add.md
/// A message with an attachment may have no text. `KEYBOARD` and `MENU`
/// commands run at `BOT_ID` (or the keyboard's own `BOT_ID`).
pub async fn add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let text = p.str("MESSAGE").unwrap_or_default();
    let given = Given::v1(p);
    if text.trim().is_empty() && !given.has_attach() {
        return Err(ApiError::param("MESSAGE_EMPTY", "Message can't be empty"));
    }
    let dialog = dialog_of(p)?;
    let params = given.for_new(p.positive_id("BOT_ID").unwrap_or(0))?;
    let id = cases::messages::post(cx.store(), cx.user(), dialog, &text, params).await?;
    Ok(Reply::value(id.0))
}

/// The addressee: `DIALOG_ID`, or the older `CHAT_ID` / `USER_ID` pair.
pub(super) fn dialog_of(p: &Params) -> Result<DialogRef, ApiError> {
    if let Some(raw) = p.str("DIALOG_ID") {
        if raw.trim().to_ascii_lowercase().starts_with("chat") {
            return DialogRef::parse(&raw)
                .ok_or_else(|| ApiError::param(CHAT_ID_EMPTY.0, CHAT_ID_EMPTY.1));
        }
        return DialogRef::parse(&raw)
            .ok_or_else(|| ApiError::param(USER_ID_EMPTY.0, USER_ID_EMPTY.1));
    }
    if p.has("USER_ID") {
        return required_id(p, "USER_ID", None, USER_ID_EMPTY)
            .map(|id| DialogRef::User(UserId(id)));
    }
    if p.has("CHAT_ID") {
        return required_id(p, "CHAT_ID", None, CHAT_ID_EMPTY)
            .map(|id| DialogRef::Chat(ChatId(id)));
    }
    Err(ApiError::param("PARAMS_ERROR", "Incorrect params"))
}

/// `im.message.update`: docs api-reference/chats/messages/im-message-update.md
pub async fn update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = MessageId(required_id(p, "MESSAGE_ID", Some("ID"), MESSAGE_ID_ERROR)?);
    // `KEYBOARD`, `MENU`, `ATTACH`: `"N"` (or empty) removes one. Nothing
    // to change is `true`, but only for a message the caller may edit.
    let change = Given::v1(p).for_update(p.positive_id("BOT_ID").unwrap_or(0))?;
    let text = p.str("MESSAGE");
    if text.is_none() && change.is_empty() {
        cases::messages::check_editable(cx.store(), cx.user(), id).await?;
    } else {
        cases::messages::edit(cx.store(), cx.user(), id, text.as_deref(), change).await?;
    }
    Ok(Reply::value(true))
}

/// `im.message.delete`: docs api-reference/chats/messages/im-message-delete.md
pub async fn delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = MessageId(required_id(p, "MESSAGE_ID", Some("ID"), MESSAGE_ID_ERROR)?);
    cases::messages::delete(cx.store(), cx.user(), id, false).await?;
    Ok(Reply::value(true))
}

/// `im.message.like`: docs api-reference/chats/messages/im-message-like.md
pub async fn like(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = MessageId(required_id(p, "MESSAGE_ID", Some("ID"), MESSAGE_ID_ERROR)?);
    let action = LikeAction::parse(p.str("ACTION").as_deref());
    cases::reactions::like(cx.store(), cx.user(), id, action).await?;
    Ok(Reply::value(Value::Bool(true)))
}

/// `im.message.command`: docs api-reference/chats/messages/im-message-command.md
/// Runs a bot's command in the context of a message (a keyboard button, say):
/// the bot's command handler gets ONIMCOMMANDADD as for a slash command.
pub async fn command(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let message = MessageId(required_id(p, "MESSAGE_ID", None, MESSAGE_ID_ERROR)?);
    let bot = UserId(required_id(
        p,
        "BOT_ID",
        None,
        ("BOT_ID_ERROR", "Bot ID can't be empty"),
    )?);
    let command = p
        .str("COMMAND")
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::param("COMMAND_ERROR", "Command can't be empty"))?;
    let args = match p.get("COMMAND_PARAMS") {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(v) => crate::protocol::params::scalar_text(v)
            .ok_or_else(|| ApiError::param("PARAMS_ERROR", "Incorrect params"))?,
    };
    cases::bots::run_command(cx.store(), cx.user(), message, bot, command, args).await?;
    Ok(Reply::value(true))
}

/// `im.message.share`: docs api-reference/chats/messages/im-message-share.md.
/// `TYPE=CHAT` makes a group chat of the caller and the message's author
/// that opens with the message quoted (`true`); `TASK`, `POST` and `CALEND`
/// would make a task, a feed post or a calendar event, which b24im does not
/// have: nothing is made, `false`. A message the caller cannot see in that
/// dialog is `ACCESS_ERROR`; another `TYPE` is `PARAMS_ERROR`.
pub async fn share(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let message = MessageId(required_id(p, "MESSAGE_ID", None, MESSAGE_ID_ERROR)?);
    let dialog = dialog_id(p)?;
    let kind = p
        .str("TYPE")
        .as_deref()
        .and_then(ShareKind::parse)
        .ok_or_else(|| ApiError::param("PARAMS_ERROR", "Incorrect params"))?;
    let made = cases::messages::share(cx.store(), cx.user(), message, dialog, kind).await?;
    Ok(Reply::value(made))
}
