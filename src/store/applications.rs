//! Applications: the client ids that have acted, with their local ids.
//! (#14 grows this into OAuth applications.)

use super::sql::{params, Db, DbResult};

/// `app.info`: the local id of the application `client_id`, recorded on
/// first use.
pub(super) fn application_id(
    conn: &impl Db,
    client_id: &str,
    now: crate::domain::Timestamp,
) -> DbResult<i64> {
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
