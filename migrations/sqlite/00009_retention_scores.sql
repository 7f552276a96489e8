-- +goose Up
-- A retention run counts the scores it removed with their traces.
ALTER TABLE retention_runs ADD COLUMN scores_deleted INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE retention_runs DROP COLUMN scores_deleted;
