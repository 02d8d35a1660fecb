//! Files: `im.v2.File.upload`, `im.v2.File.download` (docs
//! api-reference/chat-bots/chat-bots-v2/im.v2/files/) and `im.disk.*`
//! (docs api-reference/chats/files/).

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{json, Value};

use super::ctx::Ctx;
use super::{views, CHAT_ID_EMPTY, DIALOG_ID_EMPTY};
use crate::domain::cases;
use crate::domain::cases::files::Upload;
use crate::domain::files::{clean_name, FileDeleted, StoredFile, MAX_FILE_BYTES, SAVED_FOLDER};
use crate::domain::{ChatId, DialogRef};
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::{field, field_text, Params};

/// The address a download token is opened at.
pub fn download_url(cx: &Ctx, token: &str) -> String {
    format!(
        "{}/rest/download.json?token={token}",
        cx.state.config.delivery.public_url.trim_end_matches('/')
    )
}

/// Files as the pages show them, each with a download link for the caller.
pub async fn file_views(cx: &Ctx, files: &[StoredFile]) -> Result<Vec<Value>, ApiError> {
    let tokens = cases::files::links(cx.store(), cx.user(), files).await?;
    Ok(files
        .iter()
        .zip(tokens)
        .map(|(f, t)| views::file(f, &download_url(cx, &t)))
        .collect())
}

fn v2_error(status: StatusCode, code: &'static str, description: &'static str) -> ApiError {
    ApiError::new(status, code, description)
}

/// Base64 content, with or without padding or line breaks; a `data:` URL
/// prefix is refused, as the page says to pass the bare string.
pub(super) fn decode_base64(content: &str) -> Option<Vec<u8>> {
    let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(compact).ok()
}

/// `im.v2.File.upload`: docs .../im.v2/files/file-upload.md. Sends the
/// file (`fields.name`, Base64 `fields.content`, at most 100 MB and within
/// the server's body limit) to `dialogId` as the caller's message, with
/// `fields.message` as its text.
pub async fn upload(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let fields = p.get("fields");
    let name = clean_name(&field_text(fields, "name"));
    let content = field(fields, "content")
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(name) = name.filter(|_| !content.is_empty()) else {
        return Err(v2_error(
            StatusCode::BAD_REQUEST,
            "FILE_EMPTY",
            "File name and content are required",
        ));
    };
    let bytes = decode_base64(content).ok_or_else(|| {
        v2_error(
            StatusCode::BAD_REQUEST,
            "FILE_INVALID_CONTENT",
            "Invalid base64 content",
        )
    })?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(v2_error(
            StatusCode::BAD_REQUEST,
            "FILE_TOO_LARGE",
            "File is too large",
        ));
    }
    let raw_dialog = p.str("dialogId").unwrap_or_default();
    let not_found = || v2_error(StatusCode::BAD_REQUEST, "CHAT_NOT_FOUND", "CHAT_NOT_FOUND");
    let dialog = DialogRef::parse(&raw_dialog).ok_or_else(not_found)?;
    let text = field_text(fields, "message");
    match cases::files::upload(cx.store(), cx.user(), dialog, name, bytes, &text).await? {
        Upload::Sent {
            file,
            message,
            chat,
        } => {
            let view = file_views(cx, std::slice::from_ref(&file)).await?;
            Ok(Reply::value(json!({
                "file": view.into_iter().next().unwrap_or(Value::Null),
                "messageId": message.0,
                "chatId": chat.0,
                "dialogId": dialog.to_string(),
            })))
        }
        Upload::NoChat => Err(not_found()),
        Upload::NoAccess => Err(v2_error(
            StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            "Access denied",
        )),
    }
}

/// `im.v2.File.download`: docs .../im.v2/files/file-download.md. A link
/// (for an hour, for the caller) to a file of that dialog.
pub async fn download(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let not_found = || v2_error(StatusCode::BAD_REQUEST, "FILE_NOT_FOUND", "File not found");
    let denied = || v2_error(StatusCode::FORBIDDEN, "ACCESS_DENIED", "Access denied");
    let dialog = DialogRef::parse(&p.str("dialogId").unwrap_or_default()).ok_or_else(denied)?;
    let id = p.positive_id("fileId").ok_or_else(not_found)?;
    let chat = match cases::chats::readable(cx.store(), cx.user(), dialog).await {
        Ok(Some(chat)) => chat,
        Ok(None) | Err(crate::domain::Error::NoDialogAccess) => return Err(denied()),
        Err(e) => return Err(e.into()),
    };
    let file = cases::files::readable(cx.store(), cx.user(), id)
        .await?
        .filter(|f| f.chat == Some(chat.id))
        .ok_or_else(not_found)?;
    let token = cases::files::link(cx.store(), cx.user(), file.id).await?;
    Ok(Reply::value(
        json!({"downloadUrl": download_url(cx, &token)}),
    ))
}

/// `CHAT_ID`, or `DIALOG_ID` as `chatN` (a user id: the private dialog).
fn chat_of(p: &Params) -> Result<Option<ChatId>, ApiError> {
    if let Some(id) = p.positive_id("CHAT_ID") {
        return Ok(Some(ChatId(id)));
    }
    if p.has("DIALOG_ID") {
        let dialog = DialogRef::parse(&p.str("DIALOG_ID").unwrap_or_default())
            .ok_or_else(|| ApiError::param(DIALOG_ID_EMPTY.0, DIALOG_ID_EMPTY.1))?;
        return Ok(match dialog {
            DialogRef::Chat(id) => Some(id),
            DialogRef::User(_) => None,
        });
    }
    Err(ApiError::param(CHAT_ID_EMPTY.0, CHAT_ID_EMPTY.1))
}

fn no_dialog_access() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "ACCESS_ERROR",
        "You do not have access to the specified dialog",
    )
}

/// `im.disk.folder.get`: docs api-reference/chats/files/im-disk-folder-get.md
pub async fn folder_get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = match chat_of(p)? {
        Some(chat) => chat,
        None => {
            // A private dialog by user id: its chat, if it was ever opened.
            let dialog = DialogRef::parse(&p.str("DIALOG_ID").unwrap_or_default())
                .ok_or_else(no_dialog_access)?;
            match cases::chats::dialog_chat(cx.store(), cx.user(), dialog).await {
                Ok(Some(chat)) => chat,
                Ok(None) | Err(crate::domain::Error::NoDialogAccess) => {
                    return Err(no_dialog_access())
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let folder = cases::files::folder(cx.store(), cx.user(), chat)
        .await?
        .ok_or_else(no_dialog_access)?;
    Ok(Reply::value(json!({"ID": folder})))
}

fn file_id(p: &Params) -> Result<i64, ApiError> {
    p.positive_id("FILE_ID")
        .ok_or_else(|| ApiError::param("FILE_ID_EMPTY", "File ID can't be empty"))
}

/// `im.disk.file.save`: docs .../im-disk-file-save.md. A copy of a file
/// the caller may read, in their Saved Files folder.
pub async fn file_save(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = file_id(p)?;
    let (folder, copy, name) = cases::files::save(cx.store(), cx.user(), id)
        .await?
        .ok_or_else(|| ApiError::param("FILE_SAVE_ERROR", "File ID can't be saved"))?;
    Ok(Reply::value(json!({
        "folder": {"id": folder, "name": SAVED_FOLDER},
        "file": {"id": copy, "name": name},
    })))
}

/// `im.disk.file.delete`: docs .../im-disk-file-delete.md. The sender
/// deletes the file and its message (`true`); another member changes
/// nothing (`true`, as the page says); no access or no such file: `false`.
pub async fn file_delete(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = p
        .positive_id("CHAT_ID")
        .map(ChatId)
        .ok_or_else(|| ApiError::param(CHAT_ID_EMPTY.0, CHAT_ID_EMPTY.1))?;
    let id = file_id(p)?;
    let done = cases::files::delete(cx.store(), cx.user(), chat, id).await?;
    Ok(Reply::value(done == FileDeleted::Done))
}

/// The most files one `im.disk.file.commit` sends.
const MAX_COMMIT_FILES: usize = 100;

/// `FILE_ID` (or else `UPLOAD_ID`): one id or a list.
fn commit_ids(p: &Params) -> Result<Vec<i64>, ApiError> {
    let save_error = || ApiError::param("SAVE_ERROR", "Error during saving file to chat");
    let name = if p.has("FILE_ID") {
        "FILE_ID"
    } else if p.has("UPLOAD_ID") {
        "UPLOAD_ID"
    } else {
        return Err(ApiError::param(
            "FILES_ERROR",
            "List of files is not specified",
        ));
    };
    let ids: Vec<i64> = p
        .list(name)
        .unwrap_or_default()
        .iter()
        .map(crate::protocol::params::intval)
        .collect();
    if ids.is_empty() || ids.len() > MAX_COMMIT_FILES || ids.iter().any(|id| *id <= 0) {
        return Err(save_error());
    }
    Ok(ids)
}

/// A file as the Drive model `FILE_MODELS` shows it: the fields b24im has.
fn file_model(f: &StoredFile, download: &str) -> Value {
    json!({
        "id": f.id,
        "name": f.name,
        "createTime": crate::protocol::envelope::iso_date(f.created_at),
        "updateTime": crate::protocol::envelope::iso_date(f.created_at),
        "deleteTime": null,
        "code": null,
        "xmlId": null,
        "storageId": 0,
        "realObjectId": f.id,
        "parentId": f.folder,
        "deletedType": 0,
        "createdBy": f.author.0.to_string(),
        "updatedBy": f.author.0.to_string(),
        "deletedBy": "0",
        "typeFile": if f.kind() == crate::domain::files::FileKind::Image { 2 } else { 1 },
        "globalContentVersion": 1,
        "fileId": f.id,
        "size": f.size,
        "etag": &f.hash[..32.min(f.hash.len())],
        "links": {"download": download},
    })
}

/// `im.disk.file.commit`: docs .../im-disk-file-commit.md. Files the caller
/// can read (sent in their chats, or in their Saved Files) go to the chat
/// (`CHAT_ID`, else `DIALOG_ID`) as one message with `MESSAGE`, as copies;
/// `FILE_ID`, else `UPLOAD_ID`, one id or a list (at most 100). b24im
/// serves no Drive upload methods, so these are files already in it.
pub async fn commit(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let chat = match chat_of(p)? {
        Some(chat) => chat,
        None => {
            let dialog = DialogRef::parse(&p.str("DIALOG_ID").unwrap_or_default())
                .ok_or_else(no_dialog_access)?;
            match cases::chats::open(cx.store(), cx.user(), dialog).await {
                Ok(chat) => chat.id,
                Err(crate::domain::Error::NoDialogAccess) => return Err(no_dialog_access()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let ids = commit_ids(p)?;
    let text = p.str("MESSAGE").unwrap_or_default();
    match cases::files::commit(cx.store(), cx.user(), chat, ids.clone(), &text).await? {
        cases::files::Committed::Sent { message, files } => {
            let views = file_views(cx, &files).await?;
            let mut by_upload = serde_json::Map::new();
            let mut models = serde_json::Map::new();
            for ((given, file), view) in ids.iter().zip(&files).zip(views) {
                let key = format!("upload{given}");
                let link = view["urlDownload"].as_str().unwrap_or("").to_owned();
                models.insert(key.clone(), file_model(file, &link));
                by_upload.insert(key, view);
            }
            Ok(Reply::value(json!({
                "FILES": by_upload,
                "DISK_ID": files.iter().map(|f| f.id.to_string()).collect::<Vec<_>>(),
                "FILE_MODELS": models,
                "MESSAGE_ID": message.0,
            })))
        }
        cases::files::Committed::NoFile => Err(ApiError::param(
            "SAVE_ERROR",
            "Error during saving file to chat",
        )),
        cases::files::Committed::NoAccess => Err(no_dialog_access()),
    }
}
