package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tracium/tracium/store"
)

// readSpanBatchSQL reads the first spans of a list of traces (a JSON
// array, ?2) in the list's order, then start time, then span id (?3 to ?5
// are a position before them all): each trace's spans come from its
// primary key range, then one sort of the traces' spans.
var readSpanBatchSQL = `SELECT ` + qualified("s", spanFullList) + `
FROM json_each(?2) AS ids CROSS JOIN spans AS s ON s.project_id = ?1 AND s.trace_id = ids.value
WHERE (ids.key, s.start_time, s.span_id) > (?3, ?4, ?5)
ORDER BY ids.key, s.start_time, s.span_id LIMIT ?6`

// readSpanBatchAfterSQL reads the next spans of a list of traces (a JSON
// array, ?2) in the list's order, then start time, then span id, after a
// position (?3, ?4, ?5). The batch is picked by its keys alone, from each trace's
// primary key range (the payload columns come last in a row, so their
// overflow pages are not read), and only the picked rows are then read
// whole: a trace of many spans is sorted without its payloads, batch
// after batch.
var readSpanBatchAfterSQL = `SELECT ` + qualified("s", spanFullList) + `
FROM (SELECT ids.key AS pos, p.start_time, p.span_id, p.trace_id
      FROM json_each(?2) AS ids CROSS JOIN spans AS p ON p.project_id = ?1 AND p.trace_id = ids.value
      WHERE (ids.key, p.start_time, p.span_id) > (?3, ?4, ?5)
      ORDER BY ids.key, p.start_time, p.span_id LIMIT ?6) AS pick
CROSS JOIN spans AS s ON s.project_id = ?1 AND s.trace_id = pick.trace_id AND s.span_id = pick.span_id
ORDER BY pick.pos, pick.start_time, pick.span_id`

// qualified prefixes each column of a comma-separated list with alias.
func qualified(alias, list string) string {
	cols := strings.Split(list, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// ReadSpanBatch reads the next whole spans of an export (store.SpanBatch)
// in one statement, outside any transaction, and closes it before
// returning.
func (s *Store) ReadSpanBatch(ctx context.Context, projectID int64, b store.SpanBatch) ([]store.Span, bool, error) {
	limit, maxBytes := b.Bounds()
	ids := make([]string, len(b.TraceIDs))
	for i, id := range b.TraceIDs {
		ids[i] = strings.ToLower(id)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, false, fmt.Errorf("read span batch: %w", err)
	}
	// The first read of a batch usually takes its traces whole; the next
	// ones continue a trace of many spans.
	q := readSpanBatchSQL
	if b.After.Index >= 0 {
		q = readSpanBatchAfterSQL
	}
	rows, err := s.read.QueryContext(ctx, q, projectID, string(list),
		b.After.Index, micros(b.After.StartTime), b.After.SpanID, limit+1)
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
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read span batch: %w", mapError(err))
	}
	return spans, more, nil
}
