// Package spantest receives what a Tracium client sends, so that tests of
// the SDK's integrations can assert the spans field by field without a
// collector: Collector accepts POST /v1/ingest as the collector does and
// keeps every span. Tests that need the real collector use the root
// module's server package instead.
package spantest

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tracium "github.com/tracium/tracium/sdk"
)

// APIKey is the well-formed key the clients of NewClient send.
const APIKey = "sk_live_spantest0000000000000000000000000000000"

// Collector is a fake collector. Safe for concurrent use.
type Collector struct {
	*httptest.Server

	// discard makes the collector answer without keeping spans, so that
	// benchmarks do not grow the heap.
	discard atomic.Bool

	mu    sync.Mutex
	spans []tracium.SpanData
}

// NewCollector starts a collector that the test's cleanup closes.
func NewCollector(tb testing.TB) *Collector {
	tb.Helper()
	c := Start()
	tb.Cleanup(c.Close)
	return c
}

// Start starts a collector the caller closes: for a TestMain, which has
// no testing.TB.
func Start() *Collector {
	c := &Collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(c.ingest))
	return c
}

// SetDiscard turns keeping spans off (true) or back on.
func (c *Collector) SetDiscard(on bool) { c.discard.Store(on) }

func (c *Collector) ingest(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/ingest" {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer zr.Close()
		body = zr
	}
	var b tracium.Batch
	if err := json.NewDecoder(body).Decode(&b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !c.discard.Load() {
		c.mu.Lock()
		c.spans = append(c.spans, b.Spans...)
		c.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(tracium.IngestResponse{Accepted: len(b.Spans)})
}

// Spans returns a copy of every span received so far.
func (c *Collector) Spans() []tracium.SpanData {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.spans)
}

// Trace returns the spans received so far for traceID, ordered by start
// time.
func (c *Collector) Trace(traceID string) []tracium.SpanData {
	var out []tracium.SpanData
	for _, s := range c.Spans() {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b tracium.SpanData) int { return a.StartTime.Compare(b.StartTime) })
	return out
}

// Named returns the received spans with this name.
func (c *Collector) Named(name string) []tracium.SpanData {
	var out []tracium.SpanData
	for _, s := range c.Spans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// NewClient returns a client that sends to c, flushing often; the test's
// cleanup shuts it down. It is not made the default client, so parallel
// tests each keep their own spans: start traces with its AgentTrace, or
// pass it to an integration's option. opts come after the defaults.
func (c *Collector) NewClient(tb testing.TB, opts ...tracium.Option) *tracium.Client {
	tb.Helper()
	base := []tracium.Option{
		tracium.WithAPIKey(APIKey), tracium.WithEndpoint(c.URL),
		tracium.WithFlushInterval(10 * time.Millisecond),
		tracium.WithErrorHandler(func(err error) { tb.Errorf("tracium client: %v", err) }),
	}
	client := tracium.NewClient(append(base, opts...)...)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Shutdown(ctx)
	})
	return client
}

// Flush sends what client has queued and fails the test if it cannot.
func Flush(tb testing.TB, client *tracium.Client) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Flush(ctx); err != nil {
		tb.Fatalf("flush: %v", err)
	}
}

// Wait flushes client until c has received exactly n spans and returns
// them; more than n, or fewer after 15 s, fails the test.
func (c *Collector) Wait(tb testing.TB, client *tracium.Client, n int) []tracium.SpanData {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		Flush(tb, client)
		spans := c.Spans()
		if len(spans) == n {
			return spans
		}
		if len(spans) > n || time.Now().After(deadline) {
			tb.Fatalf("got %d spans, want %d:\n%s", len(spans), n, Describe(spans))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Describe lists spans a line each, for failure messages.
func Describe(spans []tracium.SpanData) string {
	var sb strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&sb, "  %s %s %q trace=%s parent=%s status=%s %s %v\n",
			s.SpanID, s.Type, s.Name, s.TraceID, s.ParentSpanID, s.Status, s.ErrorMessage, s.Attributes)
	}
	return sb.String()
}

// Find returns the spans of this type and name.
func Find(spans []tracium.SpanData, typ tracium.SpanType, name string) []tracium.SpanData {
	var out []tracium.SpanData
	for _, s := range spans {
		if s.Type == typ && s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// One returns the one span of this type and name, and fails the test when
// there is not exactly one.
func One(tb testing.TB, spans []tracium.SpanData, typ tracium.SpanType, name string) tracium.SpanData {
	tb.Helper()
	found := Find(spans, typ, name)
	if len(found) != 1 {
		tb.Fatalf("%d spans %s %q, want 1:\n%s", len(found), typ, name, Describe(spans))
	}
	return found[0]
}
