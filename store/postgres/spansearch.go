package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// spanSummaryColumns are spanColumns without the bulky input, output and
// attributes, which span search leaves out.
const spanSummaryColumns = `trace_id, span_id, parent_span_id, name, type, start_time, end_time, status,
    error_type, error_message, NULL::json, NULL::json, model, request_model, provider, has_usage,
    input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, total_tokens,
    cost_usd, ttft_ms, NULL::jsonb, tags, agent_name, user_id, session_id, metadata`

// SearchSpans pages through the project's spans newest first. A time range
// lets PostgreSQL skip whole partitions.
func (s *Store) SearchSpans(ctx context.Context, projectID int64, f store.SpanFilter, page store.Page) (store.SpanList, error) {
	limit, cursor, err := page.Bounded()
	if err != nil {
		return store.SpanList{}, err
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
		q.where("model = %s", f.Model)
	}
	if f.Status != "" {
		q.where("status = %s", string(f.Status))
	}
	if f.Query != "" {
		q.where("(name ILIKE %[1]s OR input::text ILIKE %[1]s OR output::text ILIKE %[1]s)", "%"+likeEscape(f.Query)+"%")
	}
	if cursor.TraceID != "" {
		q.where("(start_time, trace_id, span_id) < (%s, %s, %s)", cursor.StartTime, cursor.TraceID, cursor.SpanID)
	}
	sql := "SELECT " + spanSummaryColumns + " FROM spans WHERE " + q.conds() +
		" ORDER BY start_time DESC, trace_id DESC, span_id DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return store.SpanList{}, fmt.Errorf("search spans: %w", err)
	}
	spans, err := pgx.CollectRows(rows, scanSpan)
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
