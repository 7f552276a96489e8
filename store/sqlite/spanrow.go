package sqlite

import (
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
	spanTreeList = spanHeadList + ", payload_bytes"

	spanInsertColumns = append(append(append([]string{"project_id"}, spanHead...), spanDerived...), spanPayload...)
	// insertSpan skips a span already stored: WriteSpans is idempotent, and
	// RowsAffected tells it which spans are new to the trace summaries.
	insertSpan = `INSERT INTO spans (` + strings.Join(spanInsertColumns, ", ") + `) VALUES (?` +
		strings.Repeat(", ?", len(spanInsertColumns)-1) + `) ON CONFLICT DO NOTHING`
)

// spanArgs lays sp out as the values of spanInsertColumns.
func spanArgs(projectID int64, sp *store.Span) []any {
	var u store.Usage
	if sp.Usage != nil {
		u = *sp.Usage
	}
	return []any{projectID,
		sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.Name, string(sp.Type), micros(sp.StartTime), micros(sp.EndTime), string(sp.Status),
		sp.ErrorType, sp.ErrorMessage, sp.Model, sp.RequestModel, sp.Provider, sp.Usage != nil,
		u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens, u.TotalTokens,
		sp.CostUSD, sp.TimeToFirstTokenMS, encodeStrings(sp.Tags), sp.AgentName, sp.UserID, sp.SessionID, jsonArg(sp.Metadata),
		encodeStrings(store.SpanModelKeys(sp.Model, sp.RequestModel)), int64(len(sp.Input) + len(sp.Output)), store.SearchText(sp),
		jsonArg(sp.Input), jsonArg(sp.Output), jsonArg(sp.RawInput), jsonArg(sp.RawOutput), jsonArg(sp.Attributes),
	}
}

// spanScan says which columns after the head a read selected.
type spanScan int

const (
	scanHead    spanScan = iota // spanHeadList
	scanTree                    // spanTreeList
	scanPayload                 // spanFullList
)

// scanSpan reads a row of the columns kind names.
func (kind spanScan) scan(row scanner) (store.Span, error) {
	var sp store.Span
	var u store.Usage
	var hasUsage bool
	var start, end int64
	var tags string
	var metadata []byte // database/sql scans into []byte, not json.RawMessage
	dest := []any{&sp.TraceID, &sp.SpanID, &sp.ParentSpanID, &sp.Name, &sp.Type, &start, &end, &sp.Status,
		&sp.ErrorType, &sp.ErrorMessage, &sp.Model, &sp.RequestModel, &sp.Provider, &hasUsage,
		&u.InputTokens, &u.OutputTokens, &u.CachedTokens, &u.CacheCreationTokens, &u.ReasoningTokens, &u.TotalTokens,
		&sp.CostUSD, &sp.TimeToFirstTokenMS, &tags, &sp.AgentName, &sp.UserID, &sp.SessionID, &metadata}
	var input, output, rawInput, rawOutput, attrs []byte
	switch kind {
	case scanTree:
		dest = append(dest, &sp.PayloadBytes)
	case scanPayload:
		dest = append(dest, &input, &output, &rawInput, &rawOutput, &attrs)
	}
	if err := row.Scan(dest...); err != nil {
		return sp, err
	}
	if hasUsage {
		sp.Usage = &u
	}
	var err error
	if sp.Tags, err = decodeStrings(tags); err != nil {
		return sp, fmt.Errorf("span tags: %w", err)
	}
	if len(sp.Tags) == 0 {
		sp.Tags = nil // as written: Normalize leaves no tags as nil
	}
	sp.StartTime, sp.EndTime = fromMicros(start), fromMicros(end)
	sp.Metadata = metadata
	sp.Input, sp.Output, sp.RawInput, sp.RawOutput, sp.Attributes = input, output, rawInput, rawOutput, attrs
	return sp, nil
}
