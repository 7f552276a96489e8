package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/tracium/tracium/store"
)

// readSpanBatchSQL reads the first spans of a list of traces ($2) in the
// list's order, then start time, then span id (byte order, as Go
// compares; $3 to $5 are a position before them all): each trace's spans
// come from its one partition's primary key, then one sort of the traces'
// spans.
var readSpanBatchSQL = `SELECT ` + qualified("s", spanFullList) + `
FROM unnest($2::text[]) WITH ORDINALITY AS ids (trace_id, ord)
JOIN traces t ON t.project_id = $1 AND t.trace_id = ids.trace_id
JOIN spans s ON s.project_id = $1 AND s.trace_id = t.trace_id AND s.trace_day = t.trace_day
WHERE (ids.ord, s.start_time, s.span_id COLLATE "C") > ($3, $4, $5 COLLATE "C")
ORDER BY ids.ord, s.start_time, s.span_id COLLATE "C" LIMIT $6`

// readSpanBatchAfterSQL reads the next spans of a list of traces ($2) in
// the list's order, then start time, then span id (byte order, as Go
// compares), after a position ($3 is the 1-based index in the list, $4
// and $5 the start time and span id). The batch is picked by its keys alone, from each
// trace's one partition, and only the picked rows are then read whole: a
// trace of many spans is sorted without its payloads, batch after batch.
var readSpanBatchAfterSQL = `SELECT ` + qualified("s", spanFullList) + `
FROM (SELECT ids.ord, p.start_time, p.span_id, p.trace_id, p.trace_day
      FROM unnest($2::text[]) WITH ORDINALITY AS ids (trace_id, ord)
      JOIN traces t ON t.project_id = $1 AND t.trace_id = ids.trace_id
      JOIN spans p ON p.project_id = $1 AND p.trace_id = t.trace_id AND p.trace_day = t.trace_day
      WHERE (ids.ord, p.start_time, p.span_id COLLATE "C") > ($3, $4, $5 COLLATE "C")
      ORDER BY ids.ord, p.start_time, p.span_id COLLATE "C" LIMIT $6) AS pick
JOIN spans s ON s.project_id = $1 AND s.trace_id = pick.trace_id AND s.span_id = pick.span_id AND s.trace_day = pick.trace_day
ORDER BY pick.ord, pick.start_time, pick.span_id COLLATE "C"`

// qualified prefixes each column of a comma-separated list with alias.
func qualified(alias, list string) string {
	cols := strings.Split(list, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// ReadSpanBatch reads the next whole spans of an export (store.SpanBatch)
// in one statement, outside any transaction; the connection goes back to
// the pool before it returns.
func (s *Store) ReadSpanBatch(ctx context.Context, projectID int64, b store.SpanBatch) ([]store.Span, bool, error) {
	limit, maxBytes := b.Bounds()
	ids := make([]string, len(b.TraceIDs))
	for i, id := range b.TraceIDs {
		ids[i] = strings.ToLower(id)
	}
	// The first read of a batch usually takes its traces whole; the next
	// ones continue a trace of many spans.
	q := readSpanBatchSQL
	if b.After.Index >= 0 {
		q = readSpanBatchAfterSQL
	}
	rows, err := s.pool.Query(ctx, q, projectID, ids,
		int64(b.After.Index+1), b.After.StartTime, b.After.SpanID, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("read span batch: %w", mapError(err))
	}
	defer rows.Close()
	spans, bytes, more := make([]store.Span, 0, min(limit, 64)), 0, false
	for rows.Next() {
		if len(spans) == limit || bytes >= maxBytes {
			more = true
			break
		}
		sp, err := scanPayload.scan(rows)
		if err != nil {
			return nil, false, fmt.Errorf("read span batch: %w", mapError(err))
		}
		bytes += store.ExportedBytes(&sp)
		spans = append(spans, sp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read span batch: %w", mapError(err))
	}
	return spans, more, nil
}
