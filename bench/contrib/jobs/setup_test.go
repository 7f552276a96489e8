package jobsbench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium/tracium/sdk"
)

// Every benchmark runs the same work under each of these: the bare
// library, Tracium, and OpenTelemetry in two set-ups. Nobody samples, and
// every recorded span is exported off the request path:
//
//   - tracium encodes each batch (JSON, gzip) and posts it to a transport
//     that accepts everything;
//   - otel is a BatchSpanProcessor over an exporter that drops each batch
//     unencoded (as bench/sdk does);
//   - otel-otlp is that processor over the OTLP/HTTP exporter (protobuf,
//     gzip) posting to an accepting transport: the work Tracium's exporter
//     does.
var setups = []string{"bare", "tracium", "otel", "otel-otlp"}

const key = "sk_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

// tracer is one set-up: a context inside a trace of it (the caller of an
// RPC, the request enqueueing a job) and what it exports through.
type tracer struct {
	name    string
	ctx     context.Context
	tracium *tracium.Client
	otel    *sdktrace.TracerProvider
	// exported counts the spans OpenTelemetry's exporter was handed.
	exported *atomic.Int64
}

func newTracer(b *testing.B, name string) tracer {
	b.Helper()
	t := tracer{name: name, ctx: context.Background()}
	switch name {
	case "tracium":
		t.tracium = tracium.NewClient(tracium.WithAPIKey(key), tracium.WithEndpoint("http://collector.test"),
			tracium.WithHTTPClient(&http.Client{Transport: accepted{}}), tracium.WithErrorHandler(func(error) {}),
			tracium.WithAutoInstrumentLLMClients(false))
		b.Cleanup(func() { _ = t.tracium.Shutdown(context.Background()) })
		var root *tracium.AgentTrace
		t.ctx, root = t.tracium.AgentTrace(t.ctx, "bench")
		b.Cleanup(root.End)
	case "otel", "otel-otlp":
		var exp sdktrace.SpanExporter = noopExporter{}
		if name == "otel-otlp" {
			var err error
			exp, err = otlptracehttp.New(context.Background(),
				otlptracehttp.WithEndpointURL("http://collector.test/v1/traces"),
				otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
				otlptracehttp.WithHTTPClient(&http.Client{Transport: otlpAccepted{}}))
			if err != nil {
				b.Fatal(err)
			}
		}
		t.exported = new(atomic.Int64)
		t.otel = sdktrace.NewTracerProvider(sdktrace.WithBatcher(countingExporter{exp, t.exported}))
		b.Cleanup(func() { _ = t.otel.Shutdown(context.Background()) })
		ctx, root := t.otel.Tracer("bench").Start(t.ctx, "bench")
		t.ctx = ctx
		b.Cleanup(func() { root.End() })
	}
	return t
}

// propagator is the W3C propagator the OpenTelemetry integrations use.
var propagator propagation.TextMapPropagator = propagation.TraceContext{}

// flush waits until what the set-up recorded is exported.
func (t tracer) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch {
	case t.tracium != nil:
		_ = t.tracium.Flush(ctx)
	case t.otel != nil:
		_ = t.otel.ForceFlush(ctx)
	}
}

// exportedSpans is how many spans the set-up has exported so far.
func (t tracer) exportedSpans() int64 {
	switch {
	case t.tracium != nil:
		return t.tracium.Stats().Sent
	case t.exported != nil:
		return t.exported.Load()
	}
	return 0
}

// measure runs body in the benchmark loop. Beside ns/op (the caller's
// time, which on a shared machine moves with other load) it reports
// cpu-ns/op: the process's CPU time per call, from the loop's start until
// the set-up has exported everything it recorded, so the exporter's
// encoding and the garbage collector's work count, and other processes'
// do not. spans/op is what was exported per call: in a loop this tight
// both SDKs may drop spans when their queues fill, which saves them work.
func measure(b *testing.B, t tracer, body func()) {
	b.Helper()
	b.ReportAllocs()
	start, sent, n := cpuTime(), t.exportedSpans(), 0
	for b.Loop() {
		body()
		n++
	}
	t.flush()
	b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
	b.ReportMetric(float64(t.exportedSpans()-sent)/float64(n), "spans/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// accepted answers every Tracium export with 202, without a network.
type accepted struct{}

func (accepted) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusAccepted, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"accepted":1}`)), Request: r}, nil
}

// otlpAccepted answers every OTLP export with an empty success.
type otlpAccepted struct{}

func (otlpAccepted) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/x-protobuf"}},
		Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

// countingExporter counts the spans it passes on.
type countingExporter struct {
	sdktrace.SpanExporter
	n *atomic.Int64
}

func (e countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.n.Add(int64(len(spans)))
	return e.SpanExporter.ExportSpans(ctx, spans)
}

type noopExporter struct{}

func (noopExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (noopExporter) Shutdown(context.Context) error                             { return nil }
