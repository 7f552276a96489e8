package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// SearchSpans pages through the project's spans newest first. The spans
// carry no payloads.
func (s *Store) SearchSpans(ctx context.Context, projectID int64, f store.SpanFilter, page store.Page) (store.SpanList, error) {
	if err := f.Validate(); err != nil {
		return store.SpanList{}, fmt.Errorf("search spans: %w", err)
	}
	limit, cursor, err := page.Bounded()
	if err != nil {
		return store.SpanList{}, fmt.Errorf("search spans: %w", err)
	}
	q := newQuery(projectID)
	if !f.Since.IsZero() {
		q.where("start_time >= %s", f.Since)
	}
	if !f.Until.IsZero() {
		q.where("start_time < %s", f.Until)
	}
	if f.Type != "" {
		q.where("type = %s", string(f.Type))
	}
	if f.Model != "" {
		q.where("model_keys @> ARRAY[%s]::text[]", store.ModelKey(f.Model))
	}
	if f.Status != "" {
		q.where("status = %s", string(f.Status))
	}
	if f.Query != "" {
		q.where("search_text LIKE %s", containsPattern(f.Query))
	}
	if cursor.TraceID != "" {
		q.where("(start_time, trace_id, span_id) < (%s, %s, %s)", cursor.StartTime, cursor.TraceID, cursor.SpanID)
	}
	sql := "SELECT " + spanHeadList + " FROM spans WHERE " + q.conds() +
		" ORDER BY start_time DESC, trace_id DESC, span_id DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return store.SpanList{}, fmt.Errorf("search spans: %w", mapError(err))
	}
	spans, err := pgx.CollectRows(rows, scanHead.scan)
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
