//! Bots and their commands: registration, `imbot.update`, removal.

use super::events::{enqueue_bot_delete, enqueue_command};
use super::rows::{
    bot_from_row, command_from_row, load_bot, load_command, matching_commands, BOT_COLUMNS,
    COMMAND_COLUMNS,
};
use super::sql::{params, Db, DbResult};
use super::{BotCreated, CommandRun, StoreError};
use crate::domain::bots::{
    Bot, BotChange, BotUpdated, Command, CommandChanges, CommandUpdated, NewBot, NewCommand,
};
use crate::domain::events::MessageSnapshot;
use crate::domain::live::Update;
use crate::domain::{ChatId, MessageId, Timestamp, UserId};

/// Registers a bot: [`super::Store::create_bot`].
pub(super) fn insert_bot(
    conn: &impl Db,
    new: &NewBot,
    max_per_app: usize,
    now: Timestamp,
) -> DbResult<BotCreated> {
    // Registrations of one application, and of one code, go one at a time
    // (on every node), so neither the count nor the codes can change between
    // the checks and the insert. Always the application first, then the code:
    // two registrations never wait for each other crosswise.
    if let Some(lock) = conn.dialect().named_lock() {
        conn.exec(lock, params![format!("bots:{}", new.client_id)])?;
        conn.exec(lock, params![format!("bot-code:{}", new.code)])?;
    }
    let same_code = conn.row_opt(
        "SELECT user_id FROM bots WHERE client_id = ?1 AND code = ?2",
        params![new.client_id, new.code],
        |r| r.get::<i64>(0).map(UserId),
    )?;
    if let Some(id) = same_code {
        return Ok(BotCreated::Existing(id));
    }
    if new.v2.is_some() {
        let elsewhere = conn.row_opt(
            "SELECT user_id FROM bots WHERE code = ?1 AND client_id <> ?2 LIMIT 1",
            params![new.code, new.client_id],
            |r| r.get::<i64>(0),
        )?;
        if elsewhere.is_some() {
            return Ok(BotCreated::CodeTaken);
        }
    }
    let count = conn.row(
        "SELECT COUNT(*) FROM bots WHERE client_id = ?1",
        params![new.client_id],
        |r| r.get::<i64>(0),
    )?;
    if usize::try_from(count).map_or(true, |n| n >= max_per_app) {
        return Ok(BotCreated::LimitReached);
    }
    let id = conn.insert(
        "INSERT INTO users (first_name, last_name, admin, active, created_at, bot, departments)
         VALUES (?1, ?2, FALSE, TRUE, ?3, TRUE, '') RETURNING id",
        params![new.first_name, new.last_name, now.0],
    )?;
    conn.exec(
        "INSERT INTO bots (user_id, code, client_id, type, openline, owner_id, scopes,
             work_position, on_message_add, on_message_update, on_message_delete, on_welcome,
             on_bot_delete, created_at, api_version, event_mode, webhook_url, reactions_enabled,
             bot_token_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19)",
        params![
            id,
            new.code,
            new.client_id,
            new.kind.code(),
            new.openline,
            new.owner.0,
            new.scopes.to_list(),
            new.work_position,
            new.handlers.message_add,
            new.handlers.message_update,
            new.handlers.message_delete,
            new.handlers.welcome,
            new.handlers.bot_delete,
            now.0,
            if new.v2.is_some() { 2_i64 } else { 1 },
            new.v2.as_ref().map_or("webhook", |v| v.event_mode.as_str()),
            new.v2.as_ref().map_or("", |v| v.webhook_url.as_str()),
            new.v2.as_ref().is_none_or(|v| v.reactions_enabled),
            new.v2.as_ref().and_then(|v| v.token_hash.clone()),
        ],
    )?;
    Ok(BotCreated::New(UserId(id)))
}

pub(super) fn create_bot(
    conn: &impl Db,
    new: NewBot,
    max_per_app: usize,
    now: Timestamp,
) -> DbResult<BotCreated> {
    insert_bot(conn, &new, max_per_app, now)
}

pub(super) fn bot(conn: &impl Db, id: UserId) -> DbResult<Option<Bot>> {
    load_bot(conn, id)
}

pub(super) fn bots_of(conn: &impl Db, client_id: String) -> DbResult<Vec<Bot>> {
    let bots = conn.rows(
        &format!(
            "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id
                     WHERE b.client_id = ?1 ORDER BY b.user_id"
        ),
        params![client_id],
        bot_from_row,
    )?;
    Ok(bots)
}

pub(super) fn all_bots(conn: &impl Db) -> DbResult<Vec<Bot>> {
    let bots = conn.rows(
        &format!(
            "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id
                     ORDER BY b.user_id"
        ),
        params![],
        bot_from_row,
    )?;
    Ok(bots)
}

pub(super) fn update_bot(conn: &impl Db, id: UserId, change: BotChange) -> DbResult<BotUpdated> {
    let lock = conn.dialect().lock_bot();
    let Some(bot) = conn.row_opt(
        &format!(
            "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id
                         WHERE b.user_id = ?1 {lock}"
        ),
        params![id.0],
        bot_from_row,
    )?
    else {
        return Ok(BotUpdated::NotFound);
    };
    let old_token = bot.v2.as_ref().and_then(|v| v.token_hash.clone());
    let bot = match change(&bot) {
        Ok(updated) => updated,
        Err(e) => return Ok(BotUpdated::Refused(e)),
    };
    if conn.exists(
        "SELECT 1 FROM bots WHERE client_id = ?1 AND code = ?2 AND user_id <> ?3",
        params![bot.client_id, bot.code, bot.id.0],
    )? {
        return Ok(BotUpdated::CodeTaken);
    }
    conn.exec(
        "UPDATE bots SET code = ?2, work_position = ?3, on_message_add = ?4,
                     on_message_update = ?5, on_message_delete = ?6, on_welcome = ?7,
                     on_bot_delete = ?8
                 WHERE user_id = ?1",
        params![
            bot.id.0,
            bot.code,
            bot.work_position,
            bot.handlers.message_add,
            bot.handlers.message_update,
            bot.handlers.message_delete,
            bot.handlers.welcome,
            bot.handlers.bot_delete
        ],
    )?;
    conn.exec(
        "UPDATE users SET first_name = ?2, last_name = ?3 WHERE id = ?1",
        params![bot.id.0, bot.first_name, bot.last_name],
    )?;
    if let Some(v2) = &bot.v2 {
        if let Some(hash) = v2
            .token_hash
            .as_ref()
            .filter(|h| Some(*h) != old_token.as_ref())
        {
            // Rotations to one token go one at a time (on every node).
            if let Some(lock) = conn.dialect().named_lock() {
                conn.row(lock, params![format!("bot-token:{hash}")], |_| Ok(()))?;
            }
            if conn.exists(
                "SELECT 1 FROM bots WHERE bot_token_hash = ?1 AND user_id <> ?2",
                params![hash, bot.id.0],
            )? {
                return Ok(BotUpdated::TokenTaken);
            }
        }
        conn.exec(
            "UPDATE bots SET event_mode = ?2, webhook_url = ?3, reactions_enabled = ?4,
                    openline = ?5, bot_token_hash = ?6, client_id = ?7
              WHERE user_id = ?1",
            params![
                bot.id.0,
                v2.event_mode.as_str(),
                v2.webhook_url,
                v2.reactions_enabled,
                bot.openline,
                v2.token_hash,
                bot.client_id
            ],
        )?;
        conn.exec(
            "UPDATE bot_commands SET client_id = ?2 WHERE bot_id = ?1",
            params![bot.id.0, bot.client_id],
        )?;
    }
    Ok(BotUpdated::Done)
}

pub(super) fn delete_bot(conn: &impl Db, id: UserId, now: Timestamp) -> DbResult<bool> {
    let Some(bot) = load_bot(conn, id)? else {
        return Ok(false);
    };
    enqueue_bot_delete(conn, &bot, now)?;
    let chats = conn.rows(
        "DELETE FROM chat_members WHERE user_id = ?1 RETURNING chat_id",
        params![id.0],
        |r| r.get::<i64>(0),
    )?;
    for chat in chats {
        conn.publish(Update::Chat {
            chat,
            users: vec![id.0],
        });
    }
    conn.exec(
        "UPDATE users SET active = FALSE WHERE id = ?1",
        params![id.0],
    )?;
    // Its own tokens, and those its events handed out for the users who
    // caused them: they die with the bot.
    if conn.exec(
        "DELETE FROM credentials WHERE user_id = ?1 OR bot_id = ?1",
        params![id.0],
    )? > 0
    {
        conn.publish(Update::Credentials);
    }
    conn.exec("DELETE FROM bots WHERE user_id = ?1", params![id.0])?;
    conn.exec(
        "DELETE FROM bot_event_queue WHERE bot_id = ?1",
        params![id.0],
    )?;
    conn.exec("DELETE FROM bot_commands WHERE bot_id = ?1", params![id.0])?;
    Ok(true)
}

pub(super) fn create_command(conn: &impl Db, new: NewCommand, now: Timestamp) -> DbResult<i64> {
    let lang = serde_json::to_string(&new.lang)
        .map_err(|e| StoreError::Database(format!("cannot encode LANG: {e}")))?;
    let on_conflict = if new.replace {
        "DO UPDATE SET common = excluded.common, hidden = excluded.hidden,
                       handler = excluded.handler, lang = excluded.lang,
                       extranet = excluded.extranet"
    } else {
        "DO NOTHING"
    };
    conn.exec(
        &format!(
            "INSERT INTO bot_commands
                     (bot_id, command, common, hidden, handler, client_id, lang, created_at, extranet)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (bot_id, command) {on_conflict}"
        ),
        params![
            new.bot.0,
            new.command,
            new.common,
            new.hidden,
            new.handler,
            new.client_id,
            lang,
            now.0,
            new.extranet
        ],
    )?;
    conn.row(
        "SELECT id FROM bot_commands WHERE bot_id = ?1 AND command = ?2",
        params![new.bot.0, new.command],
        |r| r.get(0),
    )
}

pub(super) fn command(conn: &impl Db, id: i64) -> DbResult<Option<Command>> {
    load_command(conn, id)
}

/// A command's bot answers `message`, which used that command, in a chat
/// the bot is not in (a `COMMON` command): the answer is a system message
/// that names the bot. `None` when the message is gone, did not use this
/// command, or the bot is in the chat after all (it posts as itself then).
pub(super) fn answer_as_system(
    conn: &impl Db,
    message: MessageId,
    command: i64,
    text: &str,
    params: Option<&str>,
    now: Timestamp,
) -> DbResult<Option<MessageId>> {
    let Some(command) = load_command(conn, command)? else {
        return Ok(None);
    };
    let found = conn.row_opt(
        "SELECT chat_id, text FROM messages WHERE id = ?1 AND deleted = FALSE",
        params![message.0],
        |r| Ok((ChatId(r.get(0)?), r.get::<String>(1)?)),
    )?;
    let Some((chat, used)) = found else {
        return Ok(None);
    };
    let uses_it =
        crate::domain::bots::parse_command(&used).is_some_and(|(w, _)| w == command.command);
    if !uses_it || super::rows::is_member(conn, chat, command.bot)? {
        return Ok(None);
    }
    let Some(bot) = load_bot(conn, command.bot)? else {
        return Ok(None);
    };
    let text = format!("[b]{}[/b]: {text}", bot.full_name());
    let id = super::messages::insert_message(conn, chat, None, &text, Some("BOT_ANSWER"), now)?;
    super::messages::set_params(conn, id, params)?;
    Ok(Some(id))
}

/// A bot's commands, oldest first.
pub(super) fn commands_of(conn: &impl Db, bot: UserId) -> DbResult<Vec<Command>> {
    conn.rows(
        &format!("SELECT {COMMAND_COLUMNS} FROM bot_commands WHERE bot_id = ?1 ORDER BY id"),
        params![bot.0],
        command_from_row,
    )
}

/// The commands named `name` of the application's bots, oldest first.
pub(super) fn commands_named(
    conn: &impl Db,
    client_id: &str,
    name: &str,
) -> DbResult<Vec<Command>> {
    conn.rows(
        &format!(
            "SELECT {COMMAND_COLUMNS} FROM bot_commands
              WHERE client_id = ?1 AND command = ?2 ORDER BY id"
        ),
        params![client_id, name],
        command_from_row,
    )
}

pub(super) fn update_command(
    conn: &impl Db,
    id: i64,
    c: CommandChanges,
) -> DbResult<CommandUpdated> {
    let Some(mut command) = load_command(conn, id)? else {
        return Ok(CommandUpdated::NotFound);
    };
    // Changes to one bot's commands go one at a time (on every node), so a
    // rename checked free below is still free when written, and a merge of
    // translations is never lost.
    if let Some(lock) = conn.dialect().named_lock() {
        conn.row(
            lock,
            params![format!("bot-commands:{}", command.bot.0)],
            |_| Ok(()),
        )?;
        command = match load_command(conn, id)? {
            Some(c) => c,
            None => return Ok(CommandUpdated::NotFound),
        };
    }
    if let Some(name) = c.command {
        if name != command.command
            && conn.exists(
                "SELECT 1 FROM bot_commands WHERE bot_id = ?1 AND command = ?2",
                params![command.bot.0, name],
            )?
        {
            return Ok(CommandUpdated::Taken);
        }
        command.command = name;
    }
    command.handler = c.handler.unwrap_or(command.handler);
    command.common = c.common.unwrap_or(command.common);
    command.hidden = c.hidden.unwrap_or(command.hidden);
    command.extranet = c.extranet.unwrap_or(command.extranet);
    command.lang = c.lang.unwrap_or(command.lang);
    let lang = serde_json::to_string(&command.lang)
        .map_err(|e| StoreError::Database(format!("cannot encode LANG: {e}")))?;
    conn.exec(
        "UPDATE bot_commands SET command = ?2, handler = ?3, common = ?4, hidden = ?5,
                extranet = ?6, lang = ?7 WHERE id = ?1",
        params![
            id,
            command.command,
            command.handler,
            command.common,
            command.hidden,
            command.extranet,
            lang
        ],
    )?;
    Ok(CommandUpdated::Done)
}

pub(super) fn delete_command(conn: &impl Db, id: i64) -> DbResult<bool> {
    Ok(conn.exec("DELETE FROM bot_commands WHERE id = ?1", params![id])? == 1)
}

/// `im.message.command`: the command must be one `user` could use in the
/// message's chat (of a bot in it, or common; not its own).
pub(super) fn run_command(
    conn: &impl Db,
    message: MessageId,
    user: UserId,
    bot: UserId,
    word: &str,
    args: &str,
    now: Timestamp,
) -> DbResult<CommandRun> {
    let found = conn.row_opt(
        "SELECT m.chat_id, m.author_id, m.text FROM messages m
         JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ?2
         WHERE m.id = ?1 AND m.deleted = FALSE",
        params![message.0, user.0],
        |r| {
            Ok((
                ChatId(r.get(0)?),
                r.get::<Option<i64>>(1)?,
                r.get::<String>(2)?,
            ))
        },
    )?;
    let Some((chat, author, text)) = found else {
        return Ok(CommandRun::NoMessage);
    };
    let word = word.trim().trim_start_matches('/').to_lowercase();
    let Some(command) = matching_commands(conn, chat, &word, user)?
        .into_iter()
        .find(|c| c.bot == bot)
    else {
        return Ok(CommandRun::NoCommand);
    };
    // The event's message is the press: its presser, `/command params`, on
    // the keyboard's message (as portals fill it).
    let _ = (author, text);
    let pressed = format!("/{} {args}", command.command);
    let snapshot = MessageSnapshot::of(message, pressed.trim(), user);
    enqueue_command(
        conn,
        chat,
        Some(snapshot),
        user,
        (&command, args, true),
        now,
    )?;
    Ok(CommandRun::Done)
}
