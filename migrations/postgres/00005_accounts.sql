-- +goose Up
-- Users belong to projects, with a role in each; an instance admin manages
-- users and memberships and sees every project. Nobody loses access: an
-- admin becomes an instance admin and admin of every project, members and
-- viewers become members of every project with the role they had.
ALTER TABLE users ADD COLUMN instance_admin boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
UPDATE users SET instance_admin = (role = 'admin');

CREATE TABLE memberships (
    project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, project_id);
INSERT INTO memberships (project_id, user_id, role) SELECT p.id, u.id, u.role FROM projects p CROSS JOIN users u;
ALTER TABLE users DROP COLUMN role;

-- Server-side web sessions, so that signing out, disabling or removing a
-- user ends them.
CREATE TABLE sessions (
    id_hash    bytea PRIMARY KEY, -- SHA-256 of the session id; the id is never stored
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- +goose Down
ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'viewer' CHECK (role IN ('admin', 'member', 'viewer'));
UPDATE users u SET role = CASE WHEN u.instance_admin THEN 'admin' ELSE coalesce(
    (SELECT m.role FROM memberships m WHERE m.user_id = u.id
     ORDER BY CASE m.role WHEN 'admin' THEN 0 WHEN 'member' THEN 1 ELSE 2 END LIMIT 1), 'viewer') END;
ALTER TABLE users ALTER COLUMN role DROP DEFAULT;
DROP TABLE sessions;
DROP TABLE memberships;
ALTER TABLE users DROP COLUMN disabled;
ALTER TABLE users DROP COLUMN instance_admin;
