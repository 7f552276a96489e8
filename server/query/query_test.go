package query_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type testBundle struct {
	url        string
	keyA, keyB string
	traces     [][]store.Span // project A's, oldest first
	traceB     string
	base       time.Time
}

// setup serves the query API over a real store holding five traces of
// project A and one of project B.
func setup(t *testing.T, backend string) *testBundle {
	t.Helper()
	ctx := t.Context()
	var st store.Store
	var err error
	if backend == "postgres" {
		st, err = postgres.Open(ctx, postgres.Config{URL: pgtest.NewDatabase(t)})
	} else {
		st, err = sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "q.db")})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &testBundle{base: time.Now().UTC().Truncate(time.Hour).Add(-5 * time.Hour)}
	var keys [2]string
	var projects [2]store.Project
	for i, name := range []string{"a", "b"} {
		projects[i], err = st.CreateProject(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		secret, rec, _ := auth.NewKey(projects[i].ID, "k")
		if _, err := st.CreateAPIKey(ctx, rec); err != nil {
			t.Fatal(err)
		}
		keys[i] = secret
	}
	b.keyA, b.keyB = keys[0], keys[1]
	f := storetest.Fixture{SpansPerTrace: 4, PayloadBytes: 200, Start: b.base, Spacing: 10 * time.Minute}
	for i := range 5 {
		spans := f.Trace(i)
		if err := st.WriteSpans(ctx, projects[0].ID, spans); err != nil {
			t.Fatal(err)
		}
		b.traces = append(b.traces, spans)
	}
	other := f.Trace(7)
	if err := st.WriteSpans(ctx, projects[1].ID, other); err != nil {
		t.Fatal(err)
	}
	b.traceB = other[0].TraceID
	r := chi.NewRouter()
	query.New(st, query.FromAPIKey(auth.NewAuthenticator(st)), nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

func (b *testBundle) get(t *testing.T, key, path string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", b.url+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: Content-Type %q", path, resp.Header.Get("Content-Type"))
	}
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode, string(raw)
}

func TestQueryAPI(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			t.Run("Traces", func(t *testing.T) { testTraces(t, b) })
			t.Run("Trace", func(t *testing.T) { testTrace(t, b) })
			t.Run("Spans", func(t *testing.T) { testSpans(t, b) })
			t.Run("Usage", func(t *testing.T) { testUsage(t, b) })
			t.Run("BadParameters", func(t *testing.T) { testBadParameters(t, b) })
			t.Run("Unauthorized", func(t *testing.T) { testUnauthorized(t, b) })
		})
	}
}

// Fixture trace i has agent "agent-i%10", model "model-i%5", user
// "user-i", tag "shard:i%4", an error when i%20 == 0, and lasts
// (3 + i%7) * 100 ms + ...; see storetest.Fixture.
func testTraces(t *testing.T, b *testBundle) {
	var list store.TraceList
	if code, body := b.get(t, b.keyA, "/api/v1/traces", &list); code != 200 || len(list.Traces) != 5 {
		t.Fatalf("list: %d, %d traces: %s", code, len(list.Traces), body)
	}
	if list.Traces[0].TraceID != b.traces[4][0].TraceID {
		t.Errorf("not newest first")
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"agent_name=agent-3", 1},
		{"model=model-1", 1},
		{"tag=shard:2", 1},
		{"status=error", 1},
		{"status=ok", 4},
		{"user_id=user-4", 1},
		{"session_id=session-1", 2}, // traces 3 and 4
		{"min_duration_ms=700", 2},  // traces 4 (8*100ms) and 3 (7*100ms)
		{"q=question+2%3A", 1},
		{"since=" + url.QueryEscape(b.base.Add(15*time.Minute).Format(time.RFC3339)), 3},
		{"until=" + url.QueryEscape(b.base.Add(15*time.Minute).Format(time.RFC3339)), 2},
		{"since=" + url.QueryEscape(b.base.Add(15*time.Minute).Format(time.RFC3339)) + "&agent_name=agent-4", 1},
		{"agent_name=agent-7", 0}, // project B's agent
	} {
		var l store.TraceList
		if code, body := b.get(t, b.keyA, "/api/v1/traces?"+tc.query, &l); code != 200 || len(l.Traces) != tc.want {
			t.Errorf("?%s: %d, %d traces, want %d: %s", tc.query, code, len(l.Traces), tc.want, body)
		}
	}
	seen := map[string]bool{}
	cursor := ""
	for range 10 {
		var l store.TraceList
		if code, body := b.get(t, b.keyA, "/api/v1/traces?limit=2&cursor="+cursor, &l); code != 200 {
			t.Fatalf("page: %d %s", code, body)
		}
		for _, tr := range l.Traces {
			seen[tr.TraceID] = true
		}
		if cursor = l.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Errorf("pages of 2 gave %d distinct traces, want 5", len(seen))
	}
}

func testTrace(t *testing.T, b *testBundle) {
	want := b.traces[2]
	var d store.TraceDetail
	code, body := b.get(t, b.keyA, "/api/v1/traces/"+want[0].TraceID, &d)
	if code != 200 || len(d.Spans) != len(want) || d.Trace.SpanCount != int64(len(want)) {
		t.Fatalf("trace: %d, %d spans: %s", code, len(d.Spans), body)
	}
	if !strings.Contains(body, `"parent_span_id":"`+want[0].SpanID) || !strings.Contains(body, `"usage":{"input_tokens":500`) {
		t.Errorf("trace body lacks parent ids or usage: %.300s", body)
	}
	for _, id := range []string{b.traceB, storetest.NewTraceID(), "not-an-id"} {
		if code, body := b.get(t, b.keyA, "/api/v1/traces/"+id, nil); code != 404 || !strings.Contains(body, `"not_found"`) {
			t.Errorf("trace %s with project A's key: %d %s; want 404", id, code, body)
		}
	}
	if code, _ := b.get(t, b.keyB, "/api/v1/traces/"+b.traceB, nil); code != 200 {
		t.Errorf("project B reading its own trace: %d", code)
	}
}

func testSpans(t *testing.T, b *testBundle) {
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"", 20},
		{"type=llm", 10},
		{"type=tool", 5},
		{"model=model-3", 2},
		{"status=error", 1},
		{"q=question+4%3A", 1},
		{"type=llm&since=" + url.QueryEscape(b.base.Add(35*time.Minute).Format(time.RFC3339)), 2},
	} {
		var l store.SpanList
		if code, body := b.get(t, b.keyA, "/api/v1/spans?limit=500&"+tc.query, &l); code != 200 || len(l.Spans) != tc.want {
			t.Errorf("spans ?%s: %d, %d spans, want %d: %.200s", tc.query, code, len(l.Spans), tc.want, body)
		}
	}
}

func testUsage(t *testing.T, b *testBundle) {
	since := url.QueryEscape(b.base.Add(-time.Hour).Format(time.RFC3339))
	for g, want := range map[string]int{"model": 5, "agent_name": 5, "hour": 1, "day": 1} {
		var body struct {
			GroupBy string           `json:"group_by"`
			Rows    []store.UsageRow `json:"rows"`
		}
		code, raw := b.get(t, b.keyA, "/api/v1/metrics/usage?since="+since+"&group_by="+g, &body)
		if code != 200 || len(body.Rows) != want || body.GroupBy != g {
			t.Errorf("group_by=%s: %d, %d rows, want %d: %s", g, code, len(body.Rows), want, raw)
			continue
		}
		var calls int64
		for _, r := range body.Rows {
			calls += r.Count
			if r.LatencyP95MS <= 0 || r.Usage.InputTokens == 0 {
				t.Errorf("group_by=%s row %+v lacks latency or tokens", g, r)
			}
		}
		if calls != 10 {
			t.Errorf("group_by=%s counts %d calls, want project A's 10", g, calls)
		}
	}
}

func testBadParameters(t *testing.T, b *testBundle) {
	for _, tc := range []struct{ path, param string }{
		{"/api/v1/traces?since=yesterday", "since"},
		{"/api/v1/traces?until=2026-13-01", "until"},
		{"/api/v1/traces?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until"},
		{"/api/v1/traces?status=maybe", "status"},
		{"/api/v1/traces?min_duration_ms=-5", "min_duration_ms"},
		{"/api/v1/traces?limit=100000", "limit"},
		{"/api/v1/traces?limit=ten", "limit"},
		{"/api/v1/traces?cursor=zzz", "cursor"},
		{"/api/v1/spans?type=robot", "type"},
		{"/api/v1/spans?status=bad", "status"},
		{"/api/v1/metrics/usage?group_by=week", "group_by"},
		{"/api/v1/traces?q=" + strings.Repeat("a", 50_001), "q"},
		{"/api/v1/traces?q=a%00b", "q"},
		{"/api/v1/traces?q=%FF%FE", "q"},
		{"/api/v1/traces?agent_name=a%00b", "agent_name"},
		{"/api/v1/traces?agent_name=%C3%28", "agent_name"},
		{"/api/v1/spans?q=%00", "q"},
		{"/api/v1/spans?q=" + strings.Repeat("a", 50_001), "q"},
		{"/api/v1/spans?cursor=eyJ0IjoxfQ", "cursor"},
	} {
		code, body := b.get(t, b.keyA, tc.path, nil)
		if code != 400 || !strings.Contains(body, `"invalid_parameter"`) || !strings.Contains(body, tc.param) {
			t.Errorf("GET %.80s: %d %s; want 400 naming %s", tc.path, code, body, tc.param)
		}
	}
}

func testUnauthorized(t *testing.T, b *testBundle) {
	for _, key := range []string{"", "sk_live_" + strings.Repeat("x", 43), "garbage"} {
		if code, body := b.get(t, key, "/api/v1/traces", nil); code != 401 || !strings.Contains(body, `"unauthorized"`) {
			t.Errorf("key %q: %d %s", key, code, body)
		}
	}
	if code, _ := b.get(t, "", "/api/v1/openapi.json", nil); code != 200 {
		t.Errorf("openapi.json needs no key, got %d", code)
	}
}
