-- Files in chats (im.v2.File.*, im.disk.*). A folder per chat and each
-- user's "Saved Files", named by `key` ('chat:N', 'saved:U'); a file is
-- sent as a message of its own; its content is kept once, by its SHA-256,
-- in DATA/files/.
CREATE TABLE folders (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    key       TEXT    NOT NULL UNIQUE,
    name      TEXT    NOT NULL,
    chat_id   INTEGER REFERENCES chats (id),
    owner_id  INTEGER REFERENCES users (id)
);
CREATE TABLE files (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    folder_id   INTEGER NOT NULL REFERENCES folders (id),
    chat_id     INTEGER REFERENCES chats (id),
    message_id  INTEGER REFERENCES messages (id),
    author_id   INTEGER NOT NULL REFERENCES users (id),
    name        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    width       INTEGER,
    height      INTEGER,
    deleted     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX files_message ON files (message_id);
CREATE INDEX files_chat ON files (chat_id);
-- im.chat.updateAvatar: the chat's picture, as `<sha-256>.<png|jpg|gif>`.
ALTER TABLE chats ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
-- /upload/avatar/ answers anyone: one index lookup, never a scan.
CREATE INDEX chats_avatar ON chats (avatar) WHERE avatar <> '';
-- When each member last moved their read mark (im.dialog.get's readed_list).
ALTER TABLE chat_members ADD COLUMN last_read_at INTEGER;
