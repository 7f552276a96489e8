-- +goose Up
-- Spans gain what the trace page and search read (model_keys, search_text,
-- payload_bytes) and the raw payloads. The table is rebuilt so that the
-- columns the trace tree reads come first and the payloads last: SQLite
-- reads a row's columns in order, so the tree then never reads the
-- overflow pages that hold a span's input and output.
CREATE TABLE spans_v2 (
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
    model                 TEXT NOT NULL DEFAULT '',
    request_model         TEXT NOT NULL DEFAULT '',
    provider              TEXT NOT NULL DEFAULT '',
    model_keys            TEXT NOT NULL DEFAULT '[]', -- JSON array
    has_usage             INTEGER NOT NULL DEFAULT 0,
    input_tokens          INTEGER NOT NULL DEFAULT 0,
    output_tokens         INTEGER NOT NULL DEFAULT 0,
    cached_tokens         INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens      INTEGER NOT NULL DEFAULT 0,
    total_tokens          INTEGER NOT NULL DEFAULT 0,
    cost_usd              REAL,
    ttft_ms               REAL,
    tags                  TEXT NOT NULL DEFAULT '[]', -- JSON array
    agent_name            TEXT NOT NULL DEFAULT '',
    user_id               TEXT NOT NULL DEFAULT '',
    session_id            TEXT NOT NULL DEFAULT '',
    metadata              TEXT,
    payload_bytes         INTEGER NOT NULL DEFAULT 0, -- of input and output
    search_text           TEXT NOT NULL DEFAULT '',   -- store.SearchText
    input                 TEXT,
    output                TEXT,
    raw_input             TEXT,
    raw_output            TEXT,
    attributes            TEXT,
    PRIMARY KEY (project_id, trace_id, span_id)
) WITHOUT ROWID;

-- Old rows' search text is an approximation of store.SearchText: the
-- string values SQLite's JSON functions find, without those of the chat
-- shape's structural keys, lower-cased for ASCII only.
INSERT INTO spans_v2 (project_id, trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, model, request_model, provider, has_usage, input_tokens, output_tokens,
    cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, ttft_ms, tags, agent_name,
    user_id, session_id, metadata, payload_bytes, search_text, input, output, attributes)
SELECT project_id, trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, model, request_model, provider, has_usage, input_tokens, output_tokens,
    cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, ttft_ms, tags, agent_name,
    user_id, session_id, metadata,
    coalesce(length(CAST(input AS BLOB)), 0) + coalesce(length(CAST(output AS BLOB)), 0),
    lower(substr(concat_ws(char(10), nullif(name, ''), nullif(error_message, ''),
        CASE WHEN json_valid(input) THEN (SELECT group_concat(value, char(10)) FROM json_tree(spans.input)
            WHERE type = 'text' AND value <> '' AND (typeof(key) <> 'text' OR
                key NOT IN ('type', 'role', 'modality', 'mime_type', 'id', 'file_id', 'finish_reason'))) END,
        CASE WHEN json_valid(output) THEN (SELECT group_concat(value, char(10)) FROM json_tree(spans.output)
            WHERE type = 'text' AND value <> '' AND (typeof(key) <> 'text' OR
                key NOT IN ('type', 'role', 'modality', 'mime_type', 'id', 'file_id', 'finish_reason'))) END
    ), 1, 4096)),
    input, output, attributes
FROM spans;
DROP TABLE spans;
ALTER TABLE spans_v2 RENAME TO spans;
CREATE INDEX spans_project_start ON spans (project_id, start_time);

-- Traces are rebuilt too, for the same reason: summary columns first,
-- then the search text, then the root's input and output.
CREATE TABLE traces_v2 (
    id                    INTEGER PRIMARY KEY, -- the rowid traces_fts refers to, stable across VACUUM
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
    model_keys            TEXT NOT NULL DEFAULT '[]', -- JSON array, store.Trace.ModelKeys
    search_text           TEXT NOT NULL DEFAULT '',   -- store.JoinSearchText of its spans'
    search_words          TEXT NOT NULL DEFAULT '',   -- store.SearchWords of it, what traces_fts indexes
    input                 TEXT,
    output                TEXT,
    UNIQUE (project_id, trace_id)
);
-- The display list of models now names a span's requested model when it
-- has no answering one; the search text covers every span.
INSERT INTO traces_v2 (project_id, trace_id, root_span_id, name, agent_name, tags, models, user_id, session_id,
    metadata, start_time, end_time, span_count, error_count, input_tokens, output_tokens, cached_tokens,
    cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, search_text, input, output)
SELECT project_id, trace_id, root_span_id, name, agent_name, tags,
    (SELECT json_group_array(m) FROM (
        SELECT DISTINCT coalesce(nullif(s.model, ''), s.request_model) AS m FROM spans s
        WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id AND (s.model <> '' OR s.request_model <> '')
        ORDER BY m)),
    user_id, session_id, metadata, start_time, end_time, span_count, error_count, input_tokens, output_tokens,
    cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd,
    coalesce((SELECT substr(group_concat(s.search_text, char(10) ORDER BY s.start_time, s.span_id), 1, 65536)
        FROM spans s WHERE s.project_id = traces.project_id AND s.trace_id = traces.trace_id), ''),
    input, output
FROM traces;
DROP TABLE traces;
ALTER TABLE traces_v2 RENAME TO traces;
CREATE INDEX traces_recent ON traces (project_id, start_time DESC, trace_id DESC);
CREATE INDEX traces_agent ON traces (project_id, agent_name, start_time DESC, trace_id DESC);
CREATE INDEX traces_user ON traces (project_id, user_id, start_time DESC, trace_id DESC);
CREATE INDEX traces_session ON traces (project_id, session_id, start_time DESC, trace_id DESC);

-- q= on a trace: an FTS5 trigram index of the distinct words of the
-- (already folded) search text, which finds the traces holding every
-- trigram of a query's words; the query then checks the substring in the
-- text itself. detail=none keeps the index to which rows hold a trigram,
-- not where: the check does the rest. Queries without a word of three
-- characters scan. Old rows index their whole text: the same trigrams.
UPDATE traces SET search_words = search_text;
CREATE VIRTUAL TABLE traces_fts USING fts5(search_words, content = 'traces', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1', detail = none);
INSERT INTO traces_fts (traces_fts) VALUES ('rebuild');
-- +goose StatementBegin
CREATE TRIGGER traces_fts_insert AFTER INSERT ON traces BEGIN
    INSERT INTO traces_fts (rowid, search_words) VALUES (new.id, new.search_words);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER traces_fts_delete AFTER DELETE ON traces BEGIN
    INSERT INTO traces_fts (traces_fts, rowid, search_words) VALUES ('delete', old.id, old.search_words);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER traces_fts_update AFTER UPDATE OF search_words ON traces
WHEN old.search_words <> new.search_words BEGIN
    INSERT INTO traces_fts (traces_fts, rowid, search_words) VALUES ('delete', old.id, old.search_words);
    INSERT INTO traces_fts (rowid, search_words) VALUES (new.id, new.search_words);
END;
-- +goose StatementEnd

-- +goose Down
CREATE TABLE spans_v1 (
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
    tags                  TEXT NOT NULL DEFAULT '[]',
    agent_name            TEXT NOT NULL DEFAULT '',
    user_id               TEXT NOT NULL DEFAULT '',
    session_id            TEXT NOT NULL DEFAULT '',
    metadata              TEXT,
    PRIMARY KEY (project_id, trace_id, span_id)
) WITHOUT ROWID;
INSERT INTO spans_v1 (project_id, trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, input, output, model, request_model, provider, has_usage, input_tokens,
    output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, ttft_ms,
    attributes, tags, agent_name, user_id, session_id, metadata)
SELECT project_id, trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, input, output, model, request_model, provider, has_usage, input_tokens,
    output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, ttft_ms,
    attributes, tags, agent_name, user_id, session_id, metadata
FROM spans;
DROP TABLE spans;
ALTER TABLE spans_v1 RENAME TO spans;
CREATE INDEX spans_project_start ON spans (project_id, start_time);
DROP TABLE traces_fts;
CREATE TABLE traces_v1 (
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
INSERT INTO traces_v1 SELECT project_id, trace_id, root_span_id, name, agent_name, tags, models, user_id, session_id,
    metadata, start_time, end_time, span_count, error_count, input_tokens, output_tokens, cached_tokens,
    cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, input, output FROM traces;
DROP TABLE traces;
ALTER TABLE traces_v1 RENAME TO traces;
CREATE INDEX traces_recent ON traces (project_id, start_time DESC, trace_id DESC);
CREATE INDEX traces_agent ON traces (project_id, agent_name, start_time DESC, trace_id DESC);
CREATE INDEX traces_user ON traces (project_id, user_id, start_time DESC, trace_id DESC);
CREATE INDEX traces_session ON traces (project_id, session_id, start_time DESC, trace_id DESC);
