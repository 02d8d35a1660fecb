-- im.user.status.set / im.user.status.idle.start: a user's chosen status and
-- since when they have been away (NULL: not idle).
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'online',
                  ADD COLUMN idle_since BIGINT;
-- im.chat.mute: a member who turned the chat's notifications off.
ALTER TABLE chat_members ADD COLUMN muted BOOLEAN NOT NULL DEFAULT FALSE;
-- Reading state: the last message each member has read. What is there when
-- this runs counts as read.
ALTER TABLE chat_members ADD COLUMN last_read_id BIGINT NOT NULL DEFAULT 0;
UPDATE chat_members SET last_read_id = COALESCE(
    (SELECT MAX(m.id) FROM messages m WHERE m.chat_id = chat_members.chat_id), 0);
-- The recent list: pinned (im.recent.pin), marked unread by hand
-- (im.recent.unread), hidden until a message after this id (im.recent.hide).
ALTER TABLE chat_members ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE,
                         ADD COLUMN marked_unread BOOLEAN NOT NULL DEFAULT FALSE,
                         ADD COLUMN hidden_below BIGINT NOT NULL DEFAULT 0;
