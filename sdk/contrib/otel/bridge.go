package traciumotel

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium/tracium/sdk"
)

// bridge is what the process knows of the OpenTelemetry spans that nest
// with Tracium's. There is one, as there is one ExternalTracer in the SDK
// and one global TracerProvider: spans of every provider the processor is
// registered on are looked up in it by their ids, which never collide.
var bridge = &spanBridge{}

// registerOnce installs bridge as the SDK's ExternalTracer when the first
// processor is made.
var registerOnce sync.Once

func register() { registerOnce.Do(func() { tracium.SetExternalTracer(bridge) }) }

// spanBridge keeps, while they are open, the OpenTelemetry spans whose
// ids alone do not say where they sit in Tracium: those of a Tracium trace
// under a provider that chose another trace id, and LLM client spans that
// the SDK's transport may take the place of. Spans of traces that never
// met a Tracium span cost one atomic load.
type spanBridge struct {
	spans sync.Map // trace.SpanID → *spanInfo
	open  atomic.Int64
}

// spanInfo is what the bridge knows of one open OpenTelemetry span.
type spanInfo struct {
	// trace is the Tracium trace the span is in.
	trace trace.TraceID
	// parent is the span's parent in Tracium (zero for a root).
	parent trace.SpanID
	// unsampled says the Tracium trace is not sampled: nothing of the
	// span is sent.
	unsampled bool
	// llm says the span is an LLM client's span of one call.
	llm bool
	// adopted is set when the SDK's transport took the span's place.
	adopted atomic.Bool
}

func (b *spanBridge) lookup(id trace.SpanID) *spanInfo {
	if b.open.Load() == 0 {
		return nil
	}
	v, ok := b.spans.Load(id)
	if !ok {
		return nil
	}
	return v.(*spanInfo)
}

func (b *spanBridge) keep(id trace.SpanID, info *spanInfo) {
	if _, loaded := b.spans.LoadOrStore(id, info); !loaded {
		b.open.Add(1)
	}
}

// forget removes an ended span and returns what was known of it.
func (b *spanBridge) forget(id trace.SpanID) *spanInfo {
	if b.open.Load() == 0 {
		return nil
	}
	v, ok := b.spans.LoadAndDelete(id)
	if !ok {
		return nil
	}
	b.open.Add(-1)
	return v.(*spanInfo)
}

// following reports whether OpenTelemetry spans go to Tracium now: the
// default client sends spans and its OpenTelemetry instrumentation is on.
func following() (*tracium.Client, bool) {
	c := tracium.DefaultClient()
	return c, c.Enabled() && c.AutoInstrumentOpenTelemetry()
}

// onStart places s, a span starting under parent, in Tracium: when the
// innermost span of parent is a Tracium span the span's own ids cannot
// name, the span gets the markers (tracium.trace_id when its trace id is
// another, tracium.parent_span_id); a span under such a span gets the
// trace marker too. LLM client spans are remembered for the transport.
func (b *spanBridge) onStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	sc, psc := s.SpanContext(), s.Parent()
	var info *spanInfo
	var markers [2]attribute.KeyValue
	n := 0
	if tsc, ok := tracium.SpanContextFromContext(parent); ok && traciumIsInner(parent, tsc, psc) {
		info = &spanInfo{trace: tsc.TraceID, parent: tsc.SpanID, unsampled: !tsc.Sampled}
		markers[n] = attribute.String(tracium.AttrTraciumParentSpanID, info.parent.String())
		n++
	} else if psc.IsValid() && !psc.IsRemote() {
		if p := b.lookup(psc.SpanID()); p != nil {
			info = &spanInfo{trace: p.trace, parent: psc.SpanID(), unsampled: p.unsampled}
		}
	}
	if info != nil && info.trace != sc.TraceID() {
		markers[n] = attribute.String(tracium.AttrTraciumTraceID, info.trace.String())
		n++
	}
	if n > 0 {
		s.SetAttributes(markers[:n]...)
	}
	if isLLMCall(s) {
		if info == nil {
			info = &spanInfo{trace: sc.TraceID(), parent: psc.SpanID()}
		}
		info.llm = true
	}
	// Only what OpenTelemetry's own ids do not say is kept: another trace
	// id, an unsampled Tracium trace, an LLM call the transport may adopt.
	if info != nil && (info.trace != sc.TraceID() || info.unsampled || info.llm) {
		b.keep(sc.SpanID(), info)
	}
}

// traciumIsInner reports whether tsc, the Tracium span ctx carries, is the
// parent of a span starting with OpenTelemetry parent psc: the one of the
// two that started last is. A Tracium span that the SDK also put in ctx as
// the OpenTelemetry parent (it started where an OpenTelemetry span was) is
// psc itself, and then OpenTelemetry's ids already say it all.
func traciumIsInner(ctx context.Context, tsc tracium.SpanContext, psc trace.SpanContext) bool {
	switch {
	case !psc.IsValid():
		return true
	case tsc.SpanID == psc.SpanID():
		return false
	case psc.IsRemote():
		return !tsc.Remote
	}
	start := startTime(trace.SpanFromContext(ctx))
	return !tsc.Remote && (start.IsZero() || tsc.Start.After(start))
}

// startTime is when an OpenTelemetry span started, zero when the span does
// not say (a span context without a span of this process's SDK).
func startTime(s trace.Span) time.Time {
	if st, ok := s.(interface{ StartTime() time.Time }); ok {
		return st.StartTime()
	}
	return time.Time{}
}

// onEnd forgets s and reports whether it is to be sent: not when its
// Tracium trace is unsampled, nor when the SDK's transport took its place.
func (b *spanBridge) onEnd(s sdktrace.ReadOnlySpan) bool {
	info := b.forget(s.SpanContext().SpanID())
	return info == nil || !info.unsampled && !info.adopted.Load()
}

// SpanFromContext is the SDK's view of the OpenTelemetry span ctx carries,
// with the Tracium trace it belongs to.
func (b *spanBridge) SpanFromContext(ctx context.Context) (tracium.SpanContext, bool) {
	if _, ok := following(); !ok {
		return tracium.SpanContext{}, false
	}
	s := trace.SpanFromContext(ctx)
	sc := s.SpanContext()
	if !sc.IsValid() {
		return tracium.SpanContext{}, false
	}
	out := tracium.SpanContext{TraceID: sc.TraceID(), SpanID: sc.SpanID(), Sampled: sc.IsSampled(), Remote: sc.IsRemote(), Start: startTime(s)}
	if info := b.lookup(sc.SpanID()); info != nil {
		out.TraceID = info.trace
		out.Sampled = out.Sampled && !info.unsampled
	}
	return out, true
}

// ContextWithSpan makes a Tracium span the OpenTelemetry parent in ctx.
func (b *spanBridge) ContextWithSpan(ctx context.Context, sc tracium.SpanContext) context.Context {
	var flags trace.TraceFlags
	if sc.Sampled {
		flags = trace.FlagsSampled
	}
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: sc.TraceID, SpanID: sc.SpanID, TraceFlags: flags,
	}))
}

// AdoptLLMCall gives the SDK's span of an LLM call the place of the LLM
// client's OpenTelemetry span of the same call: its parent, and its id for
// the first attempt. The OpenTelemetry span is then not sent.
func (b *spanBridge) AdoptLLMCall(_ context.Context, sc tracium.SpanContext) (parent [8]byte, takeID, ok bool) {
	info := b.lookup(sc.SpanID)
	if info == nil || !info.llm {
		return parent, false, false
	}
	return info.parent, info.adopted.CompareAndSwap(false, true), true
}
