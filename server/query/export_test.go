package query_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/export"
	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// download GETs path and returns the response and its whole body.
func (b *testBundle) download(t *testing.T, key, path string) (*http.Response, string) {
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
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: the body breaks off: %v", path, err)
	}
	return resp, string(raw)
}

func TestExportAPI(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			t.Run("JSONL", func(t *testing.T) { testExportJSONL(t, b) })
			t.Run("CSV", func(t *testing.T) { testExportCSV(t, b) })
			t.Run("Trace", func(t *testing.T) { testExportOneTrace(t, b) })
			t.Run("Scoped", func(t *testing.T) { testExportScope(t, b) })
			t.Run("BadParameters", func(t *testing.T) { testExportBadParameters(t, b) })
		})
	}
}

func jsonLines(t *testing.T, body string) []store.Span {
	t.Helper()
	var out []store.Span
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s store.Span
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %.100q: %v", sc.Text(), err)
		}
		out = append(out, s)
	}
	return out
}

func testExportJSONL(t *testing.T, b *testBundle) {
	resp, body := b.download(t, b.keyA, "/api/v1/export/traces?format=jsonl")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-ndjson") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename=tracium-traces.jsonl` {
		t.Errorf("Content-Disposition %q", cd)
	}
	spans := jsonLines(t, body)
	if len(spans) != 20 {
		t.Fatalf("%d spans exported, want project A's 20", len(spans))
	}
	// Newest trace first, each trace's spans in start order, whole.
	for i, s := range spans {
		want := b.traces[4-i/4][i%4]
		if s.TraceID != want.TraceID || s.SpanID != want.SpanID {
			t.Fatalf("span %d is %s/%s, want %s/%s", i, s.TraceID, s.SpanID, want.TraceID, want.SpanID)
		}
		if len(s.Input) == 0 || len(s.Output) == 0 {
			t.Errorf("span %d lacks its payloads", i)
		}
	}
	// The list's filters apply.
	_, body = b.download(t, b.keyA, "/api/v1/export/traces?session_id=session-0")
	if got := jsonLines(t, body); len(got) != 12 {
		t.Errorf("session-0 exports %d spans, want 12", len(got))
	}
	_, body = b.download(t, b.keyA, "/api/v1/export/traces?status=error")
	if got := jsonLines(t, body); len(got) != 4 || got[0].TraceID != b.traces[0][0].TraceID {
		t.Errorf("status=error exports %d spans", len(got))
	}
	resp, body = b.download(t, b.keyA, "/api/v1/export/traces?agent_name=nobody")
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("an empty export: %d %q", resp.StatusCode, body)
	}
}

func testExportCSV(t *testing.T, b *testBundle) {
	resp, body := b.download(t, b.keyA, "/api/v1/export/traces?format=csv&session_id=session-1")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename=tracium-session-session-1.csv` {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if len(rows) != 1+8 || strings.Join(rows[0], ",") != strings.Join(export.CSVColumns, ",") {
		t.Fatalf("%d rows, header %q", len(rows), rows[0])
	}
	if rows[1][0] != b.traces[4][0].TraceID || rows[1][3] != b.traces[4][0].Name {
		t.Errorf("first row %q, want trace 4's root", rows[1][:4])
	}
	if !strings.Contains(rows[1][26], "question 4") {
		t.Errorf("the root's input cell is %.80q", rows[1][26])
	}
	resp, body = b.download(t, b.keyA, "/api/v1/export/traces?format=csv&agent_name=nobody")
	if rows, _ := csv.NewReader(strings.NewReader(body)).ReadAll(); resp.StatusCode != 200 || len(rows) != 1 {
		t.Errorf("an empty CSV export: %d %q", resp.StatusCode, body)
	}
}

func testExportOneTrace(t *testing.T, b *testBundle) {
	tr := b.traces[2]
	resp, body := b.download(t, b.keyA, "/api/v1/export/traces/"+strings.ToUpper(tr[0].TraceID)+"?format=jsonl")
	if resp.StatusCode != 200 {
		t.Fatalf("trace export: %d %s", resp.StatusCode, body)
	}
	spans := jsonLines(t, body)
	if len(spans) != len(tr) || spans[0].SpanID != tr[0].SpanID || spans[3].SpanID != tr[3].SpanID {
		t.Errorf("the trace exports %d spans", len(spans))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "tracium-trace-") {
		t.Errorf("Content-Disposition %q", cd)
	}
	resp, body = b.download(t, b.keyA, "/api/v1/export/traces/"+storetest.NewTraceID()+"?format=csv")
	if resp.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
		t.Errorf("an unknown trace's export: %d %s", resp.StatusCode, body)
	}
}

func testExportScope(t *testing.T, b *testBundle) {
	resp, body := b.download(t, b.keyA, "/api/v1/export/traces/"+b.traceB)
	if resp.StatusCode != 404 {
		t.Errorf("A exports B's trace: %d %.200s", resp.StatusCode, body)
	}
	_, body = b.download(t, b.keyA, "/api/v1/export/traces?session_id=session-2")
	if body != "" {
		t.Errorf("A exports B's session: %.200s", body)
	}
	_, body = b.download(t, b.keyB, "/api/v1/export/traces")
	if spans := jsonLines(t, body); len(spans) != 4 || spans[0].TraceID != b.traceB {
		t.Errorf("B exports %d spans, want its own 4", len(spans))
	}
	for _, path := range []string{"/api/v1/export/traces", "/api/v1/export/traces/" + b.traceB} {
		if resp, body := b.download(t, "", path); resp.StatusCode != 401 || !strings.Contains(body, `"unauthorized"`) {
			t.Errorf("%s without a key: %d %s", path, resp.StatusCode, body)
		}
	}
}

func testExportBadParameters(t *testing.T, b *testBundle) {
	for _, tc := range []struct{ path, param string }{
		{"/api/v1/export/traces?format=xlsx", "format"},
		{"/api/v1/export/traces?status=maybe", "status"},
		{"/api/v1/export/traces?since=soon", "since"},
		{"/api/v1/export/traces?q=a%00b", "q"},
		{"/api/v1/export/traces?agent_name=%C3%28", "agent_name"},
		{"/api/v1/export/traces/" + b.traceB + "?format=pdf", "format"},
	} {
		resp, body := b.download(t, b.keyA, tc.path)
		if resp.StatusCode != 400 || !strings.Contains(body, `"invalid_parameter"`) || !strings.Contains(body, tc.param) {
			t.Errorf("GET %s: %d %s; want 400 naming %s", tc.path, resp.StatusCode, body, tc.param)
		}
	}
}

// countingStore counts the spans an export has read from the store.
type countingStore struct {
	store.Store
	read atomic.Int64
}

func (c *countingStore) ReadSpanBatch(ctx context.Context, projectID int64, b store.SpanBatch) ([]store.Span, bool, error) {
	spans, more, err := c.Store.ReadSpanBatch(ctx, projectID, b)
	c.read.Add(int64(len(spans)))
	return spans, more, err
}

// TestExportStreams exports about 45 MB of spans to a client that reads
// one line and then stops: the server has read only part of them from
// the store when it gives up on the client (its stall bound set short),
// drops the connection, and has held no transaction open meanwhile.
func TestExportStreams(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			var st store.Store
			var err error
			var dbURL string
			if backend == "postgres" {
				dbURL = pgtest.NewDatabase(t)
				st, err = postgres.Open(ctx, postgres.Config{URL: dbURL})
			} else {
				st, err = sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "x.db")})
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			p, err := st.CreateProject(ctx, "p")
			if err != nil {
				t.Fatal(err)
			}
			secret, rec, _ := auth.NewKey(p.ID, "k")
			if _, err := st.CreateAPIKey(ctx, rec); err != nil {
				t.Fatal(err)
			}
			f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 4000, Start: time.Now().UTC().Add(-time.Hour), Spacing: time.Millisecond}
			const traces = 1100
			for i := 0; i < traces; i += 100 {
				var batch []store.Span
				for j := i; j < i+100; j++ {
					batch = append(batch, f.Trace(j)...)
				}
				if err := st.WriteSpans(ctx, p.ID, batch); err != nil {
					t.Fatal(err)
				}
			}
			cs := &countingStore{Store: st}
			r := chi.NewRouter()
			ended := make(chan struct{}, 1)
			r.Use(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					defer func() { ended <- struct{}{} }()
					next.ServeHTTP(w, r)
				})
			})
			h := query.New(cs, query.FromAPIKey(auth.NewAuthenticator(st)), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
			h.WithExportStall(300 * time.Millisecond).Routes(r)
			srv := httptest.NewServer(r)
			t.Cleanup(srv.Close)

			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/export/traces", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			br := bufio.NewReaderSize(resp.Body, 1<<20)
			line, err := br.ReadBytes('\n')
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("first line: %d %v", resp.StatusCode, err)
			}
			var first store.Span
			if err := json.Unmarshal(line, &first); err != nil || first.TraceID == "" {
				t.Fatalf("first line %.100q: %v", line, err)
			}
			if backend == "postgres" {
				// No connection of the database sits in a transaction
				// while the export waits on its client.
				conn, err := pgx.Connect(ctx, dbURL)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				var idle int
				if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&idle); err != nil || idle != 0 {
					t.Errorf("%d connections idle in a transaction (%v)", idle, err)
				}
			}
			// The client stops reading; past the stall bound the server
			// gives up and drops it, and the rest of the body never comes.
			select {
			case <-ended:
			case <-time.After(2 * time.Minute):
				t.Fatal("the export still runs for a client that stopped reading")
			}
			_, err = io.Copy(io.Discard, br)
			if err == nil {
				t.Fatal("the whole export arrived though the client stalled")
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "connection reset") && !strings.Contains(err.Error(), "unexpected EOF") {
				t.Logf("the download broke off with %v", err)
			}
			total := int64(traces * f.SpansPerTrace)
			if read := cs.read.Load(); read >= total {
				t.Errorf("the store read all %d spans before the client took them", read)
			} else {
				t.Logf("read %d of %d spans before the stalled client was dropped", read, total)
			}
		})
	}
}
