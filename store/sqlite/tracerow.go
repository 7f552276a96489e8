package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tracium/tracium/store"
)

// traceColumns are the summary columns of traces: everything but input
// and output, which can be megabytes and which only GetTrace and a trace's
// first root need.
const traceColumns = `trace_id, root_span_id, name, agent_name, tags, models, user_id, session_id, metadata,
    start_time, end_time, span_count, error_count, input_tokens, output_tokens, cached_tokens,
    cache_creation_tokens, reasoning_tokens, total_tokens, cost_usd`

// scanSummary reads traceColumns.
func scanSummary(row scanner) (store.Trace, error) { return scanTrace(row) }

// scanTrace reads traceColumns, then extra.
func scanTrace(row scanner, extra ...any) (store.Trace, error) {
	var t store.Trace
	var tags, models string
	var start, end int64
	var metadata []byte // database/sql scans into []byte, not json.RawMessage
	dest := []any{&t.TraceID, &t.RootSpanID, &t.Name, &t.AgentName, &tags, &models, &t.UserID, &t.SessionID, &metadata,
		&start, &end, &t.SpanCount, &t.ErrorCount, &t.Usage.InputTokens, &t.Usage.OutputTokens, &t.Usage.CachedTokens,
		&t.Usage.CacheCreationTokens, &t.Usage.ReasoningTokens, &t.Usage.TotalTokens, &t.CostUSD}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return t, err
	}
	t.Metadata = metadata
	var err error
	if t.Tags, err = decodeStrings(tags); err != nil {
		return t, fmt.Errorf("trace tags: %w", err)
	}
	if t.Models, err = decodeStrings(models); err != nil {
		return t, fmt.Errorf("trace models: %w", err)
	}
	t.StartTime, t.EndTime = fromMicros(start), fromMicros(end)
	t.Status = store.StatusOK
	if t.ErrorCount > 0 {
		t.Status = store.StatusError
	}
	return t, nil
}

// summaryArgs are t's values for traceColumns.
func summaryArgs(t *store.Trace) []any {
	return []any{t.TraceID, t.RootSpanID, t.Name, t.AgentName, encodeStrings(t.Tags), encodeStrings(t.Models),
		t.UserID, t.SessionID, jsonArg(t.Metadata), micros(t.StartTime), micros(t.EndTime), t.SpanCount, t.ErrorCount,
		t.Usage.InputTokens, t.Usage.OutputTokens, t.Usage.CachedTokens, t.Usage.CacheCreationTokens,
		t.Usage.ReasoningTokens, t.Usage.TotalTokens, t.CostUSD}
}

const insertTraceSQL = `INSERT INTO traces (project_id, ` + traceColumns + `, input, output)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func insertTrace(ctx context.Context, tx *sql.Tx, projectID int64, t store.Trace) error {
	args := append([]any{projectID}, summaryArgs(&t)...)
	if _, err := tx.ExecContext(ctx, insertTraceSQL, append(args, jsonArg(t.Input), jsonArg(t.Output))...); err != nil {
		return fmt.Errorf("insert trace: %w", err)
	}
	return nil
}

// updateTraceSQL rewrites the summary. Input and output are sent only when
// the root has just arrived: otherwise they stay as stored, unread.
const updateTraceSQL = `UPDATE traces SET
    root_span_id = ?, name = ?, agent_name = ?, tags = ?, models = ?, user_id = ?, session_id = ?,
    metadata = ?, start_time = ?, end_time = ?, span_count = ?, error_count = ?, input_tokens = ?,
    output_tokens = ?, cached_tokens = ?, cache_creation_tokens = ?, reasoning_tokens = ?, total_tokens = ?,
    cost_usd = ?
WHERE project_id = ? AND trace_id = ?`

const updateTraceIOSQL = `UPDATE traces SET input = ?, output = ? WHERE project_id = ? AND trace_id = ?`

func updateTrace(ctx context.Context, tx *sql.Tx, projectID int64, t store.Trace, withIO bool) error {
	args := append(summaryArgs(&t)[1:], projectID, t.TraceID) // [1:]: the id is the key, not set
	if _, err := tx.ExecContext(ctx, updateTraceSQL, args...); err != nil {
		return fmt.Errorf("update trace: %w", err)
	}
	if !withIO {
		return nil
	}
	if _, err := tx.ExecContext(ctx, updateTraceIOSQL, jsonArg(t.Input), jsonArg(t.Output), projectID, t.TraceID); err != nil {
		return fmt.Errorf("update trace input: %w", err)
	}
	return nil
}
