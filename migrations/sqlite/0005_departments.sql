-- The company structure: departments under the head department 1 (named
-- after the company, as on a fresh portal), their heads, and the
-- departments each user is in (`UF_DEPARTMENT`), kept on the user's row as
-- '1,7' (read with every user; bots: '').
CREATE TABLE departments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    parent_id  INTEGER REFERENCES departments (id),
    head_id    INTEGER REFERENCES users (id)
);
INSERT INTO departments (id, name) VALUES (1, 'My Company');
ALTER TABLE users ADD COLUMN departments TEXT NOT NULL DEFAULT '1';
UPDATE users SET departments = '' WHERE bot;
