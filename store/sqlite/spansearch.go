package sqlite

import (
	"context"
	"fmt"

	"github.com/tracium/tracium/store"
)

// SearchSpans pages through the project's spans newest first, by keyset on
// (start_time, trace_id, span_id). The spans carry no payloads.
func (s *Store) SearchSpans(ctx context.Context, projectID int64, f store.SpanFilter, page store.Page) (store.SpanList, error) {
	if err := f.Validate(); err != nil {
		return store.SpanList{}, fmt.Errorf("search spans: %w", err)
	}
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
		w.add("EXISTS (SELECT 1 FROM json_each(spans.model_keys) WHERE value = ?)", store.ModelKey(f.Model))
	}
	if f.Status != "" {
		w.add("status = ?", string(f.Status))
	}
	if f.Query != "" {
		w.add("instr(search_text, ?) > 0", store.Fold(f.Query))
	}
	if cursor.TraceID != "" {
		w.add("(start_time, trace_id, span_id) < (?, ?, ?)", micros(cursor.StartTime), cursor.TraceID, cursor.SpanID)
	}
	q := `SELECT ` + spanHeadList + ` FROM spans WHERE ` + w.String() +
		` ORDER BY start_time DESC, trace_id DESC, span_id DESC LIMIT ?`
	spans, err := queryAll(ctx, s.read, scanHead.scan, q, append(w.args, limit+1)...)
	if err != nil {
		return store.SpanList{}, fmt.Errorf("search spans: %w", mapError(err))
	}
	list := store.SpanList{Spans: spans}
	if len(spans) > limit {
		list.Spans = spans[:limit]
		last := list.Spans[limit-1]
		list.NextCursor = store.Cursor{StartTime: last.StartTime, TraceID: last.TraceID, SpanID: last.SpanID}.Encode()
	}
	return list, nil
}
