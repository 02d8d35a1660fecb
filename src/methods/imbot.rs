//! `imbot.*`: docs api-reference/chat-bots/outdated/ (the v1 chat-bot API,
//! which the founding page and most bots in the wild use).
//!
//! Every call names its application: `CLIENT_ID` for webhooks, or the
//! application carried by the access token handed to its event handler.

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use super::im_message::dialog_of;
use super::message_parts::Given;
use super::{required_id, DIALOG_ID_EMPTY, MESSAGE_ID_ERROR};
use crate::domain::bots::{Bot, BotChanges, Handlers, NewBot, NewCommand, Registration};
use crate::domain::cases;
use crate::domain::reactions::LikeAction;
use crate::domain::{MessageId, Timestamp, UserId};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{field, field_text, scalar_text, Params};

/// The caller's application: its token's, else the one the webhook's user
/// names with `CLIENT_ID` (theirs alone; see `Ctx::app`).
fn client_id(cx: &Ctx, p: &Params) -> Option<String> {
    cx.app(p.str("CLIENT_ID"))
}

/// The bot the call acts as (`BOT_ID`, or the application's first).
async fn acting_bot(cx: &Ctx, p: &Params) -> Result<Bot, ApiError> {
    let id = p.positive_id("BOT_ID").map(UserId);
    Ok(cases::bots::resolve(cx.store(), client_id(cx, p).as_deref(), id).await?)
}

/// `imbot.register`: docs .../outdated/bots/imbot-register.md
pub async fn register(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let props = p.get("PROPERTIES");
    let reg = Registration {
        code: p.str("CODE").unwrap_or_default(),
        kind: p.str("TYPE").unwrap_or_default(),
        openline: p.flag("OPENLINE").unwrap_or(false),
        common_handler: p.str("EVENT_HANDLER").unwrap_or_default(),
        handlers: Handlers {
            message_add: p.str("EVENT_MESSAGE_ADD").unwrap_or_default(),
            message_update: p.str("EVENT_MESSAGE_UPDATE").unwrap_or_default(),
            message_delete: p.str("EVENT_MESSAGE_DELETE").unwrap_or_default(),
            welcome: p.str("EVENT_WELCOME_MESSAGE").unwrap_or_default(),
            bot_delete: p.str("EVENT_BOT_DELETE").unwrap_or_default(),
        },
        first_name: field_text(props, "NAME"),
        last_name: field_text(props, "LAST_NAME"),
        work_position: field_text(props, "WORK_POSITION"),
    };
    let new = NewBot::parse(reg, client_id(cx, p), cx.user(), cx.caller.scopes.clone())
        .map_err(crate::domain::Error::from)?;
    let mut checked = Vec::new();
    for (param, url) in new.handlers.each() {
        if !checked.contains(&url) {
            super::handler_allowed(cx, url, &format!("{}_ERROR", param.name())).await?;
            checked.push(url);
        }
    }
    let id = cases::bots::register(cx.store(), new, Timestamp::now()).await?;
    Ok(Reply::value(id.0))
}

/// `imbot.unregister`: docs .../outdated/bots/imbot-unregister.md
pub async fn unregister(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    cases::bots::unregister(cx.store(), &bot, Timestamp::now()).await?;
    Ok(Reply::value(true))
}

/// `imbot.update`: docs .../outdated/bots/imbot-update.md
pub async fn update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let fields = p.get("FIELDS");
    let props = field(fields, "PROPERTIES");
    let opt = |obj: Option<&Value>, key: &str| field(obj, key).and_then(scalar_text);
    let changes = BotChanges {
        code: opt(fields, "CODE"),
        common_handler: field_text(fields, "EVENT_HANDLER"),
        handlers: Handlers {
            message_add: field_text(fields, "EVENT_MESSAGE_ADD"),
            message_update: field_text(fields, "EVENT_MESSAGE_UPDATE"),
            message_delete: field_text(fields, "EVENT_MESSAGE_DELETE"),
            welcome: field_text(fields, "EVENT_WELCOME_MESSAGE"),
            bot_delete: field_text(fields, "EVENT_BOT_DELETE"),
        },
        first_name: opt(props, "NAME"),
        last_name: opt(props, "LAST_NAME"),
        work_position: opt(props, "WORK_POSITION"),
    };
    let mut checked = Vec::new();
    for (param, url) in changes.handlers.each() {
        let url = if url.trim().is_empty() {
            changes.common_handler.as_str()
        } else {
            url
        };
        // Each address is looked up once (the common handler stands for several).
        if !checked.contains(&url) {
            super::handler_allowed(cx, url, &format!("{}_ERROR", param.name())).await?;
            checked.push(url);
        }
    }
    cases::bots::update(cx.store(), &bot, changes).await?;
    Ok(Reply::value(true))
}

/// `imbot.chat.add`: docs .../outdated/chats/imbot-chat-add.md. The bot
/// creates (and owns) the chat.
pub async fn chat_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let mut new = super::im_chat::new_chat(cx, p, bot.id)?;
    new.avatar = super::im_chat::new_chat_avatar(cx, p.str("AVATAR")).await?;
    let id = cases::chats::create(cx.store(), new).await?;
    Ok(Reply::value(id.0))
}

/// `imbot.bot.list`: docs .../outdated/bots/imbot-bot-list.md
pub async fn list(cx: &Ctx, _p: &Params) -> Result<Reply, ApiError> {
    let mut out = Map::new();
    for b in cx.store().all_bots().await? {
        out.insert(
            b.id.0.to_string(),
            json!({
                "ID": b.id.0,
                "NAME": b.full_name(),
                "CODE": b.code,
                "OPENLINE": if b.openline { "Y" } else { "N" },
            }),
        );
    }
    // An empty PHP array encodes as [].
    Ok(Reply::value(if out.is_empty() {
        Value::Array(Vec::new())
    } else {
        Value::Object(out)
    }))
}

/// `imbot.message.add`: docs .../outdated/messages/imbot-message-add.md
pub async fn message_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    if !p.has("DIALOG_ID") {
        return Err(ApiError::param(DIALOG_ID_EMPTY.0, DIALOG_ID_EMPTY.1));
    }
    let dialog = dialog_of(p)?;
    let text = p.str("MESSAGE").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::param("MESSAGE_EMPTY", "Message can't be empty"));
    }
    let params = Given::v1(p).for_new(bot.id.0)?;
    let id = cases::messages::post(cx.store(), bot.id, dialog, &text, params).await?;
    Ok(Reply::value(id.0))
}

/// `imbot.message.update`: docs .../outdated/messages/imbot-message-update.md
pub async fn message_update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let id = MessageId(required_id(p, "MESSAGE_ID", None, MESSAGE_ID_ERROR)?);
    let change = Given::v1(p).for_update(bot.id.0)?;
    let text = p.str("MESSAGE");
    if text.is_some() || !change.is_empty() {
        cases::messages::edit(cx.store(), bot.id, id, text.as_deref(), change).await?;
    }
    Ok(Reply::value(true))
}

/// `imbot.message.delete`: docs .../outdated/messages/imbot-message-delete.md
pub async fn message_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let id = MessageId(required_id(p, "MESSAGE_ID", None, MESSAGE_ID_ERROR)?);
    // COMPLETE=Y: gone for good, no deletion mark (also for a message the
    // bot deleted before); else emptied and marked deleted.
    let complete = p.str("COMPLETE").as_deref() == Some("Y");
    cases::messages::delete(cx.store(), bot.id, id, complete).await?;
    Ok(Reply::value(true))
}

/// `imbot.message.like`: docs .../outdated/messages/imbot-message-like.md
pub async fn message_like(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let id = MessageId(required_id(p, "MESSAGE_ID", None, MESSAGE_ID_ERROR)?);
    let action = LikeAction::parse(p.str("ACTION").as_deref());
    cases::reactions::like(cx.store(), bot.id, id, action).await?;
    Ok(Reply::value(true))
}

/// `LANG` of `imbot.command.register`: `[{LANGUAGE_ID, TITLE, PARAMS}, ...]`.
fn langs(p: &Params) -> Vec<(String, String, String)> {
    langs_of(p.get("LANG"))
}

/// `LANG` entries of a value (`imbot.command.update`'s `FIELDS[LANG]`).
fn langs_of(v: Option<&Value>) -> Vec<(String, String, String)> {
    crate::protocol::params::list_of(v)
        .unwrap_or_default()
        .iter()
        .filter(|l| l.is_object())
        .map(|l| {
            let l = Some(l);
            (
                field_text(l, "LANGUAGE_ID"),
                field_text(l, "TITLE"),
                field_text(l, "PARAMS"),
            )
        })
        .collect()
}

/// `imbot.command.register`: docs .../outdated/commands/imbot-command-register.md
pub async fn command_register(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let new = NewCommand::parse(
        &bot,
        &p.str("COMMAND").unwrap_or_default(),
        &p.str("EVENT_COMMAND_ADD").unwrap_or_default(),
        langs(p),
        p.flag("COMMON").unwrap_or(false),
        p.flag("HIDDEN").unwrap_or(false),
    )
    .map_err(crate::domain::Error::from)?;
    super::handler_allowed(cx, &new.handler, "EVENT_COMMAND_ADD_ERROR").await?;
    let id = cx.store().create_command(new, Timestamp::now()).await?;
    Ok(Reply::value(id))
}

/// `imbot.command.unregister`: docs .../outdated/commands/imbot-command-unregister.md
pub async fn command_unregister(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = p.positive_id("COMMAND_ID").unwrap_or(0);
    let command = cases::bots::own_command(cx.store(), client_id(cx, p).as_deref(), id).await?;
    cx.store().delete_command(command.id).await?;
    Ok(Reply::value(true))
}

/// The command `imbot.command.answer` names: `COMMAND_ID`, or `COMMAND` by
/// its text among the application's bots' commands (`BOT_ID` chooses among
/// bots with the same command; else the one in the message's chat).
async fn answered_command(
    cx: &Ctx,
    p: &Params,
    message: Option<MessageId>,
) -> Result<crate::domain::bots::Command, ApiError> {
    use crate::domain::bots::{command_name, CommandError};
    let app = client_id(cx, p);
    let by_name = p.str("COMMAND").and_then(|c| command_name(&c));
    let (Some(name), None) = (by_name, p.positive_id("COMMAND_ID")) else {
        let id = p.positive_id("COMMAND_ID").unwrap_or(0);
        return Ok(cases::bots::own_command(cx.store(), app.as_deref(), id).await?);
    };
    let Some(app) = app else {
        return Err(crate::domain::Error::from(crate::domain::bots::BotError::NoClientId).into());
    };
    let mut found = cx.store().commands_named(app, name).await?;
    if let Some(bot) = p.positive_id("BOT_ID") {
        found.retain(|c| c.bot.0 == bot);
    }
    if found.len() > 1 {
        if let Some(chat) = match message {
            Some(m) => cx.store().message_chat(m).await?,
            None => None,
        } {
            let members = cx
                .store()
                .chat(chat)
                .await?
                .map(|c| c.members)
                .unwrap_or_default();
            if let Some(i) = found.iter().position(|c| members.contains(&c.bot)) {
                return Ok(found.swap_remove(i));
            }
        }
    }
    found
        .into_iter()
        .next()
        .ok_or_else(|| crate::domain::Error::from(CommandError::NotFound).into())
}

/// `imbot.command.answer`: docs .../outdated/commands/imbot-command-answer.md.
/// The command's bot answers in the chat of `MESSAGE_ID`.
pub async fn command_answer(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let command = answered_command(cx, p, p.positive_id("MESSAGE_ID").map(MessageId)).await?;
    let message = p
        .positive_id("MESSAGE_ID")
        .map(MessageId)
        .ok_or_else(|| ApiError::param("MESSAGE_ID_EMPTY", "Message ID can't be empty"))?;
    let text = p.str("MESSAGE").unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::param("MESSAGE_EMPTY", "Message can't be empty"));
    }
    // The keyboard's commands run at the command's bot; the menu's at
    // `BOT_ID` (as portals take them).
    let params = Given::v1(p).for_new_at(command.bot.0, p.positive_id("BOT_ID").unwrap_or(0))?;
    let chat = cx
        .store()
        .message_chat(message)
        .await?
        .ok_or_else(|| ApiError::param("WRONG_REQUEST", "Message isn't added"))?;
    let id = cases::bots::answer_command(cx.store(), &command, message, chat, &text, params)
        .await?
        .ok_or_else(|| ApiError::param("WRONG_REQUEST", "Message isn't added"))?;
    Ok(Reply::value(id.0))
}

/// The call `im.chat.*` would make, made by the acting bot (`BOT_ID`, or
/// the application's first): the chat-bot pages' `imbot.chat.*` methods
/// are the messenger's own chat rules applied to the bot.
async fn as_bot(cx: &Ctx, p: &Params) -> Result<Ctx, ApiError> {
    let bot = acting_bot(cx, p).await?;
    Ok(cx.acting_as(bot.id))
}

/// `CHAT_ID`, which the `imbot.chat.*` pages require (no `DIALOG_ID`).
fn chat_id(p: &Params) -> Result<crate::domain::ChatId, ApiError> {
    Ok(crate::domain::ChatId(required_id(
        p,
        "CHAT_ID",
        None,
        super::CHAT_ID_EMPTY,
    )?))
}

/// `imbot.chat.get`: docs .../outdated/chats/imbot-chat-get.md, as
/// `im.chat.get` (`{"ID": n}` or `null`).
pub async fn chat_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    super::im_chat::get(cx, p).await
}

/// `imbot.chat.leave`: docs .../outdated/chats/imbot-chat-leave.md. The
/// bot leaves.
pub async fn chat_leave(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    let chat = chat_id(p)?;
    cases::chats::leave(bot.store(), bot.user(), chat)
        .await
        .map_err(|e| match e {
            crate::domain::Error::CannotLeave => ApiError::param(
                "WRONG_REQUEST",
                "You don't have access or user isn't a member in chat",
            ),
            e => e.into(),
        })?;
    Ok(Reply::value(true))
}

/// `imbot.chat.sendTyping`: docs .../outdated/chats/imbot-chat-send-typing.md
pub async fn chat_send_typing(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    super::im_dialog::writing(&bot, p).await
}

/// `imbot.chat.user.add`: docs .../outdated/chats/imbot-chat-user-add.md
pub async fn chat_user_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    chat_id(p)?;
    if !matches!(p.get("USERS"), Some(Value::Array(_) | Value::Object(_))) {
        return Err(ApiError::param(
            "WRONG_REQUEST",
            "User IDs must be passed in array format",
        ));
    }
    super::im_chat::user_add(&bot, p).await.map_err(|e| {
        if e.code == "ACCESS_DENIED_EXTEND" {
            ApiError::new(
                e.status,
                "ACCESS_ERROR",
                "It is forbidden to add users to this chat",
            )
        } else {
            e
        }
    })
}

/// `imbot.chat.user.delete`: docs .../outdated/chats/imbot-chat-user-delete.md
pub async fn chat_user_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    chat_id(p)?;
    super::im_chat::user_delete(&bot, p).await.map_err(|e| {
        if e.code == "ACCESS_DENIED_KICK" || e.code == "USER_NOT_FOUND" {
            ApiError::param(
                "WRONG_REQUEST",
                "You don't have access or user isn't a member of the chat",
            )
        } else {
            e
        }
    })
}

/// `imbot.chat.user.list`: docs .../outdated/chats/imbot-chat-user-list.md;
/// the members as the bot sees them.
pub async fn chat_user_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    chat_id(p)?;
    super::im_chat::user_list(&bot, p).await
}

/// `imbot.chat.setManager`: docs .../outdated/chats/imbot-chat-set-manager.md.
/// The bot, owning the chat, makes a member a manager (`IS_MANAGER=Y`, the
/// default) or takes it back.
pub async fn chat_set_manager(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    let chat = chat_id(p)?;
    let user = UserId(required_id(p, "USER_ID", None, super::USER_ID_EMPTY)?);
    let manager = p.flag("IS_MANAGER").unwrap_or(true);
    cases::chats::update(
        bot.store(),
        bot.user(),
        chat,
        crate::domain::chats::ChatChange::Managers(vec![user], manager),
    )
    .await
    .map_err(|e| match e {
        crate::domain::Error::ActionUnavailable | crate::domain::Error::NotGroupChat => {
            crate::domain::Error::CannotSetManager.into()
        }
        e => ApiError::from(e),
    })?;
    Ok(Reply::value(true))
}

/// `imbot.chat.setOwner`: docs .../outdated/chats/imbot-chat-set-owner.md
pub async fn chat_set_owner(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    chat_id(p)?;
    super::im_chat::set_owner(&bot, p).await
}

/// `imbot.chat.updateTitle`: docs .../outdated/chats/imbot-chat-update-title.md
pub async fn chat_update_title(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    chat_id(p)?;
    super::im_chat::update_title(&bot, p).await
}

/// `imbot.chat.updateColor`: docs .../outdated/chats/imbot-chat-update-color.md
pub async fn chat_update_color(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    chat_id(p)?;
    super::im_chat::update_color(&bot, p).await
}

/// `imbot.chat.updateAvatar`: docs .../outdated/chats/imbot-chat-update-avatar.md
pub async fn chat_update_avatar(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = as_bot(cx, p).await?;
    chat_id(p)?;
    super::im_chat::update_avatar(&bot, p).await
}

/// `imbot.dialog.get`: docs .../outdated/chats/imbot-dialog-get.md: the
/// same object as `im.dialog.get`, for the caller (the page's example is
/// seen by a member, not by the owning bot).
pub async fn dialog_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    super::im_dialog::get(cx, p).await
}

/// `imbot.command.update`: docs .../outdated/commands/imbot-command-update.md.
/// `FIELDS`: `COMMAND`, `EVENT_COMMAND_ADD`, `HIDDEN`, `EXTRANET_SUPPORT`,
/// `LANG` (replaces every translation); `CLIENT_ID` there names the
/// application, as at the top level.
pub async fn command_update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    use crate::domain::bots::{command_name, valid_handler, CommandChanges, CommandError};
    use crate::domain::Error;
    let fields = p.get("FIELDS");
    let app = client_id(cx, p).or_else(|| cx.app(field(fields, "CLIENT_ID").and_then(scalar_text)));
    let id = p.positive_id("COMMAND_ID").unwrap_or(0);
    let command = cases::bots::own_command(cx.store(), app.as_deref(), id).await?;
    let flag = |key: &str| field(fields, key).map(crate::protocol::params::truthy);
    let mut changes = CommandChanges {
        hidden: flag("HIDDEN"),
        extranet: flag("EXTRANET_SUPPORT"),
        ..CommandChanges::default()
    };
    if let Some(raw) = field(fields, "COMMAND").and_then(scalar_text) {
        changes.command = Some(command_name(&raw).ok_or(Error::from(CommandError::Empty))?);
    }
    if let Some(handler) = field(fields, "EVENT_COMMAND_ADD").and_then(scalar_text) {
        super::handler_allowed(cx, &handler, "EVENT_COMMAND_ADD_ERROR").await?;
        if !valid_handler(handler.trim()) {
            return Err(Error::from(CommandError::HandlerInvalid).into());
        }
        changes.handler = Some(handler.trim().to_owned());
    }
    if let Some(lang) = field(fields, "LANG").filter(|v| v.is_array() || v.is_object()) {
        changes.lang = Some(langs_of(Some(lang)));
    }
    if changes.is_empty() {
        return Err(ApiError::param(
            "WRONG_REQUEST",
            "Update fields can't be empty",
        ));
    }
    match cx.store().update_command(command.id, changes).await? {
        crate::domain::bots::CommandUpdated::Done => Ok(Reply::value(true)),
        crate::domain::bots::CommandUpdated::NotFound => {
            Err(Error::from(CommandError::NotFound).into())
        }
        crate::domain::bots::CommandUpdated::Taken => {
            Err(ApiError::param("WRONG_REQUEST", "Command can't be updated"))
        }
    }
}
