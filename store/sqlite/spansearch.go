package sqlite

import (
	"context"
	"fmt"

	"github.com/tracium/tracium/store"
)

// spanSummaryColumns are spanColumns without the bulky input, output and
// attributes, which span search leaves out.
const spanSummaryColumns = `trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, NULL, NULL, model, request_model, provider, has_usage,
    input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
    cost_usd, ttft_ms, NULL, tags, agent_name, user_id, session_id, metadata`

// SearchSpans pages through the project's spans newest first, by keyset on
// (start_time, trace_id, span_id).
func (s *Store) SearchSpans(ctx context.Context, projectID int64, f store.SpanFilter, page store.Page) (store.SpanList, error) {
	limit, cursor, err := page.Bounded()
	if err != nil {
		return store.SpanList{}, fmt.Errorf("search spans: %w", err)
	}
	w := newWhere(projectID)
	if !f.Since.IsZero() {
		w.add("start_time >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("start_time < ?", micros(f.Until))
	}
	if f.Type != "" {
		w.add("type = ?", string(f.Type))
	}
	if f.Model != "" {
		w.add("model = ?", f.Model)
	}
	if f.Status != "" {
		w.add("status = ?", string(f.Status))
	}
	if f.Query != "" {
		p := "%" + likeEscape(f.Query) + "%"
		w.add(`(name LIKE ? ESCAPE '\' OR input LIKE ? ESCAPE '\' OR output LIKE ? ESCAPE '\')`, p, p, p)
	}
	if cursor.TraceID != "" {
		w.add("(start_time, trace_id, span_id) < (?, ?, ?)", micros(cursor.StartTime), cursor.TraceID, cursor.SpanID)
	}
	q := `SELECT ` + spanSummaryColumns + ` FROM spans WHERE ` + w.String() +
		` ORDER BY start_time DESC, trace_id DESC, span_id DESC LIMIT ?`
	spans, err := queryAll(ctx, s.read, scanSpan, q, append(w.args, limit+1)...)
	if err != nil {
		return store.SpanList{}, fmt.Errorf("search spans: %w", err)
	}
	list := store.SpanList{Spans: spans}
	if len(spans) > limit {
		list.Spans = spans[:limit]
		last := list.Spans[limit-1]
		list.NextCursor = store.Cursor{StartTime: last.StartTime, TraceID: last.TraceID, SpanID: last.SpanID}.Encode()
	}
	return list, nil
}
