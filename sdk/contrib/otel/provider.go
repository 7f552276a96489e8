package traciumotel

import (
	"context"
	"encoding/binary"
	"math/rand/v2"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium/tracium/sdk"
)

// NewTracerProvider returns a TracerProvider that sends its spans to
// Tracium (it has NewSpanProcessor's processor), for
// otel.SetTracerProvider:
//
//	otel.SetTracerProvider(traciumotel.NewTracerProvider())
//
// A span it starts under a Tracium span is in that span's trace (its ids
// come from an IDGenerator that reuses the Tracium trace id), and it
// follows the Tracium trace's sampling decision. opts come after these
// and may replace them (WithSampler, WithIDGenerator) or add to them
// (more span processors, a resource). Like every TracerProvider it should
// be shut down; the Tracium client's Shutdown flushes its spans too.
func NewTracerProvider(opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	base := []sdktrace.TracerProviderOption{
		sdktrace.WithSpanProcessor(NewSpanProcessor()),
		sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithSampler(sampler{sdktrace.ParentBased(sdktrace.AlwaysSample())}),
	}
	return sdktrace.NewTracerProvider(append(base, opts...)...)
}

// idGenerator gives a span that has no OpenTelemetry parent the trace id
// of the Tracium span its context carries, so that it is in that trace by
// its own ids; other ids are random.
type idGenerator struct{}

// NewIDs returns the ids of a span that starts a trace in OpenTelemetry.
func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if tsc, ok := tracium.SpanContextFromContext(ctx); ok {
		if _, on := following(); on {
			return tsc.TraceID, newSpanID()
		}
	}
	var t trace.TraceID
	for !t.IsValid() {
		binary.LittleEndian.PutUint64(t[:8], rand.Uint64())
		binary.LittleEndian.PutUint64(t[8:], rand.Uint64())
	}
	return t, newSpanID()
}

// NewSpanID returns the id of a span in a trace that has one.
func (idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

// newSpanID draws from the runtime's per-thread ChaCha8 generator:
// random enough for ids and without a lock.
func newSpanID() trace.SpanID {
	var s trace.SpanID
	for !s.IsValid() {
		binary.LittleEndian.PutUint64(s[:], rand.Uint64())
	}
	return s
}

// sampler drops the spans under a Tracium span of an unsampled trace and
// leaves every other decision to next.
type sampler struct{ next sdktrace.Sampler }

// ShouldSample follows the Tracium trace when the Tracium span is the
// parent, else next.
func (s sampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if tsc, ok := tracium.SpanContextFromContext(p.ParentContext); ok && !tsc.Sampled {
		if _, on := following(); on && traciumIsInner(p.ParentContext, tsc, trace.SpanContextFromContext(p.ParentContext)) {
			return sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
		}
	}
	return s.next.ShouldSample(p)
}

// Description names the sampler.
func (s sampler) Description() string { return "TraciumParent{" + s.next.Description() + "}" }
