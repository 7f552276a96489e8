package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/tracium/tracium/store"
)

// readSpanBatchSQL reads the spans of a list of traces ($2) in the list's
// order, then start time, then span id (byte order, as Go compares), after
// a position ($3 is the 1-based index in the list, $4 and $5 the start
// time and span id): each trace's spans come from its one partition's
// primary key, then one sort of the traces' spans.
var readSpanBatchSQL = `SELECT ` + qualified("s", spanFullList) + `
FROM unnest($2::text[]) WITH ORDINALITY AS ids (trace_id, ord)
JOIN traces t ON t.project_id = $1 AND t.trace_id = ids.trace_id
JOIN spans s ON s.project_id = $1 AND s.trace_id = t.trace_id AND s.trace_day = t.trace_day
WHERE (ids.ord, s.start_time, s.span_id COLLATE "C") > ($3, $4, $5 COLLATE "C")
ORDER BY ids.ord, s.start_time, s.span_id COLLATE "C" LIMIT $6`

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
	rows, err := s.pool.Query(ctx, readSpanBatchSQL, projectID, ids,
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
