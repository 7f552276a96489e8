-- +goose Up
-- Scores say how good a trace, or one span of it, was. A score names its
-- trace by id only, with no reference to the traces table: it may arrive
-- before its trace does, and is shown once the trace is stored.
CREATE TABLE scores (
    project_id     bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    score_id       text COLLATE "C" NOT NULL,
    trace_id       text COLLATE "C" NOT NULL,
    span_id        text COLLATE "C" NOT NULL DEFAULT '', -- empty: the whole trace
    name           text NOT NULL,
    data_type      text NOT NULL CHECK (data_type IN ('numeric', 'boolean', 'categorical')),
    value          double precision, -- a number; 1 or 0 for a boolean; NULL for a label
    label          text NOT NULL DEFAULT '',
    comment        text NOT NULL DEFAULT '',
    source         text NOT NULL CHECK (source IN ('api', 'sdk', 'ui')),
    author_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    author_key_id  bigint REFERENCES api_keys (id) ON DELETE SET NULL,
    scored_at      timestamptz NOT NULL,
    updated_at     timestamptz,
    PRIMARY KEY (project_id, score_id)
);
-- A page of traces sums up its scores from scores_trace alone; the trace
-- list's score filters find their traces in scores_match (a value range
-- or, value being NULL, a label, of one name).
CREATE INDEX scores_trace ON scores (project_id, trace_id, name, data_type, label, value);
CREATE INDEX scores_match ON scores (project_id, name, value, label, trace_id);
CREATE INDEX scores_recent ON scores (project_id, scored_at DESC, score_id DESC);
CREATE INDEX scores_name ON scores (project_id, name, scored_at DESC);

-- The score names a project defines, with their type and range or labels.
CREATE TABLE score_configs (
    project_id  bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        text NOT NULL,
    data_type   text NOT NULL CHECK (data_type IN ('numeric', 'boolean', 'categorical')),
    min_value   double precision,
    max_value   double precision,
    labels      text[] NOT NULL DEFAULT '{}',
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, name)
);

-- +goose Down
DROP TABLE score_configs;
DROP TABLE scores;
