-- +goose Up
-- A project may keep its traces for fewer days than the server-wide
-- retention (0: as long as that allows). retention_runs keeps what the
-- retention job did, for /metrics and the settings page of every collector.
ALTER TABLE projects ADD COLUMN retention_days integer NOT NULL DEFAULT 0
    CHECK (retention_days BETWEEN 0 AND 36500);

-- Server-wide retention deletes a day's traces as it drops that day's
-- span partition.
CREATE INDEX traces_day ON traces (trace_day);

CREATE TABLE retention_runs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at         timestamptz NOT NULL,
    finished_at        timestamptz NOT NULL,
    server_cutoff      timestamptz, -- NULL: no server-wide retention
    projects           integer NOT NULL DEFAULT 0,
    traces_deleted     bigint NOT NULL DEFAULT 0,
    spans_deleted      bigint NOT NULL DEFAULT 0,
    partitions_dropped bigint NOT NULL DEFAULT 0,
    failure            text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE retention_runs;
DROP INDEX traces_day;
ALTER TABLE projects DROP COLUMN retention_days;
