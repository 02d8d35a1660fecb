-- OAuth 2.0 applications (`b24im app add`): a row of `applications` with a
-- secret is an application an administrator made; one without is a client
-- id only seen acting (a webhook's CLIENT_ID). `installed_by` is the
-- administrator who installed it (NULL: not installed).
ALTER TABLE applications ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN secret_hash TEXT;
ALTER TABLE applications ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN handler TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN redirect_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN installed_by INTEGER REFERENCES users (id);
ALTER TABLE applications ADD COLUMN installed_at INTEGER;

-- Authorization codes and refresh tokens, by the SHA-256 of their secret.
-- A code is good once, a refresh token until it is used (a refresh hands
-- out a new one) or expires.
CREATE TABLE oauth_grants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('code', 'refresh')),
    token_hash  TEXT    NOT NULL UNIQUE,
    client_id   TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    scopes      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX oauth_grants_client ON oauth_grants (client_id);
CREATE INDEX credentials_client ON credentials (client_id) WHERE client_id IS NOT NULL;
