//! Bots and the event outbox in the store: rows to domain values, and the
//! `enqueue_*` helpers that the message and membership changes call inside
//! their own transaction, so an event exists exactly when its change does.

use super::queries::{load_chat as load_chat_for_events, load_user as load_user_for_events};
use super::sql::{params, Db, DbResult, DbRow};
use super::{BotCreated, StoreError};
use crate::domain::bots::{self, Bot, BotType, Command, EventMode, Handlers, NewBot, V2};
use crate::domain::chats::ChatKind;
use crate::domain::credentials::Scopes;
use crate::domain::events::{
    ChatSnapshot, DeliveryState, EventKind, EventRecord, MessageSnapshot, NewEvent, OfflineEvent,
    OutboxEntry, UserSnapshot,
};
use crate::domain::{ChatId, MessageId, Timestamp, UserId};

pub const BOT_COLUMNS: &str = "b.user_id, b.code, b.client_id, b.type, b.openline, b.owner_id,
     b.scopes, b.on_message_add, b.on_message_update, b.on_message_delete, b.on_welcome,
     b.on_bot_delete, u.first_name, u.last_name, b.work_position, b.created_at,
     b.api_version, b.event_mode, b.webhook_url, b.reactions_enabled, b.bot_token_hash";

pub fn bot_from_row(r: &dyn DbRow) -> DbResult<Bot> {
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

pub fn load_bot(conn: &impl Db, id: UserId) -> DbResult<Option<Bot>> {
    conn.row_opt(
        &format!(
            "SELECT {BOT_COLUMNS} FROM bots b JOIN users u ON u.id = b.user_id WHERE b.user_id = ?1"
        ),
        params![id.0],
        bot_from_row,
    )
}

/// Registers a bot: [`super::Store::create_bot`].
pub fn insert_bot(
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
        "INSERT INTO users (first_name, last_name, admin, active, created_at, bot)
         VALUES (?1, ?2, FALSE, TRUE, ?3, TRUE) RETURNING id",
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

/// The bots that are members of `chat`.
pub fn chat_bots(conn: &impl Db, chat: ChatId) -> DbResult<Vec<Bot>> {
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

fn user_snapshot(conn: &impl Db, id: UserId) -> DbResult<Option<UserSnapshot>> {
    let Some(u) = load_user_for_events(conn, id)? else {
        return Ok(None);
    };
    let (bot, work_position): (bool, String) = conn.row(
        "SELECT u.bot, COALESCE(b.work_position, '') FROM users u
             LEFT JOIN bots b ON b.user_id = u.id WHERE u.id = ?1",
        params![id.0],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Some(UserSnapshot {
        id: u.id.0,
        first_name: u.first_name,
        last_name: u.last_name,
        work_position,
        bot,
    }))
}

/// The chat as `bot` sees it.
fn chat_snapshot(conn: &impl Db, chat: ChatId, bot: UserId) -> DbResult<Option<ChatSnapshot>> {
    let Some(c) = load_chat_for_events(conn, chat)? else {
        return Ok(None);
    };
    let dialog_id = match c.kind {
        ChatKind::Private => c
            .members
            .iter()
            .find(|m| **m != bot)
            .map_or_else(|| bot.0.to_string(), |m| m.0.to_string()),
        _ => format!("chat{}", c.id.0),
    };
    Ok(Some(ChatSnapshot {
        id: c.id.0,
        kind: c.kind.code().to_owned(),
        title: c.title.clone(),
        owner: c.owner.0,
        color: c.color.name().to_owned(),
        entity_type: c.entity_type.clone(),
        entity_id: c.entity_id.clone(),
        member_count: c.members.len() as i64,
        dialog_id,
    }))
}

/// An event record as stored (JSON).
fn encode_record(record: &EventRecord) -> DbResult<String> {
    serde_json::to_string(record)
        .map_err(|e| StoreError::Database(format!("cannot encode an event: {e}")))
}

fn insert_event(conn: &impl Db, ev: &NewEvent, now_ms: i64) -> DbResult<()> {
    let record = encode_record(&ev.record)?;
    conn.exec(
        "INSERT INTO outbox (event, handler, handler_id, client_id, scopes, auth_user, record,
             next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            ev.record.kind.name(),
            ev.handler,
            ev.handler_id,
            ev.client_id,
            ev.scopes.to_list(),
            ev.auth_user,
            record,
            now_ms
        ],
    )?;
    Ok(())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Writes one event for `bot`: a v1 bot's to `handler` (nothing when it has
/// none); a v2 bot's, in the v2 format, to its webhook or its fetch queue.
fn enqueue(
    conn: &impl Db,
    bot: &Bot,
    handler: &str,
    auth_user: UserId,
    mut record: EventRecord,
) -> DbResult<()> {
    let handler = match &bot.v2 {
        None if record.kind.is_v2() => return Ok(()), // v1 bots get v1 events only
        None => handler,
        Some(v2) => {
            record.kind = record.kind.v2();
            if v2.event_mode == EventMode::Fetch {
                let json = encode_record(&record)?;
                conn.exec(
                    "INSERT INTO bot_event_queue (bot_id, record, created_at) VALUES (?1, ?2, ?3)",
                    params![bot.id.0, json, record.at],
                )?;
                return Ok(());
            }
            v2.webhook_url.as_str()
        }
    };
    if handler.is_empty() {
        return Ok(());
    }
    insert_event(
        conn,
        &NewEvent {
            handler: handler.to_owned(),
            handler_id: bot.id.0,
            client_id: bot.client_id.clone(),
            scopes: bot.scopes.clone(),
            auth_user: auth_user.0,
            record,
        },
        now_ms(),
    )
}

/// A message was posted, edited or deleted: tell the bots that see it.
pub fn enqueue_message(
    conn: &impl Db,
    kind: EventKind,
    chat: ChatId,
    message: MessageId,
    author: Option<UserId>,
    text: &str,
    now: Timestamp,
) -> DbResult<()> {
    let snapshot = author.map(|a| MessageSnapshot::of(message, text, a));
    if let (Some(a), Some(snap)) = (author, &snapshot) {
        enqueue_user_events(conn, kind, chat, Some(snap.clone()), a, None, now)?;
    }
    // A slash command goes to its bot's command handler instead.
    let mut commanded = Vec::new();
    if let (EventKind::BotMessageAdd, Some(a), Some((word, args))) =
        (kind, author, bots::parse_command(text))
    {
        for command in matching_commands(conn, chat, &word, a)? {
            let Some(bot) = load_bot(conn, command.bot)? else {
                continue;
            };
            let record = EventRecord {
                chat: chat_snapshot(conn, chat, bot.id)?,
                message: snapshot.clone(),
                user: user_snapshot(conn, a)?,
                command: Some((command.id, command.command.clone(), args.clone())),
                ..EventRecord::new(EventKind::CommandAdd, Some((bot.id, &bot.code)), now)
            };
            // v1 format: commands are imbot.command.* of v1 bots (and v1 handlers).
            insert_event(
                conn,
                &NewEvent {
                    handler: command.handler.clone(),
                    handler_id: command.id,
                    client_id: bot.client_id.clone(),
                    scopes: bot.scopes.clone(),
                    auth_user: a.0,
                    record,
                },
                now_ms(),
            )?;
            commanded.push(bot.id);
        }
    }
    let mut bots_here = chat_bots(conn, chat)?;
    bots_here.retain(|b| !commanded.contains(&b.id));
    if bots_here.is_empty() {
        return Ok(());
    }
    let Some(chat_kind) = load_chat_for_events(conn, chat)?.map(|c| c.kind) else {
        return Ok(());
    };
    let pairs: Vec<(UserId, BotType)> = bots_here.iter().map(|b| (b.id, b.kind)).collect();
    let audience = bots::message_add_audience(chat_kind, author, text, &pairs);
    let Some(author) = author else {
        return Ok(());
    };
    for bot in bots_here.iter().filter(|b| audience.contains(&b.id)) {
        let handler = match kind {
            EventKind::BotMessageAdd => &bot.handlers.message_add,
            _ if bot.v2.is_some() => &bot.handlers.message_add,
            EventKind::BotMessageUpdate if bot.gets_edits() => &bot.handlers.message_update,
            EventKind::BotMessageDelete if bot.gets_edits() => &bot.handlers.message_delete,
            _ => continue,
        };
        let record = EventRecord {
            chat: chat_snapshot(conn, chat, bot.id)?,
            message: snapshot.clone(),
            user: user_snapshot(conn, author)?,
            ..EventRecord::new(kind, Some((bot.id, &bot.code)), now)
        };
        enqueue(conn, bot, handler, author, record)?;
    }
    Ok(())
}

pub fn load_command(conn: &impl Db, id: i64) -> DbResult<Option<Command>> {
    conn.row_opt(
        "SELECT id, bot_id, command, common, hidden, handler, client_id
             FROM bot_commands WHERE id = ?1",
        params![id],
        command_from_row,
    )
}

fn command_from_row(r: &dyn DbRow) -> DbResult<Command> {
    Ok(Command {
        id: r.get(0)?,
        bot: UserId(r.get(1)?),
        command: r.get(2)?,
        common: r.get(3)?,
        hidden: r.get(4)?,
        handler: r.get(5)?,
        client_id: r.get(6)?,
    })
}

/// The commands named `word` usable in `chat`: of the bots in it, or common
/// ones; never the author's own.
fn matching_commands(
    conn: &impl Db,
    chat: ChatId,
    word: &str,
    author: UserId,
) -> DbResult<Vec<Command>> {
    let rows = conn.rows(
        "SELECT id, bot_id, command, common, hidden, handler, client_id FROM bot_commands c
             WHERE c.command = ?1 AND c.bot_id <> ?3
               AND (c.common = TRUE OR EXISTS (SELECT 1 FROM chat_members cm
                                            WHERE cm.chat_id = ?2 AND cm.user_id = c.bot_id))
             ORDER BY c.id",
        params![word, chat.0, author.0],
        command_from_row,
    )?;
    Ok(rows)
}

/// `joined` became members of `chat` through `actor`: welcome the bots among them.
pub fn enqueue_joins(
    conn: &impl Db,
    chat: ChatId,
    joined: &[UserId],
    actor: UserId,
    now: Timestamp,
) -> DbResult<()> {
    for id in joined {
        enqueue_user_events(conn, EventKind::BotJoinChat, chat, None, *id, None, now)?;
        let Some(bot) = load_bot(conn, *id)? else {
            continue;
        };
        let record = EventRecord {
            chat: chat_snapshot(conn, chat, bot.id)?,
            user: user_snapshot(conn, actor)?,
            ..EventRecord::new(EventKind::BotJoinChat, Some((bot.id, &bot.code)), now)
        };
        enqueue(conn, &bot, &bot.handlers.welcome, actor, record)?;
    }
    Ok(())
}

/// The bot is being removed: tell its `EVENT_BOT_DELETE` handler.
pub fn enqueue_bot_delete(conn: &impl Db, bot: &Bot, now: Timestamp) -> DbResult<()> {
    let record = EventRecord {
        user: user_snapshot(conn, bot.owner)?,
        ..EventRecord::new(EventKind::BotDelete, Some((bot.id, &bot.code)), now)
    };
    enqueue(conn, bot, &bot.handlers.bot_delete, bot.owner, record)
}

/// Who changed a reaction on which message, and who may want to hear of
/// it, as the like's own visibility query found them (one round trip).
pub struct ReactionChange {
    pub message: MessageId,
    pub chat: ChatId,
    /// `None` for system messages.
    pub author: Option<UserId>,
    pub user: UserId,
    /// The author is a v2 bot that asked for reaction events.
    pub author_hears_reactions: bool,
    /// Someone listens for im.v2 user events at all.
    pub user_listeners: bool,
}

/// The columns of the like's visibility query, joined as `messages m`, that
/// fill [`ReactionChange`]: chat, author, and whether anyone listens.
pub const REACTION_CHANGE_COLUMNS: &str = "m.chat_id, m.author_id,
     EXISTS (SELECT 1 FROM bots b WHERE b.user_id = m.author_id
             AND b.api_version = 2 AND b.reactions_enabled = TRUE),
     EXISTS (SELECT 1 FROM user_event_subscriptions)
         OR EXISTS (SELECT 1 FROM event_bindings)
         OR EXISTS (SELECT 1 FROM offline_bindings)";

/// `user` set (`added`) or removed reaction `code` on `message`: tell a v2
/// bot whose message it is (ONIMBOTV2REACTIONCHANGE), unless it reacted
/// itself, and whoever listens for user events.
pub fn enqueue_reaction(
    conn: &impl Db,
    rc: &ReactionChange,
    code: &str,
    added: bool,
    now: Timestamp,
) -> DbResult<()> {
    // The like path runs this for every change: decide cheaply whether anyone
    // listens before building any snapshot.
    let (message, chat, user) = (rc.message, rc.chat, rc.user);
    let Some(author) = rc.author else {
        return Ok(());
    };
    let listeners = rc.user_listeners;
    let reacting_bot = author != user && rc.author_hears_reactions;
    if !listeners && !reacting_bot {
        return Ok(());
    }
    let text: String = conn.row(
        "SELECT text FROM messages WHERE id = ?1",
        params![message.0],
        |r| r.get(0),
    )?;
    let snapshot = MessageSnapshot::of(message, &text, author);
    let change = Some((code.to_owned(), added));
    let kind = EventKind::V2ReactionChange;
    if listeners {
        let snap = Some(snapshot.clone());
        record_user_events(conn, kind, chat, snap, user, change.clone(), now)?;
    }
    if !reacting_bot {
        return Ok(());
    }
    let Some(bot) = load_bot(conn, author)? else {
        return Ok(());
    };
    let record = EventRecord {
        chat: chat_snapshot(conn, chat, bot.id)?,
        message: Some(snapshot),
        user: user_snapshot(conn, user)?,
        reaction: change,
        ..EventRecord::new(kind, Some((bot.id, &bot.code)), now)
    };
    let handler = bot.handlers.message_add.clone();
    enqueue(conn, &bot, &handler, user, record)
}

/// The two polled event queues: a fetch-mode bot's and a subscribed user's.
#[derive(Debug, Clone, Copy)]
pub enum Queue {
    Bot,
    User,
}

/// Confirms the events of `owner`'s queue below `offset` and returns the next
/// `limit` (id, record), and whether more are waiting.
pub fn fetch_queue(
    conn: &impl Db,
    queue: Queue,
    owner: UserId,
    offset: Option<i64>,
    limit: i64,
) -> DbResult<(Vec<(i64, EventRecord)>, bool)> {
    // Table and column names come from this match only, never from input.
    let (table, column) = match queue {
        Queue::Bot => ("bot_event_queue", "bot_id"),
        Queue::User => ("user_event_queue", "user_id"),
    };
    if let Some(offset) = offset {
        conn.exec(
            &format!("DELETE FROM {table} WHERE {column} = ?1 AND id < ?2"),
            params![owner.0, offset],
        )?;
    }
    let rows = conn.rows(
        &format!("SELECT id, record FROM {table} WHERE {column} = ?1 ORDER BY id LIMIT ?2"),
        params![owner.0, limit + 1],
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?)),
    )?;
    let more = rows.len() as i64 > limit;
    let mut out = Vec::new();
    for (id, json) in rows.into_iter().take(limit as usize) {
        let record = serde_json::from_str(&json)
            .map_err(|e| StoreError::Database(format!("queued event {id} is unreadable: {e}")))?;
        out.push((id, record));
    }
    Ok((out, more))
}

/// The im.v2 user event of a happening in `chat`: recorded for each member
/// subscribed with im.v2.Event.subscribe, and written to the outbox for each
/// `event.bind` handler whose user is a member.
#[allow(clippy::too_many_arguments)]
pub fn enqueue_user_events(
    conn: &impl Db,
    kind: EventKind,
    chat: ChatId,
    message: Option<MessageSnapshot>,
    actor: UserId,
    reaction: Option<(String, bool)>,
    now: Timestamp,
) -> DbResult<()> {
    // Every message and join passes here: one cheap query when nobody listens.
    if !has_user_listeners(conn)? {
        return Ok(());
    }
    record_user_events(conn, kind, chat, message, actor, reaction, now)
}

/// `enqueue_user_events` once it is known that someone listens.
#[allow(clippy::too_many_arguments)]
fn record_user_events(
    conn: &impl Db,
    kind: EventKind,
    chat: ChatId,
    message: Option<MessageSnapshot>,
    actor: UserId,
    reaction: Option<(String, bool)>,
    now: Timestamp,
) -> DbResult<()> {
    let Some(kind) = kind.user() else {
        return Ok(());
    };
    let subscribed: Vec<i64> = conn.rows(
        "SELECT cm.user_id FROM chat_members cm
             JOIN user_event_subscriptions s ON s.user_id = cm.user_id
             WHERE cm.chat_id = ?1",
        params![chat.0],
        |r| r.get(0),
    )?;
    let bindings: Vec<(i64, String, i64, String, String)> = conn.rows(
        "SELECT b.id, b.handler, b.user_id, b.client_id, b.scopes FROM event_bindings b
             JOIN chat_members cm ON cm.user_id = b.user_id AND cm.chat_id = ?1
             WHERE b.event = ?2",
        params![chat.0, kind.name()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    enqueue_offline(
        conn,
        kind,
        chat,
        message.as_ref(),
        actor,
        reaction.as_ref(),
        now,
    )?;
    if subscribed.is_empty() && bindings.is_empty() {
        return Ok(());
    }
    let user = user_snapshot(conn, actor)?;
    let record_for = |recipient: i64| -> DbResult<EventRecord> {
        Ok(EventRecord {
            chat: chat_snapshot(conn, chat, UserId(recipient))?,
            message: message.clone(),
            user: user.clone(),
            reaction: reaction.clone(),
            ..EventRecord::new(kind, None, now)
        })
    };
    for recipient in subscribed {
        let json = encode_record(&record_for(recipient)?)?;
        conn.exec(
            "INSERT INTO user_event_queue (user_id, record, created_at) VALUES (?1, ?2, ?3)",
            params![recipient, json, now.0],
        )?;
    }
    for (id, handler, user_id, client_id, scopes) in bindings {
        let scopes = Scopes::parse(&scopes).unwrap_or_default();
        // A binding made by a credential without the event's scope (before
        // event.bind checked it) hears nothing.
        if !scopes.contains(kind.scope()) {
            continue;
        }
        insert_event(
            conn,
            &NewEvent {
                handler,
                handler_id: id,
                client_id,
                scopes,
                auth_user: user_id,
                record: record_for(user_id)?,
            },
            now_ms(),
        )?;
    }
    Ok(())
}

/// The offline queues bound to `kind`: one record per changed object, the
/// latest change replacing an older one that no process has taken yet.
fn enqueue_offline(
    conn: &impl Db,
    kind: EventKind,
    chat: ChatId,
    message: Option<&MessageSnapshot>,
    actor: UserId,
    reaction: Option<&(String, bool)>,
    now: Timestamp,
) -> DbResult<()> {
    let queues: Vec<(String, String)> = conn.rows(
        "SELECT client_id, auth_connector FROM offline_bindings WHERE event = ?1",
        params![kind.name()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if queues.is_empty() {
        return Ok(());
    }
    let mut data = serde_json::Map::new();
    if let Some(m) = message {
        data.insert("MESSAGE_ID".into(), m.id.into());
    }
    data.insert("CHAT_ID".into(), chat.0.into());
    data.insert("USER_ID".into(), actor.0.into());
    if let Some((code, _)) = reaction {
        data.insert("REACTION".into(), code.clone().into());
    }
    let data = serde_json::Value::Object(data).to_string();
    let object = format!("{}|{data}", kind.name());
    let message_id = crate::domain::credentials::TokenHash::of(&object).0[..32].to_owned();
    for (client_id, connector) in queues {
        conn.exec(
            "INSERT INTO offline_events (client_id, auth_connector, event, message_id, data, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (client_id, auth_connector, message_id) DO UPDATE
             SET changed_at = excluded.changed_at, data = excluded.data, error = FALSE", params![client_id, connector, kind.name(), message_id, data, now.0])?;
    }
    Ok(())
}

pub fn offline_from_row(r: &dyn DbRow) -> DbResult<OfflineEvent> {
    Ok(OfflineEvent {
        id: r.get(0)?,
        event: r.get(1)?,
        message_id: r.get(2)?,
        data: r.get(3)?,
        changed_at: r.get(4)?,
        process_id: r.get(5)?,
        error: r.get(6)?,
    })
}

pub const OFFLINE_COLUMNS: &str = "id, event, message_id, data, changed_at, process_id, error";

/// Whether anyone listens for im.v2 user events at all (subscriptions,
/// event.bind handlers, offline queues).
fn has_user_listeners(conn: &impl Db) -> DbResult<bool> {
    conn.row(
        "SELECT EXISTS (SELECT 1 FROM user_event_subscriptions)
                 OR EXISTS (SELECT 1 FROM event_bindings)
                 OR EXISTS (SELECT 1 FROM offline_bindings)",
        params![],
        |r| r.get(0),
    )
}

pub const OUTBOX_COLUMNS: &str = "id, handler, handler_id, client_id, scopes, auth_user, record,
     state, attempts, last_error, created_at";

pub fn outbox_from_row(r: &dyn DbRow) -> DbResult<OutboxEntry> {
    let unreadable = |col: usize, e: String| {
        StoreError::Database(format!("outbox column {col} is unreadable: {e}"))
    };
    let scopes: String = r.get(4)?;
    let record: String = r.get(6)?;
    let state: String = r.get(7)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        handler: r.get(1)?,
        handler_id: r.get(2)?,
        client_id: r.get(3)?,
        scopes: Scopes::parse(&scopes).unwrap_or_default(),
        auth_user: r.get(5)?,
        record: serde_json::from_str(&record).map_err(|e| unreadable(6, e.to_string()))?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| unreadable(7, format!("unknown event state {state}")))?,
        attempts: r.get(8)?,
        last_error: r.get(9)?,
        created_at: r.get(10)?,
    })
}
