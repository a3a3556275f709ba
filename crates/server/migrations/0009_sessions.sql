-- Inbox sessions, in the database so that a restart keeps everyone logged in and every
-- collector sharing it serves every session. The cookie's value is not stored, only its
-- SHA-256: whoever reads the database cannot use a session from it.
CREATE TABLE sessions (
    id_sha256  TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
