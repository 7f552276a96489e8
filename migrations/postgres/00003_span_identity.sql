-- +goose Up
-- A span's identity becomes (project, trace id, span id), whatever its start
-- time: spans are partitioned by their trace's day (trace_day, the UTC day
-- the trace's first spans started, kept on the trace), so every span of a
-- trace lands in one partition and the primary key, which must contain the
-- partition key, holds one row per span id. Retention still drops whole
-- days, now of whole traces. Spans gain what the trace page and search
-- read: model_keys, search_text, payload_bytes and the raw payloads.
ALTER TABLE spans RENAME TO spans_v1;
ALTER INDEX spans_pkey RENAME TO spans_v1_pkey;
ALTER INDEX spans_project_start RENAME TO spans_v1_project_start;

ALTER TABLE traces ADD COLUMN trace_day date;
UPDATE traces SET trace_day = (start_time AT TIME ZONE 'UTC')::date;
ALTER TABLE traces ALTER COLUMN trace_day SET NOT NULL;
ALTER TABLE traces ADD COLUMN model_keys text[] NOT NULL DEFAULT '{}';
DROP INDEX traces_models;
CREATE INDEX traces_model_keys ON traces USING gin (model_keys);
-- The trigram index moves from the search text to its distinct words
-- (search_words): the same trigrams, from less text, since pg_trgm's
-- trigrams are those of each word. A query's words find the candidates
-- there; the search text itself then decides.
DROP INDEX traces_search;
ALTER TABLE traces ADD COLUMN search_words text NOT NULL DEFAULT '';

CREATE TABLE spans (
    project_id            bigint NOT NULL,
    trace_day             date NOT NULL,
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
    model                 text NOT NULL DEFAULT '',
    request_model         text NOT NULL DEFAULT '',
    provider              text NOT NULL DEFAULT '',
    model_keys            text[] NOT NULL DEFAULT '{}',
    has_usage             boolean NOT NULL DEFAULT false,
    input_tokens          bigint NOT NULL DEFAULT 0,
    output_tokens         bigint NOT NULL DEFAULT 0,
    cached_tokens         bigint NOT NULL DEFAULT 0,
    cache_creation_tokens bigint NOT NULL DEFAULT 0,
    reasoning_tokens      bigint NOT NULL DEFAULT 0,
    total_tokens          bigint NOT NULL DEFAULT 0,
    cost_usd              double precision,
    ttft_ms               double precision,
    tags                  text[] NOT NULL DEFAULT '{}',
    agent_name            text NOT NULL DEFAULT '',
    user_id               text NOT NULL DEFAULT '',
    session_id            text NOT NULL DEFAULT '',
    metadata              jsonb,
    payload_bytes         bigint NOT NULL DEFAULT 0, -- of input and output
    search_text           text NOT NULL DEFAULT '',  -- store.SearchText
    input                 json, -- json, not jsonb: prompts are kept byte for byte
    output                json,
    raw_input             json,
    raw_output            json,
    attributes            jsonb,
    PRIMARY KEY (project_id, trace_id, span_id, trace_day)
) PARTITION BY RANGE (trace_day);
CREATE INDEX spans_project_start ON spans (project_id, start_time);

-- +goose StatementBegin
DO $$
DECLARE d date;
BEGIN
    FOR d IN SELECT DISTINCT trace_day FROM traces LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF spans FOR VALUES FROM (%L) TO (%L)',
            'spans_d' || to_char(d, 'YYYYMMDD'), d, d + 1);
    END LOOP;
END $$;
-- +goose StatementEnd

-- Old rows' search text is an approximation of store.SearchText: the JSON
-- text without object keys and without the values of the chat shape's
-- structural keys, lower-cased rather than case-folded.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION pg_temp.json_search_text(j text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT nullif(regexp_replace(regexp_replace(left(j, 16384),
        '"(type|role|modality|mime_type|id|file_id|finish_reason)"\s*:\s*"(\\.|[^"\\])*"', ' ', 'g'),
        '"(\\.|[^"\\])*"\s*:', ' ', 'g'), '')
$f$;
-- +goose StatementEnd

-- A span stored twice under two start times keeps its earliest copy.
INSERT INTO spans (project_id, trace_day, trace_id, span_id, parent_span_id, name, type, start_time, end_time,
    status, error_type, error_message, model, request_model, provider, has_usage, input_tokens, output_tokens,
    cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, ttft_ms, tags, agent_name,
    user_id, session_id, metadata, payload_bytes, search_text, input, output, attributes)
SELECT DISTINCT ON (s.project_id, s.trace_id, s.span_id)
    s.project_id, t.trace_day, s.trace_id, s.span_id, s.parent_span_id, s.name, s.type, s.start_time, s.end_time,
    s.status, s.error_type, s.error_message, s.model, s.request_model, s.provider, s.has_usage, s.input_tokens,
    s.output_tokens, s.cached_tokens, s.cache_creation_tokens, s.reasoning_tokens, s.total_tokens, s.cost_usd,
    s.ttft_ms, s.tags, s.agent_name, s.user_id, s.session_id, s.metadata,
    coalesce(octet_length(s.input::text), 0) + coalesce(octet_length(s.output::text), 0),
    lower(left(concat_ws(E'\n', nullif(s.name, ''), nullif(s.error_message, ''),
        pg_temp.json_search_text(s.input::text), pg_temp.json_search_text(s.output::text)), 4096)),
    s.input, s.output, s.attributes
FROM spans_v1 s JOIN traces t ON t.project_id = s.project_id AND t.trace_id = s.trace_id
ORDER BY s.project_id, s.trace_id, s.span_id, s.start_time;

DROP TABLE spans_v1;
DROP FUNCTION pg_temp.json_search_text(text);

-- Summaries counted a duplicated span twice; the display list of models
-- now names a span's requested model when it has no answering one; the
-- search text now covers every span.
UPDATE traces t SET
    span_count = s.span_count, error_count = s.error_count,
    input_tokens = s.input_tokens, output_tokens = s.output_tokens, cached_tokens = s.cached_tokens,
    cache_creation_tokens = s.cache_creation_tokens, reasoning_tokens = s.reasoning_tokens,
    total_tokens = s.total_tokens, cost_usd = s.cost_usd, start_time = s.start_time, end_time = s.end_time,
    models = s.models, search_text = s.search_text,
    search_words = array_to_string(ARRAY(SELECT DISTINCT w FROM regexp_split_to_table(s.search_text, '\s+') AS w WHERE w <> ''), ' ')
FROM (
    SELECT project_id, trace_id, count(*) AS span_count, count(*) FILTER (WHERE status = 'error') AS error_count,
        least(sum(input_tokens), 9223372036854775807)::bigint AS input_tokens,
        least(sum(output_tokens), 9223372036854775807)::bigint AS output_tokens,
        least(sum(cached_tokens), 9223372036854775807)::bigint AS cached_tokens,
        least(sum(cache_creation_tokens), 9223372036854775807)::bigint AS cache_creation_tokens,
        least(sum(reasoning_tokens), 9223372036854775807)::bigint AS reasoning_tokens,
        least(sum(total_tokens), 9223372036854775807)::bigint AS total_tokens,
        coalesce(sum(cost_usd), 0) AS cost_usd, min(start_time) AS start_time, max(end_time) AS end_time,
        coalesce(array_agg(DISTINCT coalesce(nullif(model, ''), request_model) COLLATE "C"
            ORDER BY coalesce(nullif(model, ''), request_model) COLLATE "C")
            FILTER (WHERE model <> '' OR request_model <> ''), '{}') AS models,
        left(string_agg(search_text, E'\n' ORDER BY start_time, span_id), 65536) AS search_text
    FROM spans GROUP BY project_id, trace_id
) s
WHERE t.project_id = s.project_id AND t.trace_id = s.trace_id;

CREATE INDEX traces_search ON traces USING gin (search_words gin_trgm_ops);

-- +goose Down
ALTER TABLE spans RENAME TO spans_v2;
ALTER INDEX spans_pkey RENAME TO spans_v2_pkey;
ALTER INDEX spans_project_start RENAME TO spans_v2_project_start;

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
    input                 json,
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

-- +goose StatementBegin
DO $$
DECLARE d date;
BEGIN
    FOR d IN SELECT DISTINCT (start_time AT TIME ZONE 'UTC')::date FROM spans_v2 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF spans FOR VALUES FROM (%L) TO (%L)',
            'spans_p' || to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
    END LOOP;
END $$;
-- +goose StatementEnd

INSERT INTO spans (project_id, trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, input, output, model, request_model, provider, has_usage, input_tokens,
    output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, ttft_ms,
    attributes, tags, agent_name, user_id, session_id, metadata)
SELECT project_id, trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, input, output, model, request_model, provider, has_usage, input_tokens,
    output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, ttft_ms,
    attributes, tags, agent_name, user_id, session_id, metadata
FROM spans_v2;
DROP TABLE spans_v2;

UPDATE traces SET search_text = lower(left(name || ' ' || coalesce(input::text, '') || ' ' || coalesce(output::text, ''), 32768));
DROP INDEX traces_search;
ALTER TABLE traces DROP COLUMN search_words;
CREATE INDEX traces_search ON traces USING gin (search_text gin_trgm_ops);
DROP INDEX traces_model_keys;
ALTER TABLE traces DROP COLUMN model_keys;
ALTER TABLE traces DROP COLUMN trace_day;
CREATE INDEX traces_models ON traces USING gin (models);
