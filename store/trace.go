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
	// Models lists, for display, each span's answering model, or its
	// requested model when it has none.
	Models []string `json:"models"`
	// ModelKeys are the names the trace is found by (TraceFilter.Model):
	// the union of its spans' SpanModelKeys. Summarize and Merge keep it
	// for the stores; reads leave it empty.
	ModelKeys []string `json:"-"`
	UserID    string   `json:"user_id,omitempty"`
	SessionID string   `json:"session_id,omitempty"`

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

	// Scores sum up the trace's scores (its spans' included) by name, set
	// by ListTraces.
	Scores []ScoreSummary `json:"scores,omitempty"`
}

// Duration is EndTime minus StartTime.
func (t *Trace) Duration() time.Duration { return t.EndTime.Sub(t.StartTime) }

// TraceDetail is a trace with every one of its spans, ordered by start
// time, then span id.
type TraceDetail struct {
	Trace
	Spans []Span `json:"spans"`
}

// TraceTree is a trace without its input and output, and its spans as its
// tree draws them, ordered as SortSpans orders them: all of them, or the
// first of them when the read was bounded below Trace.SpanCount.
type TraceTree struct {
	Trace
	Spans []TreeSpan
}

// MaxTreeSpans bounds the spans a tree read returns: a client may write
// any number of spans under one trace id, and a page must not hold them
// all.
const MaxTreeSpans = 100_000

// TreeLimit is the bound of a tree read asked for limit spans: limit,
// or MaxTreeSpans when limit is not in 1 to MaxTreeSpans.
func TreeLimit(limit int) int {
	if limit <= 0 || limit > MaxTreeSpans {
		return MaxTreeSpans
	}
	return limit
}

// TraceFilter narrows ListTraces. Zero fields do not filter.
type TraceFilter struct {
	Since, Until time.Time // start time in [Since, Until)
	AgentName    string
	Tag          string
	Model        string // see Query
	Status       Status
	UserID       string
	SessionID    string
	MinDuration  time.Duration
	// Model finds the traces with a span whose model or requested model is
	// found by it (ModelKey(Model) among the trace's ModelKeys):
	// "gpt-4o-mini" finds a span that "gpt-4o-mini-2024-07-18" answered.
	// Query matches a substring of the trace's search text (SearchText):
	// the names, error messages, inputs and outputs of all its spans,
	// ignoring case.
	Query string
	// Score finds the traces with a score (of the trace or of one of its
	// spans) that matches it.
	Score ScoreMatch
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
	// Model finds the spans whose model or requested model it finds, as
	// TraceFilter.Model does.
	Model  string
	Status Status
	// Query matches a substring of the span's search text (SearchText),
	// ignoring case.
	Query string
}

// SpanList is one page of spans, newest first. Input, Output, RawInput,
// RawOutput and Attributes are left out (they can be megabytes); GetSpan
// and GetTrace have them.
type SpanList struct {
	Spans      []Span `json:"spans"`
	NextCursor string `json:"next_cursor,omitempty"`
}
