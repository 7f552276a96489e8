package sqlite

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/tracium/tracium/store"
)

// The span columns, named once. spanHead is what every read of a span
// returns; the payloads are read only by GetTrace and GetSpan. The table
// keeps the columns in this order, payloads last, so that a read of the
// head never touches the overflow pages holding a big input or output.
var (
	spanHead = []string{
		"trace_id", "span_id", "parent_span_id", "name", "type", "start_time", "end_time", "status",
		"error_type", "error_message", "model", "request_model", "provider", "has_usage",
		"input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens", "reasoning_tokens", "total_tokens",
		"cost_usd", "ttft_ms", "tags", "agent_name", "user_id", "session_id", "metadata",
	}
	spanPayload = []string{"input", "output", "raw_input", "raw_output", "attributes"}
	// spanDerived are stored for filters and the tree, never read back as
	// span fields.
	spanDerived = []string{"model_keys", "payload_bytes", "search_text"}

	spanHeadList = strings.Join(spanHead, ", ")
	spanFullList = spanHeadList + ", " + strings.Join(spanPayload, ", ")
	// treeSpanList is what a tree read selects: store.TreeSpan's fields.
	treeSpanList = "span_id, parent_span_id, name, type, start_time, end_time, status, model, request_model, " +
		"has_usage, total_tokens, payload_bytes"

	spanInsertColumns = append(append(append([]string{"project_id"}, spanHead...), spanDerived...), spanPayload...)
	// insertSpan skips a span already stored: WriteSpans is idempotent, and
	// RowsAffected tells it which spans are new to the trace summaries.
	insertSpan = `INSERT INTO spans (` + strings.Join(spanInsertColumns, ", ") + `) VALUES (?` +
		strings.Repeat(", ?", len(spanInsertColumns)-1) + `) ON CONFLICT DO NOTHING`
)

// spanArgs lays sp out, with its index, as the values of
// spanInsertColumns.
func spanArgs(projectID int64, sp *store.Span, idx store.SpanIndex) []any {
	var u store.Usage
	if sp.Usage != nil {
		u = *sp.Usage
	}
	return []any{projectID,
		sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.Name, string(sp.Type), micros(sp.StartTime), micros(sp.EndTime), string(sp.Status),
		sp.ErrorType, sp.ErrorMessage, sp.Model, sp.RequestModel, sp.Provider, sp.Usage != nil,
		u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens, u.TotalTokens,
		sp.CostUSD, sp.TimeToFirstTokenMS, encodeStrings(sp.Tags), sp.AgentName, sp.UserID, sp.SessionID, jsonArg(sp.Metadata),
		encodeStrings(idx.ModelKeys), int64(len(sp.Input) + len(sp.Output)), idx.SearchText,
		jsonArg(sp.Input), jsonArg(sp.Output), jsonArg(sp.RawInput), jsonArg(sp.RawOutput), jsonArg(sp.Attributes),
	}
}

// spanScan says which columns after the head a read selected.
type spanScan int

const (
	scanHead    spanScan = iota // spanHeadList
	scanPayload                 // spanFullList
)

// scan reads a row of the columns kind names. Every destination is of a
// type database/sql converts to without reflection (a plain string, not
// a store.SpanType): a 10,000-span trace is 270,000 of them.
func (kind spanScan) scan(row scanner) (store.Span, error) {
	var sp store.Span
	var u store.Usage
	var hasUsage bool
	var typ, status, tags string
	var start, end int64
	var cost, ttft sql.NullFloat64
	var metadata []byte // database/sql scans into []byte, not json.RawMessage
	dest := [...]any{&sp.TraceID, &sp.SpanID, &sp.ParentSpanID, &sp.Name, &typ, &start, &end, &status,
		&sp.ErrorType, &sp.ErrorMessage, &sp.Model, &sp.RequestModel, &sp.Provider, &hasUsage,
		&u.InputTokens, &u.OutputTokens, &u.CachedTokens, &u.CacheCreationTokens, &u.ReasoningTokens, &u.TotalTokens,
		&cost, &ttft, &tags, &sp.AgentName, &sp.UserID, &sp.SessionID, &metadata,
		nil, nil, nil, nil, nil}
	n := len(spanHead)
	var input, output, rawInput, rawOutput, attrs []byte
	switch kind {
	case scanPayload:
		dest[n], dest[n+1], dest[n+2], dest[n+3], dest[n+4] = &input, &output, &rawInput, &rawOutput, &attrs
		n += 5
	}
	if err := row.Scan(dest[:n]...); err != nil {
		return sp, err
	}
	sp.Type, sp.Status = store.SpanType(typ), store.Status(status)
	if hasUsage {
		sp.Usage = &u
	}
	if cost.Valid {
		sp.CostUSD = &cost.Float64
	}
	if ttft.Valid {
		sp.TimeToFirstTokenMS = &ttft.Float64
	}
	if tags != "[]" {
		var err error
		if sp.Tags, err = decodeStrings(tags); err != nil {
			return sp, fmt.Errorf("span tags: %w", err)
		}
	}
	if len(sp.Tags) == 0 {
		sp.Tags = nil // as written: Normalize leaves no tags as nil
	}
	sp.StartTime, sp.EndTime = fromMicros(start), fromMicros(end)
	sp.Metadata = metadata
	sp.Input, sp.Output, sp.RawInput, sp.RawOutput, sp.Attributes = input, output, rawInput, rawOutput, attrs
	return sp, nil
}

// scanTreeSpan reads a row of treeSpanList.
func scanTreeSpan(row scanner) (store.TreeSpan, error) {
	var sp store.TreeSpan
	var typ, status string
	var start, end int64
	err := row.Scan(&sp.SpanID, &sp.ParentSpanID, &sp.Name, &typ, &start, &end, &status, &sp.Model, &sp.RequestModel,
		&sp.HasUsage, &sp.TotalTokens, &sp.PayloadBytes)
	sp.Type, sp.Status = store.SpanType(typ), store.Status(status)
	sp.StartTime, sp.EndTime = fromMicros(start), fromMicros(end)
	return sp, err
}
