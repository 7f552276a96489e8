package sqlite

import (
	"context"
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
	return s.traceDetail(ctx, projectID, traceID, scanPayload)
}

// GetTraceTree returns the trace and its spans without their payloads,
// read from one snapshot.
func (s *Store) GetTraceTree(ctx context.Context, projectID int64, traceID string) (store.TraceDetail, error) {
	return s.traceDetail(ctx, projectID, traceID, scanTree)
}

// maxSpansHint bounds the room made for a trace's spans before reading
// them: the count comes from the database.
const maxSpansHint = 100_000

func (s *Store) traceDetail(ctx context.Context, projectID int64, traceID string, kind spanScan) (store.TraceDetail, error) {
	traceID = strings.ToLower(traceID)
	var d store.TraceDetail
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("get trace %s: %w", traceID, mapError(err))
	}
	defer tx.Rollback() //nolint:errcheck // read only
	var input, output []byte
	if kind == scanPayload {
		d.Trace, err = scanTrace(tx.QueryRowContext(ctx,
			`SELECT `+traceColumns+`, input, output FROM traces WHERE project_id = ? AND trace_id = ?`,
			projectID, traceID), &input, &output)
	} else {
		d.Trace, err = scanTrace(tx.QueryRowContext(ctx,
			`SELECT `+traceColumns+` FROM traces WHERE project_id = ? AND trace_id = ?`, projectID, traceID))
	}
	if err != nil {
		return d, fmt.Errorf("get trace %s: %w", traceID, mapError(err))
	}
	d.Input, d.Output = input, output
	columns := spanFullList
	if kind == scanTree {
		columns = spanTreeList
	}
	// The rows stream in primary key order, which holds the trace's spans
	// together; sorting them in Go spares SQLite copying every row
	// through its sorter.
	d.Spans, err = appendAll(ctx, tx, make([]store.Span, 0, min(d.SpanCount, maxSpansHint)), kind.scan, `SELECT `+columns+` FROM spans
WHERE project_id = ? AND trace_id = ?`, projectID, traceID)
	if err != nil {
		return d, fmt.Errorf("get spans of %s: %w", traceID, mapError(err))
	}
	store.SortSpans(d.Spans)
	return d, nil
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
