-- Application options (`app.option.*`) and an application's options for
-- one user (`user.option.*`): each value the JSON text the client sent,
-- names in the order they were first set (the row id). Numbered 0016: the
-- messages' keyboards take 0015.
CREATE TABLE IF NOT EXISTS app_options (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    UNIQUE (client_id, name)
);
CREATE TABLE IF NOT EXISTS user_options (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT    NOT NULL,
    user_id   INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    UNIQUE (client_id, user_id, name)
);
