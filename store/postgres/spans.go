package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tracium/tracium/store"
)

// spanColumns are the columns of span_stage, in COPY order. spans has the
// same ones plus project_id.
var spanColumns = []string{
	"trace_id", "span_id", "parent_span_id", "name", "type", "start_time", "end_time", "status",
	"error_type", "error_message", "input", "output", "model", "request_model", "provider", "has_usage",
	"input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens", "reasoning_tokens", "total_tokens",
	"cost_usd", "ttft_ms", "attributes", "tags", "agent_name", "user_id", "session_id", "metadata",
}

// createStagingTable gives every pooled connection its own temporary table
// for COPY. ON COMMIT DELETE ROWS empties it after each write.
func createStagingTable(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
CREATE TEMP TABLE IF NOT EXISTS span_stage (
    trace_id text COLLATE "C", span_id text COLLATE "C", parent_span_id text COLLATE "C",
    name text, type text, start_time timestamptz, end_time timestamptz, status text,
    error_type text, error_message text, input json, output json,
    model text, request_model text, provider text, has_usage boolean,
    input_tokens bigint, output_tokens bigint, cached_tokens bigint,
    cache_creation_tokens bigint, reasoning_tokens bigint, total_tokens bigint,
    cost_usd double precision, ttft_ms double precision, attributes jsonb, tags text[],
    agent_name text, user_id text, session_id text, metadata jsonb
) ON COMMIT DELETE ROWS`)
	return err
}

// mergeSpans moves span_stage into spans, skipping spans already stored,
// and folds the newly inserted ones into their traces' summaries. Rows are
// taken in (trace_id, span_id) order so that concurrent writers lock in
// the same order and do not deadlock.
const mergeSpans = `
WITH ins AS (
    INSERT INTO spans (project_id, ` + stageList + `)
    SELECT $1, ` + stageList + ` FROM span_stage ORDER BY trace_id, span_id
    ON CONFLICT DO NOTHING
    RETURNING trace_id, span_id, parent_span_id = '' AS is_root, name, start_time, end_time, status, model,
        input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
        cost_usd, tags, agent_name, user_id, session_id, metadata,
        CASE WHEN parent_span_id = '' THEN input END AS root_input,
        CASE WHEN parent_span_id = '' THEN output END AS root_output
), tag_union AS (
    SELECT trace_id, array_agg(DISTINCT tag ORDER BY tag) AS tags
    FROM ins, unnest(ins.tags) AS tag GROUP BY trace_id
), agg AS (
    SELECT trace_id,
        min(start_time) AS start_time,
        max(end_time) AS end_time,
        count(*) AS span_count,
        count(*) FILTER (WHERE status = 'error') AS error_count,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(cached_tokens) AS cached_tokens,
        sum(cache_creation_tokens) AS cache_creation_tokens,
        sum(reasoning_tokens) AS reasoning_tokens,
        sum(total_tokens) AS total_tokens,
        coalesce(sum(cost_usd), 0) AS cost_usd,
        coalesce((array_agg(span_id ORDER BY start_time, span_id) FILTER (WHERE is_root))[1], '') AS root_span_id,
        (array_agg(name ORDER BY NOT is_root, start_time, span_id))[1] AS name,
        coalesce((array_agg(agent_name ORDER BY NOT is_root, start_time) FILTER (WHERE agent_name <> ''))[1], '') AS agent_name,
        coalesce((array_agg(user_id ORDER BY NOT is_root, start_time) FILTER (WHERE user_id <> ''))[1], '') AS user_id,
        coalesce((array_agg(session_id ORDER BY NOT is_root, start_time) FILTER (WHERE session_id <> ''))[1], '') AS session_id,
        (array_agg(metadata ORDER BY NOT is_root, start_time) FILTER (WHERE metadata IS NOT NULL))[1] AS metadata,
        (array_agg(root_input ORDER BY start_time, span_id) FILTER (WHERE is_root))[1] AS input,
        (array_agg(root_output ORDER BY start_time, span_id) FILTER (WHERE is_root))[1] AS output,
        coalesce(array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model <> ''), '{}') AS models,
        (array_agg(agent_name ORDER BY start_time, span_id) FILTER (WHERE is_root))[1] AS root_agent_name,
        (array_agg(user_id ORDER BY start_time, span_id) FILTER (WHERE is_root))[1] AS root_user_id,
        (array_agg(session_id ORDER BY start_time, span_id) FILTER (WHERE is_root))[1] AS root_session_id,
        (array_agg(metadata ORDER BY start_time, span_id) FILTER (WHERE is_root))[1] AS root_metadata
    FROM ins GROUP BY trace_id
)
INSERT INTO traces AS t (project_id, trace_id, root_span_id, name, agent_name, tags, models, user_id, session_id,
    metadata, start_time, end_time, span_count, error_count, input_tokens, output_tokens, cached_tokens,
    cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, input, output, search_text)
SELECT $1, a.trace_id, a.root_span_id, a.name, a.agent_name, coalesce(u.tags, '{}'), a.models, a.user_id, a.session_id,
    a.metadata, a.start_time, a.end_time, a.span_count, a.error_count, a.input_tokens, a.output_tokens, a.cached_tokens,
    a.cache_creation_tokens, a.reasoning_tokens, a.total_tokens, a.cost_usd, a.input, a.output,
    lower(left(a.name || ' ' || coalesce(a.input::text, '') || ' ' || coalesce(a.output::text, ''), 32768))
FROM agg a LEFT JOIN tag_union u USING (trace_id)
ORDER BY a.trace_id
ON CONFLICT (project_id, trace_id) DO UPDATE SET
    start_time = least(t.start_time, excluded.start_time),
    end_time = greatest(t.end_time, excluded.end_time),
    span_count = t.span_count + excluded.span_count,
    error_count = t.error_count + excluded.error_count,
    input_tokens = t.input_tokens + excluded.input_tokens,
    output_tokens = t.output_tokens + excluded.output_tokens,
    cached_tokens = t.cached_tokens + excluded.cached_tokens,
    cache_creation_tokens = t.cache_creation_tokens + excluded.cache_creation_tokens,
    reasoning_tokens = t.reasoning_tokens + excluded.reasoning_tokens,
    total_tokens = t.total_tokens + excluded.total_tokens,
    cost_usd = t.cost_usd + excluded.cost_usd,
    tags = CASE WHEN cardinality(excluded.tags) = 0 THEN t.tags
        ELSE ARRAY(SELECT DISTINCT x FROM unnest(t.tags || excluded.tags) AS x ORDER BY x) END,
    models = CASE WHEN cardinality(excluded.models) = 0 THEN t.models
        ELSE ARRAY(SELECT DISTINCT x FROM unnest(t.models || excluded.models) AS x ORDER BY x) END,
    -- The first root to arrive names the trace and gives it its input and
    -- output; the trace-level fields it carries win over what earlier spans
    -- said. Otherwise the first non-empty value seen is kept.
    root_span_id = CASE WHEN t.root_span_id = '' THEN excluded.root_span_id ELSE t.root_span_id END,
    name = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.name ELSE t.name END,
    input = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.input ELSE t.input END,
    output = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.output ELSE t.output END,
    search_text = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.search_text ELSE t.search_text END,
    agent_name = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> ''
        THEN coalesce(nullif((SELECT root_agent_name FROM agg WHERE agg.trace_id = excluded.trace_id), ''),
            nullif(t.agent_name, ''), excluded.agent_name)
        ELSE coalesce(nullif(t.agent_name, ''), excluded.agent_name) END,
    user_id = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> ''
        THEN coalesce(nullif((SELECT root_user_id FROM agg WHERE agg.trace_id = excluded.trace_id), ''),
            nullif(t.user_id, ''), excluded.user_id)
        ELSE coalesce(nullif(t.user_id, ''), excluded.user_id) END,
    session_id = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> ''
        THEN coalesce(nullif((SELECT root_session_id FROM agg WHERE agg.trace_id = excluded.trace_id), ''),
            nullif(t.session_id, ''), excluded.session_id)
        ELSE coalesce(nullif(t.session_id, ''), excluded.session_id) END,
    metadata = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> ''
        THEN coalesce((SELECT root_metadata FROM agg WHERE agg.trace_id = excluded.trace_id), t.metadata, excluded.metadata)
        ELSE coalesce(t.metadata, excluded.metadata) END`

const stageList = `trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, input, output, model, request_model, provider, has_usage,
    input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
    cost_usd, ttft_ms, attributes, tags, agent_name, user_id, session_id, metadata`

// WriteSpans stores spans and updates their traces in one transaction.
func (s *Store) WriteSpans(ctx context.Context, projectID int64, spans []store.Span) error {
	if len(spans) == 0 {
		return nil
	}
	rows, err := stageRows(spans)
	if err != nil {
		return err
	}
	if err := s.ensurePartitions(ctx, spans); err != nil {
		return err
	}
	err = s.writeStaged(ctx, projectID, rows)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.HasPrefix(pgErr.Message, "no partition") {
		// "no partition of relation spans found for row": a partition was
		// dropped by retention after we cached it. Forget and try once more.
		s.partitions.Clear()
		if err := s.ensurePartitions(ctx, spans); err != nil {
			return err
		}
		err = s.writeStaged(ctx, projectID, rows)
	}
	if err != nil {
		return fmt.Errorf("write spans: %w", mapError(err))
	}
	return nil
}

func (s *Store) writeStaged(ctx context.Context, projectID int64, rows [][]any) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"span_stage"}, spanColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		if _, err := tx.Exec(ctx, mergeSpans, projectID); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		return nil
	})
}

// stageRows validates spans and lays them out as COPY rows.
func stageRows(spans []store.Span) ([][]any, error) {
	rows := make([][]any, len(spans))
	for i := range spans {
		sp := spans[i] // a copy: Normalize must not touch the caller's slice
		sp.Normalize()
		if err := sp.Validate(); err != nil {
			return nil, fmt.Errorf("%w: span %d: %v", store.ErrInvalid, i, err)
		}
		rows[i] = spanRow(&sp)
	}
	return rows, nil
}

func spanRow(sp *store.Span) []any {
	var u store.Usage
	if sp.Usage != nil {
		u = *sp.Usage
	}
	tags := sp.Tags
	if tags == nil {
		tags = []string{}
	}
	return []any{
		sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.Name, string(sp.Type), sp.StartTime, sp.EndTime, string(sp.Status),
		sp.ErrorType, sp.ErrorMessage, jsonArg(sp.Input), jsonArg(sp.Output), sp.Model, sp.RequestModel, sp.Provider, sp.Usage != nil,
		u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens, u.TotalTokens,
		sp.CostUSD, sp.TimeToFirstTokenMS, jsonArg(sp.Attributes), tags, sp.AgentName, sp.UserID, sp.SessionID, jsonArg(sp.Metadata),
	}
}

// jsonArg passes raw JSON through untouched, and nil as SQL NULL.
func jsonArg(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}
