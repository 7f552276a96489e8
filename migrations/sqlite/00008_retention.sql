-- +goose Up
-- A project may keep its traces for fewer days than the server-wide
-- retention (0: as long as that allows). retention_runs keeps what the
-- retention job did, for /metrics and the settings page.
ALTER TABLE projects ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0
    CHECK (retention_days BETWEEN 0 AND 36500);

CREATE TABLE retention_runs (
    id                 INTEGER PRIMARY KEY,
    started_at         INTEGER NOT NULL,
    finished_at        INTEGER NOT NULL,
    server_cutoff      INTEGER, -- NULL: no server-wide retention
    projects           INTEGER NOT NULL DEFAULT 0,
    traces_deleted     INTEGER NOT NULL DEFAULT 0,
    spans_deleted      INTEGER NOT NULL DEFAULT 0,
    partitions_dropped INTEGER NOT NULL DEFAULT 0,
    failure            TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE retention_runs;
ALTER TABLE projects DROP COLUMN retention_days;
