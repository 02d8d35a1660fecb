-- user.add / user.update: a user's e-mail (lowercase, unique) and the other
-- text fields of user.fields, as a JSON object.
ALTER TABLE users ADD COLUMN email TEXT,
                  ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX users_email ON users (email);
