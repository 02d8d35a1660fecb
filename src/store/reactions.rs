//! Reactions: the like, one statement to see the message and who hears of it, one to change it.

use std::sync::LazyLock;

use super::events::{enqueue_reaction, ReactionChange, REACTION_CHANGE_COLUMNS};
use super::sql::{params, Db, DbResult, Dialect};
use super::LikeOutcome;
use crate::domain::live::Update;
use crate::domain::reactions::{LikeAction, ReactionCode};
use crate::domain::{ChatId, MessageId, Timestamp, UserId};

/// The like's visibility query: the message, if `?2` may see it, and who
/// hears of a change ([`ReactionChange`]).
pub(super) static VISIBLE_TO_LIKE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM messages m
         JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ?2
         WHERE m.id = ?1 AND m.deleted = FALSE",
        REACTION_CHANGE_COLUMNS
    )
});

/// The same on PostgreSQL, with what it reads locked until commit, so that
/// nodes (and a node's writers) agree: the message shared and the user's
/// membership key-shared, so a like and a concurrent delete or removal from
/// the chat happen one after the other; and the pair (message, user) under
/// a transaction-scoped advisory lock, so one user's concurrent toggles of a
/// message apply one after the other (each `auto` sees the one before).
/// Other users' likes, and the same user's likes of other messages, do not
/// wait for each other.
pub(super) static VISIBLE_TO_LIKE_LOCKED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {}, pg_advisory_xact_lock(hashint8(?1), hashint8(?2))
         FROM messages m
         JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ?2
         WHERE m.id = ?1 AND m.deleted = FALSE
         FOR KEY SHARE OF cm FOR SHARE OF m",
        REACTION_CHANGE_COLUMNS
    )
});

/// One like (or reaction) to set, remove or toggle.
#[derive(Debug, Clone)]
pub struct LikeSpec {
    pub user: UserId,
    pub message: MessageId,
    pub code: ReactionCode,
    pub action: LikeAction,
    pub now: Timestamp,
}

impl LikeSpec {
    /// Two likes of one key in a batch would see each other's effects
    /// only one after the other: a batch holds each key once.
    pub fn key(&self) -> (i64, i64) {
        (self.message.0, self.user.0)
    }
}

pub(super) fn set_reaction(conn: &impl Db, spec: LikeSpec) -> DbResult<LikeOutcome> {
    let LikeSpec {
        user,
        message,
        code,
        action,
        now,
    } = spec;
    let code = code.as_str();
    // Visible to `user` (and, for the events, where and whose it is).
    let sql: &str = match conn.dialect() {
        Dialect::Sqlite => &VISIBLE_TO_LIKE,
        Dialect::Postgres => &VISIBLE_TO_LIKE_LOCKED,
    };
    let visible = conn.row_opt(sql, params![message.0, user.0], |r| {
        Ok(ReactionChange {
            message,
            chat: ChatId(r.get(0)?),
            author: r.get::<Option<i64>>(1)?.map(UserId),
            user,
            author_hears_reactions: r.get(2)?,
            user_listeners: r.get(3)?,
        })
    })?;
    let Some(change) = visible else {
        return Ok(LikeOutcome::NotVisible);
    };
    let add = || -> DbResult<bool> {
        Ok(conn.exec(
            "INSERT INTO reactions (message_id, user_id, reaction, created_at)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (message_id, user_id, reaction) DO NOTHING",
            params![message.0, user.0, code, now.0],
        )? == 1)
    };
    let remove = || -> DbResult<bool> {
        Ok(conn.exec(
            "DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND reaction = ?3",
            params![message.0, user.0, code],
        )? == 1)
    };
    let outcome = match action {
        LikeAction::Plus if add()? => LikeOutcome::Added,
        LikeAction::Minus if remove()? => LikeOutcome::Removed,
        LikeAction::Plus | LikeAction::Minus => LikeOutcome::Unchanged,
        LikeAction::Auto if remove()? => LikeOutcome::Removed,
        LikeAction::Auto if add()? => LikeOutcome::Added,
        LikeAction::Auto => LikeOutcome::Unchanged,
    };
    if matches!(outcome, LikeOutcome::Added | LikeOutcome::Removed) {
        let added = outcome == LikeOutcome::Added;
        conn.publish(Update::Reaction {
            chat: change.chat.0,
            message: message.0,
            user: user.0,
            reaction: code.to_owned(),
            set: added,
        });
        enqueue_reaction(conn, &change, code, added, now)?;
    }
    Ok(outcome)
}
