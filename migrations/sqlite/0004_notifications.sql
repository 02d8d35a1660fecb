-- Notifications (im.notify.*). Each user's notifications belong to a chat of
-- their own of kind 'S' (the system chat portals keep them in; no member,
-- so no chat method sees it), named by private_key 'notify:USER'.
--
-- SQLite cannot alter a CHECK constraint; widening one changes nothing on
-- disk, so the table's recorded SQL is edited in place, as
-- https://sqlite.org/lang_altertable.html#otheralter describes (the
-- migration runner bumps schema_version after every migration).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (kind IN (''C'', ''O'', ''P''))',
                          'CHECK (kind IN (''C'', ''O'', ''P'', ''S''))')
 WHERE type = 'table' AND name = 'chats';
PRAGMA writable_schema = OFF;

CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id      INTEGER NOT NULL REFERENCES chats (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),  -- the recipient
    author_id    INTEGER REFERENCES users (id),           -- NULL: system
    notify_type  INTEGER NOT NULL,                        -- 2 personal, 4 system
    module       TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    -- Tags as stored: 'MP|<application key>|TAG' ('' when none).
    tag          TEXT    NOT NULL DEFAULT '',
    sub_tag      TEXT    NOT NULL DEFAULT '',
    text         TEXT    NOT NULL,
    text_out     TEXT    NOT NULL DEFAULT '',
    attach       TEXT,                                    -- JSON, as given
    is_read      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_tag ON notifications (tag) WHERE tag <> '';
CREATE INDEX notifications_sub_tag ON notifications (sub_tag) WHERE sub_tag <> '';
