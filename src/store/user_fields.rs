//! Custom user fields (`user.userfield.*`): `user_fields` rows, their
//! enumeration items (`user_field_enums`) and each user's values
//! (`user_field_values`, the JSON text `user.update` was given).

use super::sql::{marks, params, Db, DbResult, DbRow, Param};
use crate::domain::user_fields::{EnumItem, FieldAdded, UserFieldDef, UserFieldValue};
use crate::domain::UserId;

/// Every field, by id, each with its items by `SORT`, then id: two queries.
pub(super) fn user_fields(conn: &impl Db) -> DbResult<Vec<UserFieldDef>> {
    let mut fields = conn.rows(
        "SELECT id, field_name, user_type_id, xml_id, sort, multiple, show_filter, settings, labels
           FROM user_fields ORDER BY id",
        params![],
        |r: &dyn DbRow| {
            Ok(UserFieldDef {
                id: r.get(0)?,
                field_name: r.get(1)?,
                user_type_id: r.get(2)?,
                xml_id: r.get(3)?,
                sort: r.get(4)?,
                multiple: r.get(5)?,
                show_filter: r.get(6)?,
                settings: r.get(7)?,
                labels: r.get(8)?,
                list: Vec::new(),
            })
        },
    )?;
    let items = conn.rows(
        "SELECT field_id, id, value, sort, def, xml_id FROM user_field_enums
          ORDER BY field_id, sort, id",
        params![],
        |r: &dyn DbRow| {
            Ok((
                r.get::<i64>(0)?,
                EnumItem {
                    id: Some(r.get(1)?),
                    value: r.get(2)?,
                    sort: r.get(3)?,
                    def: r.get(4)?,
                    xml_id: r.get(5)?,
                },
            ))
        },
    )?;
    for (field_id, item) in items {
        if let Some(f) = fields.iter_mut().find(|f| f.id == field_id) {
            f.list.push(item);
        }
    }
    Ok(fields)
}

pub(super) fn add_user_field(conn: &impl Db, def: &UserFieldDef) -> DbResult<FieldAdded> {
    if conn.exists(
        "SELECT 1 FROM user_fields WHERE field_name = ?1",
        params![def.field_name],
    )? {
        return Ok(FieldAdded::Exists);
    }
    let id = conn.insert(
        "INSERT INTO user_fields
             (field_name, user_type_id, xml_id, sort, multiple, show_filter, settings, labels)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        params![
            def.field_name,
            def.user_type_id,
            def.xml_id,
            def.sort,
            def.multiple,
            def.show_filter,
            def.settings,
            def.labels
        ],
    )?;
    for item in &def.list {
        insert_item(conn, id, item)?;
    }
    Ok(FieldAdded::Added(id))
}

fn insert_item(conn: &impl Db, field_id: i64, item: &EnumItem) -> DbResult<()> {
    conn.exec(
        "INSERT INTO user_field_enums (field_id, value, sort, def, xml_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![field_id, item.value, item.sort, item.def, item.xml_id],
    )?;
    Ok(())
}

pub(super) fn update_user_field(conn: &impl Db, def: &UserFieldDef) -> DbResult<bool> {
    let n = conn.exec(
        "UPDATE user_fields SET xml_id = ?2, sort = ?3, show_filter = ?4, settings = ?5,
                                labels = ?6
          WHERE id = ?1",
        params![
            def.id,
            def.xml_id,
            def.sort,
            def.show_filter,
            def.settings,
            def.labels
        ],
    )?;
    if n == 0 {
        return Ok(false);
    }
    let kept: Vec<i64> = def.list.iter().filter_map(|i| i.id).collect();
    let stored: Vec<i64> = conn.rows(
        "SELECT id FROM user_field_enums WHERE field_id = ?1",
        params![def.id],
        |r: &dyn DbRow| r.get(0),
    )?;
    for id in stored.iter().filter(|id| !kept.contains(id)) {
        conn.exec("DELETE FROM user_field_enums WHERE id = ?1", params![id])?;
    }
    for item in &def.list {
        match item.id {
            Some(id) => {
                conn.exec(
                    "UPDATE user_field_enums SET value = ?3, sort = ?4, def = ?5, xml_id = ?6
                      WHERE id = ?1 AND field_id = ?2",
                    params![id, def.id, item.value, item.sort, item.def, item.xml_id],
                )?;
            }
            None => insert_item(conn, def.id, item)?,
        }
    }
    Ok(true)
}

pub(super) fn delete_user_field(conn: &impl Db, id: i64) -> DbResult<bool> {
    conn.exec(
        "DELETE FROM user_field_values WHERE field_id = ?1",
        params![id],
    )?;
    conn.exec(
        "DELETE FROM user_field_enums WHERE field_id = ?1",
        params![id],
    )?;
    Ok(conn.exec("DELETE FROM user_fields WHERE id = ?1", params![id])? == 1)
}

/// The values of `users`, one statement a thousand users.
pub(super) fn values(conn: &impl Db, users: &[UserId]) -> DbResult<Vec<UserFieldValue>> {
    let mut out = Vec::new();
    for chunk in users.chunks(1000) {
        let sql = format!(
            "SELECT user_id, field_id, value FROM user_field_values
              WHERE user_id IN ({}) ORDER BY user_id, field_id",
            marks(chunk.len())
        );
        let bound: Vec<&dyn Param> = chunk.iter().map(|id| &id.0 as &dyn Param).collect();
        out.extend(conn.rows(&sql, &bound, |r: &dyn DbRow| {
            Ok(UserFieldValue {
                user: UserId(r.get(0)?),
                field_id: r.get(1)?,
                json: r.get(2)?,
            })
        })?);
    }
    Ok(out)
}

/// `user.update`'s `UF_USR_*` values: set (or, for `None`, cleared); names
/// of no field are skipped.
pub(super) fn set_values(
    conn: &impl Db,
    user: UserId,
    values: &[(String, Option<String>)],
) -> DbResult<()> {
    for (name, json) in values {
        let Some(field_id) = conn.row_opt(
            "SELECT id FROM user_fields WHERE field_name = ?1",
            params![name],
            |r: &dyn DbRow| r.get::<i64>(0),
        )?
        else {
            continue;
        };
        match json {
            Some(json) => conn.exec(
                "INSERT INTO user_field_values (user_id, field_id, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id, field_id) DO UPDATE SET value = excluded.value",
                params![user.0, field_id, json],
            )?,
            None => conn.exec(
                "DELETE FROM user_field_values WHERE user_id = ?1 AND field_id = ?2",
                params![user.0, field_id],
            )?,
        };
    }
    Ok(())
}
