-- Who may act as whom (docs/security.md).

-- Each installation of an OAuth application is counted: its events'
-- application_token is keyed by it, so a reinstall gives a new one.
ALTER TABLE applications ADD COLUMN installs INTEGER NOT NULL DEFAULT 0;
UPDATE applications SET installs = 1 WHERE installed_by IS NOT NULL;

-- A webhook's CLIENT_ID names an application of the webhook's user alone:
-- `webhook:<user>:<CLIENT_ID>` (`webhook:<user>:` for the bindings of a
-- webhook that names none). What was kept under the bare name moves to its
-- user's key: a bot to its owner's, its commands and events with it, an
-- event binding to the user who bound it. Tokens handed to handlers under a
-- bare name (an hour's life at most) are dropped; the handlers get new ones
-- with their next event.
UPDATE bots SET client_id = 'webhook:' || owner_id || ':' || client_id
 WHERE client_id NOT LIKE 'local.%' AND client_id NOT LIKE 'app.%' AND client_id NOT LIKE 'bot-token:%' AND client_id NOT LIKE 'b24im.%' AND client_id NOT LIKE 'webhook:%';
UPDATE bot_commands SET client_id = (SELECT b.client_id FROM bots b WHERE b.user_id = bot_commands.bot_id)
 WHERE client_id NOT LIKE 'local.%' AND client_id NOT LIKE 'app.%' AND client_id NOT LIKE 'bot-token:%' AND client_id NOT LIKE 'b24im.%' AND client_id NOT LIKE 'webhook:%' AND EXISTS (SELECT 1 FROM bots b WHERE b.user_id = bot_commands.bot_id);
UPDATE outbox SET client_id = (SELECT b.client_id FROM bots b WHERE b.user_id = CAST(json_extract(outbox.record, '$.bot_id') AS INTEGER))
 WHERE client_id NOT LIKE 'local.%' AND client_id NOT LIKE 'app.%' AND client_id NOT LIKE 'bot-token:%' AND client_id NOT LIKE 'b24im.%' AND client_id NOT LIKE 'webhook:%' AND EXISTS (SELECT 1 FROM bots b WHERE b.user_id = CAST(json_extract(outbox.record, '$.bot_id') AS INTEGER));
UPDATE outbox SET client_id = 'webhook:' || auth_user || ':' || client_id
 WHERE client_id NOT LIKE 'local.%' AND client_id NOT LIKE 'app.%' AND client_id NOT LIKE 'bot-token:%' AND client_id NOT LIKE 'b24im.%' AND client_id NOT LIKE 'webhook:%';
UPDATE offline_events SET client_id = (
        SELECT 'webhook:' || o.user_id || ':' || o.client_id FROM offline_bindings o
         WHERE o.client_id = offline_events.client_id
           AND o.auth_connector = offline_events.auth_connector
         ORDER BY o.id LIMIT 1)
 WHERE client_id NOT LIKE 'local.%' AND client_id NOT LIKE 'app.%' AND client_id NOT LIKE 'bot-token:%' AND client_id NOT LIKE 'b24im.%' AND client_id NOT LIKE 'webhook:%' AND EXISTS (
        SELECT 1 FROM offline_bindings o
         WHERE o.client_id = offline_events.client_id
           AND o.auth_connector = offline_events.auth_connector);
UPDATE offline_bindings SET client_id = 'webhook:' || user_id || ':' || client_id
 WHERE client_id NOT LIKE 'local.%' AND client_id NOT LIKE 'app.%' AND client_id NOT LIKE 'bot-token:%' AND client_id NOT LIKE 'b24im.%' AND client_id NOT LIKE 'webhook:%';
UPDATE event_bindings SET client_id = 'webhook:' || user_id || ':' || client_id
 WHERE client_id NOT LIKE 'local.%' AND client_id NOT LIKE 'app.%' AND client_id NOT LIKE 'bot-token:%' AND client_id NOT LIKE 'b24im.%' AND client_id NOT LIKE 'webhook:%';
DELETE FROM credentials WHERE client_id IS NOT NULL AND client_id NOT LIKE 'local.%' AND client_id NOT LIKE 'app.%' AND client_id NOT LIKE 'bot-token:%' AND client_id NOT LIKE 'b24im.%' AND client_id NOT LIKE 'webhook:%';

-- Where a credential may act beyond its scopes. A bot event's `auth` acts
-- for the user who caused the event only in the event's chat (`chat_id`;
-- 0: the event had none) and dies with the bot (`bot_id`). A credential
-- made from another (`parent_id`: a web client's tokens and refresh tokens
-- from a sign-in with a webhook) ends with it.
ALTER TABLE credentials ADD COLUMN chat_id INTEGER;
ALTER TABLE credentials ADD COLUMN bot_id INTEGER;
ALTER TABLE credentials ADD COLUMN parent_id INTEGER;
ALTER TABLE oauth_grants ADD COLUMN parent_id INTEGER;
CREATE INDEX credentials_bot ON credentials (bot_id) WHERE bot_id IS NOT NULL;
CREATE INDEX credentials_parent ON credentials (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX oauth_grants_parent ON oauth_grants (parent_id) WHERE parent_id IS NOT NULL;
