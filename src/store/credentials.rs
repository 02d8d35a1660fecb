//! Credentials (webhooks, tokens): stored hashed; a revocation is announced to every node.

use super::sql::{params, Db, DbResult, DbRow};
use super::StoreError;
use crate::domain::credentials::{
    Credential, CredentialKind, NewCredential, Scopes, Ties, TokenHash,
};
use crate::domain::live::Update;
use crate::domain::{ChatId, Timestamp, UserId};

pub(super) fn credential_from_row(r: &dyn DbRow) -> DbResult<(Credential, String, String)> {
    let kind: String = r.get(1)?;
    let scopes: String = r.get(4)?;
    Ok((
        Credential {
            id: r.get(0)?,
            kind: CredentialKind::Webhook,
            user: UserId(r.get(2)?),
            token_hash: TokenHash(r.get(3)?),
            scopes: Scopes::default(),
            created_at: Timestamp(r.get(5)?),
            expires_at: r.get::<Option<i64>>(6)?.map(Timestamp),
            client_id: r.get(7)?,
            ties: Ties {
                chat: r.get::<Option<i64>>(8)?.map(ChatId),
                bot: r.get::<Option<i64>>(9)?.map(UserId),
                parent: r.get(10)?,
            },
        },
        kind,
        scopes,
    ))
}

pub(super) fn finish_credential(
    (mut c, kind, scopes): (Credential, String, String),
) -> DbResult<Credential> {
    c.kind = CredentialKind::parse(&kind)
        .ok_or_else(|| StoreError::Database(format!("unknown credential kind {kind}")))?;
    c.scopes = Scopes::parse(&scopes).unwrap_or_default();
    Ok(c)
}

pub(super) const CREDENTIAL_COLUMNS: &str =
    "id, kind, user_id, token_hash, scopes, created_at, expires_at, client_id, chat_id, bot_id,
     parent_id";

pub(super) fn create_credential(conn: &impl Db, new: NewCredential) -> DbResult<i64> {
    conn.insert(
        "INSERT INTO credentials
                     (kind, user_id, token_hash, scopes, created_at, expires_at, client_id,
                      chat_id, bot_id, parent_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
        params![
            new.kind.as_str(),
            new.user.0,
            new.token_hash.0,
            new.scopes.to_list(),
            new.created_at.0,
            new.expires_at.map(|t| t.0),
            new.client_id,
            new.ties.chat.map(|c| c.0),
            new.ties.bot.map(|b| b.0),
            new.ties.parent,
        ],
    )
}

pub(super) fn credential(conn: &impl Db, hash: TokenHash) -> DbResult<Option<Credential>> {
    let row = conn.row_opt(
        // A deactivated user's (user.update ACTIVE=N) credentials stop
        // working; one made from another (its `parent_id`) works only while
        // that one is there, and expires when it does; one a bot's event
        // handed out, only while the bot is there.
        &format!(
            "SELECT {CREDENTIAL_COLUMNS},
                    (SELECT p.expires_at FROM credentials p WHERE p.id = credentials.parent_id)
               FROM credentials WHERE token_hash = ?1
                AND user_id IN (SELECT id FROM users WHERE active = TRUE)
                AND (parent_id IS NULL
                     OR parent_id IN (SELECT id FROM credentials))
                AND (bot_id IS NULL OR bot_id IN (SELECT user_id FROM bots))"
        ),
        params![hash.0],
        |r| {
            let parent_expires: Option<i64> = r.get(11)?;
            credential_from_row(r).map(|row| (row, parent_expires))
        },
    )?;
    row.map(|(row, parent_expires)| {
        finish_credential(row).map(|mut c| {
            if let Some(t) = parent_expires {
                c.expires_at = Some(Timestamp(c.expires_at.map_or(t, |own| own.0.min(t))));
            }
            c
        })
    })
    .transpose()
}

pub(super) fn webhooks(conn: &impl Db) -> DbResult<Vec<Credential>> {
    let rows = conn.rows(
        &format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE kind = 'webhook' ORDER BY id"),
        params![],
        credential_from_row,
    )?;
    rows.into_iter().map(finish_credential).collect()
}

pub(super) fn delete_webhook(conn: &impl Db, hash: TokenHash) -> DbResult<bool> {
    let deleted = conn.rows(
        "DELETE FROM credentials WHERE kind = 'webhook' AND token_hash = ?1 RETURNING id",
        params![hash.0],
        |r| r.get::<i64>(0),
    )?;
    // What was made from it (a web client's sessions) ends with it.
    for id in &deleted {
        conn.exec("DELETE FROM credentials WHERE parent_id = ?1", params![id])?;
        conn.exec("DELETE FROM oauth_grants WHERE parent_id = ?1", params![id])?;
        conn.exec(
            "DELETE FROM event_bindings WHERE credential_id = ?1",
            params![id],
        )?;
    }
    if !deleted.is_empty() {
        conn.publish(Update::Credentials);
    }
    Ok(!deleted.is_empty())
}

pub(super) fn purge_expired_tokens(conn: &impl Db, before: Timestamp) -> DbResult<usize> {
    conn.exec(
        "DELETE FROM credentials WHERE kind = 'access_token' AND expires_at < ?1",
        params![before.0],
    )
}
