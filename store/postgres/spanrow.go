package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// The span columns, named once. spanHead is what every read of a span
// returns; the payloads are read only by GetTrace and GetSpan.
var (
	spanHead = []string{
		"trace_id", "span_id", "parent_span_id", "name", "type", "start_time", "end_time", "status",
		"error_type", "error_message", "model", "request_model", "provider", "has_usage",
		"input_tokens", "output_tokens", "cached_tokens", "cache_creation_tokens", "reasoning_tokens", "total_tokens",
		"cost_usd", "ttft_ms", "tags", "agent_name", "user_id", "session_id", "metadata",
	}
	spanPayload = []string{"input", "output", "raw_input", "raw_output", "attributes"}
	// spanDerived are stored for partitioning, filters and the tree, never
	// read back as span fields.
	spanDerived = []string{"trace_day", "model_keys", "payload_bytes", "search_text"}

	spanHeadList = strings.Join(spanHead, ", ")
	spanFullList = spanHeadList + ", " + strings.Join(spanPayload, ", ")
	// treeSpanList is what a tree read selects: store.TreeSpan's fields.
	treeSpanList = "span_id, parent_span_id, name, type, start_time, end_time, status, model, request_model, " +
		"has_usage, total_tokens, payload_bytes"

	// stageColumns are span_stage's, in COPY order; spans has them after
	// project_id.
	stageColumns = append(append(append([]string{}, spanHead...), spanDerived...), spanPayload...)
	stageList    = strings.Join(stageColumns, ", ")
	copyColumns  = append([]string{"project_id"}, stageColumns...)
)

// spanRow lays sp out as the values of stageColumns, with its index, in
// the partition of day (its trace's): the row RawCopy gives pgx. The
// writer's own COPY encodes the same values itself (encodeSpan).
func spanRow(sp *store.Span, idx store.SpanIndex, day any) []any {
	var u store.Usage
	if sp.Usage != nil {
		u = *sp.Usage
	}
	return []any{
		sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.Name, string(sp.Type), sp.StartTime, sp.EndTime, string(sp.Status),
		sp.ErrorType, sp.ErrorMessage, sp.Model, sp.RequestModel, sp.Provider, sp.Usage != nil,
		u.InputTokens, u.OutputTokens, u.CachedTokens, u.CacheCreationTokens, u.ReasoningTokens, u.TotalTokens,
		sp.CostUSD, sp.TimeToFirstTokenMS, nonNil(sp.Tags), sp.AgentName, sp.UserID, sp.SessionID, jsonArg(sp.Metadata),
		day, idx.ModelKeys, int64(len(sp.Input) + len(sp.Output)), idx.SearchText,
		jsonArg(sp.Input), jsonArg(sp.Output), jsonArg(sp.RawInput), jsonArg(sp.RawOutput), jsonArg(sp.Attributes),
	}
}

// spanScan says which columns after the head a read selected.
type spanScan int

const (
	scanHead    spanScan = iota // spanHeadList
	scanPayload                 // spanFullList
)

func (kind spanScan) scan(row pgx.CollectableRow) (store.Span, error) {
	var sp store.Span
	var u store.Usage
	var hasUsage bool
	var metadata []byte
	dest := []any{&sp.TraceID, &sp.SpanID, &sp.ParentSpanID, &sp.Name, &sp.Type, &sp.StartTime, &sp.EndTime, &sp.Status,
		&sp.ErrorType, &sp.ErrorMessage, &sp.Model, &sp.RequestModel, &sp.Provider, &hasUsage,
		&u.InputTokens, &u.OutputTokens, &u.CachedTokens, &u.CacheCreationTokens, &u.ReasoningTokens, &u.TotalTokens,
		&sp.CostUSD, &sp.TimeToFirstTokenMS, &sp.Tags, &sp.AgentName, &sp.UserID, &sp.SessionID, &metadata}
	var input, output, rawInput, rawOutput, attrs []byte
	switch kind {
	case scanPayload:
		dest = append(dest, &input, &output, &rawInput, &rawOutput, &attrs)
	}
	if err := row.Scan(dest...); err != nil {
		return sp, err
	}
	if hasUsage {
		sp.Usage = &u
	}
	if len(sp.Tags) == 0 {
		sp.Tags = nil
	}
	sp.Metadata = metadata
	sp.Input, sp.Output, sp.RawInput, sp.RawOutput, sp.Attributes = input, output, rawInput, rawOutput, attrs
	sp.StartTime, sp.EndTime = sp.StartTime.UTC(), sp.EndTime.UTC()
	return sp, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsonArg passes raw JSON through untouched, as bytes, and nil as SQL
// NULL.
func jsonArg(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// scanTreeSpan reads a row of treeSpanList.
func scanTreeSpan(row pgx.CollectableRow) (store.TreeSpan, error) {
	var sp store.TreeSpan
	err := row.Scan(&sp.SpanID, &sp.ParentSpanID, &sp.Name, &sp.Type, &sp.StartTime, &sp.EndTime, &sp.Status,
		&sp.Model, &sp.RequestModel, &sp.HasUsage, &sp.TotalTokens, &sp.PayloadBytes)
	sp.StartTime, sp.EndTime = sp.StartTime.UTC(), sp.EndTime.UTC()
	return sp, err
}
