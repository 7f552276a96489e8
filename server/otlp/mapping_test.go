package otlp

import (
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracium/tracium/store"
)

func TestIdentityAndTimes(t *testing.T) {
	t.Parallel()
	parent := pcommon.SpanID{9, 9, 9, 9, 9, 9, 9, 9}
	s := mapOne(t, spanOpts{name: "step", parent: parent})
	if s.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || s.SpanID != "00f067aa0ba902b7" || s.ParentSpanID != "0909090909090909" {
		t.Errorf("ids %s %s %s", s.TraceID, s.SpanID, s.ParentSpanID)
	}
	if !s.StartTime.Equal(testStart) || s.Duration() != 1200*time.Millisecond {
		t.Errorf("times %v %v", s.StartTime, s.EndTime)
	}
	if s.Type != store.SpanCustom || s.Status != store.StatusOK {
		t.Errorf("type %s status %s", s.Type, s.Status)
	}
}

func TestBridgeMarkers(t *testing.T) {
	t.Parallel()
	// The markers win over the span's own ids: its parent, local or
	// remote (an otelhttp server span inside tracium.HTTPMiddleware
	// continues the caller's header, which the request span continued).
	own := pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1}
	for _, flags := range []uint32{0, 0x100, 0x300} { // unknown, local and remote parent (OTLP's SpanFlags)
		s := mapOne(t, spanOpts{name: "child", parent: own, flags: flags, attrs: map[string]any{
			"tracium.trace_id": "0af7651916cd43dd8448eb211c80319c", "tracium.parent_span_id": "b7ad6b7169203331"}})
		if s.TraceID != "0af7651916cd43dd8448eb211c80319c" || s.ParentSpanID != "b7ad6b7169203331" {
			t.Errorf("flags %#x: trace %s parent %s, want the markers'", flags, s.TraceID, s.ParentSpanID)
		}
		wantAttr(t, s, "tracium.parent_span_id", nil)
		wantAttr(t, s, "tracium.trace_id", nil)
	}
	// Without a marker, the span's own parent.
	if s := mapOne(t, spanOpts{name: "child", parent: own, flags: 0x300}); s.ParentSpanID != "0101010101010101" {
		t.Errorf("parent %s, want the span's own", s.ParentSpanID)
	}
	// An invalid parent marker leaves the span's own parent, and stays.
	s := mapOne(t, spanOpts{name: "child", parent: own, attrs: map[string]any{"tracium.parent_span_id": "b7ad6b71692033"}})
	if s.ParentSpanID != "0101010101010101" {
		t.Errorf("parent %s, want the span's own", s.ParentSpanID)
	}
	wantAttr(t, s, "tracium.parent_span_id", "b7ad6b71692033")

	// Invalid markers are ignored and kept.
	for _, bad := range []string{"xyz", "00000000000000000000000000000000", "0af7651916cd43dd8448eb211c80319", "0af7651916cd43dd8448eb211c80319g"} {
		s := mapOne(t, spanOpts{name: "x", attrs: map[string]any{"tracium.trace_id": bad, "tracium.parent_span_id": "00f067aa0ba902b7"}})
		if s.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || s.ParentSpanID != "" {
			t.Errorf("marker %q: trace %s parent %s", bad, s.TraceID, s.ParentSpanID)
		}
		wantAttr(t, s, "tracium.trace_id", bad)
		wantAttr(t, s, "tracium.parent_span_id", "00f067aa0ba902b7") // the span's own id: no parent of itself
	}

	// A span whose OTel trace id is empty belongs to the marker's trace.
	td := traces(t, spanOpts{name: "x", attrs: map[string]any{"tracium.trace_id": "0af7651916cd43dd8448eb211c80319c"}})
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetTraceID(pcommon.TraceID{})
	spans, rejected := Map(td)
	if len(spans) != 1 || len(rejected) != 0 || spans[0].TraceID != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("spans %+v rejected %v", spans, rejected)
	}
}

func TestRejections(t *testing.T) {
	t.Parallel()
	td := traces(t, spanOpts{name: "ok"}, spanOpts{name: "no trace"}, spanOpts{name: "no span"}, spanOpts{name: "self"},
		spanOpts{name: "no start"}, spanOpts{name: "backwards"}, spanOpts{name: "1970"})
	sp := func(i int) ptrace.Span { return td.ResourceSpans().At(i).ScopeSpans().At(0).Spans().At(0) }
	sp(1).SetTraceID(pcommon.TraceID{})
	sp(2).SetSpanID(pcommon.SpanID{})
	sp(3).SetParentSpanID(sp(3).SpanID())
	sp(4).SetStartTimestamp(0)
	sp(5).SetEndTimestamp(pcommon.NewTimestampFromTime(testStart.Add(-time.Second)))
	sp(6).SetStartTimestamp(pcommon.NewTimestampFromTime(time.Unix(10, 0)))
	spans, rejected := Map(td)
	if len(spans) != 1 || spans[0].Name != "ok" {
		t.Errorf("mapped %+v", spans)
	}
	want := []string{"trace_id is empty", "span_id is empty", "parent_span_id equals span_id", "start_time_unix_nano is missing",
		"end_time_unix_nano is before start_time_unix_nano", "start_time 1970-01-01T00:00:10Z is out of range"}
	if len(rejected) != len(want) {
		t.Fatalf("rejected %+v", rejected)
	}
	for i, r := range rejected {
		if r.Reason != want[i] {
			t.Errorf("rejection %d: %q, want %q", i, r.Reason, want[i])
		}
	}
	if rejected[0].TraceID != "" || rejected[1].SpanID != "" || rejected[2].TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("rejection ids %+v", rejected[:3])
	}
}

func TestStatusAndException(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "op", status: ptrace.StatusCodeError, events: []eventOpts{
		{name: "exception", attrs: map[string]any{"exception.type": "ValueError", "exception.message": "bad input",
			"exception.stacktrace": "Traceback (most recent call last): …"}},
	}})
	if s.Status != store.StatusError || s.ErrorType != "ValueError" || s.ErrorMessage != "bad input" {
		t.Errorf("status %s %q %q", s.Status, s.ErrorType, s.ErrorMessage)
	}
	wantAttr(t, s, "exception.stacktrace", "Traceback (most recent call last): …")
	wantAttr(t, s, attrEvents, nil)

	// A handled exception on a span that did not fail stays an event.
	s = mapOne(t, spanOpts{name: "op", events: []eventOpts{{name: "exception", attrs: map[string]any{"exception.type": "KeyError"}}}})
	if s.Status != store.StatusOK || s.ErrorType != "" {
		t.Errorf("status %s %q", s.Status, s.ErrorType)
	}
	if ev, _ := attrsOf(t, s)[attrEvents].([]any); len(ev) != 1 {
		t.Errorf("events %v", ev)
	}
}

func TestKeptAttributes(t *testing.T) {
	t.Parallel()
	td := traces(t, spanOpts{name: "op", kind: ptrace.SpanKindProducer, attrs: map[string]any{
		"bytes": []byte{1, 2, 3}, "nan": math.NaN(), "inf": math.Inf(-1), "nul": "a\x00b", "bad": "x\xffy",
		"list": []any{1, "two", map[string]any{"three": 3.5}},
	}})
	sp := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	sp.TraceState().FromRaw("vendor=1")
	sp.SetDroppedAttributesCount(3)
	l := sp.Links().AppendEmpty()
	l.SetTraceID(pcommon.TraceID{7})
	l.SetSpanID(pcommon.SpanID{8})
	l.Attributes().PutStr("link.kind", "follows")
	spans, _ := Map(td)
	s := spans[0]
	s.Normalize()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"bytes": "AQID", "nan": "NaN", "inf": "-Inf", "nul": "a\uFFFDb", "bad": "x\uFFFDy",
		"list": []any{1, "two", map[string]any{"three": 3.5}}, "otel.span.kind": "producer", "otel.trace_state": "vendor=1",
		"otel.dropped_attributes_count": 3,
		"otel.links": []any{map[string]any{"trace_id": "07000000000000000000000000000000", "span_id": "0800000000000000",
			"attributes": map[string]any{"link.kind": "follows"}}}} {
		wantAttr(t, s, k, v)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("é", maxValueBytes) // 2 MiB
	deep := map[string]any{}
	cur := deep
	for range 100 {
		next := map[string]any{}
		cur["d"] = next
		cur = next
	}
	var events []eventOpts
	for range maxEvents + 5 {
		events = append(events, eventOpts{name: "tick"})
	}
	var tags []any
	for i := range store.MaxTags + 3 {
		tags = append(tags, strings.Repeat("t", i+1))
	}
	s := mapOne(t, spanOpts{name: strings.Repeat("n", 2000), events: events, attrs: map[string]any{
		"gen_ai.operation.name":  "chat",
		"big":                    huge,
		"deep":                   deep,
		"gen_ai.request.model":   strings.Repeat("m", 1500),
		"tag.tags":               tags,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"` + strings.Repeat("w", maxValueBytes+10) + `"}]}]`,
	}})
	a := attrsOf(t, s)
	if big, _ := a["big"].(string); len(big) > maxValueBytes || len(big) < maxValueBytes-2 {
		t.Errorf("big attribute is %d bytes", len(big))
	}
	if cut, _ := a[attrTruncatedAttrs].([]any); len(cut) != 2 {
		t.Errorf("%s = %v, want big and deep", attrTruncatedAttrs, a[attrTruncatedAttrs])
	}
	if len(s.Name) != store.MaxNameLen || len(s.Model) != store.MaxFieldLen || len(s.Tags) != store.MaxTags {
		t.Errorf("name %d, model %d bytes, %d tags", len(s.Name), len(s.Model), len(s.Tags))
	}
	if len(a["gen_ai.request.model"].(string)) != 1500 || len(a["tag.tags"].([]any)) != store.MaxTags+3 {
		t.Errorf("the values cut to fit their fields are not kept whole")
	}
	if ev := a[attrEvents].([]any); len(ev) != maxEvents || a[attrDroppedEvents] != float64(5) {
		t.Errorf("%d events kept, dropped %v", len(ev), a[attrDroppedEvents])
	}
	out := chatOf(t, s.Output)
	if !out.Truncated || len(out.Messages[0].Parts[0].Content) != maxValueBytes {
		t.Errorf("output truncated %v, %d bytes", out.Truncated, len(out.Messages[0].Parts[0].Content))
	}
}

// Usage stays on the spans whose convention counts it, and counts that
// are not counts stay attributes.
func TestUsageEdges(t *testing.T) {
	t.Parallel()
	s := mapOne(t, spanOpts{name: "agent", attrs: map[string]any{
		"gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10}})
	if s.Usage != nil {
		t.Errorf("agent span usage %+v", s.Usage)
	}
	wantAttr(t, s, "gen_ai.usage.input_tokens", 100)

	s = mapOne(t, spanOpts{name: "chat", attrs: map[string]any{"gen_ai.operation.name": "chat",
		"gen_ai.usage.input_tokens": -5, "gen_ai.usage.output_tokens": "12", "gen_ai.usage.cache_read.input_tokens": 2.5}})
	wantUsage(t, s, store.Usage{OutputTokens: 12, TotalTokens: 12})
	wantAttr(t, s, "gen_ai.usage.input_tokens", -5)
	wantAttr(t, s, "gen_ai.usage.cache_read.input_tokens", 2.5)

	// An emitter that left the cache and reasoning out of its totals.
	s = mapOne(t, spanOpts{name: "chat", attrs: map[string]any{"gen_ai.operation.name": "chat",
		"gen_ai.usage.input_tokens": 11, "gen_ai.usage.cache_read.input_tokens": 3, "gen_ai.usage.cache_creation.input_tokens": 9,
		"gen_ai.usage.output_tokens": 2, "gen_ai.usage.reasoning.output_tokens": 3}})
	wantUsage(t, s, store.Usage{InputTokens: 23, OutputTokens: 5, CachedTokens: 3, CacheCreationTokens: 9, ReasoningTokens: 3, TotalTokens: 28})

	// An embedding call: input only.
	s = mapOne(t, spanOpts{name: "embeddings text-embedding-3-small", attrs: map[string]any{
		"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": 5}})
	if s.Type != store.SpanEmbedding {
		t.Errorf("type %s", s.Type)
	}
	wantUsage(t, s, store.Usage{InputTokens: 5, TotalTokens: 5})
}

func TestProviderNames(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"openai": "openai", "az.ai.openai": "openai", "azure.ai.openai": "openai", "Anthropic": "anthropic",
		"anthropic.messages": "anthropic", "gcp.gemini": "google", "gcp.vertex_ai": "google", "gcp.gen_ai": "google",
		"Gemini": "google", "google.generative-ai": "google", "google.vertex.chat": "google", "vertexai": "google",
		"aws.bedrock": "aws", "amazon-bedrock": "aws", "bedrock": "aws", "azure.ai.inference": "azure", "mistral_ai": "mistral",
		"MistralAI": "mistral", "x_ai": "x-ai", "xai": "x-ai", "xai.chat": "x-ai", "Groq": "groq", "ibm.watsonx.ai": "ibm.watsonx.ai",
		"Ollama": "ollama", "cohere": "cohere",
	} {
		if got := normalizeProvider(in, ""); got != want {
			t.Errorf("normalizeProvider(%q) = %q, want %q", in, got, want)
		}
	}
	for model, want := range map[string]string{"gemini-2.5-pro": "google", "claude-sonnet-4-5": "anthropic", "gpt-4o": "openai", "llama-3": ""} {
		if got := normalizeProvider("gcp.vertex.agent", model); got != want {
			t.Errorf("ADK with %s: %q, want %q", model, got, want)
		}
	}
}
