-- im.search.last.*: the dialogs a user picked from search, newest last.
CREATE TABLE search_picks (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    dialog_id  TEXT    NOT NULL,  -- a user id or 'chatN'
    picked_at  INTEGER NOT NULL,
    seq        INTEGER NOT NULL,  -- the order of picks
    PRIMARY KEY (user_id, dialog_id)
);
