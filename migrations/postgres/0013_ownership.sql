-- Who may act as whom (docs/security.md).

-- Each installation of an OAuth application is counted: its events'
-- application_token is keyed by it, so a reinstall gives a new one.
ALTER TABLE applications ADD COLUMN installs BIGINT NOT NULL DEFAULT 0;
UPDATE applications SET installs = 1 WHERE installed_by IS NOT NULL;

-- A webhook's CLIENT_ID names an application of the webhook's user alone:
-- `webhook:<user>:<CLIENT_ID>` (`webhook:<user>:` for the bindings of a
-- webhook that names none). Every name that is no application's key is such
-- a name, one that already looked like `webhook:...` too (no key had that
-- form before), compared case by case on both engines (`substr`, not
-- SQLite's case-blind LIKE). What was kept under the bare name moves to its
-- user's key: a bot to its owner's, its commands and events with it, an
-- event binding to the user who bound it. Tokens handed to handlers under a
-- bare name (an hour's life at most) are dropped; the handlers get new ones
-- with their next event.
UPDATE bots SET client_id = 'webhook:' || owner_id || ':' || client_id
 WHERE substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.';
UPDATE bot_commands SET client_id = (SELECT b.client_id FROM bots b WHERE b.user_id = bot_commands.bot_id)
 WHERE substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.' AND EXISTS (SELECT 1 FROM bots b WHERE b.user_id = bot_commands.bot_id);
-- An event of a bot goes with the bot; any other (a user event: its binder
-- is auth_user) to its user. The two sets are apart, so nothing is wrapped
-- twice.
UPDATE outbox SET client_id = 'webhook:' || auth_user || ':' || client_id
 WHERE substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.' AND NOT EXISTS (SELECT 1 FROM bots b WHERE b.user_id = CAST(outbox.record::jsonb ->> 'bot_id' AS BIGINT));
UPDATE outbox SET client_id = (SELECT b.client_id FROM bots b WHERE b.user_id = CAST(outbox.record::jsonb ->> 'bot_id' AS BIGINT))
 WHERE substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.' AND EXISTS (SELECT 1 FROM bots b WHERE b.user_id = CAST(outbox.record::jsonb ->> 'bot_id' AS BIGINT))
   AND client_id <> (SELECT b.client_id FROM bots b WHERE b.user_id = CAST(outbox.record::jsonb ->> 'bot_id' AS BIGINT));
-- Offline events queued under a bare name go to its user when one user alone
-- bound it; events several users' bindings shared cannot be told apart and
-- are dropped (they were readable by each of them).
UPDATE offline_events SET client_id = (
        SELECT MIN('webhook:' || o.user_id || ':' || o.client_id) FROM offline_bindings o
         WHERE o.client_id = offline_events.client_id
           AND o.auth_connector = offline_events.auth_connector)
 WHERE substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.' AND (
        SELECT COUNT(DISTINCT o.user_id) FROM offline_bindings o
         WHERE o.client_id = offline_events.client_id
           AND o.auth_connector = offline_events.auth_connector) = 1;
DELETE FROM offline_events WHERE substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.';
UPDATE offline_bindings SET client_id = 'webhook:' || user_id || ':' || client_id
 WHERE substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.';
UPDATE event_bindings SET client_id = 'webhook:' || user_id || ':' || client_id
 WHERE substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.';
-- The web client's refresh tokens from before sessions ended with their
-- webhook: its users sign in again (their access tokens lapse within the hour).
DELETE FROM oauth_grants WHERE client_id = 'b24im.web';
DELETE FROM credentials WHERE client_id IS NOT NULL AND substr(client_id, 1, 6) <> 'local.' AND substr(client_id, 1, 4) <> 'app.' AND substr(client_id, 1, 10) <> 'bot-token:' AND substr(client_id, 1, 6) <> 'b24im.';

-- Where a credential may act beyond its scopes. A bot event's `auth` acts
-- for the user who caused the event only in the event's chat (`chat_id`;
-- 0: the event had none) and dies with the bot (`bot_id`). A credential
-- made from another (`parent_id`: a web client's tokens and refresh tokens
-- from a sign-in with a webhook) ends with it, and so does an event binding
-- made with it (`credential_id`).
ALTER TABLE credentials ADD COLUMN chat_id BIGINT;
ALTER TABLE credentials ADD COLUMN bot_id BIGINT;
ALTER TABLE credentials ADD COLUMN parent_id BIGINT;
ALTER TABLE event_bindings ADD COLUMN credential_id BIGINT;
CREATE INDEX event_bindings_credential ON event_bindings (credential_id) WHERE credential_id IS NOT NULL;
ALTER TABLE oauth_grants ADD COLUMN parent_id BIGINT;
CREATE INDEX credentials_bot ON credentials (bot_id) WHERE bot_id IS NOT NULL;
CREATE INDEX credentials_parent ON credentials (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX oauth_grants_parent ON oauth_grants (parent_id) WHERE parent_id IS NOT NULL;
