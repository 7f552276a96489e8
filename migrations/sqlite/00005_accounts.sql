-- +goose Up
-- Users belong to projects, with a role in each; an instance admin manages
-- users and memberships and sees every project. Nobody loses access: an
-- admin becomes an instance admin and admin of every project, members and
-- viewers become members of every project with the role they had.
ALTER TABLE users ADD COLUMN instance_admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
UPDATE users SET instance_admin = (role = 'admin');

CREATE TABLE memberships (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id, project_id);
INSERT INTO memberships (project_id, user_id, role, created_at)
SELECT p.id, u.id, u.role, CAST(strftime('%s', 'now') AS INTEGER) * 1000000 FROM projects p, users u;
ALTER TABLE users DROP COLUMN role;

-- Server-side web sessions, so that signing out, disabling or removing a
-- user ends them.
CREATE TABLE sessions (
    id_hash    BLOB PRIMARY KEY, -- SHA-256 of the session id; the id is never stored
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- +goose Down
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer' CHECK (role IN ('admin', 'member', 'viewer'));
UPDATE users SET role = CASE WHEN instance_admin THEN 'admin' ELSE coalesce(
    (SELECT m.role FROM memberships m WHERE m.user_id = users.id
     ORDER BY CASE m.role WHEN 'admin' THEN 0 WHEN 'member' THEN 1 ELSE 2 END LIMIT 1), 'viewer') END;
DROP TABLE sessions;
DROP TABLE memberships;
ALTER TABLE users DROP COLUMN disabled;
ALTER TABLE users DROP COLUMN instance_admin;
