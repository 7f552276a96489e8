// Package sdkbench measures the SDK's cost per span beside the
// OpenTelemetry Go SDK's, in one run. It is its own module so that the
// SDK itself stays free of dependencies.
//
//	make bench-sdk
package sdkbench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	tracium "github.com/tracium/tracium/sdk"
)

const key = "sk_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

// accepted answers every export with 202, without a network.
type accepted struct{}

func (accepted) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusAccepted, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"accepted":1}`)), Request: r}, nil
}

// noopExporter drops what the batch processor hands it.
type noopExporter struct{}

func (noopExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (noopExporter) Shutdown(context.Context) error                             { return nil }

// BenchmarkSpan starts a span under a trace, sets four attributes and ends
// it: with Tracium's SDK exporting to a transport that accepts everything,
// and with OpenTelemetry's SDK and a BatchSpanProcessor over a no-op
// exporter.
func BenchmarkSpan(b *testing.B) {
	b.Run("tracium", func(b *testing.B) {
		c := tracium.Init(tracium.WithAPIKey(key), tracium.WithEndpoint("http://collector.test"),
			tracium.WithHTTPClient(&http.Client{Transport: accepted{}}), tracium.WithErrorHandler(func(error) {}))
		defer c.Shutdown(context.Background())
		ctx, root := c.AgentTrace(context.Background(), "bench")
		defer root.End()
		b.ReportAllocs()
		for b.Loop() {
			_, s := tracium.StartSpan(ctx, tracium.SpanTool, "op")
			s.SetAttribute("http.method", "GET")
			s.SetAttribute("user", "u-42")
			s.SetAttribute("attempt", 3)
			s.SetAttribute("cached", true)
			s.End()
		}
	})
	b.Run("otel", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(noopExporter{}))
		defer tp.Shutdown(context.Background())
		tracer := tp.Tracer("bench")
		ctx, root := tracer.Start(context.Background(), "bench")
		defer root.End()
		b.ReportAllocs()
		for b.Loop() {
			_, s := tracer.Start(ctx, "op")
			s.SetAttributes(attribute.String("http.method", "GET"), attribute.String("user", "u-42"),
				attribute.Int("attempt", 3), attribute.Bool("cached", true))
			s.End()
		}
	})
}

// BenchmarkUnrecordedSpan is the same work for a span nobody will see: in
// an unsampled trace, and under a disabled client, beside OpenTelemetry's
// non-recording span (a NeverSample sampler) and its no-op provider.
func BenchmarkUnrecordedSpan(b *testing.B) {
	work := func(b *testing.B, ctx context.Context) {
		b.Helper()
		b.ReportAllocs()
		for b.Loop() {
			_, s := tracium.StartSpan(ctx, tracium.SpanTool, "op")
			s.SetAttribute("http.method", "GET")
			s.SetAttribute("user", "u-42")
			s.SetAttribute("attempt", 3)
			s.SetAttribute("cached", true)
			s.End()
		}
	}
	b.Run("tracium-unsampled", func(b *testing.B) {
		c := tracium.NewClient(tracium.WithAPIKey(key), tracium.WithEndpoint("http://collector.test"), tracium.WithSampleRate(0),
			tracium.WithHTTPClient(&http.Client{Transport: accepted{}}), tracium.WithErrorHandler(func(error) {}))
		defer c.Shutdown(context.Background())
		ctx, root := c.AgentTrace(context.Background(), "bench")
		defer root.End()
		work(b, ctx)
	})
	b.Run("tracium-disabled", func(b *testing.B) {
		c := tracium.NewClient(tracium.WithErrorHandler(func(error) {})) // no API key: disabled
		ctx, root := c.AgentTrace(context.Background(), "bench")
		defer root.End()
		work(b, ctx)
	})
	otelWork := func(b *testing.B, tracer trace.Tracer) {
		b.Helper()
		ctx, root := tracer.Start(context.Background(), "bench")
		defer root.End()
		b.ReportAllocs()
		for b.Loop() {
			_, s := tracer.Start(ctx, "op")
			s.SetAttributes(attribute.String("http.method", "GET"), attribute.String("user", "u-42"),
				attribute.Int("attempt", 3), attribute.Bool("cached", true))
			s.End()
		}
	}
	b.Run("otel-non-recording", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithBatcher(noopExporter{}))
		defer tp.Shutdown(context.Background())
		otelWork(b, tp.Tracer("bench"))
	})
	b.Run("otel-noop-provider", func(b *testing.B) {
		otelWork(b, noop.NewTracerProvider().Tracer("bench"))
	})
}
