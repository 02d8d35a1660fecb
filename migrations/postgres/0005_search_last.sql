-- im.search.last.*: the dialogs a user picked from search, newest last.
CREATE TABLE search_picks (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    dialog_id  TEXT   NOT NULL,  -- a user id or 'chatN'
    picked_at  BIGINT NOT NULL,
    seq        BIGINT NOT NULL,  -- the order of picks
    PRIMARY KEY (user_id, dialog_id)
);
