package tracium

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testAPIKey = "sk_live_0123456789abcdefghijABCDEFGHIJKL"

// reply is what the fake collector answers to one request.
type reply struct {
	status int
	header http.Header
	body   string
}

// fakeCollector speaks the collector's ingest protocol: it checks the
// headers, decodes the gzip body and records every batch it accepts.
type fakeCollector struct {
	t      testing.TB
	server *httptest.Server

	mu       sync.Mutex
	batches  [][]map[string]any
	requests []*http.Request
	bodies   [][]byte
	// respond picks the answer to the n-th request (from 0); nil accepts.
	respond func(n int, spans int) reply
}

func newFakeCollector(t testing.TB) *fakeCollector {
	t.Helper()
	fc := &fakeCollector{t: t}
	fc.server = httptest.NewServer(http.HandlerFunc(fc.serve))
	t.Cleanup(fc.server.Close)
	return fc
}

func (fc *fakeCollector) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/ingest" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("Content-Type") != "application/json" ||
		!strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk_live_") {
		fc.t.Errorf("bad headers: %v", r.Header)
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		fc.t.Errorf("gzip: %v", err)
		return
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		fc.t.Errorf("read body: %v", err)
		return
	}
	var batch struct {
		Spans []map[string]any `json:"spans"`
	}
	if err := json.Unmarshal(raw, &batch); err != nil {
		fc.t.Errorf("decode batch: %v\n%s", err, raw)
		return
	}
	fc.mu.Lock()
	n := len(fc.requests)
	fc.requests = append(fc.requests, r)
	respond := fc.respond
	fc.mu.Unlock()
	rep := reply{status: http.StatusAccepted}
	if respond != nil {
		rep = respond(n, len(batch.Spans))
	}
	if rep.status == http.StatusAccepted {
		fc.mu.Lock()
		fc.batches = append(fc.batches, batch.Spans)
		fc.bodies = append(fc.bodies, raw)
		fc.mu.Unlock()
		if rep.body == "" {
			rep.body = `{"accepted":` + itoa(len(batch.Spans)) + `}`
		}
	}
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func (fc *fakeCollector) setRespond(f func(n, spans int) reply) {
	fc.mu.Lock()
	fc.respond = f
	fc.mu.Unlock()
}

// spans returns every span accepted so far, in arrival order.
func (fc *fakeCollector) spans() []map[string]any {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	var all []map[string]any
	for _, b := range fc.batches {
		all = append(all, b...)
	}
	return all
}

func (fc *fakeCollector) allRequests() []*http.Request {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([]*http.Request(nil), fc.requests...)
}

// allBodies returns the decompressed bodies of the accepted batches.
func (fc *fakeCollector) allBodies() [][]byte {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([][]byte(nil), fc.bodies...)
}

func (fc *fakeCollector) requestCount() int {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return len(fc.requests)
}

// errorLog collects what the client reports to its error handler.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) handle(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

type testBundle struct {
	client    *Client
	collector *fakeCollector
	errs      *errorLog
}

// setup builds a client wired to a fresh fake collector, with a fast retry
// policy; extra options come last so tests can override anything.
func setup(t *testing.T, opts ...Option) *testBundle {
	t.Helper()
	fc := newFakeCollector(t)
	errs := &errorLog{}
	base := []Option{
		WithAPIKey(testAPIKey),
		WithEndpoint(fc.server.URL),
		WithErrorHandler(errs.handle),
		WithFlushInterval(20 * time.Millisecond),
		withRetryPolicy(retryPolicy{maxAttempts: 5, baseDelay: 10 * time.Millisecond, maxDelay: 50 * time.Millisecond, maxElapsed: 5 * time.Second}),
	}
	c := newClient(append(base, opts...)...)
	t.Cleanup(func() { c.Shutdown(t.Context()) })
	return &testBundle{client: c, collector: fc, errs: errs}
}

func (tb *testBundle) flush(t *testing.T) {
	t.Helper()
	if err := tb.client.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// byName indexes spans by name; names are unique within each test.
func byName(spans []map[string]any) map[string]map[string]any {
	m := make(map[string]map[string]any, len(spans))
	for _, s := range spans {
		m[s["name"].(string)] = s
	}
	return m
}

// waitFor polls cond, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
