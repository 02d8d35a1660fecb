//! Settings: values kept for the life of the data directory.

use super::sql::{params, Db, DbResult};

pub(super) fn setting(conn: &impl Db, name: String, initial: String) -> DbResult<String> {
    conn.exec(
        "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![name, initial],
    )?;
    conn.row(
        "SELECT value FROM settings WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )
}

pub(super) fn get_setting(conn: &impl Db, name: String) -> DbResult<Option<String>> {
    conn.row_opt(
        "SELECT value FROM settings WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )
}

pub(super) fn put_setting(conn: &impl Db, name: String, value: String) -> DbResult<()> {
    conn.exec(
        "INSERT INTO settings (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )
    .map(|_| ())
}
