package tracium

import (
	"encoding/json"
	"time"
)

// SpanData is one span as the collector's POST /v1/ingest expects it. The
// SDK builds it only on the exporter side and only when a redaction hook is
// configured (see WithRedact); the collector may import it to decode
// batches. Fields left at their zero value are omitted from the JSON.
type SpanData struct {
	TraceID      string    `json:"trace_id"`
	SpanID       string    `json:"span_id"`
	ParentSpanID string    `json:"parent_span_id,omitempty"`
	Name         string    `json:"name"`
	Type         SpanType  `json:"type"`
	StartTime    time.Time `json:"start_time"`
	EndTime      time.Time `json:"end_time"`
	Status       string    `json:"status,omitempty"`
	ErrorType    string    `json:"error_type,omitempty"`
	ErrorMessage string    `json:"error_message,omitempty"`

	// Input and Output are what the span took and gave; an llm span's
	// hold a Chat (see chat.go).
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
	// RawInput and RawOutput are an llm span's request and response
	// bodies as the provider's API took and gave them (inline media
	// replaced by references), for the raw view.
	RawInput  json.RawMessage `json:"raw_input,omitempty"`
	RawOutput json.RawMessage `json:"raw_output,omitempty"`

	Model        string `json:"model,omitempty"`
	RequestModel string `json:"request_model,omitempty"`
	Provider     string `json:"provider,omitempty"`
	// Usage is nil when the token counts are unknown, so that the
	// collector does not mistake "unknown" for "zero tokens".
	Usage *Usage `json:"usage,omitempty"`
	// CostUSD is nil to let the collector price the span from its model.
	CostUSD            *float64 `json:"cost_usd,omitempty"`
	TimeToFirstTokenMS *float64 `json:"time_to_first_token_ms,omitempty"`

	Attributes map[string]any `json:"attributes,omitempty"`
	Tags       []string       `json:"tags,omitempty"`
	AgentName  string         `json:"agent_name,omitempty"`
	UserID     string         `json:"user_id,omitempty"`
	SessionID  string         `json:"session_id,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
}

// Usage is the token accounting of an LLM call, under one convention for
// every provider (OpenTelemetry GenAI's): InputTokens is every prompt
// token the model read, cache reads and cache writes included, and
// CachedTokens and CacheCreationTokens are parts of it; OutputTokens is
// every generated token, reasoning included, and ReasoningTokens is part
// of it; TotalTokens is InputTokens + OutputTokens. The SDK maps each
// provider's counts to it; set a Usage by hand under the same rules. Zero
// counts are omitted from the JSON; set a whole Usage only when the
// provider reported one.
type Usage struct {
	InputTokens         int64 `json:"input_tokens,omitempty"`
	OutputTokens        int64 `json:"output_tokens,omitempty"`
	CachedTokens        int64 `json:"cached_tokens,omitempty"`
	CacheCreationTokens int64 `json:"cache_creation_tokens,omitempty"`
	ReasoningTokens     int64 `json:"reasoning_tokens,omitempty"`
	TotalTokens         int64 `json:"total_tokens,omitempty"`
}

// Batch is the body of POST /v1/ingest: spans, and scores beside them
// (either may be empty). The SDK's exporter sends the scores its Score
// methods queued in the same batches as spans.
type Batch struct {
	Spans  []SpanData  `json:"spans"`
	Scores []ScoreData `json:"scores,omitempty"`
}

// ScoreData is one score as the collector takes it, in Batch.Scores and
// in POST /api/v1/scores: how good a trace, or one span of it, was. A
// score may be sent before its trace: the collector keeps it and shows it
// once the trace arrives.
type ScoreData struct {
	// ID is 32 hex digits naming the score; a score sent again with the
	// same id is stored once. The collector gives one when it is empty.
	ID      string `json:"id,omitempty"`
	TraceID string `json:"trace_id"`
	// SpanID is the scored span's, or empty for the whole trace.
	SpanID string `json:"span_id,omitempty"`
	// Name is 1 to 200 bytes; when the project configures it, the value
	// must fit its type and range or labels.
	Name string `json:"name"`
	// Value is a JSON number (numeric), true or false (boolean), or a
	// string (a label of a categorical score).
	Value any `json:"value"`
	// Comment is free text, at most 10,000 bytes.
	Comment string `json:"comment,omitempty"`
	// Time is when the score was given; the collector's clock when zero.
	Time time.Time `json:"time,omitzero"`
}

// IngestResponse is the body of a 202 or 207 answer from the collector.
type IngestResponse struct {
	Accepted int         `json:"accepted"`
	Rejected []Rejection `json:"rejected,omitempty"`
	// AcceptedScores and RejectedScores are the same for Batch.Scores.
	AcceptedScores int         `json:"accepted_scores,omitempty"`
	RejectedScores []Rejection `json:"rejected_scores,omitempty"`
}

// Rejection says why the collector refused one span (or score) of a
// batch; Index is its position in Batch.Spans (or Batch.Scores).
type Rejection struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// ErrorResponse is the body of a 4xx or 5xx answer from the collector.
type ErrorResponse struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// SpanType says what kind of work a span measures; the collector accepts
// only the constants below.
type SpanType string

// The span types the collector accepts.
const (
	SpanLLM       SpanType = "llm"
	SpanAgent     SpanType = "agent"
	SpanPlan      SpanType = "plan"
	SpanTool      SpanType = "tool"
	SpanRetrieval SpanType = "retrieval"
	SpanEmbedding SpanType = "embedding"
	SpanChain     SpanType = "chain"
	SpanGraph     SpanType = "graph"
	SpanNode      SpanType = "node"
	SpanHTTP      SpanType = "http"
	SpanTask      SpanType = "task"
	SpanCustom    SpanType = "custom"
)

// valid reports whether the collector accepts t.
func (t SpanType) valid() bool {
	switch t {
	case SpanLLM, SpanAgent, SpanPlan, SpanTool, SpanRetrieval, SpanEmbedding,
		SpanChain, SpanGraph, SpanNode, SpanHTTP, SpanTask, SpanCustom:
		return true
	}
	return false
}
