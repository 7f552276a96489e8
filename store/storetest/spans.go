package storetest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

func runSpans(t *testing.T, newStore NewStore) {
	t.Run("RoundTrip", func(t *testing.T) { t.Parallel(); testRoundTrip(t, newStore) })
	t.Run("Summary", func(t *testing.T) { t.Parallel(); testSummary(t, newStore) })
	t.Run("Idempotent", func(t *testing.T) { t.Parallel(); testIdempotent(t, newStore) })
	t.Run("ChildBeforeParent", func(t *testing.T) { t.Parallel(); testChildBeforeParent(t, newStore) })
	t.Run("HalfRepeatedBatch", func(t *testing.T) { t.Parallel(); testHalfRepeated(t, newStore) })
	t.Run("Concurrent", func(t *testing.T) { t.Parallel(); testConcurrentWrites(t, newStore) })
	t.Run("Invalid", func(t *testing.T) { t.Parallel(); testInvalidBatch(t, newStore) })
	t.Run("LargeInput", func(t *testing.T) { t.Parallel(); testLargeInput(t, newStore) })
	t.Run("ManyDays", func(t *testing.T) { t.Parallel(); testManyDays(t, newStore) })
	t.Run("TraceLevelFields", func(t *testing.T) { t.Parallel(); testTraceLevelFields(t, newStore) })
}

// fullSpan sets every field a span can carry.
func fullSpan(traceID string) store.Span {
	s := llmSpan(traceID, "", "gpt-4o-2024-08-06", 0, 1500*time.Millisecond,
		store.Usage{InputTokens: 1200, OutputTokens: 300, CachedTokens: 1024, CacheCreationTokens: 7, ReasoningTokens: 64, TotalTokens: 1500}, 0.0123)
	s.Name = "Agent run"
	s.Type = store.SpanAgent
	s.RequestModel = "gpt-4o"
	s.Status = store.StatusError
	s.ErrorType = "RateLimitError"
	s.ErrorMessage = "429: slow down"
	s.Input = rawJSON([]map[string]string{{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Héllo, \"world\""}})
	s.Output = js(`{"role":"assistant","content":"Hi!"}`)
	s.TimeToFirstTokenMS = ptr(312.5)
	s.Attributes = js(`{"temperature":0.2,"max_tokens":512}`)
	s.Tags = []string{"beta", "prod"}
	s.AgentName = "support-bot"
	s.UserID = "user-42"
	s.SessionID = "sess-7"
	s.Metadata = js(`{"tenant":"acme"}`)
	return s
}

func js(s string) []byte { return []byte(s) }

func testRoundTrip(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := fullSpan(tid)
	child := span(tid, root.SpanID, "lookup", 100*time.Millisecond, 200*time.Millisecond)
	child.Type = store.SpanTool
	b.write(t, root, child)

	d := b.get(t, tid)
	if len(d.Spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(d.Spans))
	}
	got := d.Spans[0]
	if got.SpanID != root.SpanID {
		t.Fatalf("spans not ordered by start time: first is %s", describe(got))
	}
	root.Normalize()
	assertSpanEqual(t, got, root)
	if d.Spans[1].Usage != nil || d.Spans[1].CostUSD != nil || d.Spans[1].TimeToFirstTokenMS != nil {
		t.Errorf("span without usage read back with usage %+v cost %v ttft %v", d.Spans[1].Usage, d.Spans[1].CostUSD, d.Spans[1].TimeToFirstTokenMS)
	}
	if d.Spans[1].Tags == nil {
		// nil and empty are both fine on the wire; a nil must not become ["" ].
	} else if len(d.Spans[1].Tags) != 0 {
		t.Errorf("child tags = %v, want none", d.Spans[1].Tags)
	}
}

func assertSpanEqual(t *testing.T, got, want store.Span) {
	t.Helper()
	mustEqual(t, "TraceID", got.TraceID, want.TraceID)
	mustEqual(t, "SpanID", got.SpanID, want.SpanID)
	mustEqual(t, "ParentSpanID", got.ParentSpanID, want.ParentSpanID)
	mustEqual(t, "Name", got.Name, want.Name)
	mustEqual(t, "Type", got.Type, want.Type)
	mustEqual(t, "StartTime", got.StartTime, want.StartTime)
	mustEqual(t, "EndTime", got.EndTime, want.EndTime)
	mustEqual(t, "Status", got.Status, want.Status)
	mustEqual(t, "ErrorType", got.ErrorType, want.ErrorType)
	mustEqual(t, "ErrorMessage", got.ErrorMessage, want.ErrorMessage)
	mustEqual(t, "Input", string(got.Input), string(want.Input))
	mustEqual(t, "Output", string(got.Output), string(want.Output))
	mustEqual(t, "Model", got.Model, want.Model)
	mustEqual(t, "RequestModel", got.RequestModel, want.RequestModel)
	mustEqual(t, "Provider", got.Provider, want.Provider)
	if (got.Usage == nil) != (want.Usage == nil) || got.Usage != nil && *got.Usage != *want.Usage {
		t.Errorf("Usage = %+v, want %+v", got.Usage, want.Usage)
	}
	if (got.CostUSD == nil) != (want.CostUSD == nil) || got.CostUSD != nil && *got.CostUSD != *want.CostUSD {
		t.Errorf("CostUSD = %v, want %v", got.CostUSD, want.CostUSD)
	}
	if (got.TimeToFirstTokenMS == nil) != (want.TimeToFirstTokenMS == nil) ||
		got.TimeToFirstTokenMS != nil && *got.TimeToFirstTokenMS != *want.TimeToFirstTokenMS {
		t.Errorf("TimeToFirstTokenMS = %v, want %v", got.TimeToFirstTokenMS, want.TimeToFirstTokenMS)
	}
	assertJSONEqual(t, "Attributes", got.Attributes, want.Attributes)
	assertJSONEqual(t, "Metadata", got.Metadata, want.Metadata)
	if !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("Tags = %v, want %v", got.Tags, want.Tags)
	}
	mustEqual(t, "AgentName", got.AgentName, want.AgentName)
	mustEqual(t, "UserID", got.UserID, want.UserID)
	mustEqual(t, "SessionID", got.SessionID, want.SessionID)
}

// assertJSONEqual compares JSON by value: attributes and metadata may be
// stored in a normalised form (PostgreSQL jsonb), unlike input and output.
func assertJSONEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !bytes.Equal(compactJSON(t, got), compactJSON(t, want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func testSummary(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := span(tid, "", "answer question", 0, 10*time.Second)
	root.Type = store.SpanAgent
	root.AgentName = "researcher"
	root.UserID = "u1"
	root.SessionID = "s1"
	root.Tags = []string{"prod"}
	root.Input = js(`{"question":"Why is the sky blue?"}`)
	root.Output = js(`{"answer":"Rayleigh scattering"}`)
	root.Metadata = js(`{"k":"v"}`)
	c1 := llmSpan(tid, root.SpanID, "gpt-4o", time.Second, 2*time.Second,
		store.Usage{InputTokens: 100, OutputTokens: 10, CachedTokens: 50, TotalTokens: 110}, 0.5)
	c1.Tags = []string{"llm", "prod"}
	c2 := llmSpan(tid, root.SpanID, "claude-sonnet-4-5", 3*time.Second, 8*time.Second,
		store.Usage{InputTokens: 200, OutputTokens: 20, CacheCreationTokens: 5, ReasoningTokens: 7, TotalTokens: 220}, 0.25)
	c2.Status = store.StatusError
	c2.ErrorMessage = "overloaded"
	c3 := span(tid, c1.SpanID, "no usage", 4*time.Second, time.Second) // ends before root
	b.write(t, c2, root, c1, c3)

	tr := b.get(t, tid).Trace
	assertTrace(t, tr, traceWant{
		name: "answer question", root: root.SpanID, agent: "researcher", user: "u1", session: "s1",
		start: base, end: base.Add(11 * time.Second), spans: 4, errors: 1, status: store.StatusError,
		usage: store.Usage{InputTokens: 300, OutputTokens: 30, CachedTokens: 50, CacheCreationTokens: 5, ReasoningTokens: 7, TotalTokens: 330},
		cost:  0.75, tags: []string{"llm", "prod"}, models: []string{"claude-sonnet-4-5", "gpt-4o"},
		input: root.Input, output: root.Output,
	})
	assertJSONEqual(t, "trace metadata", tr.Metadata, root.Metadata)
}

type traceWant struct {
	name, root, agent, user, session string
	start, end                       time.Time
	spans, errors                    int64
	status                           store.Status
	usage                            store.Usage
	cost                             float64
	tags, models                     []string
	input, output                    []byte
}

func assertTrace(t *testing.T, got store.Trace, want traceWant) {
	t.Helper()
	mustEqual(t, "trace Name", got.Name, want.name)
	mustEqual(t, "trace RootSpanID", got.RootSpanID, want.root)
	mustEqual(t, "trace AgentName", got.AgentName, want.agent)
	mustEqual(t, "trace UserID", got.UserID, want.user)
	mustEqual(t, "trace SessionID", got.SessionID, want.session)
	mustEqual(t, "trace StartTime", got.StartTime, want.start)
	mustEqual(t, "trace EndTime", got.EndTime, want.end)
	mustEqual(t, "trace SpanCount", got.SpanCount, want.spans)
	mustEqual(t, "trace ErrorCount", got.ErrorCount, want.errors)
	mustEqual(t, "trace Status", got.Status, want.status)
	mustEqual(t, "trace Usage", got.Usage, want.usage)
	if diff := got.CostUSD - want.cost; diff > 1e-9 || diff < -1e-9 {
		t.Errorf("trace CostUSD = %v, want %v", got.CostUSD, want.cost)
	}
	if !slices.Equal(got.Tags, nonNil(want.tags)) {
		t.Errorf("trace Tags = %q, want %q", got.Tags, want.tags)
	}
	if !slices.Equal(got.Models, nonNil(want.models)) {
		t.Errorf("trace Models = %q, want %q", got.Models, want.models)
	}
	mustEqual(t, "trace Input", string(got.Input), string(want.input))
	mustEqual(t, "trace Output", string(got.Output), string(want.output))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// chain returns a root and n-1 llm descendants with one token of each kind
// and a cost of 1 per span, so summaries are easy to predict.
func chain(tid string, n int) []store.Span {
	root := span(tid, "", "root", 0, time.Duration(n+1)*time.Second)
	root.AgentName = "agent"
	root.Input = js(`"in"`)
	root.Output = js(`"out"`)
	spans := []store.Span{root}
	for i := 1; i < n; i++ {
		s := llmSpan(tid, spans[i-1].SpanID, "m", time.Duration(i)*time.Second, time.Second,
			store.Usage{InputTokens: 1, OutputTokens: 1, CachedTokens: 1, CacheCreationTokens: 1, ReasoningTokens: 1, TotalTokens: 2}, 1)
		spans = append(spans, s)
	}
	return spans
}

func chainWant(spans []store.Span, n int64) traceWant {
	root := spans[0]
	k := n - 1 // llm spans
	return traceWant{
		name: "root", root: root.SpanID, agent: "agent", start: root.StartTime, end: root.EndTime,
		spans: n, status: store.StatusOK,
		usage: store.Usage{InputTokens: k, OutputTokens: k, CachedTokens: k, CacheCreationTokens: k, ReasoningTokens: k, TotalTokens: 2 * k},
		cost:  float64(k), models: []string{"m"}, input: root.Input, output: root.Output,
	}
}

func testIdempotent(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	spans := chain(tid, 10)
	b.write(t, spans...)
	b.write(t, spans...)
	b.write(t, append(slices.Clone(spans), spans...)...) // duplicates inside one batch too
	d := b.get(t, tid)
	if len(d.Spans) != 10 {
		t.Fatalf("got %d spans after writing the batch three times, want 10", len(d.Spans))
	}
	assertTrace(t, d.Trace, chainWant(spans, 10))
}

func testChildBeforeParent(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	spans := chain(tid, 6)
	for i := len(spans) - 1; i >= 0; i-- { // deepest first, one batch each
		b.write(t, spans[i])
		if i == len(spans)-1 {
			tr := b.get(t, tid).Trace
			if tr.RootSpanID != "" || tr.Name == "" {
				t.Errorf("before the root arrives: root %q name %q; want no root and a placeholder name", tr.RootSpanID, tr.Name)
			}
		}
	}
	assertTrace(t, b.get(t, tid).Trace, chainWant(spans, 6))
}

func testHalfRepeated(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	spans := chain(tid, 20)
	b.write(t, spans[:12]...)
	b.write(t, spans[6:]...)
	d := b.get(t, tid)
	if len(d.Spans) != 20 {
		t.Fatalf("got %d spans, want 20", len(d.Spans))
	}
	assertTrace(t, d.Trace, chainWant(spans, 20))
}

func testConcurrentWrites(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	spans := chain(tid, 40)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			// Overlapping windows: every span is written by several workers.
			lo := w * 4
			errs <- b.store.WriteSpans(b.ctx, b.project.ID, spans[lo:min(lo+16, len(spans))])
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent WriteSpans: %v", err)
		}
	}
	b.write(t, spans...)
	assertTrace(t, b.get(t, tid).Trace, chainWant(spans, 40))
}

func testInvalidBatch(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	good := span(tid, "", "good", 0, time.Second)
	bad := span(tid, good.SpanID, "bad", 0, time.Second)
	bad.SpanID = "not-hex"
	err := b.store.WriteSpans(b.ctx, b.project.ID, []store.Span{good, bad})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("WriteSpans with a bad span id: err = %v, want ErrInvalid", err)
	}
	if _, err := b.store.GetTrace(b.ctx, b.project.ID, tid); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after a rejected batch GetTrace err = %v, want ErrNotFound: nothing may be written", err)
	}
	if err := b.store.WriteSpans(b.ctx, b.project.ID, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

func testLargeInput(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	s := span(tid, "", "big prompt", 0, time.Second)
	s.Input = rawJSON(map[string]string{"prompt": strings.Repeat("lorem ipsum ", 100_000)}) // 1.2 MB
	b.write(t, s)
	d := b.get(t, tid)
	if !bytes.Equal(d.Spans[0].Input, s.Input) || !bytes.Equal(d.Trace.Input, s.Input) {
		t.Errorf("1.2 MB input did not round-trip: got %d and %d bytes, want %d", len(d.Spans[0].Input), len(d.Trace.Input), len(s.Input))
	}
}

// testManyDays writes one trace whose spans fall on different days and far
// in the past, which a time-partitioned backend must place.
func testManyDays(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := span(tid, "", "long job", -400*24*time.Hour, 401*24*time.Hour)
	var spans []store.Span
	spans = append(spans, root)
	for d := range 5 {
		spans = append(spans, span(tid, root.SpanID, "step", time.Duration(d-3)*24*time.Hour, time.Minute))
	}
	b.write(t, spans...)
	d := b.get(t, tid)
	if len(d.Spans) != 6 || d.Trace.SpanCount != 6 {
		t.Fatalf("got %d spans, count %d; want 6", len(d.Spans), d.Trace.SpanCount)
	}
	mustEqual(t, "start", d.Trace.StartTime, root.StartTime)
}

// testTraceLevelFields pins which span names the trace before its root
// arrives, and whose agent, user and session win: the first root's
// non-empty values, else the first non-empty value seen.
func testTraceLevelFields(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := span(tid, "", "root", 0, 10*time.Second)
	late := span(tid, root.SpanID, "late", 5*time.Second, time.Second)
	early := span(tid, root.SpanID, "early", 2*time.Second, time.Second)
	early.AgentName, early.UserID = "child-agent", "child-user"
	b.write(t, late, early)
	if tr := b.get(t, tid).Trace; tr.Name != "early" || tr.RootSpanID != "" || tr.AgentName != "child-agent" {
		t.Errorf("before the root: name %q root %q agent %q; want the earliest span's", tr.Name, tr.RootSpanID, tr.AgentName)
	}
	earlier := span(tid, root.SpanID, "earlier", time.Second, time.Second)
	earlier.AgentName = "other-agent"
	b.write(t, earlier)
	if tr := b.get(t, tid).Trace; tr.Name != "early" || tr.AgentName != "child-agent" {
		t.Errorf("a later non-root batch: name %q agent %q; want both kept", tr.Name, tr.AgentName)
	}
	// The root says nothing of the user, a sibling in its batch does: the
	// first user seen stays. The root's agent wins.
	root.AgentName = "root-agent"
	sibling := span(tid, root.SpanID, "sibling", 3*time.Second, time.Second)
	sibling.UserID = "sibling-user"
	b.write(t, sibling, root)
	tr := b.get(t, tid).Trace
	if tr.Name != "root" || tr.RootSpanID != root.SpanID || tr.AgentName != "root-agent" || tr.UserID != "child-user" {
		t.Errorf("after the root: name %q root %q agent %q user %q", tr.Name, tr.RootSpanID, tr.AgentName, tr.UserID)
	}
	second := span(tid, "", "second root", -time.Second, time.Second)
	second.AgentName = "second-agent"
	b.write(t, second)
	if tr := b.get(t, tid).Trace; tr.RootSpanID != root.SpanID || tr.Name != "root" || tr.AgentName != "root-agent" || tr.SpanCount != 6 {
		t.Errorf("a second root changed the trace: %+v", tr)
	}
}
