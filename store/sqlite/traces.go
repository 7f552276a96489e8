package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tracium/tracium/store"
)

// ListTraces pages through the project's traces newest first, by keyset
// on the (project_id, start_time DESC, trace_id DESC) index.
func (s *Store) ListTraces(ctx context.Context, projectID int64, f store.TraceFilter, page store.Page) (store.TraceList, error) {
	if err := f.Validate(); err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", err)
	}
	limit, cursor, err := page.Bounded()
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", err)
	}
	var text textSearch
	if f.Query != "" {
		if text, err = s.planText(ctx, f.Query); err != nil {
			return store.TraceList{}, fmt.Errorf("list traces: %w", mapError(err))
		}
	}
	w := traceWhere(projectID, f, text)
	if cursor.TraceID != "" {
		w.add("(start_time, trace_id) < (?, ?)", micros(cursor.StartTime), cursor.TraceID)
	}
	from, args := text.from()
	// One row more than the page tells whether there is a next one.
	q := `SELECT ` + traceColumns + ` FROM ` + from + ` WHERE ` + w.String() +
		` ORDER BY start_time DESC, trace_id DESC LIMIT ?`
	traces, err := queryAll(ctx, s.read, scanSummary, q, append(append(args, w.args...), limit+1)...)
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", mapError(err))
	}
	list := store.TraceList{Traces: traces}
	if len(list.Traces) > limit {
		list.Traces = list.Traces[:limit]
		last := list.Traces[limit-1]
		list.NextCursor = store.Cursor{StartTime: last.StartTime, TraceID: last.TraceID}.Encode()
	}
	if err := s.withScores(ctx, projectID, list.Traces); err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", mapError(err))
	}
	return list, nil
}

// GetTrace returns the trace and its whole spans, read from one snapshot.
func (s *Store) GetTrace(ctx context.Context, projectID int64, traceID string) (store.TraceDetail, error) {
	var d store.TraceDetail
	err := s.readTrace(ctx, projectID, traceID, true, func(tx *sql.Tx, t store.Trace) (err error) {
		d.Trace = t
		d.Spans, err = appendAll(ctx, tx, make([]store.Span, 0, min(t.SpanCount, maxSpansHint)), scanPayload.scan,
			`SELECT `+spanFullList+` FROM spans WHERE project_id = ? AND trace_id = ?`, projectID, t.TraceID)
		store.SortSpans(d.Spans)
		return err
	})
	return d, err
}

// GetTraceTree returns the trace and its spans as its tree draws them,
// read from one snapshot. A trace with more spans than the bound has its
// first ones sorted out by SQLite, which keeps only that many meanwhile.
func (s *Store) GetTraceTree(ctx context.Context, projectID int64, traceID string, limit int) (store.TraceTree, error) {
	limit = store.TreeLimit(limit)
	var d store.TraceTree
	err := s.readTrace(ctx, projectID, traceID, false, func(tx *sql.Tx, t store.Trace) (err error) {
		d.Trace = t
		order := ""
		if t.SpanCount > int64(limit) {
			order = ` ORDER BY start_time, span_id`
		}
		d.Spans, err = appendAll(ctx, tx, make([]store.TreeSpan, 0, min(t.SpanCount, int64(limit))), scanTreeSpan,
			`SELECT `+treeSpanList+` FROM spans WHERE project_id = ? AND trace_id = ?`+order+` LIMIT ?`, projectID, t.TraceID, limit)
		store.SortTreeSpans(d.Spans)
		return err
	})
	return d, err
}

// maxSpansHint bounds the room made for a trace's spans before reading
// them: the count comes from the database.
const maxSpansHint = 100_000

// readTrace reads a trace's row (with its input and output when payload
// says so) and passes it to spans, which reads its spans in the same
// snapshot. The span rows stream in primary key order, which holds the
// trace's spans together; sorting them in Go spares SQLite copying every
// row through its sorter.
func (s *Store) readTrace(ctx context.Context, projectID int64, traceID string, payload bool, spans func(*sql.Tx, store.Trace) error) error {
	traceID = strings.ToLower(traceID)
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("get trace %s: %w", traceID, mapError(err))
	}
	defer tx.Rollback() //nolint:errcheck // read only
	var t store.Trace
	var input, output []byte
	if payload {
		t, err = scanTrace(tx.QueryRowContext(ctx,
			`SELECT `+traceColumns+`, input, output FROM traces WHERE project_id = ? AND trace_id = ?`,
			projectID, traceID), &input, &output)
	} else {
		t, err = scanTrace(tx.QueryRowContext(ctx,
			`SELECT `+traceColumns+` FROM traces WHERE project_id = ? AND trace_id = ?`, projectID, traceID))
	}
	if err != nil {
		return fmt.Errorf("get trace %s: %w", traceID, mapError(err))
	}
	t.Input, t.Output = input, output
	if err := spans(tx, t); err != nil {
		return fmt.Errorf("get spans of %s: %w", traceID, mapError(err))
	}
	return nil
}

// GetSpan returns one whole span.
func (s *Store) GetSpan(ctx context.Context, projectID int64, traceID, spanID string) (store.Span, error) {
	traceID, spanID = strings.ToLower(traceID), strings.ToLower(spanID)
	sp, err := scanPayload.scan(s.read.QueryRowContext(ctx, `SELECT `+spanFullList+` FROM spans
WHERE project_id = ? AND trace_id = ? AND span_id = ?`, projectID, traceID, spanID))
	if err != nil {
		return store.Span{}, fmt.Errorf("get span %s/%s: %w", traceID, spanID, mapError(err))
	}
	return sp, nil
}
