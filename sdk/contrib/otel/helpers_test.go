package traciumotel_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	tracium "github.com/tracium/tracium/sdk"
	"github.com/tracium/tracium/sdk/internal/spantest"
)

// collector is a fake Tracium collector on one address, as the real one
// is: POST /v1/ingest takes the SDK's spans (spantest), POST /v1/traces
// takes OTLP protobuf, checked for the client's key.
type collector struct {
	url     string
	tracium *spantest.Collector

	mu   sync.Mutex
	otlp []*tracepb.Span
	// auth is every Authorization header /v1/traces saw.
	auth []string
}

func newCollector(t testing.TB) *collector {
	t.Helper()
	c := &collector{tracium: spantest.NewCollector(t)}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/ingest", c.tracium.Config.Handler)
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		body := io.Reader(r.Body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		var req collectorpb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(raw, &req)
		}
		if err != nil || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP request %s: %v", r.Header.Get("Content-Type"), err)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		c.auth = append(c.auth, r.Header.Get("Authorization"))
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				c.otlp = append(c.otlp, ss.Spans...)
			}
		}
		c.mu.Unlock()
		out, _ := proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

// init makes a client of this collector the default client, as a program's
// tracium.Init does, and restores a disabled default when the test ends.
// Tests that call it are not parallel: the bridge follows the default
// client.
func (c *collector) init(t testing.TB, opts ...tracium.Option) *tracium.Client {
	t.Helper()
	base := []tracium.Option{tracium.WithAPIKey(spantest.APIKey), tracium.WithEndpoint(c.url),
		tracium.WithFlushInterval(10 * time.Millisecond),
		tracium.WithErrorHandler(func(err error) { t.Errorf("tracium client: %v", err) })}
	client := tracium.Init(append(base, opts...)...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Shutdown(ctx)
		tracium.Init(tracium.WithErrorHandler(func(error) {}))
	})
	return client
}

// spans returns the OTLP spans received so far.
func (c *collector) spans() []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.Span(nil), c.otlp...)
}

// otelSpan returns the one OTLP span named name.
func (c *collector) otelSpan(t testing.TB, name string) *tracepb.Span {
	t.Helper()
	var found []*tracepb.Span
	for _, s := range c.spans() {
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d OTLP spans named %q, want 1 (got %s)", len(found), name, names(c.spans()))
	}
	return found[0]
}

// traciumSpan returns the one SDK span named name.
func (c *collector) traciumSpan(t testing.TB, name string) tracium.SpanData {
	t.Helper()
	found := c.tracium.Named(name)
	if len(found) != 1 {
		t.Fatalf("%d Tracium spans named %q, want 1", len(found), name)
	}
	return found[0]
}

func names(spans []*tracepb.Span) string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

// flush sends what the client holds, OpenTelemetry's spans included.
func flush(t testing.TB, client *tracium.Client) {
	t.Helper()
	spantest.Flush(t, client)
}

// attr returns the string attribute key of s, "" when it has none.
func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value.GetStringValue()
		}
	}
	return ""
}

func hexID(b []byte) string { return hex.EncodeToString(b) }
