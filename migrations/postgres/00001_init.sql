-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE projects (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    hash         bytea NOT NULL UNIQUE, -- SHA-256 of the secret; the secret is never stored
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_project ON api_keys (project_id, id);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL,
    password_hash bytea NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Spans are partitioned by day of start_time so that retention drops whole
-- partitions. The writer creates partitions as days appear. A partitioned
-- table's unique key must contain the partition key, hence start_time in it:
-- a span re-sent with the same ids and start time is the same span.
CREATE TABLE spans (
    project_id            bigint NOT NULL,
    trace_id              text COLLATE "C" NOT NULL,
    span_id               text COLLATE "C" NOT NULL,
    parent_span_id        text COLLATE "C" NOT NULL DEFAULT '',
    name                  text NOT NULL,
    type                  text NOT NULL,
    start_time            timestamptz NOT NULL,
    end_time              timestamptz NOT NULL,
    status                text NOT NULL,
    error_type            text NOT NULL DEFAULT '',
    error_message         text NOT NULL DEFAULT '',
    input                 json, -- json, not jsonb: prompts are kept byte for byte
    output                json,
    model                 text NOT NULL DEFAULT '',
    request_model         text NOT NULL DEFAULT '',
    provider              text NOT NULL DEFAULT '',
    has_usage             boolean NOT NULL DEFAULT false,
    input_tokens          bigint NOT NULL DEFAULT 0,
    output_tokens         bigint NOT NULL DEFAULT 0,
    cached_tokens         bigint NOT NULL DEFAULT 0,
    cache_creation_tokens bigint NOT NULL DEFAULT 0,
    reasoning_tokens      bigint NOT NULL DEFAULT 0,
    total_tokens          bigint NOT NULL DEFAULT 0,
    cost_usd              double precision,
    ttft_ms               double precision,
    attributes            jsonb,
    tags                  text[] NOT NULL DEFAULT '{}',
    agent_name            text NOT NULL DEFAULT '',
    user_id               text NOT NULL DEFAULT '',
    session_id            text NOT NULL DEFAULT '',
    metadata              jsonb,
    PRIMARY KEY (project_id, trace_id, span_id, start_time)
) PARTITION BY RANGE (start_time);
CREATE INDEX spans_project_start ON spans (project_id, start_time);

-- One row per trace, maintained by WriteSpans from the spans it inserts.
CREATE TABLE traces (
    project_id            bigint NOT NULL,
    trace_id              text COLLATE "C" NOT NULL,
    root_span_id          text COLLATE "C" NOT NULL DEFAULT '',
    name                  text NOT NULL DEFAULT '',
    agent_name            text NOT NULL DEFAULT '',
    tags                  text[] NOT NULL DEFAULT '{}',
    models                text[] NOT NULL DEFAULT '{}',
    user_id               text NOT NULL DEFAULT '',
    session_id            text NOT NULL DEFAULT '',
    metadata              jsonb,
    start_time            timestamptz NOT NULL,
    end_time              timestamptz NOT NULL,
    duration_ms           double precision GENERATED ALWAYS AS (extract(epoch FROM end_time - start_time) * 1000) STORED,
    span_count            bigint NOT NULL DEFAULT 0,
    error_count           bigint NOT NULL DEFAULT 0,
    input_tokens          bigint NOT NULL DEFAULT 0,
    output_tokens         bigint NOT NULL DEFAULT 0,
    cached_tokens         bigint NOT NULL DEFAULT 0,
    cache_creation_tokens bigint NOT NULL DEFAULT 0,
    reasoning_tokens      bigint NOT NULL DEFAULT 0,
    total_tokens          bigint NOT NULL DEFAULT 0,
    cost_usd              double precision NOT NULL DEFAULT 0,
    input                 json,
    output                json,
    -- lower-cased name, root input and root output, cut at 32 KiB, for q=
    search_text           text NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, trace_id)
);
CREATE INDEX traces_recent ON traces (project_id, start_time DESC, trace_id DESC);
CREATE INDEX traces_agent ON traces (project_id, agent_name, start_time DESC, trace_id DESC);
CREATE INDEX traces_user ON traces (project_id, user_id, start_time DESC, trace_id DESC) WHERE user_id <> '';
CREATE INDEX traces_session ON traces (project_id, session_id, start_time DESC, trace_id DESC) WHERE session_id <> '';
CREATE INDEX traces_tags ON traces USING gin (tags);
CREATE INDEX traces_models ON traces USING gin (models);
CREATE INDEX traces_search ON traces USING gin (search_text gin_trgm_ops);

-- +goose Down
DROP TABLE traces;
DROP TABLE spans;
DROP TABLE users;
DROP TABLE api_keys;
DROP TABLE projects;
