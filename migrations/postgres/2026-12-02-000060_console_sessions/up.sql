-- Sessions of the staff console (`/console/`): the browser holds a random secret in an
-- HttpOnly cookie; the store keeps only its SHA-256, so a copy of the store opens no session.
-- A row ends at logout, at `expires_at` (12 hours), or when its user is disabled.
CREATE TABLE console_sessions (
    id         TEXT PRIMARY KEY,      -- hex SHA-256 of the cookie's secret
    user_id    TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,         -- carried by every form of the session
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
