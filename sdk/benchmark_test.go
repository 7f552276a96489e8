package tracium

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// acceptAll is a collector that answers 202 without touching the network,
// so the benchmarks measure the SDK: span bookkeeping, the queue, and
// the exporter's encoding and compression, which run concurrently.
type acceptAll struct{}

func (acceptAll) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{
		StatusCode: http.StatusAccepted,
		Header:     http.Header{},
		Body:       io.NopCloser(strings.NewReader(`{"accepted":0}`)),
		Request:    r,
	}, nil
}

func benchClient(b *testing.B) *Client {
	b.Helper()
	c := newClient(WithAPIKey(testAPIKey), WithEndpoint("http://collector.invalid"),
		WithHTTPClient(&http.Client{Transport: acceptAll{}}), WithErrorHandler(func(error) {}),
		WithMaxQueueSize(1<<16))
	b.Cleanup(func() { c.Shutdown(context.Background()) })
	return c
}

// BenchmarkStartSpan is StartSpan + 4 SetAttribute + End of a child span,
// the shape compared against the OpenTelemetry SDK in bench/. Allocation
// counts include the exporter goroutine's work. dropped/op shows whether
// the exporter kept up; spans it dropped were not encoded.
func BenchmarkStartSpan(b *testing.B) {
	c := benchClient(b)
	ctx, root := c.AgentTrace(context.Background(), "bench")
	defer root.End()
	b.ReportAllocs()
	for b.Loop() {
		_, s := StartSpan(ctx, SpanTool, "tool-call")
		s.SetAttribute("tool.name", "search")
		s.SetAttribute("tool.attempt", 1)
		s.SetAttribute("cache.hit", true)
		s.SetAttribute("score", 0.5)
		s.End()
	}
	b.StopTimer()
	c.Flush(context.Background())
	b.ReportMetric(float64(c.Stats().Dropped)/float64(b.N), "dropped/op")
}

// BenchmarkStartSpanRoot starts a new trace per span.
func BenchmarkStartSpanRoot(b *testing.B) {
	c := benchClient(b)
	b.ReportAllocs()
	for b.Loop() {
		_, s := startSpan(context.Background(), c, SpanTool, "tool-call")
		s.SetAttribute("tool.name", "search")
		s.SetAttribute("tool.attempt", 1)
		s.SetAttribute("cache.hit", true)
		s.SetAttribute("score", 0.5)
		s.End()
	}
	b.StopTimer()
	c.Flush(context.Background())
	b.ReportMetric(float64(c.Stats().Dropped)/float64(b.N), "dropped/op")
}

// BenchmarkStartSpanParallel ends spans of one trace from many goroutines.
func BenchmarkStartSpanParallel(b *testing.B) {
	c := benchClient(b)
	ctx, root := c.AgentTrace(context.Background(), "bench")
	defer root.End()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, s := StartSpan(ctx, SpanTool, "tool-call")
			s.SetAttribute("tool.name", "search")
			s.SetAttribute("tool.attempt", 1)
			s.SetAttribute("cache.hit", true)
			s.SetAttribute("score", 0.5)
			s.End()
		}
	})
	b.StopTimer()
	c.Flush(context.Background())
	b.ReportMetric(float64(c.Stats().Dropped)/float64(b.N), "dropped/op")
}

// BenchmarkEncodeSpan is the exporter's per-span encoding on its own.
func BenchmarkEncodeSpan(b *testing.B) {
	_, s := startSpan(context.Background(), newNoopClient(), SpanLLM, "chat")
	s.SetAttribute("tool.name", "search")
	s.SetAttribute("tool.attempt", 1)
	s.SetAttribute("cache.hit", true)
	s.SetAttribute("score", 0.5)
	s.SetUsage(Usage{InputTokens: 100, OutputTokens: 20})
	s.End()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendSpanJSON(buf[:0], s)
	}
}

// BenchmarkStartSpanUnsampled is the application's side alone: the same
// span in a trace that sampling dropped, so the exporter does no work.
func BenchmarkStartSpanUnsampled(b *testing.B) {
	c := newClient(WithAPIKey(testAPIKey), WithEndpoint("http://collector.invalid"),
		WithHTTPClient(&http.Client{Transport: acceptAll{}}), WithSampleRate(0))
	b.Cleanup(func() { c.Shutdown(context.Background()) })
	ctx, root := c.AgentTrace(context.Background(), "bench")
	defer root.End()
	b.ReportAllocs()
	for b.Loop() {
		_, s := StartSpan(ctx, SpanTool, "tool-call")
		s.SetAttribute("tool.name", "search")
		s.SetAttribute("tool.attempt", 1)
		s.SetAttribute("cache.hit", true)
		s.SetAttribute("score", 0.5)
		s.End()
	}
}
