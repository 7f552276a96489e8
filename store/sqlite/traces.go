package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tracium/tracium/store"
)

// ListTraces pages through the project's traces newest first, by keyset
// on the (project_id, start_time DESC, trace_id DESC) index.
func (s *Store) ListTraces(ctx context.Context, projectID int64, f store.TraceFilter, page store.Page) (store.TraceList, error) {
	limit, cursor, err := page.Bounded()
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", err)
	}
	w := traceWhere(projectID, f)
	if cursor.TraceID != "" {
		w.add("(start_time, trace_id) < (?, ?)", micros(cursor.StartTime), cursor.TraceID)
	}
	// One row more than the page tells whether there is a next one.
	q := `SELECT ` + traceColumns + ` FROM traces WHERE ` + w.String() +
		` ORDER BY start_time DESC, trace_id DESC LIMIT ?`
	traces, err := queryAll(ctx, s.read, scanSummary, q, append(w.args, limit+1)...)
	if err != nil {
		return store.TraceList{}, fmt.Errorf("list traces: %w", err)
	}
	list := store.TraceList{Traces: traces}
	if len(list.Traces) > limit {
		list.Traces = list.Traces[:limit]
		last := list.Traces[limit-1]
		list.NextCursor = store.Cursor{StartTime: last.StartTime, TraceID: last.TraceID}.Encode()
	}
	return list, nil
}

// GetTrace returns the trace and its spans, read from one snapshot.
func (s *Store) GetTrace(ctx context.Context, projectID int64, traceID string) (store.TraceDetail, error) {
	traceID = strings.ToLower(traceID)
	var d store.TraceDetail
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return d, fmt.Errorf("get trace %s: %w", traceID, err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	var input, output []byte
	d.Trace, err = scanTrace(tx.QueryRowContext(ctx,
		`SELECT `+traceColumns+`, input, output FROM traces WHERE project_id = ? AND trace_id = ?`,
		projectID, traceID), &input, &output)
	if err != nil {
		return d, fmt.Errorf("get trace %s: %w", traceID, mapError(err))
	}
	d.Input, d.Output = input, output
	if d.Spans, err = traceSpans(ctx, tx, projectID, traceID); err != nil {
		return d, fmt.Errorf("get spans of %s: %w", traceID, err)
	}
	return d, nil
}

func traceSpans(ctx context.Context, tx *sql.Tx, projectID int64, traceID string) ([]store.Span, error) {
	return queryAll(ctx, tx, scanSpan, `SELECT `+spanColumns+` FROM spans
WHERE project_id = ? AND trace_id = ? ORDER BY +start_time, span_id`, projectID, traceID)
}

func scanSpan(row scanner) (store.Span, error) {
	var sp store.Span
	var u store.Usage
	var hasUsage bool
	var start, end int64
	var tags string
	var input, output, attrs, metadata []byte
	err := row.Scan(&sp.TraceID, &sp.SpanID, &sp.ParentSpanID, &sp.Name, &sp.Type, &start, &end, &sp.Status,
		&sp.ErrorType, &sp.ErrorMessage, &input, &output, &sp.Model, &sp.RequestModel, &sp.Provider, &hasUsage,
		&u.InputTokens, &u.OutputTokens, &u.CachedTokens, &u.CacheCreationTokens, &u.ReasoningTokens, &u.TotalTokens,
		&sp.CostUSD, &sp.TimeToFirstTokenMS, &attrs, &tags, &sp.AgentName, &sp.UserID, &sp.SessionID, &metadata)
	if err != nil {
		return sp, err
	}
	if hasUsage {
		sp.Usage = &u
	}
	if sp.Tags, err = decodeStrings(tags); err != nil {
		return sp, fmt.Errorf("span tags: %w", err)
	}
	if len(sp.Tags) == 0 {
		sp.Tags = nil // as written: Normalize leaves no tags as nil
	}
	sp.StartTime, sp.EndTime = fromMicros(start), fromMicros(end)
	sp.Input, sp.Output, sp.Attributes, sp.Metadata = input, output, attrs, metadata
	return sp, nil
}

// DeleteTracesBefore deletes the project's traces that started before
// cutoff, with their spans, in one transaction.
func (s *Store) DeleteTracesBefore(ctx context.Context, projectID int64, cutoff time.Time) (int64, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete traces: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `DELETE FROM spans WHERE project_id = ?1 AND trace_id IN (
    SELECT trace_id FROM traces WHERE project_id = ?1 AND start_time < ?2)`, projectID, micros(cutoff)); err != nil {
		return 0, fmt.Errorf("delete spans: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM traces WHERE project_id = ? AND start_time < ?`, projectID, micros(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete traces: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete traces: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete traces: commit: %w", err)
	}
	return n, nil
}
