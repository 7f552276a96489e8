package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	if err := f.Validate(); err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", err)
	}
	limit, cursor, err := page.Bounded()
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", err)
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
		return store.TraceList{}, fmt.Errorf("list traces: %w", mapError(err))
	}
	traces, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Trace, error) { return scanTrace(r) })
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", mapError(err))
	}
	list := store.TraceList{Traces: traces}
	if len(traces) > limit {
		list.Traces = traces[:limit]
		last := list.Traces[limit-1]
		list.NextCursor = store.Cursor{StartTime: last.StartTime, TraceID: last.TraceID}.Encode()
	}
	if err := s.withScores(ctx, projectID, list.Traces); err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", mapError(err))
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
		q.where("model_keys @> ARRAY[%s]::text[]", store.ModelKey(f.Model))
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
	if !f.Score.IsZero() {
		q.scoreMatch(f.Score)
	}
	if f.Query != "" {
		folded := store.Fold(f.Query)
		for _, w := range queryWords(folded) {
			q.where(`search_words LIKE %s`, likeContains(w))
		}
		q.where(`search_text LIKE %s`, likeContains(folded))
	}
}

// maxQueryWords bounds the words of a query the trigram index is asked
// for: the longest few narrow the candidates as well as all of them.
const maxQueryWords = 4

// queryWords are the longest words of a folded query (store.QueryWords).
func queryWords(folded string) []string {
	words := store.QueryWords(folded)
	return words[:min(len(words), maxQueryWords)]
}

// likeContains is the LIKE pattern of s anywhere, with %, _ and the escape
// character matching themselves.
func likeContains(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// containsPattern is the LIKE pattern of a text query: its folded form
// anywhere.
func containsPattern(query string) string { return likeContains(store.Fold(query)) }

// GetTrace returns the trace and its whole spans, read from the trace's
// one partition.
func (s *Store) GetTrace(ctx context.Context, projectID int64, traceID string) (store.TraceDetail, error) {
	var d store.TraceDetail
	err := s.readTrace(ctx, projectID, traceID, true, func(t store.Trace, day time.Time) (err error) {
		d.Trace = t
		d.Spans, err = readSpans(ctx, s.pool, make([]store.Span, 0, min(t.SpanCount, maxSpansHint)), scanPayload.scan,
			spanFullList, "", projectID, t.TraceID, day)
		store.SortSpans(d.Spans)
		return err
	})
	return d, err
}

// GetTraceTree returns the trace and its spans as its tree draws them. A
// trace with more spans than the bound has its first ones sorted out by
// PostgreSQL, which keeps only that many meanwhile (a top-N sort).
func (s *Store) GetTraceTree(ctx context.Context, projectID int64, traceID string, limit int) (store.TraceTree, error) {
	limit = store.TreeLimit(limit)
	var d store.TraceTree
	err := s.readTrace(ctx, projectID, traceID, false, func(t store.Trace, day time.Time) (err error) {
		d.Trace = t
		tail := ` LIMIT ` + strconv.Itoa(limit)
		if t.SpanCount > int64(limit) {
			tail = ` ORDER BY start_time, span_id COLLATE "C"` + tail
		}
		d.Spans, err = readSpans(ctx, s.pool, make([]store.TreeSpan, 0, min(t.SpanCount, int64(limit))), scanTreeSpan,
			treeSpanList, tail, projectID, t.TraceID, day)
		store.SortTreeSpans(d.Spans)
		return err
	})
	return d, err
}

// maxSpansHint bounds the room made for a trace's spans before reading
// them: the count comes from the database.
const maxSpansHint = 100_000

// readTrace reads a trace's row (with its input and output when payload
// says so) and passes it, with the day of its partition, to spans.
func (s *Store) readTrace(ctx context.Context, projectID int64, traceID string, payload bool, spans func(store.Trace, time.Time) error) error {
	traceID = strings.ToLower(traceID)
	var day time.Time
	var input, output []byte
	var row pgx.Row
	if payload {
		row = s.pool.QueryRow(ctx, "SELECT "+traceSummaryColumns+", trace_day, input, output FROM traces WHERE project_id = $1 AND trace_id = $2",
			projectID, traceID)
	} else {
		row = s.pool.QueryRow(ctx, "SELECT "+traceSummaryColumns+", trace_day, NULL::json, NULL::json FROM traces WHERE project_id = $1 AND trace_id = $2",
			projectID, traceID)
	}
	t, err := scanTrace(row, &day, &input, &output)
	if err != nil {
		return fmt.Errorf("get trace %s: %w", traceID, mapError(err))
	}
	t.Input, t.Output = input, output
	if err := spans(t, day); err != nil {
		return fmt.Errorf("get spans of %s: %w", traceID, mapError(err))
	}
	return nil
}

// readSpans appends the columns of a trace's spans, read from its
// partition, with tail (ORDER BY, LIMIT) after the condition. Without a
// bound no ORDER BY: it would tempt the planner to walk the partition's
// start time index past other traces; the primary key finds exactly this
// trace's spans, and Go sorts them.
func readSpans[T any](ctx context.Context, pool *pgxpool.Pool, out []T, scan pgx.RowToFunc[T], columns, tail string, projectID int64, traceID string, day time.Time) ([]T, error) {
	rows, err := pool.Query(ctx, `SELECT `+columns+` FROM spans
WHERE project_id = $1 AND trace_id = $2 AND trace_day = $3`+tail, projectID, traceID, day)
	if err != nil {
		return nil, err
	}
	return pgx.AppendRows(out, rows, scan)
}

// GetSpan returns one whole span, found in its trace's partition.
func (s *Store) GetSpan(ctx context.Context, projectID int64, traceID, spanID string) (store.Span, error) {
	traceID, spanID = strings.ToLower(traceID), strings.ToLower(spanID)
	rows, err := s.pool.Query(ctx, `SELECT `+spanFullList+` FROM spans
WHERE project_id = $1 AND trace_id = $2 AND span_id = $3
  AND trace_day = (SELECT trace_day FROM traces WHERE project_id = $1 AND trace_id = $2)`, projectID, traceID, spanID)
	if err != nil {
		return store.Span{}, fmt.Errorf("get span %s/%s: %w", traceID, spanID, mapError(err))
	}
	sp, err := pgx.CollectExactlyOneRow(rows, scanPayload.scan)
	if err != nil {
		return store.Span{}, fmt.Errorf("get span %s/%s: %w", traceID, spanID, mapError(err))
	}
	return sp, nil
}
