-- What a message carries beside its text: its keyboard, context menu and
-- attachment cards, as JSON ({"KEYBOARD": [...], "MENU": [...],
-- "ATTACH": [...]}, normalised as reads return them); NULL for none.
ALTER TABLE messages ADD COLUMN params TEXT;
