-- When each user was last seen on a live session (`/live`, the web client):
-- written by each node for the users it holds sessions of, one statement
-- every few seconds, never per request. NULL: never seen.
ALTER TABLE users ADD COLUMN IF NOT EXISTS last_activity BIGINT;
