-- b24im schema, version 1.
CREATE TABLE users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name  TEXT    NOT NULL,
    last_name   TEXT    NOT NULL DEFAULT '',
    admin       INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

CREATE TABLE credentials (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('webhook', 'access_token')),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    token_hash  TEXT    NOT NULL UNIQUE,
    scopes      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER
);

CREATE TABLE chats (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL CHECK (kind IN ('C', 'O', 'P')),
    title        TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT '',
    color        TEXT    NOT NULL,
    owner_id     INTEGER NOT NULL REFERENCES users (id),
    entity_type  TEXT    NOT NULL DEFAULT '',
    entity_id    TEXT    NOT NULL DEFAULT '',
    -- 'low:high' user ids for a private dialog, so there is only ever one.
    private_key  TEXT    UNIQUE,
    created_at   INTEGER NOT NULL
);
CREATE INDEX chats_entity ON chats (entity_type, entity_id) WHERE entity_type <> '';

-- rowid order is join order.
CREATE TABLE chat_members (
    chat_id    INTEGER NOT NULL REFERENCES chats (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    joined_at  INTEGER NOT NULL,
    UNIQUE (chat_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members (user_id);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id      INTEGER NOT NULL REFERENCES chats (id),
    author_id    INTEGER REFERENCES users (id),  -- NULL for system messages
    text         TEXT    NOT NULL,
    system_code  TEXT,
    edited       INTEGER NOT NULL DEFAULT 0,
    deleted      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX messages_chat ON messages (chat_id, id);

-- One row per (message, user, reaction); a like is reaction 'like'.
-- rowid order is the order reactions were set.
CREATE TABLE reactions (
    message_id  INTEGER NOT NULL REFERENCES messages (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    reaction    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (message_id, user_id, reaction)
);
