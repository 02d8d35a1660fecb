//! `im.chat.*`: docs api-reference/chats/im-chat-add.md, im-chat-get.md,
//! api-reference/chats/chat-users/ and api-reference/chats/chat-update/.

use serde_json::{json, Value};

use super::ctx::Ctx;
use super::{
    dialog_id, required_id, too_many_users, CHAT_ID_EMPTY, DIALOG_ID_EMPTY, USER_ID_EMPTY,
};
use crate::domain::cases;
use crate::domain::chats::{self, ChatChange, ChatKind, Color, NewChat};
use crate::domain::files::{image_extension, image_size, MAX_AVATAR_SIDE, MAX_FILE_BYTES};
use crate::domain::{ChatId, DialogRef, Timestamp, UserId};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{intval, Params};

/// Positive user ids from a list parameter; anything else in it is skipped.
/// The distinct user ids of a list parameter; more than `limit` named is
/// refused before any of them is looked at.
fn user_ids(p: &Params, name: &str, limit: usize) -> Result<Vec<UserId>, ApiError> {
    user_ids_of(p.get(name), limit)
}

/// The distinct user ids of a list value (`userIds`), in the order given;
/// more than `limit` named is refused before any of them is looked at.
pub(super) fn user_ids_of(v: Option<&Value>, limit: usize) -> Result<Vec<UserId>, ApiError> {
    let listed = crate::protocol::params::list_of(v).unwrap_or_default();
    if listed.len() > limit {
        return Err(too_many_users(limit));
    }
    let mut ids: Vec<UserId> = listed
        .iter()
        .filter_map(|v| UserId::new(intval(v)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    Ok(ids)
}

/// `im.chat.add`: docs api-reference/chats/im-chat-add.md
pub async fn add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let mut new = new_chat(cx, p, cx.user())?;
    new.avatar = new_chat_avatar(cx, p.str("AVATAR")).await?;
    let id = cases::chats::create(cx.store(), new).await?;
    Ok(Reply::value(id.0))
}

/// The chat `im.chat.add` and `imbot.chat.add` describe, owned by `owner`.
pub(super) fn new_chat(cx: &Ctx, p: &Params, owner: UserId) -> Result<NewChat, ApiError> {
    if let Some(users) = p.get("USERS") {
        if !users.is_array() && !users.is_object() {
            return Err(ApiError::param(
                "USERS_EMPTY",
                "Please select users before creating a new chat",
            ));
        }
    }
    let kind = match p.str("TYPE") {
        Some(t) if t.eq_ignore_ascii_case("OPEN") => ChatKind::Open,
        _ => ChatKind::Closed,
    };
    Ok(NewChat {
        kind,
        owner,
        users: user_ids(p, "USERS", cx.state.config.limits.max_users_per_call)?,
        title: p.str("TITLE"),
        description: p.str("DESCRIPTION").unwrap_or_default(),
        color: p.str("COLOR").as_deref().and_then(Color::parse),
        entity_type: p.str("ENTITY_TYPE").unwrap_or_default(),
        entity_id: p.str("ENTITY_ID").unwrap_or_default(),
        first_message: p.str("MESSAGE").filter(|m| !m.trim().is_empty()),
        created_at: Timestamp::now(),
        avatar: None,
    })
}

/// A picture (`AVATAR`, `fields.avatar`: Base64, PNG/GIF/JPEG, at most
/// 5000x5000) checked.
pub(super) fn avatar_image(raw: &str) -> Result<(Vec<u8>, &'static str), ApiError> {
    let wrong_type = || ApiError::param("AVATAR_ERROR", "Avatar incorrect type");
    if raw.len() / 4 * 3 > MAX_FILE_BYTES {
        return Err(wrong_type());
    }
    let bytes = super::im_file::decode_base64(raw).ok_or_else(wrong_type)?;
    let extension = image_extension(&bytes).ok_or_else(wrong_type)?;
    let (width, height) = image_size(&bytes).ok_or_else(wrong_type)?;
    if width > MAX_AVATAR_SIDE || height > MAX_AVATAR_SIDE {
        return Err(ApiError::param(
            "AVATAR_ERROR",
            "Avatar incorrect size (max 5000x5000)",
        ));
    }
    Ok((bytes, extension))
}

/// The picture of a new chat (`AVATAR` of `im.chat.add` / `imbot.chat.add`,
/// `fields.avatar` of `imbot.v2.Chat.add`): kept, and named for the new
/// chat; one that is not a usable image is left out (the pages document no
/// error for it).
pub(super) async fn new_chat_avatar(
    cx: &Ctx,
    raw: Option<String>,
) -> Result<Option<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let Ok((bytes, extension)) = avatar_image(&raw) else {
        return Ok(None);
    };
    Ok(Some(
        cases::chats::keep_avatar(cx.store(), bytes, extension).await?,
    ))
}

/// `im.chat.get`: docs api-reference/chats/im-chat-get.md
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let entity_type = p.str("ENTITY_TYPE").unwrap_or_default();
    let entity_id = p.str("ENTITY_ID").unwrap_or_default();
    let found = cases::chats::by_entity(cx.store(), &entity_type, &entity_id).await?;
    Ok(Reply::value(match found {
        Some(id) => json!({"ID": id.0}),
        None => Value::Null,
    }))
}

/// `im.chat.user.add`: docs api-reference/chats/chat-users/im-chat-user-add.md
pub async fn user_add(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = ChatId(required_id(p, "CHAT_ID", None, CHAT_ID_EMPTY)?);
    let users = user_ids(p, "USERS", cx.state.config.limits.max_users_per_call)?;
    cases::chats::add_users(cx.store(), cx.user(), chat, users).await?;
    Ok(Reply::value(true))
}

/// `im.chat.user.delete`: docs api-reference/chats/chat-users/im-chat-user-delete.md
pub async fn user_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = ChatId(required_id(p, "CHAT_ID", None, CHAT_ID_EMPTY)?);
    let user = UserId(required_id(p, "USER_ID", None, USER_ID_EMPTY)?);
    cases::chats::remove_user(cx.store(), cx.user(), chat, user).await?;
    Ok(Reply::value(true))
}

/// `im.chat.user.list`: docs api-reference/chats/chat-users/im-chat-user-list.md
pub async fn user_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = ChatId(required_id(p, "CHAT_ID", None, CHAT_ID_EMPTY)?);
    let members = cases::chats::members(cx.store(), cx.user(), chat).await?;
    Ok(Reply::value(
        members.iter().map(|m| Value::from(m.0)).collect::<Vec<_>>(),
    ))
}

/// `im.chat.leave`: docs api-reference/chats/chat-users/im-chat-leave.md
pub async fn leave(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = ChatId(required_id(p, "CHAT_ID", None, CHAT_ID_EMPTY)?);
    cases::chats::leave(cx.store(), cx.user(), chat).await?;
    Ok(Reply::value(true))
}

/// The group chat a chat-update method names: `CHAT_ID` (a number; `chat12`
/// is refused), or `DIALOG_ID` as `chatXXX` (a private dialog is refused).
fn group_chat(p: &Params) -> Result<ChatId, ApiError> {
    if !p.has("CHAT_ID") && p.has("DIALOG_ID") {
        return match dialog_id(p)? {
            DialogRef::Chat(id) => Ok(id),
            DialogRef::User(_) => Err(ApiError::param(DIALOG_ID_EMPTY.0, DIALOG_ID_EMPTY.1)),
        };
    }
    Ok(ChatId(required_id(p, "CHAT_ID", None, CHAT_ID_EMPTY)?))
}

/// `im.chat.updateTitle`: docs api-reference/chats/chat-update/im-chat-update-title.md
pub async fn update_title(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = group_chat(p)?;
    let title = chats::title(&p.str("TITLE").unwrap_or_default())?;
    cases::chats::update(cx.store(), cx.user(), chat, ChatChange::Title(title)).await?;
    Ok(Reply::value(true))
}

/// `im.chat.updateColor`: docs api-reference/chats/chat-update/im-chat-update-color.md
pub async fn update_color(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = group_chat(p)?;
    let color = p
        .str("COLOR")
        .as_deref()
        .and_then(Color::parse)
        .ok_or(crate::domain::Error::WrongColor)?;
    cases::chats::update(cx.store(), cx.user(), chat, ChatChange::Color(color)).await?;
    Ok(Reply::value(true))
}

/// `im.chat.updateAvatar`: docs api-reference/chats/chat-update/im-chat-update-avatar.md.
/// `AVATAR`: a PNG, GIF or JPEG image as Base64, at most 5000x5000
/// (`AVATAR_ERROR`); any member sets it (`ACCESS_DENIED` for others,
/// `WRONG_REQUEST` for a chat that does not exist). The chat's `avatar`
/// then is its address under `/upload/avatar/`.
pub async fn update_avatar(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = group_chat(p)?;
    let (bytes, extension) = avatar_image(&p.str("AVATAR").unwrap_or_default())?;
    cases::chats::set_avatar(cx.store(), cx.user(), chat, bytes, extension).await?;
    Ok(Reply::value(true))
}

/// `im.chat.setOwner`: docs api-reference/chats/chat-update/im-chat-set-owner.md
pub async fn set_owner(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = group_chat(p)?;
    let user = UserId(required_id(p, "USER_ID", None, USER_ID_EMPTY)?);
    cases::chats::update(cx.store(), cx.user(), chat, ChatChange::Owner(user)).await?;
    Ok(Reply::value(true))
}

/// `im.chat.mute`: docs api-reference/chats/special-operations/im-chat-mute.md
/// `CHAT_ID`, or `DIALOG_ID` (`chatN` or a user's id for the private dialog);
/// `MUTE` `Y` (the default) or `N`.
pub async fn mute(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let dialog = if !p.has("CHAT_ID") && p.has("DIALOG_ID") {
        dialog_id(p)?
    } else {
        DialogRef::Chat(ChatId(required_id(p, "CHAT_ID", None, CHAT_ID_EMPTY)?))
    };
    let muted = p.flag("MUTE").unwrap_or(true);
    cases::chats::mute(cx.store(), cx.user(), dialog, muted).await?;
    Ok(Reply::value(true))
}
