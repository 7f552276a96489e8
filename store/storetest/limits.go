package storetest

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// testWriteLimits proves that a span is written only when every store can
// hold it, the same on every backend: bounded numbers, JSON that jsonb
// takes in attributes and metadata, start times within the write window.
// Inputs and outputs are kept byte for byte even when jsonb would refuse
// them.
func testWriteLimits(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	refused := func(what string, change func(*store.Span), reason string) {
		t.Helper()
		tid := NewTraceID()
		s := llmSpan(tid, "", "m", 0, time.Second, store.Usage{InputTokens: 1}, 0.1)
		change(&s)
		err := b.store.WriteSpans(b.ctx, b.project.ID, []store.Span{s})
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), reason) {
			t.Errorf("%s: err = %v, want ErrInvalid saying %q", what, err, reason)
		}
		if _, err := b.store.GetTrace(b.ctx, b.project.ID, tid); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: the trace was written (%v)", what, err)
		}
	}
	f := func(v float64) *float64 { return &v }
	refused("tokens over the bound", func(s *store.Span) { s.Usage = &store.Usage{InputTokens: store.MaxTokenCount + 1} }, "usage counts")
	refused("2^63-1 tokens", func(s *store.Span) { s.Usage = &store.Usage{OutputTokens: math.MaxInt64} }, "usage counts")
	refused("infinite cost", func(s *store.Span) { s.CostUSD = f(math.Inf(1)) }, "cost_usd")
	refused("huge cost", func(s *store.Span) { s.CostUSD = f(1.7e308) }, "cost_usd")
	refused("NaN time to first token", func(s *store.Span) { s.TimeToFirstTokenMS = f(math.NaN()) }, "time_to_first_token_ms")
	refused("lone surrogate in attributes", func(s *store.Span) { s.Attributes = js(`{"k":"\ud800"}`) }, "attributes")
	refused("NUL escape in metadata", func(s *store.Span) { s.Metadata = js(`{"k":"a\u0000b"}`) }, "metadata")
	refused("number beyond numeric in attributes", func(s *store.Span) { s.Attributes = js(`{"a":1e1000000}`) }, "attributes")
	refused("deep input", func(s *store.Span) { s.Input = js(strings.Repeat("[", 600) + strings.Repeat("]", 600)) }, "input")
	refused("invalid UTF-8 in a name", func(s *store.Span) { s.Name = "chat \xff" }, "name")
	refused("far in the future", func(s *store.Span) {
		s.StartTime = time.Now().Add(3 * 24 * time.Hour)
		s.EndTime = s.StartTime.Add(time.Second)
	}, "start_time")
	refused("far in the past", func(s *store.Span) {
		s.StartTime = time.Now().Add(-store.DefaultWindowBack - 8*24*time.Hour)
		s.EndTime = s.StartTime.Add(time.Second)
	}, "start_time")

	// Accepted: a backlog a little older than ingest's window, and
	// payloads that only jsonb would refuse, kept as sent.
	tid := NewTraceID()
	late := span(tid, "", "backlog", 0, time.Second)
	late.StartTime = time.Now().Add(-store.DefaultWindowBack - 3*24*time.Hour).UTC().Truncate(time.Second)
	late.EndTime = late.StartTime.Add(time.Second)
	late.Input = js(`{"a": "\ud800 \u0000", "n": 1e1000000}`)
	late.Output = js(`[ 1,  2 ]`)
	b.write(t, late)
	got := b.get(t, tid).Spans[0]
	if !bytes.Equal(got.Input, late.Input) || !bytes.Equal(got.Output, late.Output) {
		t.Errorf("input and output not kept byte for byte: %q %q", got.Input, got.Output)
	}
}

// testSaturatingSums proves that token sums never wrap and costs stay
// finite, in the trace, the list and the metrics.
func testSaturatingSums(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	big := store.Usage{InputTokens: store.MaxTokenCount, OutputTokens: store.MaxTokenCount, CachedTokens: store.MaxTokenCount,
		CacheCreationTokens: store.MaxTokenCount, ReasoningTokens: store.MaxTokenCount}
	root := llmSpan(tid, "", "m", 0, time.Second, big, store.MaxCostUSD)
	child := llmSpan(tid, root.SpanID, "m", time.Second, time.Second, big, store.MaxCostUSD)
	b.write(t, root)
	b.write(t, child) // two writes: the sum is taken by the store, not in one batch
	want := store.Usage{InputTokens: 2 * store.MaxTokenCount, OutputTokens: 2 * store.MaxTokenCount,
		CachedTokens: 2 * store.MaxTokenCount, CacheCreationTokens: 2 * store.MaxTokenCount,
		ReasoningTokens: 2 * store.MaxTokenCount, TotalTokens: 4 * store.MaxTokenCount}
	tr := b.get(t, tid).Trace
	mustEqual(t, "trace usage", tr.Usage, want)
	mustEqual(t, "trace cost", tr.CostUSD, 2.0*store.MaxCostUSD)
	res, err := b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{})
	if err != nil || len(res.Traces) != 1 {
		t.Fatalf("ListTraces = %+v, %v", res, err)
	}
	mustEqual(t, "listed usage", res.Traces[0].Usage, want)
	rows, err := b.store.UsageMetrics(b.ctx, b.project.ID, store.UsageQuery{GroupBy: store.GroupByModel})
	if err != nil || len(rows) != 1 {
		t.Fatalf("UsageMetrics = %+v, %v", rows, err)
	}
	mustEqual(t, "metrics usage", rows[0].Usage, want)
	if math.IsInf(rows[0].CostUSD, 0) || rows[0].CostUSD != 2*store.MaxCostUSD {
		t.Errorf("metrics cost = %v", rows[0].CostUSD)
	}
}

// testBadFilters proves that a filter no store can run is ErrInvalid
// naming its parameter, the same on every backend, never a database
// error.
func testBadFilters(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	b.writeTrace(t, traceSpec{key: "x", model: "m", offset: time.Minute, dur: time.Second})
	check := func(what, param string, err error) {
		t.Helper()
		var pe *store.ParamError
		if !errors.As(err, &pe) || pe.Param != param || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: err = %v, want an ErrInvalid naming %s", what, err, param)
		}
	}
	list := func(f store.TraceFilter) error {
		_, err := b.store.ListTraces(b.ctx, b.project.ID, f, store.Page{})
		return err
	}
	spans := func(f store.SpanFilter) error {
		_, err := b.store.SearchSpans(b.ctx, b.project.ID, f, store.Page{})
		return err
	}
	check("q of 50,000 bytes", "q", list(store.TraceFilter{Query: strings.Repeat("a", 50_000)}))
	check("q one byte too long", "q", list(store.TraceFilter{Query: strings.Repeat("é", store.MaxQueryLen/2) + "a"}))
	check("q with NUL", "q", list(store.TraceFilter{Query: "a\x00b"}))
	check("q with invalid UTF-8", "q", list(store.TraceFilter{Query: "\xff\xfe"}))
	check("agent_name with NUL", "agent_name", list(store.TraceFilter{AgentName: "a\x00"}))
	check("agent_name with invalid UTF-8", "agent_name", list(store.TraceFilter{AgentName: "\xc3"}))
	check("tag with NUL", "tag", list(store.TraceFilter{Tag: "\x00"}))
	check("user_id", "user_id", list(store.TraceFilter{UserID: "\xff"}))
	check("session_id", "session_id", list(store.TraceFilter{SessionID: "\x00"}))
	check("trace model", "model", list(store.TraceFilter{Model: "gpt\x00"}))
	check("span q", "q", spans(store.SpanFilter{Query: "\x00"}))
	check("span q too long", "q", spans(store.SpanFilter{Query: strings.Repeat("q", 5000)}))
	check("span model", "model", spans(store.SpanFilter{Model: "\xff"}))
	_, err := b.store.UsageMetrics(b.ctx, b.project.ID, store.UsageQuery{GroupBy: store.GroupByModel, Model: "\x00"})
	check("metrics model", "model", err)
	_, err = b.store.UsageMetrics(b.ctx, b.project.ID, store.UsageQuery{GroupBy: "week"})
	check("metrics grouping", "group_by", err)

	if err := list(store.TraceFilter{Query: strings.Repeat("é", store.MaxQueryLen/2)}); err != nil {
		t.Errorf("q of exactly %d bytes: %v", store.MaxQueryLen, err)
	}
}
