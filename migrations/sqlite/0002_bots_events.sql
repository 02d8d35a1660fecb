-- Chat-bots, the application a credential acts for, and the event outbox.

-- A bot is a user of its own kind (user.get leaves bots out).
ALTER TABLE users ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;

-- The application a credential acts for: webhooks name theirs with CLIENT_ID
-- per call; access tokens handed to a bot's event handler carry it.
ALTER TABLE credentials ADD COLUMN client_id TEXT;

CREATE TABLE bots (
    user_id            INTEGER PRIMARY KEY REFERENCES users (id),
    code               TEXT    NOT NULL,
    client_id          TEXT    NOT NULL,
    type               TEXT    NOT NULL CHECK (type IN ('B', 'H', 'O', 'S', 'P')),
    -- 1: imbot.register (v1 events to EVENT_* URLs); 2: imbot.v2.Bot.register.
    api_version        INTEGER NOT NULL DEFAULT 1,
    -- v2 webhook authorisation: the SHA-256 of the botToken.
    bot_token_hash     TEXT,
    -- v2: 'webhook' (POST to webhook_url) or 'fetch' (imbot.v2.Event.get).
    event_mode         TEXT    NOT NULL DEFAULT 'webhook',
    webhook_url        TEXT    NOT NULL DEFAULT '',
    reactions_enabled  INTEGER NOT NULL DEFAULT 1,
    openline           INTEGER NOT NULL DEFAULT 0,
    owner_id           INTEGER NOT NULL REFERENCES users (id),
    scopes             TEXT    NOT NULL,
    work_position      TEXT    NOT NULL DEFAULT '',
    on_message_add     TEXT    NOT NULL,
    on_message_update  TEXT    NOT NULL DEFAULT '',
    on_message_delete  TEXT    NOT NULL DEFAULT '',
    on_welcome         TEXT    NOT NULL,
    on_bot_delete      TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    UNIQUE (client_id, code)
);

-- Every event is written here in the transaction of the change that causes
-- it, and delivered after commit. `id` is the event's stable id.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    event            TEXT    NOT NULL,
    handler          TEXT    NOT NULL,
    handler_id       INTEGER NOT NULL,
    client_id        TEXT    NOT NULL,
    scopes           TEXT    NOT NULL,
    auth_user        INTEGER NOT NULL,
    record           TEXT    NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claimed_until    INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- imbot.command.register: slash commands and the handler told of their use.
CREATE TABLE bot_commands (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id      INTEGER NOT NULL,
    command     TEXT    NOT NULL,
    common      INTEGER NOT NULL DEFAULT 0,
    hidden      INTEGER NOT NULL DEFAULT 0,
    handler     TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    lang        TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    UNIQUE (bot_id, command)
);

-- Events of v2 bots in fetch mode, until imbot.v2.Event.get confirms them.
CREATE TABLE bot_event_queue (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id      INTEGER NOT NULL,
    record      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX bot_event_queue_bot ON bot_event_queue (bot_id, id);

-- im.v2.Event.subscribe: users whose messenger events are recorded for
-- im.v2.Event.get (kept 24 hours).
CREATE TABLE user_event_subscriptions (
    user_id     INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL
);
CREATE TABLE user_event_queue (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    record      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX user_event_queue_user ON user_event_queue (user_id, id);

-- event.bind: an application's handler for an event, in the context of the
-- user who bound it (events of the chats that user is in).
CREATE TABLE event_bindings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event       TEXT    NOT NULL,
    handler     TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    client_id   TEXT    NOT NULL,
    scopes      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (event, handler, client_id, user_id)
);

-- event.bind with event_type=offline: the application pulls these with
-- event.offline.get. One row per changed object (the latest change wins).
CREATE TABLE offline_bindings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event           TEXT    NOT NULL,
    client_id       TEXT    NOT NULL,
    auth_connector  TEXT    NOT NULL DEFAULT '',
    user_id         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (event, client_id, auth_connector)
);
CREATE TABLE offline_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT    NOT NULL,
    auth_connector  TEXT    NOT NULL DEFAULT '',
    event           TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    data            TEXT    NOT NULL,
    changed_at      INTEGER NOT NULL,
    process_id      TEXT,
    error           INTEGER NOT NULL DEFAULT 0,
    UNIQUE (client_id, auth_connector, message_id)
);

-- Values fixed for the life of a data directory (the portal's member_id).
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
