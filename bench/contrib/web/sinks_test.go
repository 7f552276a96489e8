// Package webbench measures what each of Tracium's web framework
// middlewares adds to a request, beside the bare framework and beside
// OpenTelemetry's own instrumentation for that framework, in one run. It
// is its own module so that the integrations stay free of OpenTelemetry.
//
//	cd bench/contrib/web && go test -run '^$' -bench . -benchmem -benchtime 200000x
//
// Each request starts a trace. Tracium exports to an in-process collector
// that accepts everything (its JSON encoding and gzip are done and timed);
// OpenTelemetry uses a BatchSpanProcessor over a no-op exporter. Both
// flushes are inside the timed region, and the machine's two cores run
// the exporter beside the request loop. A middleware's added cost is its
// figure less the bare framework's; compare those.
package webbench

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	tracium "github.com/tracium/tracium/sdk"
)

const key = "sk_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

// accepted is the fake collector: it answers every export with 202
// without a network, after reading the whole gzip body.
type accepted struct{}

func (accepted) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusAccepted, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"accepted":1}`)), Request: r}, nil
}

// queueSize holds every span of a 200000x run, so that none is dropped
// unencoded when the exporter falls behind: the figures include encoding
// and compressing every span the middleware ends.
const queueSize = 1 << 18

// traciumClient sends what the middleware records to the fake collector.
// drain, which the benchmark times, flushes what is still queued.
func traciumClient(b *testing.B) (c *tracium.Client, drain func()) {
	b.Helper()
	c = tracium.NewClient(tracium.WithAPIKey(key), tracium.WithEndpoint("http://collector.test"),
		tracium.WithHTTPClient(&http.Client{Transport: accepted{}}), tracium.WithErrorHandler(func(error) {}),
		tracium.WithMaxQueueSize(queueSize))
	b.Cleanup(func() { _ = c.Shutdown(context.Background()) })
	return c, func() {
		_ = c.Flush(context.Background())
		b.ReportMetric(float64(c.Stats().Dropped)/float64(b.N), "dropped/op")
	}
}

// noopExporter drops what the batch processor hands it.
type noopExporter struct{}

func (noopExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (noopExporter) Shutdown(context.Context) error                             { return nil }

// otelProvider is OpenTelemetry's SDK with a BatchSpanProcessor over a
// no-op exporter; propagator reads traceparent as Tracium does. drain,
// which the benchmark times, flushes the batch processor.
func otelProvider(b *testing.B) (tp *sdktrace.TracerProvider, drain func()) {
	b.Helper()
	tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(noopExporter{}))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, func() { _ = tp.ForceFlush(context.Background()) }
}

var propagator = propagation.TraceContext{}

// The request every benchmark serves: a route with a parameter, no
// incoming trace, so each request starts one.
const (
	route = "/users/:id"
	path  = "/users/42"
	reply = "user 42"
)

// discardWriter is a ResponseWriter that keeps nothing, so the loop
// measures the framework and its middleware.
type discardWriter struct {
	header http.Header
	status int
	size   int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.size += len(p)
	return len(p), nil
}

// serveHTTP runs b.N requests through h in the calling goroutine, then
// drain (nil for the bare framework), both timed.
func serveHTTP(b *testing.B, h http.Handler, drain func()) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		clear(w.header)
		w.status, w.size = 0, 0
		h.ServeHTTP(w, req)
	}
	if drain != nil {
		drain()
	}
	b.StopTimer()
	if w.status != http.StatusOK || w.size != len(reply) {
		b.Fatalf("answered %d with %d bytes", w.status, w.size)
	}
}

// serveFast runs b.N requests through a fasthttp handler (fiber's) in the
// calling goroutine, resetting what fasthttp resets between requests, then
// drain (nil for the bare framework), both timed.
func serveFast(b *testing.B, h fasthttp.RequestHandler, drain func()) {
	b.Helper()
	var req fasthttp.Request
	req.Header.SetMethod(http.MethodGet)
	req.SetRequestURI(path)
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ctx.Response.Reset()
		ctx.ResetUserValues()
		h(&ctx)
	}
	if drain != nil {
		drain()
	}
	b.StopTimer()
	if ctx.Response.StatusCode() != http.StatusOK || string(ctx.Response.Body()) != reply {
		b.Fatalf("answered %d %q", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}
