//! Application options (`app.option.*`, `user.option.*`): one row a name,
//! its value as JSON text, in the order names were first set (the row id).

use super::sql::{params, Db, DbResult, DbRow};
use crate::domain::options::{OptionEntry, OptionsOwner};

pub(super) fn options(
    conn: &impl Db,
    owner: &OptionsOwner,
    name: Option<&str>,
) -> DbResult<Vec<OptionEntry>> {
    let row = |r: &dyn DbRow| {
        Ok(OptionEntry {
            name: r.get(0)?,
            json: r.get(1)?,
        })
    };
    match owner {
        OptionsOwner::App(app) => conn.rows(
            "SELECT name, value FROM app_options
              WHERE client_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR name = ?2)
              ORDER BY id",
            params![app, name],
            row,
        ),
        OptionsOwner::User(app, user) => conn.rows(
            "SELECT name, value FROM user_options
              WHERE client_id = ?1 AND user_id = ?2 AND (CAST(?3 AS TEXT) IS NULL OR name = ?3)
              ORDER BY id",
            params![app, user.0, name],
            row,
        ),
    }
}

/// Writes each option; a name already set keeps its place (its row).
pub(super) fn set_options(
    conn: &impl Db,
    owner: &OptionsOwner,
    options: &[OptionEntry],
) -> DbResult<()> {
    for o in options {
        match owner {
            OptionsOwner::App(app) => conn.exec(
                "INSERT INTO app_options (client_id, name, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (client_id, name) DO UPDATE SET value = excluded.value",
                params![app, o.name, o.json],
            )?,
            OptionsOwner::User(app, user) => conn.exec(
                "INSERT INTO user_options (client_id, user_id, name, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (client_id, user_id, name) DO UPDATE SET value = excluded.value",
                params![app, user.0, o.name, o.json],
            )?,
        };
    }
    Ok(())
}

/// Removes every option of the application `client_id` (it is deleted).
pub(super) fn delete_all(conn: &impl Db, client_id: &str) -> DbResult<()> {
    conn.exec(
        "DELETE FROM app_options WHERE client_id = ?1",
        params![client_id],
    )?;
    conn.exec(
        "DELETE FROM user_options WHERE client_id = ?1",
        params![client_id],
    )?;
    Ok(())
}
