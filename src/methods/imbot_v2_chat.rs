//! `imbot.v2.Chat.*`: docs api-reference/chat-bots/chat-bots-v2/imbot.v2/
//! chats/, messages/ (`get`, `read`, `getContext`) and ui/. The bot acts
//! with the messenger's own chat rules; what the bot may not do answers
//! `ACCESS_DENIED`, as every page lists it.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::ctx::Ctx;
use super::imbot_v2::{access_denied as denied, acting_bot, message_id};
use super::views;
use super::{DIALOG_ID_EMPTY, USER_ID_EMPTY};
use crate::domain::bots::{Bot, BotType};
use crate::domain::chats::{self, Chat, ChatChange, ChatKind, Color, NewChat};
use crate::domain::events::UserSnapshot;
use crate::domain::messages::{Message, Page};
use crate::domain::users::User;
use crate::domain::{cases, ChatId, DialogRef, Error, MessageId, Timestamp, UserId};
use crate::events::payload::v2_user;
use crate::protocol::envelope::{iso_date, Reply};
use crate::protocol::error::ApiError;
use crate::protocol::params::{field, field_text, intval, scalar_text, truthy, Params};

/// A refusal of the messenger's rules is the pages' `ACCESS_DENIED`; a
/// store failure stays what it is.
fn denied_unless_store(e: Error) -> ApiError {
    match e {
        Error::Store(_) => ApiError::from(e),
        _ => denied(),
    }
}

fn done() -> Reply {
    Reply::value(json!({"result": true}))
}

/// The chat `dialogId` names, as the bot has it: `chatN`, or the private
/// dialog with user N (which must exist already). `ACCESS_DENIED` when the
/// bot is not in it.
async fn bot_chat(cx: &Ctx, bot: &Bot, p: &Params) -> Result<Chat, ApiError> {
    let dialog = p
        .str("dialogId")
        .and_then(|d| DialogRef::parse(&d))
        .ok_or_else(|| ApiError::param(DIALOG_ID_EMPTY.0, DIALOG_ID_EMPTY.1))?;
    match cases::chats::readable(cx.store(), bot.id, dialog).await {
        Ok(Some(chat)) => Ok(chat),
        Ok(None) | Err(Error::NoDialogAccess) => Err(denied()),
        Err(e) => Err(e.into()),
    }
}

/// Like [`bot_chat`], for the methods that take group chats only.
async fn bot_group_chat(cx: &Ctx, bot: &Bot, p: &Params) -> Result<Chat, ApiError> {
    let chat = bot_chat(cx, bot, p).await?;
    if chat.kind == ChatKind::Private {
        return Err(denied());
    }
    Ok(chat)
}

/// A user as the v2 pages show one.
pub fn user_view(u: &User) -> Value {
    v2_user(
        &UserSnapshot {
            id: u.id.0,
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            work_position: u.profile.get("WORK_POSITION").cloned().unwrap_or_default(),
            bot: u.bot,
            departments: u.departments.clone(),
        },
        u.created_at.0,
    )
}

/// The brief user of `Chat.Message.get` and `getContext`.
fn brief_user(u: &User) -> Value {
    json!({
        "id": u.id.0,
        "active": u.active,
        "name": crate::domain::users::display_name(&u.first_name, &u.last_name),
        "bot": u.bot,
        "type": if u.bot { "bot" } else { "employee" },
    })
}

/// The v2 `Message` object.
pub fn message_view(m: &Message, viewed_by_others: bool) -> Value {
    json!({
        "id": m.id.0,
        "chatId": m.chat.0,
        "authorId": m.author.map_or(0, |a| a.0),
        "date": iso_date(m.date),
        "text": m.text,
        "isSystem": m.author.is_none(),
        "uuid": "",
        "forward": null,
        "params": super::views::stored_params(m),
        "viewedByOthers": viewed_by_others,
    })
}

/// The full v2 `Chat` object of method answers, as `viewer` sees it.
pub fn chat_view(cx: &Ctx, c: &Chat, viewer: UserId) -> Value {
    let private = c.kind == ChatKind::Private;
    let last_id = c
        .reads
        .iter()
        .find(|(u, ..)| *u == viewer)
        .map(|(_, last, _)| *last);
    let managers: Vec<i64> = if private {
        Vec::new()
    } else {
        c.managers.iter().map(|m| m.0).collect()
    };
    json!({
        "id": c.id.0,
        "dialogId": c.dialog_id_for(viewer),
        "name": c.title,
        "description": c.description,
        "type": match c.kind {
            ChatKind::Private => "private",
            ChatKind::Open => "open",
            _ => "chat",
        },
        "messageType": c.kind.code(),
        "owner": c.owner.0,
        "color": c.color.hex(),
        "avatar": views::avatar_url(c, &cx.state.config.delivery.public_url),
        "extranet": false,
        "containsCollaber": false,
        "entityType": c.entity_type,
        "entityId": c.entity_id,
        "entityData1": "",
        "entityData2": "",
        "entityData3": "",
        "entityLink": {},
        "diskFolderId": null,
        "role": c.role_of(viewer),
        "permissions": {},
        "muteList": c.muted.iter().map(|u| u.0).collect::<Vec<_>>(),
        "parentChatId": null,
        "parentMessageId": null,
        "isNew": false,
        "textFieldEnabled": if c.text_field_enabled { "Y" } else { "N" },
        "backgroundId": null,
        "dateCreate": iso_date(c.created_at),
        "lastMessageId": (c.last_message_id > 0).then_some(c.last_message_id),
        "lastMessageViews": "{}",
        "lastId": last_id,
        "managerList": managers,
        "markedId": null,
        "messageCount": c.message_count,
        "public": "",
        "unreadId": null,
        "userCounter": c.members.len(),
    })
}

/// `imbot.v2.Chat.add`: docs .../chats/chat-add.md. The bot creates a group
/// chat and owns it unless `fields.ownerId` names someone else.
pub async fn add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let f = p.get("fields");
    let limit = cx.state.config.limits.max_users_per_call;
    let mut users = super::im_chat::user_ids_of(field(f, "userIds"), limit)?;
    let owner = field(f, "ownerId").and_then(|v| UserId::new(intval(v)));
    if let Some(o) = owner {
        if !users.contains(&o) {
            users.push(o);
        }
    }
    let avatar = field(f, "avatar")
        .and_then(scalar_text)
        .filter(|raw| !raw.is_empty());
    let avatar = super::im_chat::new_chat_avatar(cx, avatar).await?;
    let new = NewChat {
        kind: ChatKind::Closed,
        owner: bot.id,
        users,
        title: field(f, "title").and_then(scalar_text),
        description: field_text(f, "description"),
        color: field(f, "color")
            .and_then(scalar_text)
            .and_then(|c| Color::parse(&c)),
        entity_type: String::new(),
        entity_id: String::new(),
        first_message: field(f, "message")
            .and_then(scalar_text)
            .filter(|m| !m.trim().is_empty()),
        created_at: Timestamp::now(),
        avatar,
    };
    let id = cases::chats::create(cx.store(), new).await?;
    if let Some(o) = owner.filter(|o| *o != bot.id) {
        // Someone who does not exist never became a member: the bot keeps it.
        match cases::chats::update(cx.store(), bot.id, id, ChatChange::Owner(o)).await {
            Ok(()) | Err(Error::CannotSetOwner) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let chat = cx.store().chat(id).await?.ok_or_else(denied)?;
    let members = cx.store().users(chat.members.clone()).await?;
    Ok(Reply::value(json!({
        "chat": chat_view(cx, &chat, bot.id),
        "users": members.iter().map(user_view).collect::<Vec<_>>(),
    })))
}

/// `imbot.v2.Chat.get`: docs .../chats/chat-get.md
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_chat(cx, &bot, p).await?;
    Ok(Reply::value(json!({"chat": chat_view(cx, &chat, bot.id)})))
}

/// `imbot.v2.Chat.update`: docs .../chats/chat-update.md. `fields.title`,
/// `description`, `color` (a colour code; an unknown one is ignored) and
/// `avatar`, in that order; a private dialog cannot be changed.
pub async fn update(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_group_chat(cx, &bot, p).await?;
    let f = p.get("fields");
    // Everything is checked before anything changes.
    let avatar = match field(f, "avatar").and_then(scalar_text) {
        Some(raw) => Some(super::im_chat::avatar_image(&raw)?),
        None => None,
    };
    let mut changes = Vec::new();
    if let Some(title) = field(f, "title").and_then(scalar_text) {
        changes.push(ChatChange::Title(chats::title(&title)?));
    }
    if let Some(text) = field(f, "description").and_then(scalar_text) {
        changes.push(ChatChange::Description(text));
    }
    if let Some(color) = field(f, "color")
        .and_then(scalar_text)
        .and_then(|c| Color::parse(&c))
    {
        if color != chat.color {
            changes.push(ChatChange::Color(color));
        }
    }
    for change in changes {
        cases::chats::update(cx.store(), bot.id, chat.id, change)
            .await
            .map_err(|e| match e {
                Error::TitleEmpty => ApiError::from(e),
                e => denied_unless_store(e),
            })?;
    }
    if let Some((bytes, extension)) = avatar {
        cases::chats::set_avatar(cx.store(), bot.id, chat.id, bytes, extension).await?;
    }
    Ok(done())
}

/// `imbot.v2.Chat.leave`: docs .../chats/chat-leave.md
pub async fn leave(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_group_chat(cx, &bot, p).await?;
    cases::chats::leave(cx.store(), bot.id, chat.id)
        .await
        .map_err(denied_unless_store)?;
    Ok(done())
}

/// `imbot.v2.Chat.setOwner`: docs .../chats/chat-set-owner.md
pub async fn set_owner(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_group_chat(cx, &bot, p).await?;
    let user = p
        .positive_id("userId")
        .map(UserId)
        .ok_or_else(|| ApiError::param(USER_ID_EMPTY.0, USER_ID_EMPTY.1))?;
    if chat.owner != bot.id {
        return Err(denied());
    }
    cases::chats::update(cx.store(), bot.id, chat.id, ChatChange::Owner(user))
        .await
        .map_err(denied_unless_store)?;
    Ok(done())
}

/// The bot administers the chat: it owns it or is one of its managers.
fn administers(chat: &Chat, bot: &Bot) -> bool {
    chat.owner == bot.id || chat.managers.contains(&bot.id)
}

/// `imbot.v2.Chat.User.add`: docs .../chats/chat-user-add.md. Users who do
/// not exist, or are members already, are passed over.
pub async fn user_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_group_chat(cx, &bot, p).await?;
    if !administers(&chat, &bot) {
        return Err(denied());
    }
    let users =
        super::im_chat::user_ids_of(p.get("userIds"), cx.state.config.limits.max_users_per_call)?;
    match cases::chats::add_users(cx.store(), bot.id, chat.id, users).await {
        Ok(()) | Err(Error::NoUsersAdded) => Ok(done()),
        Err(e) => Err(denied_unless_store(e)),
    }
}

/// `imbot.v2.Chat.User.delete`: docs .../chats/chat-user-delete.md. A user
/// who is no member: `true` all the same.
pub async fn user_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_group_chat(cx, &bot, p).await?;
    if !administers(&chat, &bot) {
        return Err(denied());
    }
    let user = p
        .positive_id("userId")
        .map(UserId)
        .ok_or_else(|| ApiError::param(USER_ID_EMPTY.0, USER_ID_EMPTY.1))?;
    if !chat.is_member(user) {
        return Ok(done());
    }
    match cases::chats::remove_user(cx.store(), bot.id, chat.id, user).await {
        Ok(()) | Err(Error::UserNotInChat) => Ok(done()),
        Err(e) => Err(denied_unless_store(e)),
    }
}

/// `imbot.v2.Chat.User.list`: docs .../chats/chat-user-list.md. `limit`
/// 1..200 (50); `order` by `id`/`userId` (`ASC`, `DESC`), else join order.
pub async fn user_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_group_chat(cx, &bot, p).await?;
    let limit = p.intval("limit").unwrap_or(50).clamp(1, 200) as usize;
    let mut members = chat.members.clone();
    let order = p.get("order").and_then(Value::as_object).and_then(|o| {
        o.iter()
            .find(|(k, _)| matches!(k.as_str(), "id" | "userId"))
            .and_then(|(_, v)| v.as_str())
            .map(|v| v.eq_ignore_ascii_case("DESC"))
    });
    match order {
        Some(true) => members.sort_unstable_by(|a, b| b.cmp(a)),
        Some(false) => members.sort_unstable(),
        None => {}
    }
    members.truncate(limit);
    let users = cx.store().users(members.clone()).await?;
    // In the order asked for (the store answers by id).
    let list: Vec<Value> = members
        .iter()
        .filter_map(|m| users.iter().find(|u| u.id == *m))
        .map(user_view)
        .collect();
    Ok(Reply::value(Value::Array(list)))
}

async fn managers(cx: &Ctx, p: &Params, manager: bool) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let users =
        super::im_chat::user_ids_of(p.get("userIds"), cx.state.config.limits.max_users_per_call)?;
    if users.is_empty() {
        return Err(ApiError::param("EMPTY_USER_IDS", "Empty user IDs"));
    }
    let chat = bot_group_chat(cx, &bot, p).await?;
    if chat.owner != bot.id {
        return Err(denied());
    }
    // Users who are no members are passed over, as the page says.
    let members: Vec<UserId> = users.into_iter().filter(|u| chat.is_member(*u)).collect();
    if members.is_empty() {
        return Ok(done());
    }
    cases::chats::update(
        cx.store(),
        bot.id,
        chat.id,
        ChatChange::Managers(members, manager),
    )
    .await
    .map_err(denied_unless_store)?;
    Ok(done())
}

/// `imbot.v2.Chat.Manager.add`: docs .../chats/chat-manager-add.md
pub async fn manager_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    managers(cx, p, true).await
}

/// `imbot.v2.Chat.Manager.delete`: docs .../chats/chat-manager-delete.md
pub async fn manager_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    managers(cx, p, false).await
}

/// Supervisors and personal assistants read messages; other bots may not.
fn reads_history(bot: &Bot) -> Result<(), ApiError> {
    match bot.kind {
        BotType::Supervisor | BotType::Personal => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "BOT_TYPE_NOT_ALLOWED",
            "Bot type not allowed",
        )),
    }
}

fn message_not_found() -> ApiError {
    ApiError::param("MESSAGE_NOT_FOUND", "Message not found")
}

fn message_denied() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "MESSAGE_ACCESS_DENIED",
        "Message access denied",
    )
}

/// The chat of `id` and a page of it as the bot reads it.
async fn page_of(
    cx: &Ctx,
    bot: &Bot,
    id: MessageId,
    page: Page,
) -> Result<(ChatId, crate::domain::store::HistoryPage), ApiError> {
    let chat = cx
        .store()
        .message_chat(id)
        .await?
        .ok_or_else(message_not_found)?;
    let page = cx
        .store()
        .history(chat, bot.id, page)
        .await?
        .ok_or_else(message_denied)?;
    Ok((chat, page))
}

/// Whether anyone but its author has read `m` (the chat's read marks).
fn viewed_by_others(chat: Option<&Chat>, m: &Message) -> bool {
    chat.is_some_and(|c| {
        c.reads
            .iter()
            .any(|(u, last, _)| Some(*u) != m.author && *last >= m.id.0)
    })
}

/// `imbot.v2.Chat.Message.get`: docs .../messages/chat-message-get.md
/// (supervisor and personal bots only).
pub async fn message_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    reads_history(&bot)?;
    let id = message_id(p)?;
    let (chat, page) = page_of(
        cx,
        &bot,
        id,
        Page::Before {
            before: id.0 + 1,
            limit: 1,
        },
    )
    .await?;
    let message = page
        .messages
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(message_not_found)?;
    let chat = cx.store().chat(chat).await?;
    let author = message
        .author
        .and_then(|a| page.authors.iter().find(|u| u.id == a));
    Ok(Reply::value(json!({
        "message": message_view(&message, viewed_by_others(chat.as_ref(), &message)),
        "user": author.map_or(Value::Null, brief_user),
    })))
}

/// `imbot.v2.Chat.Message.getContext`: docs .../messages/chat-message-get-context.md.
/// Up to `range` (1..50, 50) messages each side of `messageId`, oldest
/// first, the message itself among them.
pub async fn message_context(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    reads_history(&bot)?;
    let id = message_id(p)?;
    let range = p.intval("range").unwrap_or(50).clamp(1, 50) as u32;
    // One more each way tells whether there is more beyond the window.
    let (chat, before) = page_of(
        cx,
        &bot,
        id,
        Page::Before {
            before: id.0 + 1,
            limit: range + 2,
        },
    )
    .await?;
    if !before.messages.iter().any(|m| m.id == id) {
        return Err(message_not_found());
    }
    let (_, after) = page_of(
        cx,
        &bot,
        id,
        Page::After {
            after: id.0,
            limit: range + 1,
        },
    )
    .await?;
    let mut older: Vec<Message> = before.messages;
    older.sort_by_key(|m| m.id);
    let has_prev = older.len() > range as usize + 1;
    let skip = older.len().saturating_sub(range as usize + 1);
    let mut newer: Vec<Message> = after.messages;
    newer.sort_by_key(|m| m.id);
    let has_next = newer.len() > range as usize;
    newer.truncate(range as usize);
    let chat = cx.store().chat(chat).await?;
    let window: Vec<Message> = older.into_iter().skip(skip).chain(newer).collect();
    let mut authors: Vec<&User> = Vec::new();
    for m in &window {
        if let Some(u) = m.author.and_then(|a| {
            before
                .authors
                .iter()
                .chain(after.authors.iter())
                .find(|u| u.id == a)
        }) {
            if !authors.iter().any(|x| x.id == u.id) {
                authors.push(u);
            }
        }
    }
    Ok(Reply::value(json!({
        "messages": window
            .iter()
            .map(|m| message_view(m, viewed_by_others(chat.as_ref(), m)))
            .collect::<Vec<_>>(),
        "users": authors.into_iter().map(brief_user).collect::<Vec<_>>(),
        "hasPrevPage": has_prev,
        "hasNextPage": has_next,
    })))
}

/// `imbot.v2.Chat.Message.read`: docs .../messages/chat-message-read.md.
/// The bot's read mark moves up to `messageId` (or the end); the answer
/// names the messages this read (at most the 50 after the old mark).
pub async fn message_read(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    use crate::domain::store::ReadMark;
    let bot = acting_bot(cx, p).await?;
    let chat = bot_chat(cx, &bot, p).await?;
    let before = chat
        .reads
        .iter()
        .find(|(u, ..)| *u == bot.id)
        .map_or(0, |(_, last, _)| *last);
    let mark = match p.positive_id("messageId") {
        Some(id) => {
            if cx.store().message_chat(MessageId(id)).await? != Some(chat.id) {
                return Err(message_not_found());
            }
            ReadMark::UpTo(MessageId(id))
        }
        None => ReadMark::All,
    };
    let state = cx
        .store()
        .mark_read(chat.id, bot.id, mark, Timestamp::now())
        .await?
        .ok_or_else(denied)?;
    let viewed: Vec<i64> = if state.last_read > before {
        cx.store()
            .history(
                chat.id,
                bot.id,
                Page::After {
                    after: before,
                    limit: 50,
                },
            )
            .await?
            .map(|page| {
                let mut ids: Vec<i64> = page
                    .messages
                    .iter()
                    .filter(|m| m.id.0 <= state.last_read && m.author != Some(bot.id))
                    .map(|m| m.id.0)
                    .collect();
                ids.sort_unstable();
                ids
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Reply::value(json!({
        "chatId": chat.id.0,
        "lastId": state.last_read,
        "counter": state.counter,
        "viewedMessages": viewed,
    })))
}

/// `imbot.v2.Chat.InputAction.notify`: docs .../ui/chat-input-action-notify.md.
/// `statusMessageCode` and `duration` (1..600 s) are checked; the chat's
/// live clients are told the bot is typing.
pub async fn input_action(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_chat(cx, &bot, p).await?;
    if let Some(d) = p.intval("duration") {
        if !(1..=600).contains(&d) {
            return Err(ApiError::param(
                "DURATION_INVALID",
                "Duration must be between 1 and 600 seconds",
            ));
        }
    }
    cases::chats::typing(cx.store(), chat.id, bot.id).await?;
    Ok(done())
}

/// `imbot.v2.Chat.TextField.enabled`: docs .../ui/chat-text-field-enabled.md
/// (shown as the chat's `textFieldEnabled`).
pub async fn text_field(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let bot = acting_bot(cx, p).await?;
    let chat = bot_chat(cx, &bot, p).await?;
    let enabled = p.get("enabled").is_none_or(truthy);
    if !cx.store().set_text_field(chat.id, bot.id, enabled).await? {
        return Err(denied());
    }
    Ok(done())
}

/// `im.v2.Chat.Bot.sendContext` (docs .../chat-bots-v2/imbot.v2/bot-context.md):
/// what a client calls when a user opens a dialog with a bot through a link
/// carrying `BOT_CONTEXT`; the bots (v2) of that dialog get
/// ONIMBOTV2CONTEXTGET with `context`. A private dialog with a bot opens if
/// it was not yet.
pub async fn send_context(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let dialog = p
        .str("dialogId")
        .and_then(|d| DialogRef::parse(&d))
        .ok_or_else(|| ApiError::param(DIALOG_ID_EMPTY.0, DIALOG_ID_EMPTY.1))?;
    let context = match p.get("context") {
        Some(v @ Value::Object(_)) => v.clone(),
        Some(Value::String(s)) => serde_json::from_str(s)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| ApiError::param("CONTEXT_INVALID", "Context must be an object"))?,
        None | Some(Value::Null) => json!({}),
        Some(_) => {
            return Err(ApiError::param(
                "CONTEXT_INVALID",
                "Context must be an object",
            ))
        }
    };
    // A private dialog: only with a v2 bot (nothing else hears a context).
    if let DialogRef::User(other) = dialog {
        let is_v2_bot = cx.store().bot(other).await?.is_some_and(|b| b.v2.is_some());
        if !is_v2_bot {
            return Err(denied());
        }
    }
    let chat = cases::chats::open(cx.store(), cx.user(), dialog)
        .await
        .map_err(denied_unless_store)?;
    cx.store()
        .send_bot_context(chat.id, cx.user(), context, Timestamp::now())
        .await?
        .ok_or_else(denied)?;
    Ok(Reply::value(true))
}
