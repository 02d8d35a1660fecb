//! Chat use cases: create, open a dialog, read access, members, join and leave.

use crate::domain::chats::*;
use crate::domain::live::Update;
use crate::domain::store::{ChatUpdated, MembershipOutcome, Store};
use crate::domain::{ChatId, DialogRef, Error, Timestamp, UserId};

/// `im.chat.add`: creates the chat with the owner and every named user that
/// exists; unknown ids are skipped, as Bitrix24 does.
pub async fn create(store: &dyn Store, mut new: NewChat) -> Result<ChatId, Error> {
    if let Some(title) = &new.title {
        if title.chars().count() > MAX_TITLE_CHARS {
            new.title = Some(title.chars().take(MAX_TITLE_CHARS).collect());
        }
    }
    if new.description.chars().count() > MAX_DESCRIPTION_CHARS {
        new.description = new
            .description
            .chars()
            .take(MAX_DESCRIPTION_CHARS)
            .collect();
    }
    if let Some(text) = &new.first_message {
        crate::domain::messages::check_text(text)?;
    }
    Ok(store.create_chat(new).await?)
}

/// The chat a dialog names, without opening one: `chatN` is chat N (whether
/// the caller may see it is for the caller to check); a user id is the
/// private dialog with that user, `None` if it was never opened. A user who
/// does not exist is `NoDialogAccess`.
pub async fn dialog_chat(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
) -> Result<Option<ChatId>, Error> {
    match dialog {
        DialogRef::Chat(id) => Ok(Some(id)),
        DialogRef::User(other) => {
            if store.user(other).await?.is_none() {
                return Err(Error::NoDialogAccess);
            }
            Ok(store.private_chat(caller, other).await?)
        }
    }
}

/// Resolves a dialog for reading: the chat, if the caller may see it.
/// A private dialog that has never been opened has no chat yet: `Ok(None)`.
pub async fn readable(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
) -> Result<Option<Chat>, Error> {
    let Some(id) = dialog_chat(store, caller, dialog).await? else {
        return Ok(None);
    };
    let chat = store.chat(id).await?.ok_or(Error::NoDialogAccess)?;
    if !chat.is_member(caller) {
        return Err(Error::NoDialogAccess);
    }
    Ok(Some(chat))
}

/// `im.dialog.get`: the chat behind a dialog, opening a private dialog on
/// first use as Bitrix24 does.
pub async fn open(store: &dyn Store, caller: UserId, dialog: DialogRef) -> Result<Chat, Error> {
    if let DialogRef::User(other) = dialog {
        if store.user(other).await?.is_none() {
            return Err(Error::NoDialogAccess);
        }
        let id = store
            .open_private_chat(caller, other, Timestamp::now())
            .await?;
        return store.chat(id).await?.ok_or(Error::NoDialogAccess);
    }
    readable(store, caller, dialog)
        .await?
        .ok_or(Error::NoDialogAccess)
}

/// `im.chat.user.list`: the members, or nothing for a caller outside the chat.
pub async fn members(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
) -> Result<Vec<UserId>, Error> {
    match store.chat(chat).await? {
        Some(c) if c.is_member(caller) => Ok(c.members),
        _ => Ok(Vec::new()),
    }
}

/// `im.chat.get`: the chat bound to an external entity, if any.
pub async fn by_entity(
    store: &dyn Store,
    entity_type: &str,
    entity_id: &str,
) -> Result<Option<ChatId>, Error> {
    if entity_type.is_empty() || entity_id.is_empty() {
        return Ok(None);
    }
    Ok(store.chat_by_entity(entity_type, entity_id).await?)
}

/// `im.chat.user.add`: any member of a group chat may add people. Naming
/// only people who are members already changes nothing and succeeds, as on
/// portals; naming nobody who exists is an error.
pub async fn add_users(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    users: Vec<UserId>,
) -> Result<(), Error> {
    match store
        .add_members(chat, caller, users.clone(), Timestamp::now())
        .await?
    {
        MembershipOutcome::Done => Ok(()),
        MembershipOutcome::NotAllowed => Err(Error::CannotAddUsers),
        MembershipOutcome::Unchanged => {
            // Nobody was added: everyone named exists (so is a member), or
            // someone named does not exist.
            let mut named = users;
            named.sort_unstable();
            named.dedup();
            let found = store.users(named.clone()).await?;
            if !named.is_empty() && found.len() == named.len() {
                Ok(())
            } else {
                Err(Error::NoUsersAdded)
            }
        }
        MembershipOutcome::PrivateChat => Err(Error::ActionUnavailable),
    }
}

/// `im.chat.user.delete`: the owner removes a member.
pub async fn remove_user(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    user: UserId,
) -> Result<(), Error> {
    match store
        .remove_member(chat, caller, user, Timestamp::now())
        .await?
    {
        MembershipOutcome::Done => Ok(()),
        MembershipOutcome::NotAllowed => Err(Error::CannotKick),
        MembershipOutcome::Unchanged => Err(Error::UserNotInChat),
        MembershipOutcome::PrivateChat => Err(Error::ActionUnavailable),
    }
}

/// `im.chat.leave`: the caller removes itself.
pub async fn leave(store: &dyn Store, caller: UserId, chat: ChatId) -> Result<(), Error> {
    match store
        .remove_member(chat, caller, caller, Timestamp::now())
        .await?
    {
        MembershipOutcome::Done => Ok(()),
        MembershipOutcome::NotAllowed | MembershipOutcome::Unchanged => Err(Error::CannotLeave),
        MembershipOutcome::PrivateChat => Err(Error::ActionUnavailable),
    }
}

/// `im.chat.updateTitle`, `im.chat.updateColor`, `im.chat.setOwner`: `caller`
/// (a member) changes group chat `chat`.
pub async fn update(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    change: ChatChange,
) -> Result<(), Error> {
    let color = matches!(change, ChatChange::Color(_));
    let avatar = matches!(change, ChatChange::Avatar(_));
    let manager = matches!(change, ChatChange::Managers(..));
    match store.update_chat(chat, caller, change).await? {
        ChatUpdated::Done => Ok(()),
        ChatUpdated::NoChat if avatar => Err(Error::NoSuchChat),
        ChatUpdated::NotMember if avatar => Err(Error::AccessDenied),
        // updateColor names a missing chat in its WRONG_REQUEST.
        ChatUpdated::NoChat if color => Err(Error::ColorUnchanged),
        ChatUpdated::NoChat | ChatUpdated::NotMember => Err(Error::ActionUnavailable),
        ChatUpdated::PrivateChat => Err(Error::NotGroupChat),
        ChatUpdated::Unchanged => Err(Error::ColorUnchanged),
        ChatUpdated::NotOwner if manager => Err(Error::CannotSetManager),
        ChatUpdated::NotOwner => Err(Error::CannotSetOwner),
    }
}

/// `im.chat.mute`: the caller turns a chat's notifications off (`true`) or on.
pub async fn mute(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
    muted: bool,
) -> Result<(), Error> {
    let Some(chat) = dialog_chat(store, caller, dialog).await? else {
        return Err(Error::CannotMute);
    };
    if store.set_muted(chat, caller, muted).await? {
        Ok(())
    } else {
        Err(Error::CannotMute)
    }
}

/// `im.dialog.writing`: `caller` tells the dialog's members they are
/// typing. Allowed to a member of the chat, or (a private dialog, opened or
/// not) for another existing user; nothing is stored.
pub async fn writing(store: &dyn Store, caller: UserId, dialog: DialogRef) -> Result<(), Error> {
    let chat = match dialog {
        DialogRef::User(other) => match store.user(other).await? {
            Some(_) => store.private_chat(caller, other).await?,
            None => return Err(Error::ActionUnavailable),
        },
        DialogRef::Chat(id) => match store.chat(id).await? {
            Some(chat) if chat.is_member(caller) => Some(id),
            _ => return Err(Error::ActionUnavailable),
        },
    };
    if let Some(chat) = chat {
        typing(store, chat, caller).await?;
    }
    Ok(())
}

/// Tells `chat`'s members that `user` is typing (at most every two seconds).
pub async fn typing(store: &dyn Store, chat: ChatId, user: UserId) -> Result<(), Error> {
    if !store.feed().typing_due(chat.0, user.0) {
        return Ok(());
    }
    store
        .announce(vec![Update::Typing {
            chat: chat.0,
            user: user.0,
        }])
        .await?;
    Ok(())
}

/// `im.chat.updateAvatar`: keeps the picture's content, then sets it on a
/// group chat the caller is in.
pub async fn set_avatar(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    bytes: Vec<u8>,
    extension: &str,
) -> Result<(), Error> {
    // Checked first, so a caller outside the chat stores nothing.
    match store.chat(chat).await? {
        None => return Err(Error::NoSuchChat),
        Some(c) if !c.is_member(caller) => return Err(Error::AccessDenied),
        Some(_) => {}
    }
    let name = keep_avatar(store, bytes, extension).await?;
    update(store, caller, chat, ChatChange::Avatar(name)).await
}

/// Keeps a picture's content for a new chat; its stored name.
pub async fn keep_avatar(
    store: &dyn Store,
    bytes: Vec<u8>,
    extension: &str,
) -> Result<String, Error> {
    let hash = crate::domain::files::content_hash(&bytes);
    store
        .put_file_content(hash.clone(), std::sync::Arc::new(bytes))
        .await?;
    Ok(format!("{hash}.{extension}"))
}

/// A stored chat picture by its name, if it is one: what `/upload/avatar/`
/// serves to anyone (as portals serve their upload folder).
pub async fn avatar(store: &dyn Store, name: &str) -> Result<Option<Vec<u8>>, Error> {
    // Only a well-formed name reaches the store (this is served to anyone).
    let Some((hash, ext)) = name.split_once('.') else {
        return Ok(None);
    };
    let hex = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hex || !matches!(ext, "png" | "gif" | "jpg") {
        return Ok(None);
    }
    if !store.is_avatar(name.to_owned()).await? {
        return Ok(None);
    }
    Ok(store.file_content(hash.to_owned()).await?)
}
