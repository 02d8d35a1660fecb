-- imbot.v2.Chat.TextField.enabled: whether the chat's input field is on.
ALTER TABLE chats ADD COLUMN text_field INTEGER NOT NULL DEFAULT 1;
