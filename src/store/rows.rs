//! The reads that several areas and the events of their changes share: a
//! chat and who is in it, a bot and the bots of a chat, the commands a
//! message may invoke. Rows to domain values, one place each.

use super::sql::{params, Db, DbResult, DbRow};
use super::StoreError;
use crate::domain::bots::{Bot, BotType, Command, EventMode, Handlers, V2};
use crate::domain::chats::{Chat, ChatKind, Color};
use crate::domain::credentials::Scopes;
use crate::domain::{ChatId, Timestamp, UserId};

pub(super) const BOT_COLUMNS: &str =
    "b.user_id, b.code, b.client_id, b.type, b.openline, b.owner_id,
     b.scopes, b.on_message_add, b.on_message_update, b.on_message_delete, b.on_welcome,
     b.on_bot_delete, u.first_name, u.last_name, b.work_position, b.created_at,
     b.api_version, b.event_mode, b.webhook_url, b.reactions_enabled, b.bot_token_hash";

pub(super) fn bot_from_row(r: &dyn DbRow) -> DbResult<Bot> {
    let kind: String = r.get(3)?;
    let scopes: String = r.get(6)?;
    Ok(Bot {
        id: UserId(r.get(0)?),
        code: r.get(1)?,
        client_id: r.get(2)?,
        kind: BotType::parse(&kind).unwrap_or(BotType::Bot),
        openline: r.get(4)?,
        owner: UserId(r.get(5)?),
        scopes: Scopes::parse(&scopes).unwrap_or_default(),
        handlers: Handlers {
            message_add: r.get(7)?,
            message_update: r.get(8)?,
            message_delete: r.get(9)?,
            welcome: r.get(10)?,
            bot_delete: r.get(11)?,
        },
        first_name: r.get(12)?,
        last_name: r.get(13)?,
        work_position: r.get(14)?,
        created_at: Timestamp(r.get(15)?),
        v2: if r.get::<i64>(16)? == 2 {
            let mode: String = r.get(17)?;
            Some(V2 {
                event_mode: EventMode::parse(&mode).unwrap_or(EventMode::Fetch),
                webhook_url: r.get(18)?,
                reactions_enabled: r.get(19)?,
                token_hash: r.get(20)?,
            })
        } else {
            None
        },
    })
}

pub(super) fn load_bot(conn: &impl Db, id: UserId) -> DbResult<Option<Bot>> {
    conn.row_opt(
        &format!(
            "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id WHERE b.user_id = ?1"
        ),
        params![id.0],
        bot_from_row,
    )
}

/// The bots that are members of `chat`.
pub(super) fn chat_bots(conn: &impl Db, chat: ChatId) -> DbResult<Vec<Bot>> {
    let bots = conn.rows(
        &format!(
            "SELECT {BOT_COLUMNS} FROM chat_members cm
             JOIN bots b ON b.user_id = cm.user_id
             JOIN users u ON u.id = b.user_id
             WHERE cm.chat_id = ?1 ORDER BY cm.rowid"
        ),
        params![chat.0],
        bot_from_row,
    )?;
    Ok(bots)
}

/// The columns [`command_from_row`] reads, of `bot_commands`.
pub(super) const COMMAND_COLUMNS: &str =
    "id, bot_id, command, common, hidden, handler, client_id, extranet, lang";

pub(super) fn load_command(conn: &impl Db, id: i64) -> DbResult<Option<Command>> {
    conn.row_opt(
        &format!("SELECT {COMMAND_COLUMNS} FROM bot_commands WHERE id = ?1"),
        params![id],
        command_from_row,
    )
}

pub(super) fn command_from_row(r: &dyn DbRow) -> DbResult<Command> {
    Ok(Command {
        id: r.get(0)?,
        bot: UserId(r.get(1)?),
        command: r.get(2)?,
        common: r.get(3)?,
        hidden: r.get(4)?,
        handler: r.get(5)?,
        client_id: r.get(6)?,
        extranet: r.get(7)?,
        lang: serde_json::from_str(&r.get::<String>(8)?).unwrap_or_default(),
    })
}

/// The commands named `word` usable in `chat`: of the bots in it, or common
/// ones; never the author's own.
pub(super) fn matching_commands(
    conn: &impl Db,
    chat: ChatId,
    word: &str,
    author: UserId,
) -> DbResult<Vec<Command>> {
    let rows = conn.rows(
        &format!(
            "SELECT {COMMAND_COLUMNS} FROM bot_commands c
             WHERE c.command = ?1 AND c.bot_id <> ?3
               AND (c.common = TRUE OR EXISTS (SELECT 1 FROM chat_members cm
                                            WHERE cm.chat_id = ?2 AND cm.user_id = c.bot_id))
             ORDER BY c.id"
        ),
        params![word, chat.0, author.0],
        command_from_row,
    )?;
    Ok(rows)
}

pub(super) fn is_member(conn: &impl Db, chat: ChatId, user: UserId) -> DbResult<bool> {
    conn.exists(
        "SELECT 1 FROM chat_members WHERE chat_id = ?1 AND user_id = ?2",
        params![chat.0, user.0],
    )
}

pub(super) fn chat_kind(conn: &impl Db, chat: ChatId) -> DbResult<Option<(ChatKind, UserId)>> {
    let row: Option<(String, i64)> = conn.row_opt(
        "SELECT kind, owner_id FROM chats WHERE id = ?1",
        params![chat.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(row.and_then(|(k, o)| ChatKind::from_code(&k).map(|k| (k, UserId(o)))))
}

pub(super) fn load_chat(conn: &impl Db, id: ChatId) -> DbResult<Option<Chat>> {
    let row = conn.row_opt(
        "SELECT kind, title, description, color, owner_id, entity_type, entity_id, created_at,
                avatar, text_field
             FROM chats WHERE id = ?1",
        params![id.0],
        |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<String>(3)?,
                r.get::<i64>(4)?,
                r.get::<String>(5)?,
                r.get::<String>(6)?,
                r.get::<i64>(7)?,
                r.get::<String>(8)?,
                r.get::<bool>(9)?,
            ))
        },
    )?;
    let Some((
        kind,
        title,
        description,
        color,
        owner,
        entity_type,
        entity_id,
        created_at,
        avatar,
        text_field,
    )) = row
    else {
        return Ok(None);
    };
    // A user's notification chat ('S') is no conversation: no chat method
    // sees it.
    if kind == "S" {
        return Ok(None);
    }
    let kind = ChatKind::from_code(&kind)
        .ok_or_else(|| StoreError::Database(format!("unknown chat kind {kind}")))?;
    let rows: Vec<(i64, bool, i64, Option<i64>, bool)> = conn.rows(
        "SELECT user_id, muted, last_read_id, last_read_at, manager FROM chat_members
          WHERE chat_id = ?1 ORDER BY rowid",
        params![id.0],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let managers = rows
        .iter()
        .filter(|(.., m)| *m)
        .map(|(u, ..)| UserId(*u))
        .collect();
    let members = rows.iter().map(|(u, ..)| UserId(*u)).collect();
    let muted = rows
        .iter()
        .filter(|(_, m, ..)| *m)
        .map(|(u, ..)| UserId(*u))
        .collect();
    let reads = rows
        .iter()
        .map(|(u, _, last, at, _)| (UserId(*u), *last, at.map(Timestamp)))
        .collect();
    let (message_count, last_message_id): (i64, i64) = conn.row(
        "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM messages WHERE chat_id = ?1",
        params![id.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Some(Chat {
        id,
        kind,
        title,
        description,
        color: Color::parse(&color).unwrap_or(Color::for_id(id.0)),
        owner: UserId(owner),
        entity_type,
        entity_id,
        created_at: Timestamp(created_at),
        members,
        muted,
        managers,
        reads,
        message_count,
        last_message_id,
        avatar,
        text_field_enabled: text_field,
    }))
}
