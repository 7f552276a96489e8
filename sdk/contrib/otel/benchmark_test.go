package traciumotel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	tracium "github.com/tracium/tracium/sdk"
	traciumotel "github.com/tracium/tracium/sdk/contrib/otel"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// BenchmarkSpanProcessor is the cost of one OpenTelemetry span started and
// ended, on a provider with NewSpanProcessor beside the same provider with
// OpenTelemetry's own BatchSpanProcessor around the same exporter
// (otlptracehttp, gzip, the client's batch settings), both sending to a
// collector that discards: the difference is what the bridge adds. Spans
// are started alone, under a Tracium agent run (markers), and under such a
// span (the trace marker, on a provider that picks its own trace ids).
func BenchmarkSpanProcessor(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	client := tracium.Init(tracium.WithAPIKey(spantest.APIKey), tracium.WithEndpoint(srv.URL), tracium.WithErrorHandler(func(error) {}))
	defer func() {
		_ = client.Shutdown(context.Background())
		tracium.Init(tracium.WithErrorHandler(func(error) {}))
	}()
	cfg := client.CollectorConfig()

	plain := func() sdktrace.SpanProcessor {
		exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"),
			otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + cfg.APIKey}),
			otlptracehttp.WithHTTPClient(cfg.HTTPClient), otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		if err != nil {
			b.Fatal(err)
		}
		return sdktrace.NewBatchSpanProcessor(exp, sdktrace.WithBatchTimeout(cfg.FlushInterval),
			sdktrace.WithMaxExportBatchSize(cfg.BatchSize), sdktrace.WithMaxQueueSize(cfg.MaxQueueSize))
	}
	agentCtx, run := client.AgentTrace(context.Background(), "bench")
	defer run.End()

	for _, proc := range []struct {
		name string
		make func() sdktrace.SpanProcessor
	}{{"otel-batch", plain}, {"tracium", traciumotel.NewSpanProcessor}} {
		for _, shape := range []struct {
			name string
			ctx  func(trace.Tracer) (context.Context, func())
		}{
			{"root", func(trace.Tracer) (context.Context, func()) { return context.Background(), func() {} }},
			{"under-agent", func(trace.Tracer) (context.Context, func()) { return agentCtx, func() {} }},
			{"in-agent-trace", func(tr trace.Tracer) (context.Context, func()) {
				ctx, s := tr.Start(agentCtx, "parent")
				return ctx, func() { s.End() }
			}},
		} {
			b.Run(proc.name+"/"+shape.name, func(b *testing.B) {
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc.make()))
				defer tp.Shutdown(context.Background())
				tr := tp.Tracer("bench")
				ctx, done := shape.ctx(tr)
				defer done()
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					_, s := tr.Start(ctx, "span")
					s.End()
				}
			})
		}
	}
}
