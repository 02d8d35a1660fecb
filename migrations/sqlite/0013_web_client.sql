-- The web client served at `/` signs users in through /oauth/authorize/ as
-- an application of its own: public (a browser keeps no secret, so its code
-- and refresh token are exchanged without one), installed from the start,
-- sending the user back to `/` on the server they signed in at. Its access
-- tokens carry no application (they act as the user alone, as `token add`'s
-- do), so its users share no bots, bindings or limits; it asks for no
-- `imbot` scope.
ALTER TABLE applications ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
INSERT INTO applications (client_id, name, secret_hash, scopes, redirect_uri, public, created_at)
VALUES ('b24im.web', 'b24im web client', '', 'im,user', '/', 1, 0)
ON CONFLICT (client_id) DO NOTHING;

-- What the events panel shows of a delivery's last attempt: the handler's
-- HTTP status (NULL: no answer) and how long it took.
ALTER TABLE outbox ADD COLUMN last_status INTEGER;
ALTER TABLE outbox ADD COLUMN last_latency_ms INTEGER;
CREATE INDEX outbox_client ON outbox (client_id, id);
