package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// TestEndToEnd sends a trace over HTTP and finds it in the store, written
// by the writer from JetStream, on each store backend with the embedded and
// with an external NATS.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    options
	}{
		{"sqlite+embedded-nats", options{}},
		{"sqlite+external-nats", options{externalNATS: true}},
		{"postgres+embedded-nats", options{postgres: true}},
		{"postgres+external-nats", options{postgres: true, externalNATS: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tc.o)
			spans := agentTrace()
			r := b.post(t, b.key, body(t, spans...))
			if r.status != http.StatusAccepted || r.Accepted != len(spans) {
				t.Fatalf("status %d accepted %d; want 202 and %d", r.status, r.Accepted, len(spans))
			}
			p := b.defaultProject(t)
			d := b.waitTrace(t, b.store, p.ID, spans[0].TraceID, int64(len(spans)))
			if d.Trace.Name != spans[0].Name || d.Trace.AgentName != spans[0].AgentName {
				t.Errorf("trace %q by %q; want %q by %q", d.Trace.Name, d.Trace.AgentName, spans[0].Name, spans[0].AgentName)
			}
			var llm store.Span
			for _, s := range d.Spans {
				if s.SpanID == spans[1].SpanID {
					llm = s
				}
			}
			if llm.CostUSD == nil || *llm.CostUSD <= 0 {
				t.Errorf("the gpt-4o-mini call was not priced: cost %v", llm.CostUSD)
			}
			if d.Trace.CostUSD <= 0 {
				t.Errorf("trace cost %v; want the priced call's", d.Trace.CostUSD)
			}
		})
	}
}

// TestDuplicateBatches retries the same request, and sends the same spans
// under an Idempotency-Key: each span is stored and counted once.
func TestDuplicateBatches(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	spans := agentTrace()
	raw := body(t, spans...)
	for range 3 {
		if r := b.post(t, b.key, raw); r.status != http.StatusAccepted {
			t.Fatalf("status %d", r.status)
		}
	}
	for range 2 {
		if r := b.post(t, b.key, gzipped(raw), "Content-Encoding", "gzip", "Idempotency-Key", "retry-1"); r.status != http.StatusAccepted {
			t.Fatalf("gzip with idempotency key: status %d", r.status)
		}
	}
	p := b.defaultProject(t)
	b.waitTrace(t, b.store, p.ID, spans[0].TraceID, int64(len(spans)))
	time.Sleep(300 * time.Millisecond) // let any duplicate reach the writer
	d := b.waitTrace(t, b.store, p.ID, spans[0].TraceID, int64(len(spans)))
	if len(d.Spans) != len(spans) {
		t.Errorf("%d spans stored, want %d", len(d.Spans), len(spans))
	}
}

func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t, options{configure: func(c *server.Config) {
		c.MaxBodyBytes = 64 << 10
		c.MaxBatchSpans = 50
	}})
	good := agentTrace()
	revoked := newSecret(t)
	p := b.defaultProject(t)
	k, err := b.store.CreateAPIKey(t.Context(), keyRecord(p.ID, revoked))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.RevokeAPIKey(t.Context(), p.ID, k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	bad := good[2]
	bad.SpanID = "xyz"
	noTime := good[3]
	noTime.StartTime = time.Time{}

	tests := []struct {
		name   string
		key    string
		body   []byte
		hdr    []string
		status int
		code   string
	}{
		{"no key", "", body(t, good...), nil, 401, "unauthorized"},
		{"unknown key", newSecret(t), body(t, good...), nil, 401, "unauthorized"},
		{"malformed key", "sk_live_short", body(t, good...), nil, 401, "unauthorized"},
		{"revoked key", revoked, body(t, good...), nil, 401, "unauthorized"},
		{"malformed JSON", b.key, []byte(`{"spans": [`), nil, 400, "malformed_json"},
		{"not an object", b.key, []byte(`[1,2]`), nil, 400, "malformed_json"},
		{"no spans field", b.key, []byte(`{"span": []}`), nil, 400, "malformed_json"},
		{"trailing data", b.key, []byte(`{"spans": []} {}`), nil, 400, "malformed_json"},
		{"all spans invalid", b.key, body(t, bad, noTime), nil, 400, "invalid_spans"},
		{"bad gzip", b.key, []byte("not gzip"), []string{"Content-Encoding", "gzip"}, 400, "bad_request"},
		{"unknown encoding", b.key, body(t, good...), []string{"Content-Encoding", "br"}, 400, "bad_request"},
		{"body too large", b.key, body(t, storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 10 << 10, Start: time.Now()}.Trace(0)...), nil, 413, "body_too_large"},
		{"gzip bomb", b.key, gzipped([]byte(`{"spans":["` + strings.Repeat("a", 1<<20) + `"]}`)), []string{"Content-Encoding", "gzip"}, 413, "body_too_large"},
		{"too many spans", b.key, []byte(`{"spans":[` + strings.Repeat(`{},`, 50) + `{}]}`), nil, 413, "too_many_spans"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post(t, tc.key, tc.body, tc.hdr...)
			if r.status != tc.status || r.Error.Code != tc.code {
				t.Errorf("status %d code %q (%s); want %d %q", r.status, r.Error.Code, r.Error.Message, tc.status, tc.code)
			}
			if tc.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	t.Run("partly invalid", func(t *testing.T) {
		spans := agentTrace()
		wrongType := `{"trace_id":"` + spans[0].TraceID + `","span_id":"00000000000000aa","name":"x","start_time":5}`
		raw := `{"spans":[` + string(mustJSON(t, spans[0])) + `,` + string(mustJSON(t, bad)) + `,` + wrongType + `,` + string(mustJSON(t, spans[1])) + `]}`
		r := b.post(t, b.key, []byte(raw))
		if r.status != http.StatusMultiStatus || r.Accepted != 2 || len(r.Rejected) != 2 {
			t.Fatalf("status %d accepted %d rejected %+v; want 207, 2 and 2", r.status, r.Accepted, r.Rejected)
		}
		if r.Rejected[0].Index != 1 || !strings.Contains(r.Rejected[0].Reason, "span_id") ||
			r.Rejected[1].Index != 2 || !strings.Contains(r.Rejected[1].Reason, "start_time") {
			t.Errorf("rejections %+v; want index 1 (span_id) and 2 (start_time)", r.Rejected)
		}
		b.waitTrace(t, b.store, p.ID, spans[0].TraceID, 2)
	})
}

// TestRateLimit sends more requests than the key's burst allows.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, options{configure: func(c *server.Config) { c.RateLimit = 1 }})
	raw := body(t, agentTrace()...)
	statuses := map[int]int{}
	var last response
	for range 5 {
		last = b.post(t, b.key, raw)
		statuses[last.status]++
	}
	if statuses[429] == 0 || statuses[202] == 0 {
		t.Fatalf("statuses %v; want some 202 then 429", statuses)
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" || last.Error.Code != "rate_limited" {
		t.Errorf("last response %d, Retry-After %q, code %q", last.status, last.header.Get("Retry-After"), last.Error.Code)
	}
}

// TestProjectIsolation checks that a key writes only into its own
// project.
func TestProjectIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t, options{postgres: true})
	other, err := b.store.CreateProject(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	otherKey := newSecret(t)
	if _, err := b.store.CreateAPIKey(t.Context(), keyRecord(other.ID, otherKey)); err != nil {
		t.Fatal(err)
	}
	spans := agentTrace()
	if r := b.post(t, otherKey, body(t, spans...)); r.status != 202 {
		t.Fatalf("status %d", r.status)
	}
	b.waitTrace(t, b.store, other.ID, spans[0].TraceID, int64(len(spans)))
	def := b.defaultProject(t)
	if _, err := b.store.GetTrace(t.Context(), def.ID, spans[0].TraceID); err == nil {
		t.Error("project B's key wrote into project A")
	}
}

func TestOperationsEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.post(t, b.key, body(t, agentTrace()...))
	b.post(t, "", nil)
	for path, want := range map[string]string{
		"/healthz":             `"ok"`,
		"/readyz":              `"store":"ok"`,
		"/api/v1/openapi.json": `"/v1/ingest"`,
		"/metrics":             `tracium_ingest_requests_total{endpoint="/v1/ingest",status="202"} 1`,
	} {
		resp, err := http.Get(b.url + path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(raw), want) {
			t.Errorf("GET %s: %d %s; want 200 containing %s", path, resp.StatusCode, raw, want)
		}
	}
	resp, err := http.Get(b.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"tracium_ingest_spans_accepted_total", `status="401"`, "tracium_writer_pending_batches",
		"tracium_writer_write_seconds_bucket", "tracium_dead_letter_batches", "tracium_writer_spans_written_total"} {
		if !strings.Contains(string(raw), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestZeroConfigAdmin: with no admin configured, start-up creates one
// whose password is kept in the data directory, once.
func TestZeroConfigAdmin(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	raw, err := os.ReadFile(filepath.Join(b.cfg.DataDir, "admin-password.txt"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.store.GetUserByEmail(t.Context(), "admin@localhost")
	if err != nil || !u.InstanceAdmin {
		t.Fatalf("generated admin: %+v, %v", u, err)
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(strings.TrimSpace(string(raw)))) != nil {
		t.Error("the kept password does not sign in")
	}
	b.stop()
	start(t, b.cfg) // a restart makes no second user
	if users, _ := b.store.ListUsers(t.Context()); len(users) != 1 {
		t.Errorf("%d users after a restart, want 1", len(users))
	}
}

// TestStartTimeWindow: spans that start far from the collector's clock
// are refused with a reason (each day of start time is a partition on
// PostgreSQL), and the rest of the batch is accepted and stored.
func TestStartTimeWindow(t *testing.T) {
	t.Parallel()
	b := setup(t, options{configure: func(c *server.Config) {
		c.SpanWindow = store.Window{Back: 30 * 24 * time.Hour, Ahead: time.Hour}
	}})
	spans := agentTrace()
	at := func(s store.Span, start time.Time) store.Span {
		s.StartTime, s.EndTime = start, start.Add(time.Second)
		return s
	}
	batch := []store.Span{
		spans[0],
		at(spans[1], time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)),
		at(spans[2], time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC)),
		at(spans[3], time.Now().Add(2*time.Hour)),
		at(spans[3], time.Now().Add(-31*24*time.Hour)),
	}
	r := b.post(t, b.key, body(t, batch...))
	if r.status != http.StatusMultiStatus || r.Accepted != 1 || len(r.Rejected) != 4 {
		t.Fatalf("status %d accepted %d rejected %+v; want 207, 1 and 4", r.status, r.Accepted, r.Rejected)
	}
	for i, rej := range r.Rejected {
		if rej.Index != i+1 || !strings.Contains(rej.Reason, "start_time") || !strings.Contains(rej.Reason, "window") {
			t.Errorf("rejection %+v; want index %d naming start_time and the window", rej, i+1)
		}
	}
	b.waitTrace(t, b.store, b.defaultProject(t).ID, spans[0].TraceID, 1)
}

// TestHeaders: every response says nosniff and same-origin; API answers,
// which hold trace data, are never cached.
func TestHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	for _, tc := range []struct {
		method, path string
		noStore      bool
	}{
		{"GET", "/healthz", false},
		{"GET", "/login", false},
		{"GET", "/api/v1/traces", true},
		{"GET", "/api/v1/openapi.json", true},
		{"POST", "/v1/ingest", true},
		{"GET", "/no-such-page", false},
	} {
		req, _ := http.NewRequest(tc.method, b.url+tc.path, strings.NewReader(`{"spans":[]}`))
		req.Header.Set("Authorization", "Bearer "+b.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s %s: X-Content-Type-Options %q, Referrer-Policy %q", tc.method, tc.path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
		if tc.noStore && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s (%d): Cache-Control %q, want no-store", tc.method, tc.path, resp.StatusCode, h.Get("Cache-Control"))
		}
	}
}

// TestUnauthenticatedBodyNotRead: a request without a valid key is
// answered before its body is read, and its connection is closed rather
// than kept to read the rest.
func TestUnauthenticatedBodyNotRead(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	for _, key := range []string{"", newSecret(t)} {
		pr, pw := io.Pipe() // a body that never ends
		req, _ := http.NewRequest("POST", b.url+"/v1/ingest", pr)
		req.ContentLength = 5 << 20
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		go pw.Write([]byte(`{"spans":[`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("key %q: %v", key, err)
		}
		resp.Body.Close()
		pw.Close()
		if resp.StatusCode != 401 || !resp.Close {
			t.Errorf("key %q: status %d, connection closed %v; want 401 and closed", key, resp.StatusCode, resp.Close)
		}
	}
}

// TestDataDirModes: the data directory and everything the server writes
// into it (the generated key, admin password and session secret, the
// JetStream store, the SQLite files) are for its user alone.
func TestDataDirModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	b := setup(t, options{configure: func(c *server.Config) { c.DataDir, c.BootstrapAPIKey = dir, "" }})
	spans := agentTrace()
	key, err := os.ReadFile(filepath.Join(dir, "api-key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if r := b.post(t, strings.TrimSpace(string(key)), body(t, spans...)); r.status != 202 {
		t.Fatalf("status %d", r.status)
	}
	b.waitTrace(t, b.store, b.defaultProject(t).ID, spans[0].TraceID, int64(len(spans)))
	seen := map[string]bool{}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, info.Mode().Perm(), want)
		}
		seen[d.Name()] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"api-key.txt", "admin-password.txt", "session-secret", "jetstream", "tracium.db"} {
		if !seen[name] {
			t.Errorf("no %s in the data directory", name)
		}
	}
}

// TestShortSecret: a session key too short to sign with is refused at
// start, saying how long it must be.
func TestShortSecret(t *testing.T) {
	t.Parallel()
	_, err := server.New(t.Context(), server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Secret: "x"})
	if err == nil || !strings.Contains(err.Error(), "TRACIUM_SECRET") || !strings.Contains(err.Error(), "32") {
		t.Errorf("TRACIUM_SECRET=x: %v; want an error naming it and its minimum length", err)
	}
}

// TestUnstorableSpansRefused sends, beside good spans, the spans that
// PostgreSQL once acknowledged and then could not store: a lone surrogate
// escape in metadata (jsonb refuses it), a number past numeric's range in
// attributes, a cost that sums to +Inf, token counts that sum past int64.
// Each is refused at ingest with a reason naming its field; the good ones
// are accepted and stored.
func TestUnstorableSpansRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, options{postgres: true})
	spans := agentTrace()
	good0, good1 := string(mustJSON(t, spans[0])), string(mustJSON(t, spans[1]))
	with := func(s store.Span, field string) string {
		s.Attributes, s.Metadata, s.CostUSD, s.Usage = nil, nil, nil, nil
		raw := string(mustJSON(t, s))
		return raw[:len(raw)-1] + "," + field + "}"
	}
	bad := []struct{ raw, field string }{
		{with(spans[2], `"metadata":{"k":"\ud800"}`), "metadata"},
		{with(spans[3], `"attributes":{"a":1e1000000}`), "attributes"},
		{with(spans[2], `"cost_usd":1.7e308`), "cost_usd"},
		{with(spans[3], `"usage":{"input_tokens":9223372036854775807,"output_tokens":1}`), "usage"},
		{with(spans[2], `"attributes":{"a":"\u0000"}`), "attributes"},
	}
	raw := `{"spans":[` + good0
	for _, s := range bad {
		raw += "," + s.raw
	}
	raw += "," + good1 + "]}"
	r := b.post(t, b.key, []byte(raw))
	if r.status != http.StatusMultiStatus || r.Accepted != 2 || len(r.Rejected) != len(bad) {
		t.Fatalf("status %d accepted %d rejected %+v; want 207, 2 and %d", r.status, r.Accepted, r.Rejected, len(bad))
	}
	for i, rej := range r.Rejected {
		if rej.Index != i+1 || !strings.Contains(rej.Reason, bad[i].field) {
			t.Errorf("rejection %+v; want index %d naming %s", rej, i+1, bad[i].field)
		}
	}
	p := b.defaultProject(t)
	d := b.waitTrace(t, b.store, p.ID, spans[0].TraceID, 2)
	for _, s := range d.Spans {
		if s.SpanID != spans[0].SpanID && s.SpanID != spans[1].SpanID {
			t.Errorf("span %s was stored; only the good ones should be", s.SpanID)
		}
	}
	if n := scrape(t, b.url, "tracium_writer_dead_letters_total"); n != 0 {
		t.Errorf("%v batches dead-lettered; every accepted span should be writable", n)
	}
}
