package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// traceDelta is what one write adds to a trace: the summary of the spans
// it inserted. mergeTraces folds it into the stored summary.
type traceDelta struct {
	traceID, rootSpanID, name    string
	agentName, userID, sessionID string
	tags, models                 []string
	metadata                     []byte
	start, end                   time.Time
	spans, errors                int64
	usage                        store.Usage
	cost                         float64
	input, output                []byte
	searchText                   string
	// The root's own trace-level values: they win over what earlier
	// batches said, where the values above only fill gaps.
	rootAgent, rootUser, rootSession string
	rootMetadata                     []byte
}

// searchTextMax bounds the text that q= searches per trace.
const searchTextMax = 32 << 10

// summarize groups spans (sorted by trace id) into one delta per trace.
func summarize(spans []store.Span) []traceDelta {
	var out []traceDelta
	for lo := 0; lo < len(spans); {
		hi := lo + 1
		for hi < len(spans) && spans[hi].TraceID == spans[lo].TraceID {
			hi++
		}
		out = append(out, summarizeTrace(spans[lo:hi]))
		lo = hi
	}
	return out
}

func summarizeTrace(spans []store.Span) traceDelta {
	// Roots first, then by start time: the first span to offer a value
	// gives it.
	ordered := slices.Clone(spans)
	slices.SortStableFunc(ordered, func(a, b store.Span) int {
		if a.IsRoot() != b.IsRoot() {
			if a.IsRoot() {
				return -1
			}
			return 1
		}
		return a.StartTime.Compare(b.StartTime)
	})
	d := traceDelta{traceID: spans[0].TraceID, start: ordered[0].StartTime, end: ordered[0].EndTime, name: ordered[0].Name}
	if root := ordered[0]; root.IsRoot() {
		d.rootSpanID, d.input, d.output = root.SpanID, root.Input, root.Output
		d.rootAgent, d.rootUser, d.rootSession, d.rootMetadata = root.AgentName, root.UserID, root.SessionID, root.Metadata
	}
	for i := range ordered {
		s := &ordered[i]
		d.start, d.end = minTime(d.start, s.StartTime), maxTime(d.end, s.EndTime)
		d.spans++
		if s.Status == store.StatusError {
			d.errors++
		}
		if s.Usage != nil {
			d.usage = d.usage.Add(*s.Usage)
		}
		if s.CostUSD != nil {
			d.cost += *s.CostUSD
		}
		d.agentName = cmpOr(d.agentName, s.AgentName)
		d.userID = cmpOr(d.userID, s.UserID)
		d.sessionID = cmpOr(d.sessionID, s.SessionID)
		if d.metadata == nil {
			d.metadata = s.Metadata
		}
		d.tags = append(d.tags, s.Tags...)
		if s.Model != "" {
			d.models = append(d.models, s.Model)
		}
	}
	d.tags = slices.Compact(slices.Sorted(slices.Values(d.tags)))
	d.models = slices.Compact(slices.Sorted(slices.Values(d.models)))
	d.searchText = searchText(d.name, d.input, d.output)
	return d
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

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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
func mergeTraces(ctx context.Context, tx pgx.Tx, projectID int64, deltas []traceDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	rows := make([][]any, len(deltas))
	for i, d := range deltas {
		rows[i] = []any{
			d.traceID, d.rootSpanID, d.name, d.agentName, nonNil(d.tags), nonNil(d.models), d.userID, d.sessionID, jsonArg(d.metadata),
			d.start, d.end, d.spans, d.errors, d.usage.InputTokens, d.usage.OutputTokens, d.usage.CachedTokens,
			d.usage.CacheCreationTokens, d.usage.ReasoningTokens, d.usage.TotalTokens, d.cost, jsonArg(d.input), jsonArg(d.output), d.searchText,
			d.rootAgent, d.rootUser, d.rootSession, jsonArg(d.rootMetadata),
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
