-- user.userfield.*: the portal's custom user fields (UF_USR_*), their
-- enumeration items, and each user's values (the JSON text user.update was
-- given). SETTINGS and labels are JSON text (key order and types kept).
CREATE TABLE IF NOT EXISTS user_fields (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    field_name   TEXT    NOT NULL UNIQUE,
    user_type_id TEXT    NOT NULL,
    xml_id       TEXT,
    sort         INTEGER NOT NULL,
    multiple     BOOLEAN NOT NULL,
    show_filter  TEXT    NOT NULL,
    settings     TEXT    NOT NULL,
    labels       TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS user_field_enums (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    field_id INTEGER NOT NULL,
    value    TEXT    NOT NULL,
    sort     INTEGER NOT NULL,
    def      BOOLEAN NOT NULL,
    xml_id   TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS user_field_enums_field ON user_field_enums (field_id);
CREATE TABLE IF NOT EXISTS user_field_values (
    user_id  INTEGER NOT NULL,
    field_id INTEGER NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (user_id, field_id)
);
CREATE INDEX IF NOT EXISTS user_field_values_field ON user_field_values (field_id);
