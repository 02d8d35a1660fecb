//! Likes on PostgreSQL a group at a time: the likes (and other reactions)
//! a writer's group holds run as four statements whatever their number
//! (lock, see, remove, add), where one at a time they cost two each. Each
//! like gets the answer it would get run alone in the group's order
//! ([`super::reactions::set_reaction`], which the writer falls back to
//! when a batch fails): the same locks are taken, in one order, before what
//! they guard is read.

use super::events::{enqueue_reaction, ReactionChange, REACTION_CHANGE_COLUMNS};
use super::pg_conn::PgConn;
use super::reactions::LikeSpec;
use super::sql::DbResult;
use super::LikeOutcome;
use crate::domain::live::Update;
use crate::domain::reactions::LikeAction;
use crate::domain::{ChatId, UserId};

/// The (message, user) pairs' advisory locks, as the single like takes
/// them, in key order (two batches never wait for each other in a cycle).
const LOCK: &str = "SELECT count(pg_advisory_xact_lock(hashint8(k.m), hashint8(k.u)))
     FROM (SELECT m, u FROM unnest($1::int8[], $2::int8[]) AS k(m, u) ORDER BY m, u) k";

/// Which likes' messages their users may see (read after the locks, so
/// with what the locks' earlier holders committed), locked as the single
/// like locks them.
fn visible_sql() -> String {
    format!(
        "SELECT k.i, {REACTION_CHANGE_COLUMNS}
         FROM unnest($1::int8[], $2::int8[], $3::int4[]) AS k(m, u, i)
         JOIN messages m ON m.id = k.m AND m.deleted = FALSE
         JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = k.u
         FOR KEY SHARE OF cm FOR SHARE OF m"
    )
}

const REMOVE: &str = "DELETE FROM reactions r
     USING unnest($1::int8[], $2::int8[], $3::text[], $4::int4[]) AS k(m, u, c, i)
     WHERE r.message_id = k.m AND r.user_id = k.u AND r.reaction = k.c
     RETURNING k.i";

const ADD: &str = "INSERT INTO reactions (message_id, user_id, reaction, created_at)
     SELECT m, u, c, t FROM unnest($1::int8[], $2::int8[], $3::text[], $4::int8[], $5::int4[])
         AS k(m, u, c, t, i)
     ORDER BY i
     ON CONFLICT (message_id, user_id, reaction) DO NOTHING
     RETURNING message_id, user_id, reaction";

/// Runs `likes` (each key once) in the open transaction; their outcomes,
/// in order. Changes are published and their events queued as the single
/// like does.
pub fn run_batch(conn: &PgConn, likes: &[LikeSpec]) -> DbResult<Vec<LikeOutcome>> {
    let messages: Vec<i64> = likes.iter().map(|l| l.message.0).collect();
    let users: Vec<i64> = likes.iter().map(|l| l.user.0).collect();
    let index: Vec<i32> = (0..likes.len() as i32).collect();
    conn.raw(LOCK, &[&messages, &users])?;

    let mut seen: Vec<Option<ReactionChange>> = likes.iter().map(|_| None).collect();
    for row in conn.raw(&visible_sql(), &[&messages, &users, &index])? {
        let i: i32 = row.try_get(0)?;
        let like = &likes[i as usize];
        seen[i as usize] = Some(ReactionChange {
            message: like.message,
            chat: ChatId(row.try_get(1)?),
            author: row.try_get::<_, Option<i64>>(2)?.map(UserId),
            user: like.user,
            author_hears_reactions: row.try_get(3)?,
            user_listeners: row.try_get(4)?,
        });
    }

    let mut outcomes: Vec<LikeOutcome> = seen
        .iter()
        .map(|s| match s {
            None => LikeOutcome::NotVisible,
            Some(_) => LikeOutcome::Unchanged,
        })
        .collect();
    let pick = |want: &dyn Fn(usize, &LikeSpec) -> bool| -> Vec<usize> {
        (0..likes.len())
            .filter(|&i| seen[i].is_some() && want(i, &likes[i]))
            .collect()
    };

    let removing = pick(&|_, l| matches!(l.action, LikeAction::Minus | LikeAction::Auto));
    if !removing.is_empty() {
        let (m, u, c, i) = columns(likes, &removing);
        for row in conn.raw(REMOVE, &[&m, &u, &c, &i])? {
            let i: i32 = row.try_get(0)?;
            outcomes[i as usize] = LikeOutcome::Removed;
        }
    }

    let adding = pick(&|i, l| match l.action {
        LikeAction::Plus => true,
        LikeAction::Auto => outcomes[i] != LikeOutcome::Removed,
        LikeAction::Minus => false,
    });
    if !adding.is_empty() {
        let (m, u, c, i) = columns(likes, &adding);
        let t: Vec<i64> = adding.iter().map(|&k| likes[k].now.0).collect();
        let added: Vec<(i64, i64, String)> = conn
            .raw(ADD, &[&m, &u, &c, &t, &i])?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect::<DbResult<_>>()?;
        for &k in &adding {
            let l = &likes[k];
            if added
                .iter()
                .any(|(m, u, c)| (*m, *u) == l.key() && c == l.code.as_str())
            {
                outcomes[k] = LikeOutcome::Added;
            }
        }
    }

    for (k, outcome) in outcomes.iter().enumerate() {
        let (Some(change), LikeOutcome::Added | LikeOutcome::Removed) = (&seen[k], outcome) else {
            continue;
        };
        let l = &likes[k];
        let added = *outcome == LikeOutcome::Added;
        super::sql::Db::publish(
            conn,
            Update::Reaction {
                chat: change.chat.0,
                message: l.message.0,
                user: l.user.0,
                reaction: l.code.as_str().to_owned(),
                set: added,
            },
        );
        enqueue_reaction(conn, change, l.code.as_str(), added, l.now)?;
    }
    Ok(outcomes)
}

/// The message, user, code and index columns of `likes` at `at`.
fn columns(likes: &[LikeSpec], at: &[usize]) -> (Vec<i64>, Vec<i64>, Vec<String>, Vec<i32>) {
    (
        at.iter().map(|&k| likes[k].message.0).collect(),
        at.iter().map(|&k| likes[k].user.0).collect(),
        at.iter()
            .map(|&k| likes[k].code.as_str().to_owned())
            .collect(),
        at.iter().map(|&k| k as i32).collect(),
    )
}
