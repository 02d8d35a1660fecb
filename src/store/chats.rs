//! Chats and their members: group chats, private dialogs, joining and leaving.

use super::events::{enqueue_joins, enqueue_message};
use super::messages::insert_message;
use super::rows::{chat_kind, is_member, load_chat};
use super::sql::{params, Db, DbResult};
use super::users::{load_user, mention};
use super::{ChatUpdated, MembershipOutcome};
use crate::domain::chats::{Chat, ChatChange, ChatKind, Color, NewChat};
use crate::domain::events::EventKind;
use crate::domain::live::Update;
use crate::domain::messages::{system_text, SystemEvent};
use crate::domain::users::User;
use crate::domain::{ChatId, Timestamp, UserId};

pub(super) fn insert_member(
    conn: &impl Db,
    chat: ChatId,
    user: UserId,
    now: Timestamp,
) -> DbResult<bool> {
    let n = conn.exec(
        // What was said before one joined is not unread for them.
        "INSERT INTO chat_members (chat_id, user_id, joined_at, last_read_id)
             VALUES (?1, ?2, ?3, COALESCE((SELECT MAX(id) FROM messages WHERE chat_id = ?1), 0))
             ON CONFLICT (chat_id, user_id) DO NOTHING",
        params![chat.0, user.0, now.0],
    )?;
    if n == 1 {
        conn.publish(Update::Chat {
            chat: chat.0,
            users: vec![user.0],
        });
    }
    Ok(n == 1)
}

pub(super) fn private_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

/// Bitrix24 names an untitled chat after its members.
pub(super) fn default_title(members: &[User], id: ChatId) -> String {
    if members.len() <= 1 {
        return format!("Chat №{id}");
    }
    let names: Vec<String> = members.iter().take(4).map(User::full_name).collect();
    format!("Chat with {}", names.join(", "))
}

pub(super) fn create_chat(conn: &impl Db, new: NewChat) -> DbResult<ChatId> {
    let names = {
        let mut users = vec![new.owner];
        users.extend(new.users.iter().copied().filter(|u| *u != new.owner));
        let mut existing = Vec::new();
        for u in users {
            if let Some(user) = load_user(conn, u)? {
                existing.push(user);
            }
        }
        existing
    };
    let id = conn.insert(
                "INSERT INTO chats (kind, title, description, color, owner_id, entity_type, entity_id, created_at)
                 VALUES (?1, '', ?2, '', ?3, ?4, ?5, ?6) RETURNING id", params![
                new.kind.code(),
                new.description,
                new.owner.0,
                new.entity_type,
                new.entity_id,
                new.created_at.0
            ])?;
    let id = ChatId(id);
    let color = new.color.unwrap_or(Color::for_id(id.0));
    let title = match &new.title {
        Some(t) if !t.trim().is_empty() => t.trim().to_owned(),
        _ => default_title(&names, id),
    };
    conn.exec(
        "UPDATE chats SET title = ?1, color = ?2, avatar = ?4 WHERE id = ?3",
        params![
            title,
            color.name(),
            id.0,
            new.avatar.clone().unwrap_or_default()
        ],
    )?;
    for user in &names {
        insert_member(conn, id, user.id, new.created_at)?;
    }
    let joined: Vec<UserId> = names
        .iter()
        .map(|u| u.id)
        .filter(|u| *u != new.owner)
        .collect();
    enqueue_joins(conn, id, &joined, new.owner, new.created_at)?;
    if let Some(text) = &new.first_message {
        let text = text.trim();
        let m = insert_message(conn, id, Some(new.owner), text, None, new.created_at)?;
        enqueue_message(
            conn,
            EventKind::BotMessageAdd,
            id,
            m,
            Some(new.owner),
            text,
            new.created_at,
        )?;
    }
    Ok(id)
}

pub(super) fn chat(conn: &impl Db, id: ChatId) -> DbResult<Option<Chat>> {
    load_chat(conn, id)
}

pub(super) fn chat_by_entity(
    conn: &impl Db,
    entity_type: &str,
    entity_id: &str,
) -> DbResult<Option<ChatId>> {
    conn.row_opt(
        "SELECT id FROM chats WHERE entity_type = ?1 AND entity_id = ?2 ORDER BY id LIMIT 1",
        params![entity_type, entity_id],
        |r| r.get::<i64>(0).map(ChatId),
    )
}

pub(super) fn private_chat(conn: &impl Db, a: UserId, b: UserId) -> DbResult<Option<ChatId>> {
    let key = private_key(a, b);

    conn.row_opt(
        "SELECT id FROM chats WHERE private_key = ?1",
        params![key],
        |r| r.get::<i64>(0).map(ChatId),
    )
}

pub(super) fn open_private_chat(
    conn: &impl Db,
    a: UserId,
    b: UserId,
    now: Timestamp,
) -> DbResult<ChatId> {
    let key = private_key(a, b);

    // Two nodes opening the same dialog at once: the unique key lets
    // one insert; the other finds that one's chat.
    let created = conn.row_opt(
        "INSERT INTO chats (kind, title, color, owner_id, private_key, created_at)
                 VALUES ('P', '', ?1, ?2, ?3, ?4)
                 ON CONFLICT (private_key) DO NOTHING RETURNING id",
        params![Color::for_id(a.0 + b.0).name(), a.0, key, now.0],
        |r| r.get::<i64>(0).map(ChatId),
    )?;
    let Some(id) = created else {
        return conn.row(
            "SELECT id FROM chats WHERE private_key = ?1",
            params![key],
            |r| r.get::<i64>(0).map(ChatId),
        );
    };
    insert_member(conn, id, a, now)?;
    insert_member(conn, id, b, now)?;
    enqueue_joins(conn, id, &[b], a, now)?;
    Ok(id)
}

pub(super) fn add_members(
    conn: &impl Db,
    chat: ChatId,
    actor: UserId,
    users: Vec<UserId>,
    now: Timestamp,
) -> DbResult<MembershipOutcome> {
    let Some((kind, _owner)) = chat_kind(conn, chat)? else {
        return Ok(MembershipOutcome::NotAllowed);
    };
    if !is_member(conn, chat, actor)? {
        return Ok(MembershipOutcome::NotAllowed);
    }
    if kind == ChatKind::Private {
        return Ok(MembershipOutcome::PrivateChat);
    }
    let mut added = Vec::new();
    let mut added_ids = Vec::new();
    for user in users {
        if load_user(conn, user)?.is_some() && insert_member(conn, chat, user, now)? {
            added.push(mention(conn, user)?);
            added_ids.push(user);
        }
    }
    if added.is_empty() {
        return Ok(MembershipOutcome::Unchanged);
    }
    let text = system_text(SystemEvent::Join, &mention(conn, actor)?, &added);
    insert_message(conn, chat, None, &text, Some(SystemEvent::Join.code()), now)?;
    enqueue_joins(conn, chat, &added_ids, actor, now)?;
    Ok(MembershipOutcome::Done)
}

pub(super) fn remove_member(
    conn: &impl Db,
    chat: ChatId,
    actor: UserId,
    user: UserId,
    now: Timestamp,
) -> DbResult<MembershipOutcome> {
    let Some((kind, owner)) = chat_kind(conn, chat)? else {
        return Ok(MembershipOutcome::NotAllowed);
    };
    if !is_member(conn, chat, actor)? {
        return Ok(MembershipOutcome::NotAllowed);
    }
    if kind == ChatKind::Private {
        return Ok(MembershipOutcome::PrivateChat);
    }
    // The owner and managers remove others (a manager never the owner);
    // anyone removes themselves.
    if actor != user && actor != owner {
        let manager = conn.exists(
            "SELECT 1 FROM chat_members WHERE chat_id = ?1 AND user_id = ?2 AND manager = TRUE",
            params![chat.0, actor.0],
        )?;
        if !manager || user == owner {
            return Ok(MembershipOutcome::NotAllowed);
        }
    }
    let removed = conn.exec(
        "DELETE FROM chat_members WHERE chat_id = ?1 AND user_id = ?2",
        params![chat.0, user.0],
    )?;
    if removed == 0 {
        return Ok(MembershipOutcome::Unchanged);
    }
    conn.publish(Update::Chat {
        chat: chat.0,
        users: vec![user.0],
    });
    if user == owner {
        // The owner left: the longest-standing member takes over.
        conn.exec(
                    "UPDATE chats SET owner_id = COALESCE(
                        (SELECT user_id FROM chat_members WHERE chat_id = ?1 ORDER BY rowid LIMIT 1),
                        owner_id)
                     WHERE id = ?1", params![chat.0])?;
    }
    let text = system_text(
        SystemEvent::Leave,
        &mention(conn, actor)?,
        &[mention(conn, user)?],
    );
    insert_message(
        conn,
        chat,
        None,
        &text,
        Some(SystemEvent::Leave.code()),
        now,
    )?;
    Ok(MembershipOutcome::Done)
}

pub(super) fn update_chat(
    conn: &impl Db,
    chat: ChatId,
    actor: UserId,
    change: ChatChange,
) -> DbResult<ChatUpdated> {
    let Some((kind, owner)) = chat_kind(conn, chat)? else {
        return Ok(ChatUpdated::NoChat);
    };
    if !is_member(conn, chat, actor)? {
        return Ok(ChatUpdated::NotMember);
    }
    if kind == ChatKind::Private {
        return Ok(ChatUpdated::PrivateChat);
    }
    let color = matches!(change, ChatChange::Color(_));
    let changed = match change {
        ChatChange::Title(title) => conn.exec(
            "UPDATE chats SET title = ?1 WHERE id = ?2",
            params![title, chat.0],
        )?,
        ChatChange::Color(color) => conn.exec(
            "UPDATE chats SET color = ?1 WHERE id = ?2 AND color <> ?1",
            params![color.name(), chat.0],
        )?,
        ChatChange::Owner(user) => {
            if actor != owner || !is_member(conn, chat, user)? {
                return Ok(ChatUpdated::NotOwner);
            }
            // Only while the actor still owns it (a racing setOwner on another node).
            conn.exec(
                "UPDATE chats SET owner_id = ?1 WHERE id = ?2 AND owner_id = ?3",
                params![user.0, chat.0, actor.0],
            )?
        }
        ChatChange::Description(text) => conn.exec(
            "UPDATE chats SET description = ?1 WHERE id = ?2",
            params![text, chat.0],
        )?,
        ChatChange::Managers(users, manager) => {
            if actor != owner || users.is_empty() {
                return Ok(ChatUpdated::NotOwner);
            }
            // One statement for the whole list; ids are bound, never spliced.
            let mut values: Vec<&dyn super::sql::Param> = vec![&manager, &chat.0];
            let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
            values.extend(ids.iter().map(|id| id as &dyn super::sql::Param));
            conn.exec(
                &format!(
                    "UPDATE chat_members SET manager = ?1 WHERE chat_id = ?2 AND user_id IN ({})",
                    (3..3 + ids.len())
                        .map(|i| format!("?{i}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                &values,
            )?
        }
        ChatChange::Avatar(name) => conn.exec(
            "UPDATE chats SET avatar = ?1 WHERE id = ?2",
            params![name, chat.0],
        )?,
    };
    if changed > 0 {
        conn.publish(Update::Chat {
            chat: chat.0,
            users: Vec::new(),
        });
    }
    Ok(match changed {
        0 if color => ChatUpdated::Unchanged,
        0 => ChatUpdated::NotOwner,
        _ => ChatUpdated::Done,
    })
}

/// Whether `name` is some chat's picture (what `/upload/avatar/` serves).
pub(super) fn is_avatar(conn: &impl Db, name: &str) -> DbResult<bool> {
    conn.exists("SELECT 1 FROM chats WHERE avatar = ?1", params![name])
}

/// `imbot.v2.Chat.TextField.enabled`: a member turns the chat's input
/// field on or off; `false` if `actor` is not a member.
pub(super) fn set_text_field(
    conn: &impl Db,
    chat: ChatId,
    actor: UserId,
    enabled: bool,
) -> DbResult<bool> {
    if !is_member(conn, chat, actor)? {
        return Ok(false);
    }
    conn.exec(
        "UPDATE chats SET text_field = ?1 WHERE id = ?2",
        params![enabled, chat.0],
    )?;
    conn.publish(Update::Chat {
        chat: chat.0,
        users: Vec::new(),
    });
    Ok(true)
}

/// Every chat `user` is a member of.
pub(super) fn chats_of(conn: &impl Db, user: UserId) -> DbResult<Vec<ChatId>> {
    conn.rows(
        "SELECT chat_id FROM chat_members WHERE user_id = ?1",
        params![user.0],
        |r| Ok(ChatId(r.get(0)?)),
    )
}

/// `im.chat.mute`: a member's own notification switch for the chat.
pub(super) fn set_muted(conn: &impl Db, chat: ChatId, user: UserId, muted: bool) -> DbResult<bool> {
    let n = conn.exec(
        "UPDATE chat_members SET muted = ?1 WHERE chat_id = ?2 AND user_id = ?3",
        params![muted, chat.0, user.0],
    )?;
    if n == 1 {
        conn.publish(Update::User { user: user.0 });
    }
    Ok(n == 1)
}
