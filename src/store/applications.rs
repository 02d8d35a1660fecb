//! Applications: the client ids that have acted (with their local ids), the
//! OAuth applications made by `app add`, and their grants (authorization
//! codes, refresh tokens), kept by the hash of their secret.

use super::sql::{params, Db, DbResult, DbRow};
use crate::domain::applications::{Application, Grant, GrantKind, NewApplication, TokenPair};
use crate::domain::credentials::{CredentialKind, NewCredential, Scopes, TokenHash};
use crate::domain::live::Update;
use crate::domain::{Timestamp, UserId};

/// `app.info`: the local id of the application `client_id`, recorded on
/// first use.
pub(super) fn application_id(conn: &impl Db, client_id: &str, now: Timestamp) -> DbResult<i64> {
    conn.exec(
        "INSERT INTO applications (client_id, created_at) VALUES (?1, ?2)
         ON CONFLICT (client_id) DO NOTHING",
        params![client_id, now.0],
    )?;
    conn.row(
        "SELECT id FROM applications WHERE client_id = ?1",
        params![client_id],
        |r| r.get(0),
    )
}

const COLUMNS: &str = "id, client_id, name, secret_hash, scopes, handler, redirect_uri,
                       installed_by, created_at, public, installs";

fn from_row(r: &dyn DbRow) -> DbResult<Application> {
    let scopes: String = r.get(4)?;
    Ok(Application {
        id: r.get(0)?,
        client_id: r.get(1)?,
        name: r.get(2)?,
        secret_hash: r.get::<Option<String>>(3)?.map(TokenHash),
        scopes: Scopes::parse(&scopes).unwrap_or_default(),
        handler: r.get(5)?,
        redirect_uri: r.get(6)?,
        installed_by: r.get::<Option<i64>>(7)?.map(UserId),
        created_at: Timestamp(r.get(8)?),
        public: r.get(9)?,
        installs: r.get(10)?,
    })
}

pub(super) fn create_application(conn: &impl Db, new: NewApplication) -> DbResult<i64> {
    conn.insert(
        "INSERT INTO applications
             (client_id, name, secret_hash, scopes, handler, redirect_uri, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        params![
            new.client_id,
            new.name,
            new.secret_hash.0,
            new.scopes.to_list(),
            new.handler,
            new.redirect_uri,
            new.created_at.0
        ],
    )
}

pub(super) fn application(conn: &impl Db, client_id: &str) -> DbResult<Option<Application>> {
    conn.row_opt(
        &format!("SELECT {COLUMNS} FROM applications WHERE client_id = ?1"),
        params![client_id],
        from_row,
    )
}

/// The OAuth applications (those with a secret), oldest first.
pub(super) fn applications(conn: &impl Db) -> DbResult<Vec<Application>> {
    conn.rows(
        &format!("SELECT {COLUMNS} FROM applications WHERE secret_hash IS NOT NULL ORDER BY id"),
        params![],
        from_row,
    )
}

/// The new access token and refresh token of `user` for `client_id`.
fn store_pair(
    conn: &impl Db,
    client_id: &str,
    (user, parent): (UserId, Option<i64>),
    scopes: &Scopes,
    pair: &TokenPair,
    now: Timestamp,
) -> DbResult<()> {
    // A public client's tokens act as the user alone: its users share no
    // application (bots, event bindings, request limits).
    let public = conn.exists(
        "SELECT 1 FROM applications WHERE client_id = ?1 AND public",
        params![client_id],
    )?;
    super::credentials::create_credential(
        conn,
        NewCredential {
            kind: CredentialKind::AccessToken,
            user,
            token_hash: pair.access_hash.clone(),
            scopes: scopes.clone(),
            created_at: now,
            expires_at: Some(pair.access_expires),
            client_id: (!public).then(|| client_id.to_owned()),
            ties: crate::domain::credentials::Ties {
                parent,
                ..Default::default()
            },
        },
    )?;
    create_grant(
        conn,
        &Grant {
            kind: GrantKind::Refresh,
            token_hash: pair.refresh_hash.clone(),
            client_id: client_id.to_owned(),
            user,
            scopes: scopes.clone(),
            created_at: now,
            expires_at: pair.refresh_expires,
            parent,
        },
    )
}

fn create_grant(conn: &impl Db, g: &Grant) -> DbResult<()> {
    conn.exec(
        "INSERT INTO oauth_grants
             (kind, token_hash, client_id, user_id, scopes, created_at, expires_at, parent_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            g.kind.as_str(),
            g.token_hash.0,
            g.client_id,
            g.user.0,
            g.scopes.to_list(),
            g.created_at.0,
            g.expires_at.0,
            g.parent
        ],
    )?;
    Ok(())
}

/// `app install`: the application is installed by `user` (an active
/// administrator), who gets its first tokens. `None`: no such OAuth
/// application, or `user` is no active administrator.
pub(super) fn install_application(
    conn: &impl Db,
    client_id: &str,
    user: UserId,
    pair: &TokenPair,
    now: Timestamp,
) -> DbResult<Option<Application>> {
    let n = conn.exec(
        "UPDATE applications SET installed_by = ?2, installed_at = ?3, installs = installs + 1
          WHERE client_id = ?1 AND secret_hash IS NOT NULL
            AND ?2 IN (SELECT id FROM users WHERE admin = TRUE AND active = TRUE AND bot = FALSE)",
        params![client_id, user.0, now.0],
    )?;
    if n == 0 {
        return Ok(None);
    }
    let Some(app) = application(conn, client_id)? else {
        return Ok(None);
    };
    store_pair(conn, client_id, (user, None), &app.scopes, pair, now)?;
    Ok(Some(app))
}

/// Holds the application's row against deletion until commit (PostgreSQL;
/// `app delete` locks it for update first), so a grant or token issued here
/// is either seen and removed by a deletion or never issued. Whether the
/// application is there.
fn hold(conn: &impl Db, client_id: &str) -> DbResult<bool> {
    conn.exists(
        &format!(
            "SELECT 1 FROM applications WHERE client_id = ?1 {}",
            conn.dialect().for_share()
        ),
        params![client_id],
    )
}

/// An authorization code for `user`, who signed in to the installed
/// application `client_id`; `None` when it is not installed or `user` is
/// not an active person.
pub(super) fn create_code(
    conn: &impl Db,
    client_id: &str,
    user: UserId,
    hash: &TokenHash,
    (now, expires): (Timestamp, Timestamp),
    parent: Option<i64>,
) -> DbResult<Option<Grant>> {
    if !hold(conn, client_id)? {
        return Ok(None);
    }
    let Some(app) = application(conn, client_id)? else {
        return Ok(None);
    };
    let person = conn.row_opt(
        "SELECT id FROM users WHERE id = ?1 AND active = TRUE AND bot = FALSE",
        params![user.0],
        |r| r.get::<i64>(0),
    )?;
    if !app.installed() || !app.is_oauth() || person.is_none() {
        return Ok(None);
    }
    let grant = Grant {
        kind: GrantKind::Code,
        token_hash: hash.clone(),
        client_id: client_id.to_owned(),
        user,
        scopes: app.scopes,
        created_at: now,
        expires_at: expires,
        parent,
    };
    create_grant(conn, &grant)?;
    Ok(Some(grant))
}

/// Uses up the grant (`kind`, `hash`) of `client_id`, if it is still good at
/// `now`, its user active and its application installed, and issues `pair`
/// in its place, all in this one transaction. `None`: no such grant.
pub(super) fn redeem_grant(
    conn: &impl Db,
    kind: GrantKind,
    hash: &TokenHash,
    client_id: &str,
    pair: &TokenPair,
    now: Timestamp,
) -> DbResult<Option<Grant>> {
    if !hold(conn, client_id)? {
        return Ok(None);
    }
    // A grant made with a credential is good only while that one is.
    let taken = conn.row_opt(
        "DELETE FROM oauth_grants
          WHERE kind = ?1 AND token_hash = ?2 AND client_id = ?3 AND expires_at > ?4
            AND user_id IN (SELECT id FROM users WHERE active = TRUE)
            AND client_id IN (SELECT client_id FROM applications
                               WHERE installed_by IS NOT NULL OR public)
            AND (parent_id IS NULL
                 OR parent_id IN (SELECT id FROM credentials
                                   WHERE expires_at IS NULL OR expires_at > ?4))
         RETURNING user_id, scopes, created_at, expires_at, parent_id",
        params![kind.as_str(), hash.0, client_id, now.0],
        |r| {
            let scopes: String = r.get(1)?;
            Ok(Grant {
                kind,
                token_hash: hash.clone(),
                client_id: client_id.to_owned(),
                user: UserId(r.get(0)?),
                scopes: Scopes::parse(&scopes).unwrap_or_default(),
                created_at: Timestamp(r.get(2)?),
                expires_at: Timestamp(r.get(3)?),
                parent: r.get(4)?,
            })
        },
    )?;
    if let Some(grant) = &taken {
        store_pair(
            conn,
            client_id,
            (grant.user, grant.parent),
            &grant.scopes,
            pair,
            now,
        )?;
    }
    Ok(taken)
}

/// `app delete`: the application goes, with its tokens, grants, bots and
/// event bindings; every node drops what it cached of its tokens.
pub(super) fn delete_application(
    conn: &impl Db,
    client_id: &str,
    now: Timestamp,
) -> DbResult<Option<Application>> {
    // Every later statement sees what issuers holding the row committed.
    conn.exists(
        &format!(
            "SELECT id FROM applications WHERE client_id = ?1 {}",
            conn.dialect().for_update()
        ),
        params![client_id],
    )?;
    let Some(app) = application(conn, client_id)? else {
        return Ok(None);
    };
    // The web client is part of the server: it is not deleted.
    if !app.is_oauth() || app.public {
        return Ok(None);
    }
    let bots = conn.rows(
        "SELECT user_id FROM bots WHERE client_id = ?1 ORDER BY user_id",
        params![client_id],
        |r| r.get::<i64>(0),
    )?;
    for bot in bots {
        super::bots::delete_bot(conn, UserId(bot), now)?;
    }
    conn.exec(
        "DELETE FROM credentials WHERE client_id = ?1",
        params![client_id],
    )?;
    conn.exec(
        "DELETE FROM oauth_grants WHERE client_id = ?1",
        params![client_id],
    )?;
    conn.exec(
        "DELETE FROM event_bindings WHERE client_id = ?1",
        params![client_id],
    )?;
    conn.exec(
        "DELETE FROM offline_bindings WHERE client_id = ?1",
        params![client_id],
    )?;
    conn.exec(
        "DELETE FROM offline_events WHERE client_id = ?1",
        params![client_id],
    )?;
    super::options::delete_all(conn, client_id)?;
    conn.exec(
        "DELETE FROM applications WHERE client_id = ?1",
        params![client_id],
    )?;
    conn.publish(Update::Credentials);
    Ok(Some(app))
}

/// Drops codes and refresh tokens that expired before `before`.
pub(super) fn purge_expired_grants(conn: &impl Db, before: Timestamp) -> DbResult<usize> {
    conn.exec(
        "DELETE FROM oauth_grants WHERE expires_at < ?1",
        params![before.0],
    )
}
