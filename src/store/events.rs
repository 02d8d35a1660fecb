//! Bots and the event outbox in the store: rows to domain values, and the
//! `enqueue_*` helpers that the message and membership changes call inside
//! their own transaction, so an event exists exactly when its change does.

use super::outbox::{encode_record, insert_event, now_ms};
use super::rows::{chat_bots, load_bot, load_chat, matching_commands};
use super::sql::{params, Db, DbResult};
use super::users::load_user;
use crate::domain::audience::{self, Delivery};
use crate::domain::bots::{self, Bot, Command};
use crate::domain::chats::Chat;
use crate::domain::credentials::Scopes;
use crate::domain::events::{
    ChatSnapshot, EventKind, EventRecord, MessageSnapshot, NewEvent, UserSnapshot,
};
use crate::domain::{ChatId, MessageId, Timestamp, UserId};

fn user_snapshot(conn: &impl Db, id: UserId) -> DbResult<Option<UserSnapshot>> {
    let Some(u) = load_user(conn, id)? else {
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
        departments: u.departments,
    }))
}

/// The chat as `bot` sees it.
fn chat_snapshot(conn: &impl Db, chat: ChatId, bot: UserId) -> DbResult<Option<ChatSnapshot>> {
    Ok(load_chat(conn, chat)?.map(|c| snapshot_of(&c, bot)))
}

/// A loaded chat as `bot` sees it: for events to several bots of one chat,
/// which load it once.
fn snapshot_of(c: &Chat, bot: UserId) -> ChatSnapshot {
    let dialog_id = c.dialog_id_for(bot);
    ChatSnapshot {
        id: c.id.0,
        kind: c.kind.code().to_owned(),
        title: c.title.clone(),
        owner: c.owner.0,
        color: c.color.name().to_owned(),
        entity_type: c.entity_type.clone(),
        entity_id: c.entity_id.clone(),
        member_count: c.members.len() as i64,
        dialog_id,
    }
}

/// Writes one event for `bot`, where [`audience::delivery`] says it goes:
/// the outbox (to a handler) or a fetch-mode bot's queue.
fn enqueue(
    conn: &impl Db,
    bot: &Bot,
    handler: &str,
    auth_user: UserId,
    mut record: EventRecord,
) -> DbResult<()> {
    match audience::delivery(bot, record.kind, handler) {
        None => Ok(()),
        Some(Delivery::Queue { kind }) => {
            record.kind = kind;
            let json = encode_record(&record)?;
            conn.exec(
                "INSERT INTO bot_event_queue (bot_id, record, created_at) VALUES (?1, ?2, ?3)",
                params![bot.id.0, json, record.at],
            )?;
            Ok(())
        }
        Some(Delivery::Post { kind, handler }) => {
            record.kind = kind;
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
    }
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
            if let Some(bot) = enqueue_command(
                conn,
                chat,
                snapshot.clone(),
                a,
                (&command, &args, false),
                now,
            )? {
                commanded.push(bot);
            }
        }
    }
    let Some(author) = author else {
        return Ok(()); // system messages reach no bot
    };
    let bots_here = chat_bots(conn, chat)?;
    if bots_here.is_empty() {
        return Ok(());
    }
    // The chat and the author are read once for every bot that hears it.
    let Some(loaded) = load_chat(conn, chat)? else {
        return Ok(());
    };
    let hearers =
        audience::message_hearers(kind, loaded.kind, author, text, &bots_here, &commanded);
    if hearers.is_empty() {
        return Ok(());
    }
    let who = user_snapshot(conn, author)?;
    for (bot, handler) in hearers {
        let record = EventRecord {
            chat: Some(snapshot_of(&loaded, bot.id)),
            message: snapshot.clone(),
            user: who.clone(),
            ..EventRecord::new(kind, Some((bot.id, &bot.code)), now)
        };
        enqueue(conn, bot, handler, author, record)?;
    }
    Ok(())
}

/// `user` used `command` (with `args`; `keyboard`: pressed on a keyboard or
/// menu, not typed) on `message` in `chat`: tell its bot's command handler
/// (ONIMCOMMANDADD, v1 format: commands are imbot.command.* of v1 bots).
/// The bot's id, or `None` if the bot is gone.
pub fn enqueue_command(
    conn: &impl Db,
    chat: ChatId,
    message: Option<MessageSnapshot>,
    user: UserId,
    (command, args, keyboard): (&Command, &str, bool),
    now: Timestamp,
) -> DbResult<Option<UserId>> {
    let Some(bot) = load_bot(conn, command.bot)? else {
        return Ok(None);
    };
    let record = EventRecord {
        chat: chat_snapshot(conn, chat, bot.id)?,
        message,
        user: user_snapshot(conn, user)?,
        command: Some((command.id, command.command.clone(), args.to_owned())),
        keyboard,
        ..EventRecord::new(EventKind::CommandAdd, Some((bot.id, &bot.code)), now)
    };
    if bot.v2.is_some() {
        // ONIMBOTV2COMMANDADD, where the bot hears its other events.
        enqueue(conn, &bot, "", user, record)?;
        return Ok(Some(bot.id));
    }
    insert_event(
        conn,
        &NewEvent {
            handler: command.handler.clone(),
            handler_id: command.id,
            client_id: bot.client_id.clone(),
            scopes: bot.scopes.clone(),
            auth_user: user.0,
            record,
        },
        now_ms(),
    )?;
    Ok(Some(bot.id))
}

/// `user` (a member) opened `chat` passing `context`
/// (`im.v2.Chat.Bot.sendContext`): ONIMBOTV2CONTEXTGET to each v2 bot in
/// it. How many were told; `None` when `user` is no member.
pub fn enqueue_context(
    conn: &impl Db,
    chat: ChatId,
    user: UserId,
    context: &serde_json::Value,
    now: Timestamp,
) -> DbResult<Option<usize>> {
    if !super::rows::is_member(conn, chat, user)? {
        return Ok(None);
    }
    let mut told = 0;
    let who = user_snapshot(conn, user)?;
    let Some(loaded) = load_chat(conn, chat)? else {
        return Ok(Some(0));
    };
    for bot in chat_bots(conn, chat)? {
        if bot.v2.is_none() || bot.id == user {
            continue;
        }
        let record = EventRecord {
            chat: Some(snapshot_of(&loaded, bot.id)),
            user: who.clone(),
            context: Some(context.clone()),
            ..EventRecord::new(EventKind::V2ContextGet, Some((bot.id, &bot.code)), now)
        };
        enqueue(conn, &bot, "", user, record)?;
        told += 1;
    }
    Ok(Some(told))
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
    let reacting_bot = audience::author_hears_reaction(author, user, rc.author_hears_reactions);
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
        if !audience::binding_hears(&scopes, kind) {
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
