-- +goose Up
-- Times are stored as integer microseconds since the Unix epoch, UTC.
CREATE TABLE projects (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE, -- SHA-256 of the secret; the secret is never stored
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_project ON api_keys (project_id, id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash BLOB NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE spans (
    project_id            INTEGER NOT NULL,
    trace_id              TEXT NOT NULL,
    span_id               TEXT NOT NULL,
    parent_span_id        TEXT NOT NULL DEFAULT '',
    name                  TEXT NOT NULL,
    type                  TEXT NOT NULL,
    start_time            INTEGER NOT NULL,
    end_time              INTEGER NOT NULL,
    status                TEXT NOT NULL,
    error_type            TEXT NOT NULL DEFAULT '',
    error_message         TEXT NOT NULL DEFAULT '',
    input                 TEXT,
    output                TEXT,
    model                 TEXT NOT NULL DEFAULT '',
    request_model         TEXT NOT NULL DEFAULT '',
    provider              TEXT NOT NULL DEFAULT '',
    has_usage             INTEGER NOT NULL DEFAULT 0,
    input_tokens          INTEGER NOT NULL DEFAULT 0,
    output_tokens         INTEGER NOT NULL DEFAULT 0,
    cached_tokens         INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens      INTEGER NOT NULL DEFAULT 0,
    total_tokens          INTEGER NOT NULL DEFAULT 0,
    cost_usd              REAL,
    ttft_ms               REAL,
    attributes            TEXT,
    tags                  TEXT NOT NULL DEFAULT '[]', -- JSON array
    agent_name            TEXT NOT NULL DEFAULT '',
    user_id               TEXT NOT NULL DEFAULT '',
    session_id            TEXT NOT NULL DEFAULT '',
    metadata              TEXT,
    PRIMARY KEY (project_id, trace_id, span_id)
) WITHOUT ROWID;
CREATE INDEX spans_project_start ON spans (project_id, start_time);

CREATE TABLE traces (
    project_id            INTEGER NOT NULL,
    trace_id              TEXT NOT NULL,
    root_span_id          TEXT NOT NULL DEFAULT '',
    name                  TEXT NOT NULL DEFAULT '',
    agent_name            TEXT NOT NULL DEFAULT '',
    tags                  TEXT NOT NULL DEFAULT '[]',
    models                TEXT NOT NULL DEFAULT '[]',
    user_id               TEXT NOT NULL DEFAULT '',
    session_id            TEXT NOT NULL DEFAULT '',
    metadata              TEXT,
    start_time            INTEGER NOT NULL,
    end_time              INTEGER NOT NULL,
    span_count            INTEGER NOT NULL DEFAULT 0,
    error_count           INTEGER NOT NULL DEFAULT 0,
    input_tokens          INTEGER NOT NULL DEFAULT 0,
    output_tokens         INTEGER NOT NULL DEFAULT 0,
    cached_tokens         INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens      INTEGER NOT NULL DEFAULT 0,
    total_tokens          INTEGER NOT NULL DEFAULT 0,
    cost_usd              REAL NOT NULL DEFAULT 0,
    input                 TEXT,
    output                TEXT,
    PRIMARY KEY (project_id, trace_id)
);
CREATE INDEX traces_recent ON traces (project_id, start_time DESC, trace_id DESC);
CREATE INDEX traces_agent ON traces (project_id, agent_name, start_time DESC, trace_id DESC);
CREATE INDEX traces_user ON traces (project_id, user_id, start_time DESC, trace_id DESC);
CREATE INDEX traces_session ON traces (project_id, session_id, start_time DESC, trace_id DESC);

-- +goose Down
DROP TABLE traces;
DROP TABLE spans;
DROP TABLE users;
DROP TABLE api_keys;
DROP TABLE projects;
