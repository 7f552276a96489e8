package store

import (
	"encoding/json"
	"time"
)

// SpanType says what kind of work a span covers. The set is closed: ingest
// rejects any other value so that the UI and metrics can rely on it.
type SpanType string

// The span types Tracium knows.
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

// SpanTypes lists every valid SpanType.
var SpanTypes = []SpanType{
	SpanLLM, SpanAgent, SpanPlan, SpanTool, SpanRetrieval, SpanEmbedding,
	SpanChain, SpanGraph, SpanNode, SpanHTTP, SpanTask, SpanCustom,
}

// Valid reports whether t is one of SpanTypes.
func (t SpanType) Valid() bool {
	for _, v := range SpanTypes {
		if t == v {
			return true
		}
	}
	return false
}

// Status is the outcome of a span or a trace.
type Status string

// A span either succeeded or failed; a trace failed when any of its spans did.
const (
	StatusOK    Status = "ok"
	StatusError Status = "error"
)

// Valid reports whether s is StatusOK or StatusError.
func (s Status) Valid() bool { return s == StatusOK || s == StatusError }

// Usage counts the tokens of one LLM call, or the sum over a trace.
// CachedTokens are input tokens served from the provider's prompt cache;
// CacheCreationTokens are input tokens written to it (Anthropic);
// ReasoningTokens are output tokens spent thinking (OpenAI o-series, Gemini).
type Usage struct {
	InputTokens         int64 `json:"input_tokens"`
	OutputTokens        int64 `json:"output_tokens"`
	CachedTokens        int64 `json:"cached_tokens"`
	CacheCreationTokens int64 `json:"cache_creation_tokens"`
	ReasoningTokens     int64 `json:"reasoning_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
}

// Add returns the field-wise sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:         u.InputTokens + v.InputTokens,
		OutputTokens:        u.OutputTokens + v.OutputTokens,
		CachedTokens:        u.CachedTokens + v.CachedTokens,
		CacheCreationTokens: u.CacheCreationTokens + v.CacheCreationTokens,
		ReasoningTokens:     u.ReasoningTokens + v.ReasoningTokens,
		TotalTokens:         u.TotalTokens + v.TotalTokens,
	}
}

// Span is one unit of work inside a trace: an LLM call, a tool call, a step
// of an agent. A span is identified by (project, TraceID, SpanID); writing it
// again leaves one copy.
//
// The trace-level fields (AgentName, UserID, SessionID, Metadata) are carried
// by the spans that know them, usually the root; the trace takes the root's
// values and otherwise the first non-empty ones it sees.
type Span struct {
	TraceID      string    `json:"trace_id"`
	SpanID       string    `json:"span_id"`
	ParentSpanID string    `json:"parent_span_id,omitempty"`
	Name         string    `json:"name"`
	Type         SpanType  `json:"type"`
	StartTime    time.Time `json:"start_time"`
	EndTime      time.Time `json:"end_time"`
	Status       Status    `json:"status"`
	ErrorType    string    `json:"error_type,omitempty"`
	ErrorMessage string    `json:"error_message,omitempty"`

	// Input and Output are arbitrary JSON; nil when not recorded.
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
	// RawInput and RawOutput are an llm span's request and response
	// bodies as the provider's API took and gave them.
	RawInput  json.RawMessage `json:"raw_input,omitempty"`
	RawOutput json.RawMessage `json:"raw_output,omitempty"`

	// Model is the model that answered; RequestModel the one asked for,
	// when they differ (an alias resolved to a dated version).
	Model        string `json:"model,omitempty"`
	RequestModel string `json:"request_model,omitempty"`
	Provider     string `json:"provider,omitempty"`

	// Usage is nil when the call reported no token counts (a stream
	// without a usage chunk): unknown, not zero.
	Usage *Usage `json:"usage,omitempty"`
	// CostUSD is nil when no price is known for the model.
	CostUSD *float64 `json:"cost_usd,omitempty"`
	// TimeToFirstTokenMS is set for streamed calls only.
	TimeToFirstTokenMS *float64 `json:"time_to_first_token_ms,omitempty"`

	Attributes json.RawMessage `json:"attributes,omitempty"`
	Tags       []string        `json:"tags,omitempty"`

	AgentName string          `json:"agent_name,omitempty"`
	UserID    string          `json:"user_id,omitempty"`
	SessionID string          `json:"session_id,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
}

// Duration is EndTime minus StartTime.
func (s *Span) Duration() time.Duration { return s.EndTime.Sub(s.StartTime) }

// IsRoot reports whether the span has no parent.
func (s *Span) IsRoot() bool { return s.ParentSpanID == "" }
