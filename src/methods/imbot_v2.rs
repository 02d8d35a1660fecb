//! `imbot.v2.*`: docs api-reference/chat-bots/chat-bots-v2/imbot.v2/. The
//! bot methods that serve messages, reactions and events: `Bot.register`,
//! `.unregister`, `.list`, `.get`, `Chat.Message.send`,
//! `Chat.Message.Reaction.add` / `.delete`, and `Event.get` (fetch mode).
//!
//! Webhook callers name their bot's application with `botToken`; callers
//! using a token handed to the bot's handler need none.

use serde_json::{json, Value};

use super::ctx::Ctx;
use super::views;
use crate::domain::bots::{self, Bot, RegistrationV2};
use crate::domain::cases;
use crate::domain::events::UserSnapshot;
use crate::domain::{DialogRef, Error, MessageId, Timestamp, UserId};
use crate::events::payload::{v2_bot, v2_user};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{field, field_text, scalar_text, truthy, Params};

fn bot_token(p: &Params) -> Option<String> {
    p.str("botToken")
}

/// The errors the v2 pages list for the message and reaction methods.
fn v2_error(e: Error) -> ApiError {
    match e {
        Error::CannotPost
        | Error::ChatNotFound
        | Error::NoDialogAccess
        | Error::RecipientNotFound => ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            "Access denied",
        ),
        Error::MessageEmpty => ApiError::param("EMPTY_MESSAGE", "Message is empty"),
        other => other.into(),
    }
}

async fn acting_bot(cx: &Ctx, p: &Params) -> Result<Bot, ApiError> {
    let id = p.positive_id("botId").map(UserId);
    Ok(cases::bots::resolve_v2(
        cx.store(),
        cx.caller.client_id.as_deref(),
        bot_token(p).as_deref(),
        id,
    )
    .await?)
}

fn bot_user(b: &Bot) -> Value {
    v2_user(
        &UserSnapshot {
            id: b.id.0,
            first_name: b.first_name.clone(),
            last_name: b.last_name.clone(),
            work_position: b.work_position.clone(),
            bot: true,
            departments: Vec::new(),
        },
        b.created_at.0,
    )
}

/// `imbot.v2.Bot.register`: docs .../bots/bot-register.md
pub async fn register(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let f = p.get("fields");
    let props = field(f, "properties");
    let reg = RegistrationV2 {
        code: field_text(f, "code"),
        bot_token: field(f, "botToken").and_then(scalar_text),
        first_name: field_text(props, "name"),
        last_name: field_text(props, "lastName"),
        work_position: field_text(props, "workPosition"),
        kind: field(f, "type").and_then(scalar_text),
        event_mode: field(f, "eventMode").and_then(scalar_text),
        webhook_url: field_text(f, "webhookUrl"),
        reactions_enabled: field(f, "isReactionsEnabled").map(truthy),
        openline: field(f, "isSupportOpenline").is_some_and(truthy),
    };
    let new = bots::NewBot::parse_v2(
        reg,
        cx.caller.client_id.as_deref(),
        cx.user(),
        cx.caller.scopes.clone(),
    )
    .map_err(Error::from)?;
    let bot = cases::bots::register_v2(cx.store(), new, Timestamp::now()).await?;
    Ok(Reply::value(
        json!({"bot": v2_bot(&bot), "users": [bot_user(&bot)]}),
    ))
}

/// `imbot.v2.Bot.unregister`: docs .../bots/bot-unregister.md
pub async fn unregister(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    cases::bots::unregister(cx.store(), &bot, Timestamp::now()).await?;
    Ok(Reply::value(json!({"result": true})))
}

/// `imbot.v2.Bot.get`: docs .../bots/bot-get.md
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    Ok(Reply::value(
        json!({"bot": v2_bot(&bot), "users": [bot_user(&bot)]}),
    ))
}

/// `imbot.v2.Bot.list`: docs .../bots/bot-list.md (the caller's application's bots).
pub async fn list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let app = bots::v2_app(cx.caller.client_id.as_deref(), bot_token(p).as_deref())
        .map_err(Error::from)?;
    let mine = cx.store().bots_of(app).await?;
    let bots: Vec<Value> = mine.iter().map(v2_bot).collect();
    let users: Vec<Value> = mine.iter().map(bot_user).collect();
    Ok(Reply::value(
        json!({"bots": bots, "users": users, "hasNextPage": false}),
    ))
}

/// `imbot.v2.Chat.Message.send`: docs .../messages/chat-message-send.md
pub async fn message_send(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let dialog = p
        .str("dialogId")
        .and_then(|d| DialogRef::parse(&d))
        .ok_or_else(|| ApiError::param("DIALOG_ID_EMPTY", "Dialog ID can't be empty"))?;
    let message = field_text(p.get("fields"), "message");
    if message.trim().is_empty() {
        return Err(ApiError::param("EMPTY_MESSAGE", "Message is empty"));
    }
    let id = cases::messages::post(cx.store(), bot.id, dialog, &message)
        .await
        .map_err(v2_error)?;
    Ok(Reply::value(json!({"id": id.0, "uuidMap": {}})))
}

async fn reaction(cx: &Ctx, p: &Params, on: bool) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let message = p
        .positive_id("messageId")
        .map(MessageId)
        .ok_or_else(|| ApiError::param("MESSAGE_ID_ERROR", "Message ID can't be empty"))?;
    let code = p.str("reaction").unwrap_or_default();
    cases::reactions::react(cx.store(), bot.id, message, &code, on)
        .await
        .map_err(v2_error)?;
    Ok(Reply::value(json!({"result": true})))
}

/// `imbot.v2.Chat.Message.Reaction.add`: docs .../messages/chat-message-reaction-add.md
pub async fn reaction_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    reaction(cx, p, true).await
}

/// `imbot.v2.Chat.Message.Reaction.delete`: docs .../messages/chat-message-reaction-delete.md
pub async fn reaction_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    reaction(cx, p, false).await
}

/// `imbot.v2.Event.get`: docs .../events/event-get.md. Confirms the events
/// below `offset` and returns the next ones.
pub async fn event_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let (offset, limit) = views::queue_window(p);
    let (events, has_more) = cx.store().bot_events(bot.id, offset, limit).await?;
    let full = v2_bot(&bot);
    Ok(Reply::value(views::event_page(
        &events,
        has_more,
        offset,
        Some(&full),
    )))
}

fn message_id(p: &Params) -> Result<MessageId, ApiError> {
    p.positive_id("messageId")
        .map(MessageId)
        .ok_or_else(|| ApiError::param("MESSAGE_ID_ERROR", "Message ID can't be empty"))
}

/// Editing or deleting a message that is not the bot's, or does not exist.
fn not_allowed(e: Error) -> ApiError {
    match e {
        Error::CannotEditMessage => ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            "Access denied",
        ),
        other => v2_error(other),
    }
}

/// `imbot.v2.Chat.Message.update`: docs .../messages/chat-message-update.md
pub async fn message_update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let id = message_id(p)?;
    let message = field_text(p.get("fields"), "message");
    cases::messages::edit(cx.store(), bot.id, id, &message)
        .await
        .map_err(not_allowed)?;
    Ok(Reply::value(json!({"result": true})))
}

/// `imbot.v2.Chat.Message.delete`: docs .../messages/chat-message-delete.md
/// (`complete` is accepted; the emptied message is always kept).
pub async fn message_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let id = message_id(p)?;
    cases::messages::delete(cx.store(), bot.id, id)
        .await
        .map_err(not_allowed)?;
    Ok(Reply::value(json!({"result": true})))
}
