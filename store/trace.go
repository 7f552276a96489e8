package store

import (
	"encoding/json"
	"time"
)

// Trace is the summary of all spans that share a trace id, kept by the store
// as spans arrive: in any order, across batches, and more than once.
type Trace struct {
	TraceID    string   `json:"trace_id"`
	RootSpanID string   `json:"root_span_id,omitempty"`
	Name       string   `json:"name"`
	AgentName  string   `json:"agent_name,omitempty"`
	Tags       []string `json:"tags"`
	Models     []string `json:"models"`
	UserID     string   `json:"user_id,omitempty"`
	SessionID  string   `json:"session_id,omitempty"`

	Metadata json.RawMessage `json:"metadata,omitempty"`

	StartTime time.Time `json:"start_time"`
	EndTime   time.Time `json:"end_time"`
	// Status is StatusError when any span errored.
	Status     Status  `json:"status"`
	SpanCount  int64   `json:"span_count"`
	ErrorCount int64   `json:"error_count"`
	Usage      Usage   `json:"usage"`
	CostUSD    float64 `json:"cost_usd"`

	// Input and Output are the root span's.
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
}

// Duration is EndTime minus StartTime.
func (t *Trace) Duration() time.Duration { return t.EndTime.Sub(t.StartTime) }

// TraceDetail is a trace with every one of its spans, ordered by start time.
type TraceDetail struct {
	Trace
	Spans []Span `json:"spans"`
}

// TraceFilter narrows ListTraces. Zero fields do not filter.
type TraceFilter struct {
	Since, Until time.Time // start time in [Since, Until)
	AgentName    string
	Tag          string
	Model        string
	Status       Status
	UserID       string
	SessionID    string
	MinDuration  time.Duration
	// Query matches, case-insensitively, a substring of the trace name or
	// of the root span's input or output.
	Query string
}

// Page asks for one page of a list. Cursor is the NextCursor of the
// previous page, or empty for the first.
type Page struct {
	Limit  int
	Cursor string
}

// DefaultPageLimit and MaxPageLimit bound Page.Limit.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// TraceList is one page of traces, newest first. NextCursor is empty on the
// last page.
type TraceList struct {
	Traces     []Trace `json:"traces"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// SpanFilter narrows SearchSpans. Zero fields do not filter.
type SpanFilter struct {
	Since, Until time.Time // start time in [Since, Until)
	Type         SpanType
	Model        string
	Status       Status
	// Query matches, case-insensitively, a substring of the span's name,
	// input or output.
	Query string
}

// SpanList is one page of spans, newest first. Input, Output and
// Attributes are left out (they can be megabytes); GetTrace has them.
type SpanList struct {
	Spans      []Span `json:"spans"`
	NextCursor string `json:"next_cursor,omitempty"`
}
