package traciumotel_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium/tracium/sdk"
	traciumotel "github.com/tracium/tracium/sdk/contrib/otel"
)

// The tests of this package set the default client, which the bridge
// follows, so none of them is parallel.

// TestTracerProviderUnderAgentTrace: with NewTracerProvider an OpenTelemetry
// span started under an AgentTrace is in the agent's trace by its own ids,
// with the agent as its marked parent; a Tracium span under it is its
// child, and an OpenTelemetry span under that one is that one's child by
// OpenTelemetry's own ids.
func TestTracerProviderUnderAgentTrace(t *testing.T) {
	c := newCollector(t)
	client := c.init(t, tracium.WithDefaultAgentName("default-agent"))
	tp := traciumotel.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("test")

	ctx, run := client.AgentTrace(context.Background(), "researcher")
	ctx1, step := tracer.Start(ctx, "otel-step")
	ctx2, tool := tracium.StartSpan(ctx1, tracium.SpanTool, "search")
	_, inner := tracer.Start(ctx2, "otel-inner")
	inner.End()
	tool.End()
	step.End()
	run.End()
	flush(t, client)

	s := c.otelSpan(t, "otel-step")
	if hexID(s.TraceId) != run.TraceID() || len(s.ParentSpanId) != 0 {
		t.Errorf("otel-step: trace %x parent %x, want trace %s and no OTLP parent", s.TraceId, s.ParentSpanId, run.TraceID())
	}
	if got := attr(s, tracium.AttrTraciumParentSpanID); got != run.SpanID() {
		t.Errorf("otel-step marker parent %q, want the agent %s", got, run.SpanID())
	}
	if got := attr(s, tracium.AttrTraciumTraceID); got != "" {
		t.Errorf("otel-step has a trace marker %q: its own trace id is Tracium's", got)
	}
	search := c.traciumSpan(t, "search")
	if search.TraceID != run.TraceID() || search.ParentSpanID != hexID(s.SpanId) || search.AgentName != "researcher" {
		t.Errorf("search: trace %s parent %s agent %q, want %s, %x, researcher", search.TraceID, search.ParentSpanID, search.AgentName, run.TraceID(), s.SpanId)
	}
	in := c.otelSpan(t, "otel-inner")
	if hexID(in.TraceId) != run.TraceID() || hexID(in.ParentSpanId) != search.SpanID || len(in.Attributes) != 0 {
		t.Errorf("otel-inner: trace %x parent %x attributes %v, want %s under %s without markers", in.TraceId, in.ParentSpanId, in.Attributes, run.TraceID(), search.SpanID)
	}
}

// TestSpanProcessorOnForeignProvider: on a provider the bridge did not
// build, the OpenTelemetry spans keep their own trace id and carry the
// markers: the first one the agent as its parent and the agent's trace,
// the ones under it the agent's trace. A Tracium span under them is in
// the agent's trace.
func TestSpanProcessorOnForeignProvider(t *testing.T) {
	c := newCollector(t)
	client := c.init(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(traciumotel.NewSpanProcessor()))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("test")

	ctx, run := client.AgentTrace(context.Background(), "researcher")
	ctx1, flow := tracer.Start(ctx, "flow")
	ctx2, model := tracer.Start(ctx1, "model")
	_, llm := tracium.StartSpan(ctx2, tracium.SpanLLM, "call")
	llm.End()
	model.End()
	flow.End()
	run.End()
	flush(t, client)

	f, m := c.otelSpan(t, "flow"), c.otelSpan(t, "model")
	if hexID(f.TraceId) == run.TraceID() {
		t.Fatal("the foreign provider used the Tracium trace id: the test proves nothing")
	}
	if attr(f, tracium.AttrTraciumTraceID) != run.TraceID() || attr(f, tracium.AttrTraciumParentSpanID) != run.SpanID() || len(f.ParentSpanId) != 0 {
		t.Errorf("flow markers trace %q parent %q (OTLP parent %x), want %s and %s", attr(f, tracium.AttrTraciumTraceID), attr(f, tracium.AttrTraciumParentSpanID), f.ParentSpanId, run.TraceID(), run.SpanID())
	}
	if attr(m, tracium.AttrTraciumTraceID) != run.TraceID() || attr(m, tracium.AttrTraciumParentSpanID) != "" || hexID(m.ParentSpanId) != hexID(f.SpanId) {
		t.Errorf("model markers trace %q parent %q, OTLP parent %x: want the trace marker only, under flow", attr(m, tracium.AttrTraciumTraceID), attr(m, tracium.AttrTraciumParentSpanID), m.ParentSpanId)
	}
	call := c.traciumSpan(t, "call")
	if call.TraceID != run.TraceID() || call.ParentSpanID != hexID(m.SpanId) || call.AgentName != "researcher" {
		t.Errorf("call: trace %s parent %s agent %q, want %s under model %x", call.TraceID, call.ParentSpanID, call.AgentName, run.TraceID(), m.SpanId)
	}
}

// TestTraciumUnderOTelRoot: a Tracium span started under an OpenTelemetry
// span with no Tracium span around is in the OpenTelemetry trace, the
// first Tracium span of it here (it carries the default agent), and an
// OpenTelemetry span under it is its child by OpenTelemetry's ids.
func TestTraciumUnderOTelRoot(t *testing.T) {
	c := newCollector(t)
	client := c.init(t, tracium.WithDefaultAgentName("svc"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(traciumotel.NewSpanProcessor()))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("test")

	ctx, root := tracer.Start(context.Background(), "handler")
	ctx, run := client.AgentTrace(ctx, "helper")
	ctx, step := run.Span(ctx, tracium.SpanTool, "step")
	_, leaf := tracer.Start(ctx, "leaf")
	leaf.End()
	step.End()
	run.End()
	root.End()
	flush(t, client)

	h := c.otelSpan(t, "handler")
	if run.TraceID() != hexID(h.TraceId) {
		t.Fatalf("agent trace %s, want the OpenTelemetry trace %x", run.TraceID(), h.TraceId)
	}
	agent := c.traciumSpan(t, "helper")
	if agent.ParentSpanID != hexID(h.SpanId) || agent.AgentName != "helper" {
		t.Errorf("agent parent %s agent %q, want %x helper", agent.ParentSpanID, agent.AgentName, h.SpanId)
	}
	if s := c.traciumSpan(t, "step"); s.ParentSpanID != agent.SpanID {
		t.Errorf("step parent %s, want the agent %s", s.ParentSpanID, agent.SpanID)
	}
	l := c.otelSpan(t, "leaf")
	if hexID(l.ParentSpanId) != c.traciumSpan(t, "step").SpanID || hexID(l.TraceId) != run.TraceID() || len(l.Attributes) != 0 {
		t.Errorf("leaf: parent %x trace %x attributes %v, want step's child without markers", l.ParentSpanId, l.TraceId, l.Attributes)
	}
	for _, s := range c.spans() {
		if attr(s, tracium.AttrTraciumParentSpanID) != "" || attr(s, tracium.AttrTraciumTraceID) != "" {
			t.Errorf("%s carries markers in a trace OpenTelemetry began", s.Name)
		}
	}
}

// TestInnermostWins: with a Tracium span and an OpenTelemetry span both in
// the context, the one started last is the parent, whichever library
// starts the next span.
func TestInnermostWins(t *testing.T) {
	c := newCollector(t)
	client := c.init(t)
	tp := traciumotel.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("test")

	ctx, run := client.AgentTrace(context.Background(), "agent")
	// OpenTelemetry span started last: the Tracium span goes under it.
	octx, o := tracer.Start(ctx, "o")
	_, a := tracium.StartSpan(octx, tracium.SpanTool, "under-o")
	a.End()
	// A Tracium span started last, in a context that also has o: the next
	// OpenTelemetry span goes under it, not under o.
	tctx, b := tracium.StartSpan(octx, tracium.SpanTool, "b")
	_, p := tracer.Start(tctx, "under-b")
	p.End()
	b.End()
	o.End()
	// Both in a context the application built: ctx from the agent, the
	// OpenTelemetry span o put in afterwards is the innermost.
	mixed := trace.ContextWithSpan(ctx, o)
	_, late := tracium.StartSpan(mixed, tracium.SpanTool, "late")
	late.End()
	run.End()
	flush(t, client)

	oSpan := c.otelSpan(t, "o")
	if got := c.traciumSpan(t, "under-o").ParentSpanID; got != hexID(oSpan.SpanId) {
		t.Errorf("under-o parent %s, want o %x", got, oSpan.SpanId)
	}
	bSpan := c.traciumSpan(t, "b")
	if bSpan.ParentSpanID != hexID(oSpan.SpanId) {
		t.Errorf("b parent %s, want o %x", bSpan.ParentSpanID, oSpan.SpanId)
	}
	if u := c.otelSpan(t, "under-b"); hexID(u.ParentSpanId) != bSpan.SpanID || hexID(u.TraceId) != run.TraceID() {
		t.Errorf("under-b parent %x trace %x, want b %s in %s", u.ParentSpanId, u.TraceId, bSpan.SpanID, run.TraceID())
	}
	if got := c.traciumSpan(t, "late").ParentSpanID; got != hexID(oSpan.SpanId) {
		t.Errorf("late parent %s, want o %x", got, oSpan.SpanId)
	}
	for _, s := range c.tracium.Spans() {
		if s.TraceID != run.TraceID() {
			t.Errorf("%s in trace %s, want %s", s.Name, s.TraceID, run.TraceID())
		}
	}
}
