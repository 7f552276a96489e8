package tracium

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNesting(t *testing.T) {
	t.Parallel()
	tb := setup(t)

	ctx, at := tb.client.AgentTrace(t.Context(), "planner", WithInput("question"))
	ctx1, plan := at.Span(ctx, SpanPlan, "plan")
	ctx2, tool := StartSpan(ctx1, SpanTool, "search")
	_, llm := StartSpan(ctx2, SpanLLM, "summarize")
	_, sibling := at.Span(ctx, SpanRetrieval, "fetch")
	// A span from another trace in ctx does not capture at.Span.
	_, other := tb.client.AgentTrace(t.Context(), "other")
	_, direct := at.Span(ContextWithSpan(t.Context(), other.RootSpan()), SpanCustom, "direct")
	for _, s := range []*Span{llm, tool, plan, sibling, direct, other.RootSpan()} {
		s.End()
	}
	at.RecordOutput(map[string]int{"answer": 42})
	at.End()
	tb.flush(t)

	spans := byName(tb.collector.spans())
	if len(spans) != 7 {
		t.Fatalf("got %d spans, want 7", len(spans))
	}
	root := spans["planner"]
	wantParent := map[string]string{
		"planner":   "",
		"plan":      root["span_id"].(string),
		"search":    spans["plan"]["span_id"].(string),
		"summarize": spans["search"]["span_id"].(string),
		"fetch":     root["span_id"].(string),
		"direct":    root["span_id"].(string),
	}
	for name, parent := range wantParent {
		s := spans[name]
		got, _ := s["parent_span_id"].(string)
		if got != parent {
			t.Errorf("%s: parent %q, want %q", name, got, parent)
		}
		if s["trace_id"] != root["trace_id"] {
			t.Errorf("%s: trace %v, want %v", name, s["trace_id"], root["trace_id"])
		}
	}
	if root["trace_id"] != at.TraceID() || root["span_id"] != at.SpanID() {
		t.Errorf("ids in JSON differ from TraceID/SpanID")
	}
	if root["type"] != "agent" || root["input"] != "question" {
		t.Errorf("root = %v", root)
	}
	if out, _ := json.Marshal(root["output"]); string(out) != `{"answer":42}` {
		t.Errorf("output = %s", out)
	}
	if spans["other"]["trace_id"] == root["trace_id"] {
		t.Errorf("separate AgentTrace shares the trace id")
	}
}

func TestTraceLevelFields(t *testing.T) {
	t.Parallel()
	tb := setup(t, WithDefaultTags("prod"))

	ctx, at := tb.client.AgentTrace(t.Context(), "support-bot",
		WithTags("beta"), WithUserID("u1"), WithSessionID("s1"),
		WithMetadata(map[string]any{"plan": "pro"}))
	_, child := StartSpan(ctx, SpanLLM, "llm")
	child.SetModel("gpt-4o")
	child.SetProvider("openai")
	child.SetUsage(Usage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15})
	child.SetCost(0.25)
	child.SetTimeToFirstToken(1500 * time.Microsecond)
	child.End()
	at.End()
	tb.flush(t)

	spans := byName(tb.collector.spans())
	root, llm := spans["support-bot"], spans["llm"]
	if got := fmt.Sprint(root["tags"]); got != "[prod beta]" {
		t.Errorf("root tags = %s", got)
	}
	if root["user_id"] != "u1" || root["session_id"] != "s1" || fmt.Sprint(root["metadata"]) != "map[plan:pro]" {
		t.Errorf("root trace fields = %v", root)
	}
	for _, key := range []string{"tags", "user_id", "session_id", "metadata"} {
		if _, ok := llm[key]; ok {
			t.Errorf("child has trace-level field %s", key)
		}
	}
	for name, s := range spans {
		if s["agent_name"] != "support-bot" {
			t.Errorf("%s: agent_name = %v", name, s["agent_name"])
		}
	}
	if llm["model"] != "gpt-4o" || llm["provider"] != "openai" || llm["cost_usd"] != 0.25 || llm["time_to_first_token_ms"] != 1.5 {
		t.Errorf("llm fields = %v", llm)
	}
	if got := fmt.Sprint(llm["usage"]); got != "map[input_tokens:10 output_tokens:5 total_tokens:15]" {
		t.Errorf("usage = %s", got)
	}
	if _, ok := root["usage"]; ok {
		t.Errorf("usage sent for a span without one")
	}
	if _, ok := root["cost_usd"]; ok {
		t.Errorf("cost sent for a span without one")
	}
}

func TestConcurrentSpansInOneTrace(t *testing.T) {
	t.Parallel()
	tb := setup(t, WithMaxQueueSize(4096))

	ctx, at := tb.client.AgentTrace(t.Context(), "fanout")
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Go(func() {
			for i := range 10 {
				_, s := StartSpan(ctx, SpanTool, fmt.Sprintf("g%d-s%d", g, i))
				s.SetAttribute("g", g)
				s.End()
			}
		})
	}
	wg.Wait()
	at.End()
	tb.flush(t)

	spans := tb.collector.spans()
	if len(spans) != 1001 {
		t.Fatalf("got %d spans, want 1001", len(spans))
	}
	names := byName(spans)
	for g := range 100 {
		for i := range 10 {
			s := names[fmt.Sprintf("g%d-s%d", g, i)]
			if s == nil || s["parent_span_id"] != at.SpanID() || s["trace_id"] != at.TraceID() {
				t.Fatalf("g%d-s%d: %v", g, i, s)
			}
		}
	}
	if st := tb.client.Stats(); st.Sent != 1001 || st.Dropped != 0 || st.Queued != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestNilAndEndedSpansAreHarmless(t *testing.T) {
	t.Parallel()
	tb := setup(t)

	var nilSpan *Span
	var nilTrace *AgentTrace
	exercise := func(s *Span) {
		s.RecordInput("x")
		s.RecordOutput("y")
		s.SetAttribute("k", "v")
		s.SetError(errors.New("boom"))
		s.SetName("renamed")
		s.SetModel("m")
		s.SetRequestModel("m")
		s.SetProvider("p")
		s.SetUsage(Usage{InputTokens: 1})
		s.SetCost(1)
		s.SetTimeToFirstToken(time.Second)
		s.End()
		_ = s.IsRecording()
	}
	exercise(nilSpan)
	if nilSpan.SpanID() != "" || nilSpan.TraceID() != "" {
		t.Errorf("nil span has ids")
	}
	nilTrace.RecordInput(1)
	nilTrace.SetError(errors.New("x"))
	nilTrace.End()
	ctx, s := nilTrace.Span(t.Context(), SpanTool, "from-nil-trace")
	if SpanFromContext(ctx) != s {
		t.Errorf("nil AgentTrace.Span did not return a usable span")
	}
	if SpanFromContext(t.Context()) != nil {
		t.Errorf("SpanFromContext of an empty context is not nil")
	}

	_, at := tb.client.AgentTrace(t.Context(), "ended")
	at.End()
	exercise(at.RootSpan())
	at.End()
	tb.flush(t)
	spans := tb.collector.spans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1", len(spans))
	}
	if _, ok := spans[0]["attributes"]; ok || spans[0]["status"] != "ok" || spans[0]["name"] != "ended" {
		t.Errorf("changes after End leaked into the span: %v", spans[0])
	}
}

func TestEndEncodesValuesAtEnd(t *testing.T) {
	t.Parallel()
	tb := setup(t)

	_, at := tb.client.AgentTrace(t.Context(), "mutate")
	in := map[string]string{"q": "before"}
	at.RecordInput(in)
	at.RecordOutput(func() {}) // cannot be encoded
	at.SetError(fmt.Errorf("wrapped: %w", context.DeadlineExceeded))
	at.End()
	in["q"] = "after"
	tb.flush(t)

	s := tb.collector.spans()[0]
	if fmt.Sprint(s["input"]) != "map[q:before]" {
		t.Errorf("input = %v, want the value at End", s["input"])
	}
	if out, _ := s["output"].(string); !strings.Contains(out, "cannot encode") {
		t.Errorf("output = %v, want the encoding error", s["output"])
	}
	if s["status"] != "error" || s["error_type"] != "context.deadlineExceededError" || s["error_message"] != "wrapped: context deadline exceeded" {
		t.Errorf("error fields = %v", s)
	}
}

// TestSpanDataMatchesFastEncoding keeps the two encoders in agreement.
func TestSpanDataMatchesFastEncoding(t *testing.T) {
	t.Parallel()
	c := setup(t).client
	_, at := c.AgentTrace(t.Context(), "agent", WithTags("a"), WithUserID("u"), WithMetadata(map[string]any{"k": 1}))
	s := at.RootSpan()
	s.SetAttribute("s", "x\"\n\t<\x01é\xff")
	s.SetAttribute("i", 7)
	s.SetAttribute("f", 1.5)
	s.SetAttribute("nan", math.NaN())
	s.SetAttribute("b", true)
	s.SetAttribute("t", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	s.SetAttribute("list", []int{1, 2})
	s.SetAttribute("err", errors.New("e"))
	s.SetAttribute("bad", make(chan int))
	s.SetUsage(Usage{InputTokens: 3})
	s.SetCost(0.5)
	s.SetTimeToFirstToken(time.Millisecond)
	s.SetError(errors.New("boom"))
	s.RecordInput([]string{"in"})
	s.SetName(strings.Repeat("é", 600))
	at.End()

	fast := appendSpanJSON(nil, s)
	d := spanData(s)
	slow, err := json.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if err := json.Unmarshal(fast, &a); err != nil {
		t.Fatalf("fast encoding is not JSON: %v\n%s", err, fast)
	}
	if err := json.Unmarshal(slow, &b); err != nil {
		t.Fatal(err)
	}
	// Times are equal instants; the fast path keeps trailing zeros.
	for _, k := range []string{"start_time", "end_time"} {
		ta, _ := time.Parse(time.RFC3339Nano, a[k].(string))
		tb, _ := time.Parse(time.RFC3339Nano, b[k].(string))
		if !ta.Equal(tb) {
			t.Errorf("%s: %v vs %v", k, ta, tb)
		}
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`).MatchString(a[k].(string)) {
			t.Errorf("%s = %s, want RFC 3339 with nanoseconds in UTC", k, a[k])
		}
		delete(a, k)
		delete(b, k)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("encodings differ:\nfast: %s\nslow: %s", fast, slow)
	}
	if n := len(a["name"].(string)); n > maxNameLen || n < maxNameLen-1 {
		t.Errorf("name is %d bytes, want it cut to at most %d", n, maxNameLen)
	}
}

func TestSpanIDs(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for range 1000 {
		tid, sid := newTraceID().String(), newSpanID().String()
		if !hex32.MatchString(tid) || !hex16.MatchString(sid) || seen[tid] || seen[sid] {
			t.Fatalf("bad or repeated ids %s %s", tid, sid)
		}
		seen[tid], seen[sid] = true, true
	}
}

func TestAppendTime(t *testing.T) {
	t.Parallel()
	for _, tm := range []time.Time{
		time.Date(2026, 11, 24, 18, 5, 9, 7, time.UTC),
		time.Date(1999, 1, 2, 3, 4, 5, 999999999, time.FixedZone("x", 3600)),
		time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Now(),
	} {
		want := `"` + tm.UTC().Format(timeLayout) + `"`
		if got := string(appendTime(nil, tm)); got != want {
			t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestSubAgentStaysInTrace(t *testing.T) {
	t.Parallel()
	tb := setup(t)

	ctx, outer := tb.client.AgentTrace(t.Context(), "orchestrator")
	ctx2, inner := tb.client.AgentTrace(ctx, "coder", WithUserID("u1"))
	_, work := StartSpan(ctx2, SpanTool, "compile")
	work.End()
	inner.End()
	_, after := StartSpan(ctx, SpanTool, "review")
	after.End()
	outer.End()
	tb.flush(t)

	spans := byName(tb.collector.spans())
	if inner.TraceID() != outer.TraceID() || spans["coder"]["parent_span_id"] != outer.SpanID() {
		t.Errorf("sub-agent left the trace: %v", spans["coder"])
	}
	if spans["compile"]["agent_name"] != "coder" || spans["review"]["agent_name"] != "orchestrator" {
		t.Errorf("agent names: compile %v, review %v", spans["compile"]["agent_name"], spans["review"]["agent_name"])
	}
	if spans["coder"]["user_id"] != "u1" {
		t.Errorf("sub-agent lost its trace-level fields")
	}
}

func TestErrorTypeName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{errors.New("plain"), "error"},
		{fmt.Errorf("wrapped: %w", errors.New("plain")), "error"},
		{fmt.Errorf("call: %w", context.DeadlineExceeded), "context.deadlineExceededError"},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, "*net.OpError"},
		{errors.Join(errors.New("a"), io.ErrUnexpectedEOF), "error"},
	} {
		if got := errorTypeName(tt.err); got != tt.want {
			t.Errorf("errorTypeName(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestUnrecordedSpansCostNothing: under an unsampled trace or a disabled
// client, a span is not made: no allocation, no span in the context, and
// the trace's traceparent (sampled flag off) still propagates. Not
// parallel: AllocsPerRun forbids it.
func TestUnrecordedSpansCostNothing(t *testing.T) {
	for name, c := range map[string]*Client{
		"unsampled": setup(t, WithSampleRate(0)).client,
		"disabled":  newNoopClient(),
	} {
		ctx, root := c.AgentTrace(context.Background(), "agent")
		allocs := testing.AllocsPerRun(100, func() {
			cctx, s := StartSpan(ctx, SpanTool, "op")
			s.SetAttribute("k", 1)
			s.End()
			if cctx != ctx || s != nil {
				t.Fatalf("%s: a span was made", name)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per unrecorded span", name, allocs)
		}
		if name == "unsampled" && !strings.HasSuffix(Traceparent(ctx), "-00") {
			t.Errorf("unsampled: traceparent %q does not carry the decision", Traceparent(ctx))
		}
		root.End()
	}
}

func TestSetType(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	ctx, run := tb.client.AgentTrace(t.Context(), "a")
	_, s := StartSpan(ctx, SpanChain, "executor")
	s.SetType(SpanAgent)
	s.End()
	s.SetType(SpanTool) // after End: no effect
	run.End()
	tb.flush(t)
	if got := byName(tb.collector.spans())["executor"]["type"]; got != "agent" {
		t.Errorf("type %v, want agent", got)
	}
}
