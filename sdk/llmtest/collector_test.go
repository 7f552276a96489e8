package llmtest

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"

	tracium "github.com/tracium/tracium/sdk"
)

// fakeCollector accepts POST /v1/ingest like the Tracium collector and keeps
// every span it receives. Safe for concurrent use.
type fakeCollector struct {
	*httptest.Server

	// discard makes the collector answer without keeping spans, so that
	// benchmarks do not grow the heap.
	discard atomic.Bool

	mu    sync.Mutex
	spans []tracium.SpanData
}

func newFakeCollector() *fakeCollector {
	c := &fakeCollector{}
	c.Server = httptest.NewServer(http.HandlerFunc(c.ingest))
	return c
}

func (c *fakeCollector) ingest(w http.ResponseWriter, r *http.Request) {
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

// trace returns the spans received so far for traceID.
func (c *fakeCollector) trace(traceID string) []tracium.SpanData {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []tracium.SpanData
	for _, s := range c.spans {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out
}
