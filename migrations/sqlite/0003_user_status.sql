-- im.user.status.set / im.user.status.idle.start: a user's chosen status and
-- since when they have been away (NULL: not idle).
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'online';
ALTER TABLE users ADD COLUMN idle_since INTEGER;
-- im.chat.mute: a member who turned the chat's notifications off.
ALTER TABLE chat_members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
