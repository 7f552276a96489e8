package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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

// insertTraceHead names the columns a new trace sets; each row has
// traceRowValues of them.
const insertTraceHead = `INSERT INTO traces (project_id, ` + traceColumns + `, model_keys, search_text, search_words, input, output) VALUES `

const traceRowValues = 1 + 20 + 5

// tracesPerInsert bounds the rows of one INSERT, well inside SQLite's
// 32,766 variables a statement.
const tracesPerInsert = 500

var traceRowPlaceholders = "(?" + repeatPlaceholders(traceRowValues-1) + ")"

func repeatPlaceholders(n int) string { return strings.Repeat(", ?", n) }

// insertTraces creates the traces of deltas, which have no row yet, in
// one statement.
func insertTraces(ctx context.Context, tx *sql.Tx, projectID int64, deltas []store.TraceDelta) error {
	var q strings.Builder
	q.WriteString(insertTraceHead)
	args := make([]any, 0, traceRowValues*len(deltas))
	for i := range deltas {
		d := &deltas[i]
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(traceRowPlaceholders)
		args = append(args, projectID)
		args = append(args, summaryArgs(&d.Trace)...)
		args = append(args, encodeStrings(d.ModelKeys), d.SearchText, store.SearchWords(d.SearchText), jsonArg(d.Input), jsonArg(d.Output))
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("insert traces: %w", err)
	}
	return nil
}

// updateTraceSQL rewrites the summary and appends to the search text by
// store.JoinSearchText's rule: substr and length count characters, as
// JoinSearchText does; ?21 is the delta's text, used twice, ?22 its words,
// appended while the text grows (SET reads the old values). Input and
// output are sent only when the root has just arrived: otherwise they stay
// as stored, unread.
var updateTraceSQL = fmt.Sprintf(`UPDATE traces SET
    root_span_id = ?, name = ?, agent_name = ?, tags = ?, models = ?, user_id = ?, session_id = ?,
    metadata = ?, start_time = ?, end_time = ?, span_count = ?, error_count = ?, input_tokens = ?,
    output_tokens = ?, cached_tokens = ?, cache_creation_tokens = ?, reasoning_tokens = ?, total_tokens = ?,
    cost_usd = ?, model_keys = ?,
    search_text = CASE WHEN search_text = '' THEN substr(?21, 1, %[1]d)
        WHEN length(search_text) >= %[1]d THEN search_text
        ELSE substr(search_text || char(10) || ?21, 1, %[1]d) END,
    search_words = CASE WHEN length(search_text) >= %[1]d THEN search_words
        ELSE search_words || ' ' || ?22 END
WHERE project_id = ? AND trace_id = ?`, store.MaxTraceSearchRunes)

const updateTraceIOSQL = `UPDATE traces SET input = ?, output = ? WHERE project_id = ? AND trace_id = ?`

func updateTrace(ctx context.Context, tx *sql.Tx, projectID int64, t store.Trace, text string, withIO bool) error {
	args := append(summaryArgs(&t)[1:], encodeStrings(t.ModelKeys), text, store.SearchWords(text), projectID, t.TraceID) // [1:]: the id is the key, not set
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
