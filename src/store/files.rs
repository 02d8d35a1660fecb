//! Files: folders, the file rows, sending one as a message, saving a copy,
//! deleting. Contents are kept by the backend (`Backend::put_blob`).

use super::messages::{delete_message, post_message};
use super::rows::is_member;
use std::sync::LazyLock;

use super::sql::{marks, params, Db, DbResult, DbRow, Param};
use crate::domain::files::{FileDeleted, FilePosted, NewFile, StoredFile, SAVED_FOLDER};
use crate::domain::store::PostOutcome;
use crate::domain::users::display_name;
use crate::domain::{ChatId, MessageId, Timestamp, UserId};

const COLUMNS: &str = "f.id, f.folder_id, f.chat_id, f.message_id, f.author_id, u.first_name, \
                       u.last_name, f.name, f.size, f.hash, f.width, f.height, f.created_at";

fn file_from_row(r: &dyn DbRow) -> DbResult<StoredFile> {
    let author = UserId(r.get(4)?);
    let name = display_name(&r.get::<String>(5)?, &r.get::<String>(6)?);
    let width: Option<i64> = r.get(10)?;
    let height: Option<i64> = r.get(11)?;
    Ok(StoredFile {
        id: r.get(0)?,
        folder: r.get(1)?,
        chat: r.get::<Option<i64>>(2)?.map(ChatId),
        message: r.get::<Option<i64>>(3)?.map(MessageId),
        author,
        author_name: if name.is_empty() {
            format!("User {author}")
        } else {
            name
        },
        name: r.get(7)?,
        size: r.get(8)?,
        hash: r.get(9)?,
        dimensions: width.zip(height),
        created_at: Timestamp(r.get(12)?),
    })
}

/// The folder named `key`, made on first use.
fn folder(
    conn: &impl Db,
    key: &str,
    name: &str,
    chat: Option<ChatId>,
    owner: Option<UserId>,
) -> DbResult<i64> {
    conn.exec(
        "INSERT INTO folders (key, name, chat_id, owner_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (key) DO NOTHING",
        params![key, name, chat.map(|c| c.0), owner.map(|o| o.0)],
    )?;
    conn.row("SELECT id FROM folders WHERE key = ?1", params![key], |r| {
        r.get(0)
    })
}

fn chat_folder_id(conn: &impl Db, chat: ChatId) -> DbResult<i64> {
    folder(
        conn,
        &format!("chat:{}", chat.0),
        &format!("chat{}", chat.0),
        Some(chat),
        None,
    )
}

/// `im.disk.folder.get`: the chat's folder, for a member.
pub(super) fn chat_folder(conn: &impl Db, chat: ChatId, user: UserId) -> DbResult<Option<i64>> {
    if !is_member(conn, chat, user)? {
        return Ok(None);
    }
    chat_folder_id(conn, chat).map(Some)
}

/// Sends a file (its content already kept) to `chat` as a message with
/// `text`.
pub(super) fn post_file(
    conn: &impl Db,
    chat: ChatId,
    author: UserId,
    text: String,
    file: NewFile,
    now: Timestamp,
) -> DbResult<FilePosted> {
    let message = match post_message(conn, chat, author, text, None, now)? {
        PostOutcome::Posted(id) => id,
        PostOutcome::NotMember => return Ok(FilePosted::NotMember),
        PostOutcome::NoChat => return Ok(FilePosted::NoChat),
    };
    let folder = chat_folder_id(conn, chat)?;
    let (width, height) = file.dimensions.unzip();
    let id = conn.insert(
        "INSERT INTO files (folder_id, chat_id, message_id, author_id, name, size, hash,
                            width, height, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
        params![
            folder, chat.0, message.0, author.0, file.name, file.size, file.hash, width, height,
            now.0
        ],
    )?;
    Ok(FilePosted::Posted { file: id, message })
}

/// A file that is not deleted.
pub(super) fn file(conn: &impl Db, id: i64) -> DbResult<Option<StoredFile>> {
    conn.row_opt(
        &format!(
            "SELECT {COLUMNS} FROM files f JOIN users u ON u.id = f.author_id
              WHERE f.id = ?1 AND f.deleted = FALSE"
        ),
        params![id],
        file_from_row,
    )
}

/// Whether `user` may read `file`: a member of its chat, or the owner of a
/// saved copy.
pub(super) fn readable(conn: &impl Db, file: &StoredFile, user: UserId) -> DbResult<bool> {
    match file.chat {
        Some(chat) => is_member(conn, chat, user),
        None => Ok(file.author == user),
    }
}

/// The files sent with the messages of `chat` from `first` to `last` (a
/// history page), in id order.
pub(super) fn of_page(
    conn: &impl Db,
    chat: ChatId,
    first: i64,
    last: i64,
) -> DbResult<Vec<StoredFile>> {
    conn.rows(&PAGE_FILES, params![chat.0, first, last], file_from_row)
}

static PAGE_FILES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM files f JOIN users u ON u.id = f.author_id
           JOIN messages m ON m.id = f.message_id
          WHERE m.chat_id = ?1 AND f.message_id BETWEEN ?2 AND ?3 AND f.deleted = FALSE
          ORDER BY f.id"
    )
});

/// Messages named in one statement at most (a history page has 50).
const PER_STATEMENT: usize = 500;

/// The files sent with these messages, in id order.
pub(super) fn of_messages(conn: &impl Db, ids: &[MessageId]) -> DbResult<Vec<StoredFile>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(PER_STATEMENT) {
        let bound: Vec<&dyn Param> = chunk.iter().map(|m| &m.0 as &dyn Param).collect();
        out.extend(conn.rows(
            &format!(
                "SELECT {COLUMNS} FROM files f JOIN users u ON u.id = f.author_id
                  WHERE f.message_id IN ({}) AND f.deleted = FALSE ORDER BY f.id",
                marks(chunk.len())
            ),
            &bound,
            file_from_row,
        )?);
    }
    Ok(out)
}

/// `im.disk.file.save`: a copy of a file the user may read in their
/// Saved Files folder: (folder id, the copy's id, its name).
pub(super) fn save_copy(
    conn: &impl Db,
    id: i64,
    user: UserId,
    now: Timestamp,
) -> DbResult<Option<(i64, i64, String)>> {
    let Some(f) = file(conn, id)? else {
        return Ok(None);
    };
    if !readable(conn, &f, user)? {
        return Ok(None);
    }
    let saved = folder(
        conn,
        &format!("saved:{}", user.0),
        SAVED_FOLDER,
        None,
        Some(user),
    )?;
    let (width, height) = f.dimensions.unzip();
    let copy = conn.insert(
        "INSERT INTO files (folder_id, author_id, name, size, hash, width, height, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        params![saved, user.0, f.name, f.size, f.hash, width, height, now.0],
    )?;
    Ok(Some((saved, copy, f.name)))
}

/// `im.disk.file.delete`: the sender deletes a file of the chat (its
/// message is deleted with it); another member changes nothing.
pub(super) fn delete_file(
    conn: &impl Db,
    chat: ChatId,
    id: i64,
    user: UserId,
    now: Timestamp,
) -> DbResult<FileDeleted> {
    let Some(f) = file(conn, id)?.filter(|f| f.chat == Some(chat)) else {
        return Ok(FileDeleted::NoAccess);
    };
    if !is_member(conn, chat, user)? {
        return Ok(FileDeleted::NoAccess);
    }
    if f.author != user {
        return Ok(FileDeleted::Done);
    }
    conn.exec("UPDATE files SET deleted = TRUE WHERE id = ?1", params![id])?;
    if let Some(message) = f.message {
        delete_message(conn, message, user, false, now)?;
    }
    Ok(FileDeleted::Done)
}

/// `im.disk.file.commit`: copies of files `author` may read, sent to
/// `chat` as one message with `text`; `None` (nothing sent) if one of them
/// cannot be read.
pub(super) fn commit_files(
    conn: &impl Db,
    chat: ChatId,
    author: UserId,
    text: String,
    ids: Vec<i64>,
    now: Timestamp,
) -> DbResult<Option<FilePosted>> {
    let mut sources = Vec::with_capacity(ids.len());
    for id in ids {
        match file(conn, id)? {
            Some(f) if readable(conn, &f, author)? => sources.push(f),
            _ => return Ok(None),
        }
    }
    let message = match post_message(conn, chat, author, text, None, now)? {
        PostOutcome::Posted(id) => id,
        PostOutcome::NotMember => return Ok(Some(FilePosted::NotMember)),
        PostOutcome::NoChat => return Ok(Some(FilePosted::NoChat)),
    };
    let folder = chat_folder_id(conn, chat)?;
    let mut first = 0;
    for f in sources {
        let (width, height) = f.dimensions.unzip();
        let id = conn.insert(
            "INSERT INTO files (folder_id, chat_id, message_id, author_id, name, size, hash,
                                width, height, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
            params![
                folder, chat.0, message.0, author.0, f.name, f.size, f.hash, width, height, now.0
            ],
        )?;
        if first == 0 {
            first = id;
        }
    }
    Ok(Some(FilePosted::Posted {
        file: first,
        message,
    }))
}
