package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// searchTextMax bounds the text that q= searches per trace.
const searchTextMax = 32 << 10

// summarize groups spans (sorted by trace id) into one delta per trace,
// by the store's rules.
func summarize(spans []store.Span) []store.TraceDelta {
	var out []store.TraceDelta
	for lo := 0; lo < len(spans); {
		hi := lo + 1
		for hi < len(spans) && spans[hi].TraceID == spans[lo].TraceID {
			hi++
		}
		out = append(out, store.Summarize(spans[lo:hi]))
		lo = hi
	}
	return out
}

// searchText is what q= matches: lower-cased name, input and output, cut
// to searchTextMax bytes on a character boundary.
func searchText(name string, input, output []byte) string {
	s := name + " " + string(input) + " " + string(output)
	if len(s) > searchTextMax {
		s = s[:searchTextMax]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return strings.ToLower(s)
}

var traceStageColumns = []string{
	"trace_id", "root_span_id", "name", "agent_name", "tags", "models", "user_id", "session_id", "metadata",
	"start_time", "end_time", "span_count", "error_count", "input_tokens", "output_tokens", "cached_tokens",
	"cache_creation_tokens", "reasoning_tokens", "total_tokens", "cost_usd", "input", "output", "search_text",
	"root_agent_name", "root_user_id", "root_session_id", "root_metadata",
}

// upsertTraces folds trace_stage into traces. The first root to arrive
// names the trace and gives it its input and output; the trace-level
// fields the root carries win over what earlier spans said; otherwise the
// first non-empty value seen is kept. Rows were staged in trace id order,
// which is the order their locks are taken in.
const upsertTraces = `
INSERT INTO traces AS t (project_id, trace_id, root_span_id, name, agent_name, tags, models, user_id, session_id,
    metadata, start_time, end_time, span_count, error_count, input_tokens, output_tokens, cached_tokens,
    cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, input, output, search_text)
SELECT $1, trace_id, root_span_id, name, agent_name, tags, models, user_id, session_id,
    metadata, start_time, end_time, span_count, error_count, input_tokens, output_tokens, cached_tokens,
    cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd, input, output, search_text
FROM trace_stage
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
    root_span_id = CASE WHEN t.root_span_id = '' THEN excluded.root_span_id ELSE t.root_span_id END,
    name = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.name ELSE t.name END,
    input = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.input ELSE t.input END,
    output = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.output ELSE t.output END,
    search_text = CASE WHEN t.root_span_id = '' AND excluded.root_span_id <> '' THEN excluded.search_text ELSE t.search_text END,
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
        ELSE coalesce(t.metadata, excluded.metadata) END`

// mergeTraces stages the deltas and folds them into traces.
func mergeTraces(ctx context.Context, tx pgx.Tx, projectID int64, deltas []store.TraceDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	rows := make([][]any, len(deltas))
	for i, d := range deltas {
		var root store.Span // zero values: no root says nothing
		if d.Root != nil {
			root = *d.Root
		}
		rows[i] = []any{
			d.TraceID, d.RootSpanID, d.Name, d.AgentName, d.Tags, d.Models, d.UserID, d.SessionID, jsonArg(d.Metadata),
			d.StartTime, d.EndTime, d.SpanCount, d.ErrorCount, d.Usage.InputTokens, d.Usage.OutputTokens, d.Usage.CachedTokens,
			d.Usage.CacheCreationTokens, d.Usage.ReasoningTokens, d.Usage.TotalTokens, d.CostUSD, jsonArg(d.Input), jsonArg(d.Output),
			searchText(d.Name, d.Input, d.Output), root.AgentName, root.UserID, root.SessionID, jsonArg(root.Metadata),
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"trace_stage"}, traceStageColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("stage traces: %w", err)
	}
	if _, err := tx.Exec(ctx, upsertTraces, projectID); err != nil {
		return fmt.Errorf("upsert traces: %w", err)
	}
	return nil
}
