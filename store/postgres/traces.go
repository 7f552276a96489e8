package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

const traceSummaryColumns = `trace_id, root_span_id, name, agent_name, tags, models, user_id, session_id, metadata,
    start_time, end_time, span_count, error_count, input_tokens, output_tokens, cached_tokens,
    cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd`

func scanTrace(row pgx.Row, extra ...any) (store.Trace, error) {
	var t store.Trace
	var metadata []byte
	dest := []any{&t.TraceID, &t.RootSpanID, &t.Name, &t.AgentName, &t.Tags, &t.Models, &t.UserID, &t.SessionID, &metadata,
		&t.StartTime, &t.EndTime, &t.SpanCount, &t.ErrorCount, &t.Usage.InputTokens, &t.Usage.OutputTokens,
		&t.Usage.CachedTokens, &t.Usage.CacheCreationTokens, &t.Usage.ReasoningTokens, &t.Usage.TotalTokens, &t.CostUSD}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return t, err
	}
	t.Metadata = metadata
	t.StartTime, t.EndTime = t.StartTime.UTC(), t.EndTime.UTC()
	t.Status = store.StatusOK
	if t.ErrorCount > 0 {
		t.Status = store.StatusError
	}
	return t, nil
}

// ListTraces pages through the project's traces newest first, using the
// (project_id, start_time DESC, trace_id DESC) index for the keyset.
func (s *Store) ListTraces(ctx context.Context, projectID int64, f store.TraceFilter, page store.Page) (store.TraceList, error) {
	limit, cursor, err := page.Bounded()
	if err != nil {
		return store.TraceList{}, err
	}
	q := newQuery(projectID)
	q.filter(f)
	if cursor.TraceID != "" {
		q.where("(start_time, trace_id) < (%s, %s)", cursor.StartTime, cursor.TraceID)
	}
	sql := "SELECT " + traceSummaryColumns + " FROM traces WHERE " + q.conds() +
		" ORDER BY start_time DESC, trace_id DESC LIMIT " + strconv.Itoa(limit+1)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", err)
	}
	traces, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Trace, error) { return scanTrace(r) })
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", err)
	}
	list := store.TraceList{Traces: traces}
	if len(traces) > limit {
		list.Traces = traces[:limit]
		last := list.Traces[limit-1]
		list.NextCursor = store.Cursor{StartTime: last.StartTime, TraceID: last.TraceID}.Encode()
	}
	return list, nil
}

// query collects the WHERE conditions and arguments of a trace or span
// search; every one starts scoped by project.
type query struct {
	parts []string
	args  []any
}

func newQuery(projectID int64) *query {
	return &query{parts: []string{"project_id = $1"}, args: []any{projectID}}
}

// where adds a condition; each %s in cond becomes the placeholder of the
// matching arg.
func (q *query) where(cond string, args ...any) {
	ph := make([]any, len(args))
	for i, a := range args {
		q.args = append(q.args, a)
		ph[i] = "$" + strconv.Itoa(len(q.args))
	}
	q.parts = append(q.parts, fmt.Sprintf(cond, ph...))
}

func (q *query) conds() string { return strings.Join(q.parts, " AND ") }

func (q *query) filter(f store.TraceFilter) {
	if !f.Since.IsZero() {
		q.where("start_time >= %s", f.Since)
	}
	if !f.Until.IsZero() {
		q.where("start_time < %s", f.Until)
	}
	if f.AgentName != "" {
		q.where("agent_name = %s", f.AgentName)
	}
	if f.UserID != "" {
		q.where("user_id = %s", f.UserID)
	}
	if f.SessionID != "" {
		q.where("session_id = %s", f.SessionID)
	}
	if f.Tag != "" {
		q.where("tags @> ARRAY[%s]::text[]", f.Tag)
	}
	if f.Model != "" {
		q.where("models @> ARRAY[%s]::text[]", f.Model)
	}
	switch f.Status {
	case store.StatusError:
		q.where("error_count > 0")
	case store.StatusOK:
		q.where("error_count = 0")
	}
	if f.MinDuration > 0 {
		q.where("duration_ms >= %s", float64(f.MinDuration)/float64(time.Millisecond))
	}
	if f.Query != "" {
		q.where(`search_text LIKE %s`, "%"+likeEscape(strings.ToLower(f.Query))+"%")
	}
}

// likeEscape makes % and _ in s match themselves under LIKE's default
// escape character.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetTrace returns the trace and its spans. The spans are read only from
// the partitions the trace's time range covers.
func (s *Store) GetTrace(ctx context.Context, projectID int64, traceID string) (store.TraceDetail, error) {
	traceID = strings.ToLower(traceID)
	var d store.TraceDetail
	var input, output []byte
	row := s.pool.QueryRow(ctx, "SELECT "+traceSummaryColumns+", input, output FROM traces WHERE project_id = $1 AND trace_id = $2",
		projectID, traceID)
	t, err := scanTrace(row, &input, &output)
	if err != nil {
		return d, fmt.Errorf("get trace %s: %w", traceID, mapError(err))
	}
	t.Input, t.Output = input, output
	d.Trace = t
	rows, err := s.pool.Query(ctx, `SELECT `+stageList+` FROM spans
WHERE project_id = $1 AND trace_id = $2 AND start_time >= $3 AND start_time <= $4
ORDER BY start_time, span_id`, projectID, traceID, t.StartTime, t.EndTime)
	if err != nil {
		return d, fmt.Errorf("get spans of %s: %w", traceID, err)
	}
	d.Spans, err = pgx.CollectRows(rows, scanSpan)
	if err != nil {
		return d, fmt.Errorf("get spans of %s: %w", traceID, err)
	}
	return d, nil
}

func scanSpan(row pgx.CollectableRow) (store.Span, error) {
	var sp store.Span
	var u store.Usage
	var hasUsage bool
	var input, output, attrs, metadata []byte
	err := row.Scan(&sp.TraceID, &sp.SpanID, &sp.ParentSpanID, &sp.Name, &sp.Type, &sp.StartTime, &sp.EndTime, &sp.Status,
		&sp.ErrorType, &sp.ErrorMessage, &input, &output, &sp.Model, &sp.RequestModel, &sp.Provider, &hasUsage,
		&u.InputTokens, &u.OutputTokens, &u.CachedTokens, &u.CacheCreationTokens, &u.ReasoningTokens, &u.TotalTokens,
		&sp.CostUSD, &sp.TimeToFirstTokenMS, &attrs, &sp.Tags, &sp.AgentName, &sp.UserID, &sp.SessionID, &metadata)
	if err != nil {
		return sp, err
	}
	if hasUsage {
		sp.Usage = &u
	}
	if len(sp.Tags) == 0 {
		sp.Tags = nil
	}
	sp.Input, sp.Output, sp.Attributes, sp.Metadata = input, output, attrs, metadata
	sp.StartTime, sp.EndTime = sp.StartTime.UTC(), sp.EndTime.UTC()
	return sp, nil
}

// DeleteTracesBefore deletes the project's traces that started before
// cutoff, with their spans, in one transaction.
func (s *Store) DeleteTracesBefore(ctx context.Context, projectID int64, cutoff time.Time) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
WITH gone AS (
    DELETE FROM traces WHERE project_id = $1 AND start_time < $2
    RETURNING trace_id, start_time, end_time
), spans_gone AS (
    DELETE FROM spans s USING gone g
    WHERE s.project_id = $1 AND s.trace_id = g.trace_id
      AND s.start_time >= g.start_time AND s.start_time <= g.end_time
)
SELECT count(*) FROM gone`, projectID, cutoff).Scan(&n)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete traces: %w", err)
	}
	return n, nil
}
