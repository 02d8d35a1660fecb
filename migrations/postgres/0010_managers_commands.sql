-- Chat managers (imbot.chat.setManager, imbot.v2.Chat.Manager.*): members
-- the owner made administrators of the chat.
ALTER TABLE chat_members ADD COLUMN manager BOOLEAN NOT NULL DEFAULT FALSE;

-- Commands usable by extranet users (EXTRANET_SUPPORT, extranetSupport).
ALTER TABLE bot_commands ADD COLUMN extranet BOOLEAN NOT NULL DEFAULT FALSE;
