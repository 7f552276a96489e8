package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

var traceStageColumns = []string{
	"trace_id", "trace_day", "root_span_id", "name", "agent_name", "tags", "models", "model_keys", "user_id", "session_id",
	"metadata", "start_time", "end_time", "span_count", "error_count", "input_tokens", "output_tokens", "cached_tokens",
	"cache_creation_tokens", "reasoning_tokens", "total_tokens", "cost_usd", "input", "output", "search_text",
	"search_words", "root_agent_name", "root_user_id", "root_session_id", "root_metadata",
}

// insertTraces creates the staged traces that have no row yet; the two
// upserts below differ in what they do to those that have one.
const insertTraces = `
INSERT INTO traces AS t (project_id, trace_id, trace_day, root_span_id, name, agent_name, tags, models, model_keys,
    user_id, session_id, metadata, start_time, end_time, span_count, error_count, input_tokens, output_tokens,
    cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, input, output, search_text,
    search_words)
SELECT $1, trace_id, trace_day, root_span_id, name, agent_name, tags, models, model_keys,
    user_id, session_id, metadata, start_time, end_time, span_count, error_count, input_tokens, output_tokens,
    cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, input, output, search_text,
    search_words
FROM trace_stage
ON CONFLICT (project_id, trace_id) DO UPDATE SET `

// returning says, of each staged trace, its day and whether this
// statement created it (a row an upsert inserted has no xmax).
const returning = `
RETURNING t.trace_id, t.trace_day, t.xmax = 0`

// createOrLockTraces creates the new traces and only locks the others.
const createOrLockTraces = insertTraces + `trace_day = t.trace_day` + returning

// mergeTraces folds trace_stage into traces by the rules of store.Merge:
// sums saturate (taken in numeric, clamped to bigint); the first root to
// arrive names the trace and gives it its input and output; the
// trace-level fields the root carries win over what earlier spans said;
// otherwise the first non-empty value seen is kept; the search text grows
// by store.JoinSearchText (left and char_length count characters, as it
// does), and its words by the delta's while it grows. A trace keeps its
// day. Rows were staged in trace id order, which
// is the order their locks are taken in.
var mergeTraces = insertTraces + fmt.Sprintf(`
    start_time = least(t.start_time, excluded.start_time),
    end_time = greatest(t.end_time, excluded.end_time),
    span_count = t.span_count + excluded.span_count,
    error_count = t.error_count + excluded.error_count,
    input_tokens = least(t.input_tokens::numeric + excluded.input_tokens, %[1]d)::bigint,
    output_tokens = least(t.output_tokens::numeric + excluded.output_tokens, %[1]d)::bigint,
    cached_tokens = least(t.cached_tokens::numeric + excluded.cached_tokens, %[1]d)::bigint,
    cache_creation_tokens = least(t.cache_creation_tokens::numeric + excluded.cache_creation_tokens, %[1]d)::bigint,
    reasoning_tokens = least(t.reasoning_tokens::numeric + excluded.reasoning_tokens, %[1]d)::bigint,
    total_tokens = least(t.total_tokens::numeric + excluded.total_tokens, %[1]d)::bigint,
    cost_usd = t.cost_usd + excluded.cost_usd,
    tags = CASE WHEN cardinality(excluded.tags) = 0 THEN t.tags
        ELSE ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(t.tags || excluded.tags) AS x ORDER BY 1) END,
    models = CASE WHEN cardinality(excluded.models) = 0 THEN t.models
        ELSE ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(t.models || excluded.models) AS x ORDER BY 1) END,
    model_keys = CASE WHEN cardinality(excluded.model_keys) = 0 THEN t.model_keys
        ELSE ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(t.model_keys || excluded.model_keys) AS x ORDER BY 1) END,
    search_text = CASE WHEN t.search_text = '' THEN left(excluded.search_text, %[2]d)
        WHEN char_length(t.search_text) >= %[2]d THEN t.search_text
        ELSE left(t.search_text || E'\n' || excluded.search_text, %[2]d) END,
    search_words = CASE WHEN char_length(t.search_text) >= %[2]d THEN t.search_words
        ELSE t.search_words || ' ' || excluded.search_words END,
    root_span_id = CASE WHEN t.root_span_id = '' THEN excluded.root_span_id ELSE t.root_span_id END,
    name = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.name ELSE t.name END,
    input = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.input ELSE t.input END,
    output = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.output ELSE t.output END,
    agent_name = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> ''
        THEN coalesce(nullif((SELECT root_agent_name FROM trace_stage s WHERE s.trace_id = excluded.trace_id), ''),
            nullif(t.agent_name, ''), excluded.agent_name)
        ELSE coalesce(nullif(t.agent_name, ''), excluded.agent_name) END,
    user_id = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> ''
        THEN coalesce(nullif((SELECT root_user_id FROM trace_stage s WHERE s.trace_id = excluded.trace_id), ''),
            nullif(t.user_id, ''), excluded.user_id)
        ELSE coalesce(nullif(t.user_id, ''), excluded.user_id) END,
    session_id = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> ''
        THEN coalesce(nullif((SELECT root_session_id FROM trace_stage s WHERE s.trace_id = excluded.trace_id), ''),
            nullif(t.session_id, ''), excluded.session_id)
        ELSE coalesce(nullif(t.session_id, ''), excluded.session_id) END,
    metadata = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> ''
        THEN coalesce((SELECT root_metadata FROM trace_stage s WHERE s.trace_id = excluded.trace_id), t.metadata, excluded.metadata)
        ELSE coalesce(t.metadata, excluded.metadata) END`, int64(math.MaxInt64), store.MaxTraceSearchRunes) + returning

// traceDay is what upsertTraces learns of a trace: the day its spans are
// partitioned by, and whether the upsert created it.
type traceDay struct {
	day     time.Time
	created bool
}

// upsertTraces stages the deltas and applies upsert (mergeTraces or
// createOrLockTraces), returning each trace's day. A new trace's day is
// that of its delta's earliest span.
func upsertTraces(ctx context.Context, tx pgx.Tx, projectID int64, deltas []store.TraceDelta, upsert string) (map[string]traceDay, error) {
	rows := make([][]any, len(deltas))
	for i, d := range deltas {
		var root store.Span // zero values: no root says nothing
		if d.Root != nil {
			root = *d.Root
		}
		rows[i] = []any{
			d.TraceID, day(d.StartTime), d.RootSpanID, d.Name, d.AgentName, d.Tags, d.Models, d.ModelKeys, d.UserID, d.SessionID,
			jsonArg(d.Metadata), d.StartTime, d.EndTime, d.SpanCount, d.ErrorCount, d.Usage.InputTokens, d.Usage.OutputTokens,
			d.Usage.CachedTokens, d.Usage.CacheCreationTokens, d.Usage.ReasoningTokens, d.Usage.TotalTokens, d.CostUSD,
			jsonArg(d.Input), jsonArg(d.Output), d.SearchText, store.SearchWords(d.SearchText), root.AgentName, root.UserID, root.SessionID, jsonArg(root.Metadata),
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"trace_stage"}, traceStageColumns, pgx.CopyFromRows(rows)); err != nil {
		return nil, fmt.Errorf("stage traces: %w", err)
	}
	res, err := tx.Query(ctx, upsert, projectID)
	if err != nil {
		return nil, fmt.Errorf("upsert traces: %w", err)
	}
	days := make(map[string]traceDay, len(deltas))
	var id string
	var td traceDay
	if _, err := pgx.ForEachRow(res, []any{&id, &td.day, &td.created}, func() error { days[id] = td; return nil }); err != nil {
		return nil, fmt.Errorf("upsert traces: %w", err)
	}
	return days, nil
}
