//! File use cases (`im.v2.File.*`, `im.disk.*`).

use std::sync::Arc;

use crate::domain::credentials::Secret;
use crate::domain::files::{
    DownloadLink, FileDeleted, FilePosted, NewFile, StoredFile, LINK_SECONDS,
};
use crate::domain::messages::check_text;
use crate::domain::store::Store;
use crate::domain::{ChatId, DialogRef, Error, MessageId, Timestamp, UserId};

/// What an upload came to.
#[derive(Debug, Clone)]
pub enum Upload {
    Sent {
        file: StoredFile,
        message: MessageId,
        chat: ChatId,
    },
    /// No such chat or user.
    NoChat,
    /// A chat the caller is not in.
    NoAccess,
}

/// `im.v2.File.upload`: keeps the content, then sends it to the dialog as a
/// message with `text` (the private dialog opens on first use).
pub async fn upload(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
    name: String,
    bytes: Vec<u8>,
    text: &str,
) -> Result<Upload, Error> {
    let text = text.trim();
    if !text.is_empty() {
        check_text(text)?;
    }
    let now = Timestamp::now();
    let chat = match dialog {
        DialogRef::Chat(id) => {
            // Checked before anything is kept: a caller outside the chat
            // stores nothing.
            match store.chat(id).await? {
                None => return Ok(Upload::NoChat),
                Some(c) if !c.is_member(caller) => return Ok(Upload::NoAccess),
                Some(_) => id,
            }
        }
        DialogRef::User(other) => {
            if store.user(other).await?.is_none() {
                return Ok(Upload::NoChat);
            }
            store.open_private_chat(caller, other, now).await?
        }
    };
    // Hashing 100 MB is work for a blocking thread, not the async workers.
    let (new, bytes) = tokio::task::spawn_blocking(move || (NewFile::of(name, &bytes), bytes))
        .await
        .map_err(|e| crate::domain::store::StoreError::Database(format!("hashing stopped: {e}")))?;
    store
        .put_file_content(new.hash.clone(), Arc::new(bytes))
        .await?;
    match store
        .send_file(chat, caller, text.to_owned(), new, now)
        .await?
    {
        FilePosted::Posted { file, message } => {
            let file = store
                .file_for(file, caller)
                .await?
                .ok_or(Error::NoDialogAccess)?;
            Ok(Upload::Sent {
                file,
                message,
                chat,
            })
        }
        FilePosted::NotMember => Ok(Upload::NoAccess),
        FilePosted::NoChat => Ok(Upload::NoChat),
    }
}

/// The portal's secret for signing download links (made once).
async fn link_secret(store: &dyn Store) -> Result<Vec<u8>, Error> {
    // A read; the first link ever made writes the secret (once).
    if let Some(secret) = store.get_setting("file_link_secret".into()).await? {
        return Ok(secret.into_bytes());
    }
    let initial = Secret::webhook().0 + &Secret::webhook().0;
    Ok(store
        .setting("file_link_secret".into(), initial)
        .await?
        .into_bytes())
}

/// A file the caller may read.
pub async fn readable(
    store: &dyn Store,
    caller: UserId,
    id: i64,
) -> Result<Option<StoredFile>, Error> {
    Ok(store.file_for(id, caller).await?)
}

/// A signed link token to a file for `caller`, valid for an hour.
pub async fn link(store: &dyn Store, caller: UserId, file: i64) -> Result<String, Error> {
    let link = DownloadLink {
        file,
        user: caller,
        expires: Timestamp(Timestamp::now().0 + LINK_SECONDS),
    };
    Ok(link.sign(&link_secret(store).await?))
}

/// Signed tokens for several files at once (the `files` of a history page).
pub async fn links(
    store: &dyn Store,
    caller: UserId,
    files: &[StoredFile],
) -> Result<Vec<String>, Error> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let secret = link_secret(store).await?;
    let expires = Timestamp(Timestamp::now().0 + LINK_SECONDS);
    Ok(files
        .iter()
        .map(|f| {
            DownloadLink {
                file: f.id,
                user: caller,
                expires,
            }
            .sign(&secret)
        })
        .collect())
}

/// What a download link opens: the file and its content, while the link
/// holds and its user may still read the file.
pub async fn open_link(
    store: &dyn Store,
    token: &str,
) -> Result<Option<(StoredFile, Vec<u8>)>, Error> {
    let secret = link_secret(store).await?;
    let Some(link) = DownloadLink::verify(&secret, token, Timestamp::now()) else {
        return Ok(None);
    };
    // A deactivated user's links stop with their access.
    if !store.user(link.user).await?.is_some_and(|u| u.active) {
        return Ok(None);
    }
    let Some(file) = store.file_for(link.file, link.user).await? else {
        return Ok(None);
    };
    Ok(store
        .file_content(file.hash.clone())
        .await?
        .map(|bytes| (file, bytes)))
}

/// `im.disk.folder.get`: the chat's folder, for a member.
pub async fn folder(store: &dyn Store, caller: UserId, chat: ChatId) -> Result<Option<i64>, Error> {
    Ok(store.chat_folder(chat, caller).await?)
}

/// `im.disk.file.save`: a copy in the caller's Saved Files.
pub async fn save(
    store: &dyn Store,
    caller: UserId,
    id: i64,
) -> Result<Option<(i64, i64, String)>, Error> {
    Ok(store.save_file(id, caller, Timestamp::now()).await?)
}

/// `im.disk.file.delete`.
pub async fn delete(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    id: i64,
) -> Result<FileDeleted, Error> {
    Ok(store
        .delete_file(chat, id, caller, Timestamp::now())
        .await?)
}

/// The files of these messages, for a history page.
pub async fn of_messages(store: &dyn Store, ids: Vec<MessageId>) -> Result<Vec<StoredFile>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store.message_files(ids).await?)
}

/// What `im.disk.file.commit` came to.
#[derive(Debug, Clone)]
pub enum Committed {
    /// The new message and its files (copies), in the order given.
    Sent {
        message: MessageId,
        files: Vec<StoredFile>,
    },
    /// A file that does not exist or the caller cannot read.
    NoFile,
    /// No such chat, or the caller is not in it.
    NoAccess,
}

/// `im.disk.file.commit`: files the caller can read (in their chats or
/// their Saved Files) sent to a chat as one message with `text`.
pub async fn commit(
    store: &dyn Store,
    caller: UserId,
    chat: ChatId,
    ids: Vec<i64>,
    text: &str,
) -> Result<Committed, Error> {
    let text = text.trim();
    if !text.is_empty() {
        check_text(text)?;
    }
    match store
        .commit_files(chat, caller, text.to_owned(), ids, Timestamp::now())
        .await?
    {
        None => Ok(Committed::NoFile),
        Some(FilePosted::Posted { message, .. }) => Ok(Committed::Sent {
            message,
            files: of_messages(store, vec![message]).await?,
        }),
        Some(FilePosted::NotMember | FilePosted::NoChat) => Ok(Committed::NoAccess),
    }
}
