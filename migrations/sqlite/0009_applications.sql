-- Applications (app.info): each client id b24im has seen act, with the local
-- id portals give an application.
CREATE TABLE applications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
