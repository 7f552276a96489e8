package traciumotel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium/tracium/sdk"
)

// NewSpanProcessor returns the span processor that sends OpenTelemetry
// spans to the Tracium collector and nests them with Tracium's spans.
// Register it on any TracerProvider:
//
//	tracing.TracerProvider().RegisterSpanProcessor(traciumotel.NewSpanProcessor()) // Genkit's
//	sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(traciumotel.NewSpanProcessor()))
//
// It follows the default Tracium client (tracium.Trace or Init, before or
// after this call): spans are sent as OTLP to that client's endpoint with
// its API key, in batches (an otlptracehttp exporter in a batch span
// processor, with the client's batch size, flush interval and queue
// bound), and the client's Flush and Shutdown flush them. A disabled
// client, or one with WithAutoInstrumentOpenTelemetry(false), sends
// nothing. A span started under a Tracium span gets the markers
// tracium.parent_span_id and, when the provider gave it another trace id,
// tracium.trace_id, which the collector's OTLP mapping applies; with
// NewTracerProvider the trace id is Tracium's already. Safe for
// concurrent use.
func NewSpanProcessor() sdktrace.SpanProcessor {
	register()
	return &spanProcessor{}
}

// spanProcessor is NewSpanProcessor's processor.
type spanProcessor struct {
	// cur is the sink of the client spans went to last; OnEnd reads it
	// without a lock and replaces it when the default client changed.
	cur atomic.Pointer[sink]

	mu      sync.Mutex
	made    []*sink // every sink with a batch processor, for Shutdown
	stopped bool
}

// sink is where the spans of one Tracium client go.
type sink struct {
	client *tracium.Client
	// bsp is nil when that client sends nothing (or was shut down).
	bsp sdktrace.SpanProcessor
}

// OnStart places the span in Tracium (see NewSpanProcessor).
func (p *spanProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if _, ok := following(); ok {
		bridge.onStart(parent, s)
	}
}

// OnEnd queues the span for the default client's collector.
func (p *spanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	keep := bridge.onEnd(s)
	c, ok := following()
	if !keep || !ok || !s.SpanContext().IsSampled() {
		return
	}
	if bsp := p.sinkFor(c).bsp; bsp != nil {
		bsp.OnEnd(s)
	}
}

// sinkFor returns the sink of c, making it the first time c is seen.
func (p *spanProcessor) sinkFor(c *tracium.Client) *sink {
	if s := p.cur.Load(); s != nil && s.client == c {
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.cur.Load(); s != nil && s.client == c {
		return s
	}
	s := &sink{client: c}
	if !p.stopped {
		s.bsp = newBatchProcessor(c)
	}
	if s.bsp != nil {
		p.made = append(p.made, s)
	}
	p.cur.Store(s)
	return s
}

// newBatchProcessor builds the batch processor that sends OTLP to c's
// collector and attaches it to c, so that c's Flush and Shutdown reach
// it; nil when c takes none (it was shut down).
func newBatchProcessor(c *tracium.Client) sdktrace.SpanProcessor {
	cfg := c.CollectorConfig()
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(cfg.Endpoint+"/v1/traces"),
		otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + cfg.APIKey}),
		otlptracehttp.WithHTTPClient(cfg.HTTPClient),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		// The SDK's own retry budget, rather than a minute per batch.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 250 * time.Millisecond, MaxInterval: 8 * time.Second, MaxElapsedTime: 30 * time.Second}),
	)
	if err != nil {
		otel.Handle(err)
		return nil
	}
	bsp := sdktrace.NewBatchSpanProcessor(exp,
		sdktrace.WithBatchTimeout(cfg.FlushInterval),
		sdktrace.WithMaxExportBatchSize(cfg.BatchSize),
		sdktrace.WithMaxQueueSize(cfg.MaxQueueSize),
	)
	if !c.AddExporter(bsp) {
		_ = bsp.Shutdown(context.Background())
		return nil
	}
	return bsp
}

// ForceFlush sends what the processor holds for the default client.
func (p *spanProcessor) ForceFlush(ctx context.Context) error {
	if s := p.cur.Load(); s != nil && s.bsp != nil {
		return s.bsp.ForceFlush(ctx)
	}
	return nil
}

// Shutdown flushes and stops every batch processor this processor made;
// spans that end afterwards are dropped. The Tracium clients' Shutdown
// does the same for their own, so either order is fine.
func (p *spanProcessor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	made := p.made
	p.stopped, p.made = true, nil
	p.cur.Store(&sink{})
	p.mu.Unlock()
	var errs []error
	for _, s := range made {
		errs = append(errs, s.bsp.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
