//! `imbot.v2.*`: docs api-reference/chat-bots/chat-bots-v2/imbot.v2/. The
//! bot methods that serve messages, reactions and events: `Bot.register`,
//! `.unregister`, `.list`, `.get`, `Chat.Message.send`,
//! `Chat.Message.Reaction.add` / `.delete`, and `Event.get` (fetch mode).
//!
//! Webhook callers name their bot's application with `botToken`; callers
//! using a token handed to the bot's handler need none.

use serde_json::{json, Value};

use super::ctx::Ctx;
use super::message_parts::Given;
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

/// The v2 pages' 403 for what the bot may not do.
pub(super) fn access_denied() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "ACCESS_DENIED",
        "Access denied",
    )
}

/// The errors the v2 pages list for the message and reaction methods.
fn v2_error(e: Error) -> ApiError {
    match e {
        Error::CannotPost
        | Error::ChatNotFound
        | Error::NoDialogAccess
        | Error::RecipientNotFound => access_denied(),
        Error::MessageEmpty => ApiError::param("EMPTY_MESSAGE", "Message is empty"),
        other => other.into(),
    }
}

pub(super) async fn acting_bot(cx: &Ctx, p: &Params) -> Result<Bot, ApiError> {
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
    if let Some(v2) = &new.v2 {
        super::handler_allowed(cx, &v2.webhook_url, "BOT_INVALID_CALLBACK").await?;
    }
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
        .ok_or_else(|| ApiError::param(super::DIALOG_ID_EMPTY.0, super::DIALOG_ID_EMPTY.1))?;
    let message = field_text(p.get("fields"), "message");
    let given = Given::v2(p.get("fields"));
    if message.trim().is_empty() && !given.has_attach() {
        return Err(ApiError::param("EMPTY_MESSAGE", "Message is empty"));
    }
    let params = given.for_new(bot.id.0)?;
    let message = crate::domain::messages::truncated(&message);
    let id = cases::messages::post(cx.store(), bot.id, dialog, &message, params)
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

pub(super) fn message_id(p: &Params) -> Result<MessageId, ApiError> {
    p.positive_id("messageId")
        .map(MessageId)
        .ok_or_else(|| ApiError::param("MESSAGE_ID_ERROR", "Message ID can't be empty"))
}

/// Editing or deleting a message that is not the bot's, or does not exist.
fn not_allowed(e: Error) -> ApiError {
    match e {
        Error::CannotEditMessage => access_denied(),
        other => v2_error(other),
    }
}

/// `imbot.v2.Chat.Message.update`: docs .../messages/chat-message-update.md
pub async fn message_update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let id = message_id(p)?;
    let fields = p.get("fields");
    let change = Given::v2(fields).for_update(bot.id.0)?;
    // `message` not given: the text stays.
    let message = fields
        .and_then(|f| f.get("message"))
        .filter(|m| !m.is_null())
        .map(|_| field_text(fields, "message"));
    let message = message.as_deref().map(crate::domain::messages::truncated);
    if message.is_none() && change.is_empty() {
        cases::messages::check_editable(cx.store(), bot.id, id)
            .await
            .map_err(not_allowed)?;
    } else {
        cases::messages::edit(cx.store(), bot.id, id, message.as_deref(), change)
            .await
            .map_err(not_allowed)?;
    }
    Ok(Reply::value(json!({"result": true})))
}

/// `imbot.v2.Chat.Message.delete`: docs .../messages/chat-message-delete.md
/// (`complete`: gone for good, with no deletion mark).
pub async fn message_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let id = message_id(p)?;
    let complete = p.get("complete").is_some_and(truthy);
    cases::messages::delete(cx.store(), bot.id, id, complete)
        .await
        .map_err(not_allowed)?;
    Ok(Reply::value(json!({"result": true})))
}

/// The v2 `Command` object: `/name`, with `title`, `params`, `category`
/// and `context` when `full` (Command.list).
fn command_view(c: &bots::Command, bot: &Bot, full: bool) -> Value {
    let mut v = json!({
        "id": c.id,
        "botId": c.bot.0,
        "command": format!("/{}", c.command),
        "common": c.common,
        "hidden": c.hidden,
        "extranetSupport": c.extranet,
    });
    if full {
        // The portal's language (en), else the first translation.
        let lang = c
            .lang
            .iter()
            .find(|(l, ..)| l.eq_ignore_ascii_case("en"))
            .or_else(|| c.lang.first());
        v["title"] = lang.map_or("", |(_, t, _)| t.as_str()).into();
        v["params"] = lang.map_or("", |(_, _, p)| p.as_str()).into();
        v["category"] = bot.full_name().into();
        v["context"] = "".into();
    }
    v
}

/// `fields`, or (the format before revision 33) the top level.
fn command_fields(p: &Params) -> Value {
    match p.get("fields") {
        Some(f @ Value::Object(_)) => f.clone(),
        _ => Value::Object(p.as_map().clone()),
    }
}

/// A command name from `fields.command`: a string of letters and digits,
/// with or without its leading `/`.
fn command_name_of(f: &Value, required: bool) -> Result<Option<String>, ApiError> {
    match f.get("command") {
        None | Some(Value::Null) if required => {
            Err(ApiError::param("COMMAND_REQUIRED", "Command is required"))
        }
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Err(if required {
            ApiError::param("COMMAND_REQUIRED", "Command is required")
        } else {
            ApiError::param("COMMAND_NAME_EMPTY", "Command name is empty")
        }),
        Some(Value::String(s)) => bots::command_name(s)
            .map(Some)
            .ok_or_else(|| ApiError::param("COMMAND_NAME_INVALID", "Command name is invalid")),
        Some(_) => Err(ApiError::param(
            "COMMAND_NAME_INVALID",
            "Command name is invalid",
        )),
    }
}

/// `title` and `params` (`{lang: text}`) merged into `lang` entries: a
/// text sets a language's, `null` removes the language.
fn merge_lang(
    mut lang: Vec<(String, String, String)>,
    title: Option<&Value>,
    params: Option<&Value>,
) -> Vec<(String, String, String)> {
    if let Some(Value::Object(titles)) = title {
        for (code, text) in titles {
            let code = code.to_ascii_lowercase();
            lang.retain(|(l, ..)| *l != code);
            if let Some(text) = scalar_text(text) {
                let hint = params
                    .and_then(|p| p.get(code.as_str()))
                    .and_then(scalar_text)
                    .unwrap_or_default();
                lang.push((code, text, hint));
            }
        }
    }
    lang
}

/// `imbot.v2.Command.register`: docs .../commands/command-register.md.
/// The same command again returns the one registered, unchanged (the
/// store keeps the first: `replace: false`).
pub async fn command_register(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let f = command_fields(p);
    let name = command_name_of(&f, true)?.unwrap_or_default();
    let hidden = f.get("hidden").is_some_and(truthy);
    let lang = merge_lang(Vec::new(), f.get("title"), f.get("params"));
    if !hidden && lang.iter().all(|(_, t, _)| t.trim().is_empty()) {
        return Err(ApiError::param(
            "COMMAND_TITLE_REQUIRED",
            "Command title is required",
        ));
    }
    let new = bots::NewCommand {
        bot: bot.id,
        command: name,
        common: f.get("common").is_some_and(truthy),
        hidden,
        // A v2 bot hears its commands where it hears everything else.
        handler: String::new(),
        client_id: bot.client_id.clone(),
        extranet: f.get("extranetSupport").is_some_and(truthy),
        lang,
        replace: false,
    };
    let id = cx.store().create_command(new, Timestamp::now()).await?;
    let command =
        cx.store().command(id).await?.ok_or_else(|| {
            ApiError::param("COMMAND_REGISTER_FAILED", "Command registration failed")
        })?;
    Ok(Reply::value(
        json!({"command": command_view(&command, &bot, false)}),
    ))
}

/// The bot's command `commandId`, or `COMMAND_NOT_FOUND`.
async fn own_command(cx: &Ctx, bot: &Bot, p: &Params) -> Result<bots::Command, ApiError> {
    let id = p.positive_id("commandId").unwrap_or(0);
    cx.store()
        .command(id)
        .await?
        .filter(|c| c.bot == bot.id)
        .ok_or_else(|| ApiError::param("COMMAND_NOT_FOUND", "Command not found"))
}

/// `imbot.v2.Command.unregister`: docs .../commands/command-unregister.md
pub async fn command_unregister(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let command = own_command(cx, &bot, p).await?;
    cx.store().delete_command(command.id).await?;
    Ok(Reply::value(json!({"result": true})))
}

/// `imbot.v2.Command.update`: docs .../commands/command-update.md
pub async fn command_update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let command = own_command(cx, &bot, p).await?;
    let f = command_fields(p);
    let flag = |key: &str| f.get(key).filter(|v| !v.is_null()).map(truthy);
    let changes = bots::CommandChanges {
        command: command_name_of(&f, false)?,
        handler: None,
        common: flag("common"),
        hidden: flag("hidden"),
        extranet: flag("extranetSupport"),
        lang: f
            .get("title")
            .map(|t| merge_lang(command.lang.clone(), Some(t), f.get("params"))),
    };
    match cx.store().update_command(command.id, changes).await? {
        bots::CommandUpdated::Done => {}
        bots::CommandUpdated::NotFound => {
            return Err(ApiError::param("COMMAND_NOT_FOUND", "Command not found"))
        }
        bots::CommandUpdated::Taken => {
            return Err(ApiError::param(
                "COMMAND_ALREADY_EXISTS",
                "Command already exists",
            ))
        }
    }
    let updated = cx
        .store()
        .command(command.id)
        .await?
        .ok_or_else(|| ApiError::param("COMMAND_NOT_FOUND", "Command not found"))?;
    Ok(Reply::value(
        json!({"command": command_view(&updated, &bot, false)}),
    ))
}

/// `imbot.v2.Command.list`: docs .../commands/command-list.md
pub async fn command_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let commands = cx.store().commands_of(bot.id).await?;
    Ok(Reply::value(json!({
        "commands": commands.iter().map(|c| command_view(c, &bot, true)).collect::<Vec<_>>(),
    })))
}

/// `imbot.v2.Command.answer`: docs .../commands/command-answer.md. The bot
/// answers in the chat of `messageId`, which `dialogId` must name.
pub async fn command_answer(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let failed = || ApiError::param("COMMAND_ANSWER_FAILED", "Command answer failed");
    let command = own_command(cx, &bot, p).await.map_err(|_| failed())?;
    let message = p
        .positive_id("messageId")
        .map(MessageId)
        .ok_or_else(failed)?;
    let dialog = p
        .str("dialogId")
        .and_then(|d| DialogRef::parse(&d))
        .ok_or_else(failed)?;
    let text = field_text(p.get("fields"), "message");
    if text.trim().is_empty() {
        return Err(failed());
    }
    let params = Given::v2(p.get("fields")).for_new(command.bot.0)?;
    let chat = cx.store().message_chat(message).await?.ok_or_else(failed)?;
    let named = match dialog {
        DialogRef::Chat(id) => Some(id),
        DialogRef::User(_) => cases::chats::dialog_chat(cx.store(), bot.id, dialog)
            .await
            .ok()
            .flatten(),
    };
    if named != Some(chat) {
        return Err(failed());
    }
    let text = crate::domain::messages::truncated(&text);
    cases::bots::answer_command(cx.store(), &command, message, chat, &text, params)
        .await?
        .ok_or_else(failed)?;
    Ok(Reply::value(json!({"result": true})))
}

/// `imbot.v2.File.upload`: docs .../files/file-upload.md: `im.v2.File.upload`
/// made by the bot.
pub async fn file_upload(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    super::im_file::upload(&cx.acting_as(bot.id), p).await
}

/// `imbot.v2.File.download`: docs .../files/file-download.md. A link to a
/// file of a chat the bot is in.
pub async fn file_download(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let not_found = || ApiError::param("FILE_NOT_FOUND", "File not found");
    let id = p.positive_id("fileId").ok_or_else(not_found)?;
    let file = cases::files::readable(cx.store(), bot.id, id)
        .await?
        .ok_or_else(not_found)?;
    let token = cases::files::link(cx.store(), bot.id, file.id).await?;
    Ok(Reply::value(json!({
        "downloadUrl": super::im_file::download_url(cx, &token),
    })))
}

/// `imbot.v2.Revision.get`: docs .../revision-get.md. The revisions whose
/// behaviour b24im follows (the page's example).
pub async fn revision_get(_cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    Ok(Reply::value(
        json!({"rest": 33, "web": 130, "mobile": 23, "desktop": 6}),
    ))
}

/// `imbot.v2.Bot.update`: docs .../bots/bot-update.md. Names, job title,
/// reactions, Open Channels support, event mode and webhook URL, and a new
/// `fields.botToken` (the old one stops working at once). `color`,
/// `gender`, `avatar`, `isHidden` and `backgroundId` are accepted and not
/// kept (b24im's bots show none of them).
pub async fn update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let f = p.get("fields");
    let props = field(f, "properties");
    let text = |obj: Option<&Value>, key: &str| field(obj, key).and_then(scalar_text);
    let event_mode = match text(f, "eventMode") {
        Some(m) => Some(
            bots::EventMode::parse(&m).ok_or(Error::from(bots::BotV2Error::InvalidEventMode))?,
        ),
        None => None,
    };
    let changes = bots::BotV2Changes {
        first_name: text(props, "name"),
        last_name: text(props, "lastName"),
        work_position: text(props, "workPosition"),
        reactions_enabled: field(f, "isReactionsEnabled").map(truthy),
        openline: field(f, "isSupportOpenline").map(truthy),
        event_mode,
        webhook_url: text(f, "webhookUrl"),
        bot_token: text(f, "botToken").filter(|t| !t.trim().is_empty()),
    };
    let rotation_failed =
        || ApiError::param("BOT_TOKEN_ROTATION_FAILED", "Bot token rotation failed");
    if changes
        .bot_token
        .as_ref()
        .is_some_and(|t| t.trim().chars().count() > 40)
    {
        return Err(rotation_failed());
    }
    changes.check(&bot).map_err(Error::from)?;
    if let Some(url) = &changes.webhook_url {
        super::handler_allowed(cx, url, "BOT_INVALID_CALLBACK").await?;
    }
    if !cases::bots::update_v2(cx.store(), &bot, changes).await? {
        return Err(rotation_failed());
    }
    let bot = cx
        .store()
        .bot(bot.id)
        .await?
        .ok_or(bots::BotV2Error::NotFound)
        .map_err(Error::from)?;
    Ok(Reply::value(
        json!({"bot": v2_bot(&bot), "users": [bot_user(&bot)]}),
    ))
}
