//! Message use cases: post, edit, delete, a page of history.

use super::chats::dialog_chat;
use crate::domain::message_params::ParamsChange;
use crate::domain::messages::*;
use crate::domain::store::{
    ChatCounter, EditOutcome, HistoryPage, MessageSearch, PostOutcome, ReadMark, ReadState, Store,
};
use crate::domain::{ChatId, DialogRef, Error, MessageId, Timestamp, UserId};

/// `im.message.add`: posts into a group chat the caller belongs to, or into the
/// private dialog with another user (opened on first message). `params`:
/// its keyboard, menu and attachments as stored ([`ParamsChange::new_message`]);
/// a message with attachments may have no text.
pub async fn post(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
    text: &str,
    params: Option<String>,
) -> Result<MessageId, Error> {
    if params.is_none() || !text.trim().is_empty() {
        check_text(text)?;
    }
    let text = text.trim();
    let now = Timestamp::now();
    let chat = match dialog {
        DialogRef::Chat(id) => id,
        DialogRef::User(other) => {
            if store.user(other).await?.is_none() {
                return Err(Error::RecipientNotFound);
            }
            store.open_private_chat(caller, other, now).await?
        }
    };
    match store
        .post_message(chat, caller, text.to_owned(), params, now)
        .await?
    {
        PostOutcome::Posted(id) => Ok(id),
        PostOutcome::NotMember => Err(Error::CannotPost),
        PostOutcome::NoChat => Err(Error::ChatNotFound),
    }
}

/// `im.message.update`: the author changes the text (`None`: keeps it;
/// empty: deletes the message) and the parts `change` names.
pub async fn edit(
    store: &dyn Store,
    caller: UserId,
    message: MessageId,
    text: Option<&str>,
    change: ParamsChange,
) -> Result<(), Error> {
    if text.is_some_and(|t| t.trim().is_empty()) {
        return delete(store, caller, message, false).await;
    }
    if let Some(text) = text {
        check_text(text)?;
    }
    match store
        .edit_message(
            message,
            caller,
            text.map(|t| t.trim().to_owned()),
            change,
            Timestamp::now(),
        )
        .await?
    {
        EditOutcome::Done => Ok(()),
        EditOutcome::NotAllowed => Err(Error::CannotEditMessage),
    }
}

/// Whether `caller` may edit `message` (its author, still a member, the
/// message not deleted): `CannotEditMessage` otherwise.
pub async fn check_editable(
    store: &dyn Store,
    caller: UserId,
    message: MessageId,
) -> Result<(), Error> {
    if store.can_edit_message(message, caller).await? {
        Ok(())
    } else {
        Err(Error::CannotEditMessage)
    }
}

/// `im.message.delete`: the author, or the owner of a group chat, deletes.
/// The message stays in the history, emptied and marked deleted; or
/// (`complete`, `imbot.message.delete`'s `COMPLETE=Y`) it is gone for good,
/// which its author may also ask of a message deleted before.
pub async fn delete(
    store: &dyn Store,
    caller: UserId,
    message: MessageId,
    complete: bool,
) -> Result<(), Error> {
    match store
        .delete_message(message, caller, complete, Timestamp::now())
        .await?
    {
        EditOutcome::Done => Ok(()),
        EditOutcome::NotAllowed => Err(Error::CannotEditMessage),
    }
}

/// `im.dialog.messages.get`: a page of history, newest first, for a member.
/// A private dialog never opened reads as empty with chat id `None`.
pub async fn history(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
    page: Page,
) -> Result<History, Error> {
    // A private dialog not opened yet has no history.
    let Some(chat) = super::chats::dialog_chat(store, caller, dialog).await? else {
        return Ok(History {
            last_read: i64::MAX,
            ..History::default()
        });
    };
    let page = store
        .history(chat, caller, page)
        .await?
        .ok_or(Error::NoDialogAccess)?;
    let mut messages = page.messages;
    messages.sort_by_key(|m| std::cmp::Reverse(m.id));
    Ok(History {
        chat: Some(chat),
        messages,
        authors: page.authors,
        files: page.files,
        last_read: page.last_read,
    })
}

/// `im.dialog.read` / `im.dialog.unread`: moves the caller's read mark in a
/// dialog. `None` when the caller has no such chat (the page's `false`).
pub async fn mark_read(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
    mark: ReadMark,
) -> Result<Option<(ChatId, ReadState)>, Error> {
    let chat = match dialog_chat(store, caller, dialog).await {
        Ok(Some(chat)) => chat,
        Ok(None) | Err(Error::NoDialogAccess) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(store
        .mark_read(chat, caller, mark, Timestamp::now())
        .await?
        .map(|state| (chat, state)))
}

/// `im.counters.get`: the caller's chats with unread messages.
pub async fn counters(store: &dyn Store, caller: UserId) -> Result<Vec<ChatCounter>, Error> {
    Ok(store.counters(caller).await?)
}

/// `im.dialog.read.all`: every chat of the caller read.
pub async fn read_all(store: &dyn Store, caller: UserId) -> Result<(), Error> {
    Ok(store.read_all(caller, Timestamp::now()).await?)
}

/// `im.dialog.messages.search`: matches in a chat the caller is in.
pub async fn search(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    search: MessageSearch,
) -> Result<HistoryPage, Error> {
    store
        .search_messages(chat, caller, search)
        .await?
        .ok_or(Error::NoChatAccess)
}

/// `im.message.share`: a message the caller sees in `dialog` becomes a new
/// group chat of the caller and its author, opening with the message
/// quoted; `true` once made. Tasks, feed posts and calendar events are
/// not part of b24im: nothing is made, `false`.
pub async fn share(
    store: &dyn Store,
    caller: UserId,
    message: MessageId,
    dialog: DialogRef,
    kind: ShareKind,
) -> Result<bool, Error> {
    let chat = dialog_chat(store, caller, dialog).await?;
    let found = store.visible_message(message, caller).await?;
    let Some(msg) = found.filter(|m| Some(m.chat) == chat) else {
        return Err(Error::NoDialogAccess);
    };
    if kind != ShareKind::Chat {
        return Ok(false);
    }
    let author = match msg.author {
        Some(a) => store.user(a).await?,
        None => None,
    };
    let author_name = author.as_ref().map_or_else(
        || "System".to_owned(),
        crate::domain::users::User::full_name,
    );
    let date = chrono::DateTime::from_timestamp(msg.date.0, 0)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%d.%m.%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let users = author
        .iter()
        .map(|a| a.id)
        .filter(|a| *a != caller)
        .collect();
    let new = crate::domain::chats::NewChat {
        kind: crate::domain::chats::ChatKind::Closed,
        owner: caller,
        users,
        title: Some(shared_title(&msg.text)),
        description: String::new(),
        color: None,
        entity_type: String::new(),
        entity_id: String::new(),
        first_message: Some(quote(&author_name, &date, &msg.text)),
        created_at: Timestamp::now(),
        avatar: None,
    };
    super::chats::create(store, new).await?;
    Ok(true)
}
