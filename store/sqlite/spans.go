package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tracium/tracium/store"
)

// spanColumns are the columns of spans after project_id, in the order
// spanArgs and scanSpan use.
const spanColumns = `trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, input, output, model, request_model, provider, has_usage,
    input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
    cost_usd, ttft_ms, attributes, tags, agent_name, user_id, session_id, metadata`

// insertSpan skips a span already stored: WriteSpans is idempotent, and
// RowsAffected tells it which spans are new to the trace summaries.
var insertSpan = `INSERT INTO spans (project_id, ` + spanColumns + `)
VALUES (?` + strings.Repeat(", ?", 30) + `) ON CONFLICT DO NOTHING`

// WriteSpans stores spans and folds the new ones into their traces, all in
// one transaction. It validates the whole batch before writing any of it.
func (s *Store) WriteSpans(ctx context.Context, projectID int64, spans []store.Span) error {
	if len(spans) == 0 {
		return nil
	}
	norm, err := normalize(spans)
	if err != nil {
		return fmt.Errorf("write spans: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write spans: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	inserted, err := insertSpans(ctx, tx, projectID, norm)
	if err != nil {
		return fmt.Errorf("write spans: %w", mapError(err))
	}
	for _, group := range byTrace(inserted) {
		if err := foldTrace(ctx, tx, projectID, group); err != nil {
			return fmt.Errorf("write spans: trace %s: %w", group[0].TraceID, mapError(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write spans: commit: %w", err)
	}
	return nil
}

// normalize returns normalized copies of spans, or an ErrInvalid naming
// the first span that cannot be stored. The caller's slice is untouched.
func normalize(spans []store.Span) ([]store.Span, error) {
	out := slices.Clone(spans)
	for i := range out {
		out[i].Tags = slices.Clone(out[i].Tags) // Normalize sorts tags in place
		out[i].Normalize()
		if err := out[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: span %d: %v", store.ErrInvalid, i, err)
		}
	}
	return out, nil
}

// insertSpans inserts spans in order and returns those that were new.
func insertSpans(ctx context.Context, tx *sql.Tx, projectID int64, spans []store.Span) ([]*store.Span, error) {
	stmt, err := tx.PrepareContext(ctx, insertSpan)
	if err != nil {
		return nil, fmt.Errorf("prepare insert: %w", err)
	}
	defer stmt.Close()
	var inserted []*store.Span
	for i := range spans {
		res, err := stmt.ExecContext(ctx, spanArgs(projectID, &spans[i])...)
		if err != nil {
			return nil, fmt.Errorf("insert span %d: %w", i, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("insert span %d: %w", i, err)
		}
		if n == 1 {
			inserted = append(inserted, &spans[i])
		}
	}
	return inserted, nil
}

func spanArgs(projectID int64, sp *store.Span) []any {
	var u store.Usage
	if sp.Usage != nil {
		u = *sp.Usage
	}
	return []any{projectID,
		sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.Name, string(sp.Type), micros(sp.StartTime), micros(sp.EndTime), string(sp.Status),
		sp.ErrorType, sp.ErrorMessage, jsonArg(sp.Input), jsonArg(sp.Output), sp.Model, sp.RequestModel, sp.Provider, sp.Usage != nil,
		u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens, u.TotalTokens,
		sp.CostUSD, sp.TimeToFirstTokenMS, jsonArg(sp.Attributes), encodeStrings(sp.Tags), sp.AgentName, sp.UserID, sp.SessionID, jsonArg(sp.Metadata),
	}
}

// byTrace groups spans by trace id, traces in id order.
func byTrace(spans []*store.Span) [][]*store.Span {
	groups := map[string][]*store.Span{}
	for _, sp := range spans {
		groups[sp.TraceID] = append(groups[sp.TraceID], sp)
	}
	ids := slices.Sorted(maps.Keys(groups))
	out := make([][]*store.Span, len(ids))
	for i, id := range ids {
		out[i] = groups[id]
	}
	return out
}
