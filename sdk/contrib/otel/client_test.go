package traciumotel_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	tracium "github.com/tracium/tracium/sdk"
	traciumotel "github.com/tracium/tracium/sdk/contrib/otel"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// TestShutdownSendsOTelSpans: the client's Shutdown, with no Flush before
// it, sends the OpenTelemetry spans still batched, with the client's key.
func TestShutdownSendsOTelSpans(t *testing.T) {
	c := newCollector(t)
	client := c.init(t, tracium.WithFlushInterval(time.Hour))
	tp := traciumotel.NewTracerProvider()
	_, s := tp.Tracer("test").Start(context.Background(), "batched")
	s.End()
	if n := len(c.spans()); n != 0 {
		t.Fatalf("%d spans sent before Shutdown with an hour's flush interval", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.otelSpan(t, "batched")
	if c.auth[0] != "Bearer "+spantest.APIKey {
		t.Errorf("Authorization %q, want the client's key", c.auth[0])
	}
	// Spans ending after the client's Shutdown are dropped, not sent.
	_, late := tp.Tracer("test").Start(context.Background(), "late")
	late.End()
	_ = tp.ForceFlush(ctx)
	if n := len(c.spans()); n != 1 {
		t.Errorf("%d spans after Shutdown, want the one batched before", n)
	}
}

// TestOffSendsNothing: a disabled default client, or one with the
// OpenTelemetry instrumentation off, sends no OpenTelemetry span and marks
// none, while a recorder on the same provider still sees every span.
func TestOffSendsNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []tracium.Option
	}{
		{"instrumentation off", []tracium.Option{tracium.WithAutoInstrumentOpenTelemetry(false)}},
		{"disabled", []tracium.Option{tracium.WithAPIKey("not-a-key"), tracium.WithErrorHandler(func(error) {})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector(t)
			client := c.init(t, tc.opts...)
			rec := tracetest.NewSpanRecorder()
			tp := traciumotel.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			defer tp.Shutdown(context.Background())
			ctx, run := client.AgentTrace(context.Background(), "agent")
			_, s := tp.Tracer("test").Start(ctx, "quiet")
			s.End()
			run.End()
			flush(t, client)
			_ = tp.ForceFlush(context.Background())
			if n := len(c.spans()); n != 0 {
				t.Errorf("%d OpenTelemetry spans sent", n)
			}
			ended := rec.Ended()
			if len(ended) != 1 {
				t.Fatalf("the recorder saw %d spans, want 1", len(ended))
			}
			if attrs := ended[0].Attributes(); len(attrs) != 0 {
				t.Errorf("markers set while off: %v", attrs)
			}
		})
	}
}

// TestFollowsDefaultClient: spans go to the collector of the default client
// at the time they end, with that client's key, even on a processor made
// before either client.
func TestFollowsDefaultClient(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(traciumotel.NewSpanProcessor()))
	defer tp.Shutdown(context.Background())
	first, second := newCollector(t), newCollector(t)
	for _, tc := range []struct {
		c    *collector
		name string
	}{{first, "to-first"}, {second, "to-second"}} {
		client := tc.c.init(t)
		_, s := tp.Tracer("test").Start(context.Background(), tc.name)
		s.End()
		flush(t, client)
	}
	if got := names(first.spans()); got != "to-first" {
		t.Errorf("first collector got %q", got)
	}
	if got := names(second.spans()); got != "to-second" {
		t.Errorf("second collector got %q", got)
	}
}

// TestUnsampledTraciumTrace: OpenTelemetry spans under a Tracium trace the
// sampler dropped are not sent, on NewTracerProvider (its sampler drops
// them) and on any provider (the processor does).
func TestUnsampledTraciumTrace(t *testing.T) {
	c := newCollector(t)
	client := c.init(t, tracium.WithSampleRate(0))
	own := traciumotel.NewTracerProvider()
	foreign := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(traciumotel.NewSpanProcessor()))
	defer own.Shutdown(context.Background())
	defer foreign.Shutdown(context.Background())
	ctx, run := client.AgentTrace(context.Background(), "agent")
	_, a := own.Tracer("test").Start(ctx, "own")
	if a.SpanContext().IsSampled() {
		t.Error("NewTracerProvider sampled a span of an unsampled Tracium trace")
	}
	a.End()
	fctx, b := foreign.Tracer("test").Start(ctx, "foreign")
	_, child := foreign.Tracer("test").Start(fctx, "foreign-child")
	child.End()
	b.End()
	run.End()
	flush(t, client)
	if n := len(c.spans()); n != 0 {
		t.Errorf("%d spans of an unsampled trace sent: %s", n, names(c.spans()))
	}
}
