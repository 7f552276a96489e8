package store

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"strings"
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

// Usage counts the tokens of one LLM call, or the sum over a trace, in
// one convention for every provider (OpenTelemetry GenAI's):
//
//   - InputTokens is every prompt token the model read, cache reads and
//     cache writes included;
//   - CachedTokens (read from the provider's prompt cache) and
//     CacheCreationTokens (written to it) are parts of InputTokens;
//   - OutputTokens is every generated token, reasoning included;
//   - ReasoningTokens (spent thinking) are part of OutputTokens;
//   - TotalTokens is InputTokens + OutputTokens (Span.Normalize sets it).
//
// A provider that counts otherwise (Anthropic's input excludes the cache,
// Gemini's output excludes thoughts) is converted when the call is
// recorded. Each count is at most MaxTokenCount on a span; sums saturate at
// math.MaxInt64 instead of wrapping.
type Usage struct {
	InputTokens         int64 `json:"input_tokens"`
	OutputTokens        int64 `json:"output_tokens"`
	CachedTokens        int64 `json:"cached_tokens"`
	CacheCreationTokens int64 `json:"cache_creation_tokens"`
	ReasoningTokens     int64 `json:"reasoning_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
}

// Add returns the field-wise sum of u and v, each field saturating at
// math.MaxInt64: a sum of counts never wraps negative.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:         SaturatingAdd(u.InputTokens, v.InputTokens),
		OutputTokens:        SaturatingAdd(u.OutputTokens, v.OutputTokens),
		CachedTokens:        SaturatingAdd(u.CachedTokens, v.CachedTokens),
		CacheCreationTokens: SaturatingAdd(u.CacheCreationTokens, v.CacheCreationTokens),
		ReasoningTokens:     SaturatingAdd(u.ReasoningTokens, v.ReasoningTokens),
		TotalTokens:         SaturatingAdd(u.TotalTokens, v.TotalTokens),
	}
}

// SaturatingAdd returns a + b for non-negative counts, or math.MaxInt64
// when the sum does not fit. It is the rule every backend's sums follow.
func SaturatingAdd(a, b int64) int64 {
	if s := a + b; b <= 0 || s >= a {
		return s
	}
	return math.MaxInt64
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

	// Input and Output are arbitrary JSON; nil when not recorded. An llm
	// span's hold the recorded chat shape (sdk/chat.go).
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
	// RawInput and RawOutput are the provider's request and response
	// bodies as sent, for the UI's raw view of an llm span: stored byte
	// for byte, never summarised into the trace, never searched, and left
	// out of span search results and GetTraceTree.
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

// SortSpans orders a trace's spans by start time, then span id, as every
// read of a trace returns them. It sorts an index and moves each span
// once: a Span is hundreds of bytes, and a sort that swaps them spends
// most of its time copying.
func SortSpans(spans []Span) {
	sortSpans(spans, func(s *Span) (time.Time, string) { return s.StartTime, s.SpanID })
}

// SortTreeSpans orders a tree's spans as SortSpans orders whole ones.
func SortTreeSpans(spans []TreeSpan) {
	sortSpans(spans, func(s *TreeSpan) (time.Time, string) { return s.StartTime, s.SpanID })
}

// sortSpans orders spans by the start time and span id key gives.
func sortSpans[S any](spans []S, key func(*S) (time.Time, string)) {
	order := make([]int32, len(spans))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		at, aid := key(&spans[a])
		bt, bid := key(&spans[b])
		return cmp.Or(at.Compare(bt), strings.Compare(aid, bid))
	})
	// Apply the permutation in place, one cycle at a time: position i
	// takes the span at order[i].
	for i := range order {
		if order[i] < 0 {
			continue
		}
		held := spans[i]
		j := i
		for {
			k := int(order[j])
			order[j] = -1
			if k == i {
				spans[j] = held
				break
			}
			spans[j] = spans[k]
			j = k
		}
	}
}

// TreeSpan is a span as a trace's tree draws it: what lays the tree out
// and draws its row, and how much the span recorded, but nothing of what
// it recorded. A 10,000-span trace reads a dozen columns a span for its
// tree, not the thirty of whole spans.
type TreeSpan struct {
	SpanID       string
	ParentSpanID string
	Name         string
	Type         SpanType
	StartTime    time.Time
	EndTime      time.Time
	Status       Status
	Model        string
	RequestModel string
	// HasUsage says whether the call reported token counts; TotalTokens
	// is their total.
	HasUsage    bool
	TotalTokens int64
	// PayloadBytes is the byte length of the span's Input plus Output.
	PayloadBytes int64
}

// Tree is what a tree read returns of s.
func (s *Span) Tree() TreeSpan {
	t := TreeSpan{SpanID: s.SpanID, ParentSpanID: s.ParentSpanID, Name: s.Name, Type: s.Type,
		StartTime: s.StartTime, EndTime: s.EndTime, Status: s.Status, Model: s.Model, RequestModel: s.RequestModel,
		HasUsage: s.Usage != nil, PayloadBytes: int64(len(s.Input) + len(s.Output))}
	if s.Usage != nil {
		t.TotalTokens = s.Usage.TotalTokens
	}
	return t
}

// Duration is EndTime minus StartTime.
func (s *TreeSpan) Duration() time.Duration { return s.EndTime.Sub(s.StartTime) }
