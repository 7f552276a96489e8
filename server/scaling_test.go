package server_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/storetest"
)

// TestQueueFull fills a small span stream while PostgreSQL is cut off:
// ingest answers 503 queue_full with Retry-After instead of dropping or
// blocking, /metrics shows the stream and the refusals, and once the
// database is back every batch acknowledged before is stored.
func TestQueueFull(t *testing.T) {
	t.Parallel()
	const maxBytes = 48 << 10
	direct := pgtest.NewDatabase(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr()
	b := setup(t, options{databaseURL: u.String(), configure: func(c *server.Config) { c.Queue.MaxBytes = maxBytes }})
	st := openStore(t, server.Config{DatabaseURL: direct})
	p, err := st.GetProjectByName(t.Context(), server.DefaultProject)
	if err != nil {
		t.Fatal(err)
	}

	// A first batch, so that the API key is known while the database is
	// away.
	first := agentTrace()
	if r := b.post(t, b.key, body(t, first...)); r.status != http.StatusAccepted {
		t.Fatalf("status %d", r.status)
	}
	b.waitTrace(t, st, p.ID, first[0].TraceID, int64(len(first)))

	px.setDown(true)
	var acked [][]store.Span
	var full response
	for range 200 {
		spans := agentTrace()
		r := b.post(t, b.key, body(t, spans...))
		if r.status == http.StatusAccepted {
			acked = append(acked, spans)
			continue
		}
		full = r
		break
	}
	if full.status != http.StatusServiceUnavailable || full.Error.Code != "queue_full" || full.header.Get("Retry-After") != "5" {
		t.Fatalf("after %d batches: status %d, code %q, Retry-After %q; want 503 queue_full, 5",
			len(acked), full.status, full.Error.Code, full.header.Get("Retry-After"))
	}
	if len(acked) < 3 {
		t.Fatalf("only %d batches fit in %d bytes", len(acked), maxBytes)
	}
	if v := scrape(t, b.url, "tracium_queue_full_refusals_total"); v != 1 {
		t.Errorf("tracium_queue_full_refusals_total = %v, want 1", v)
	}
	if v := scrape(t, b.url, "tracium_queue_stream_bytes"); v <= 0 || v > maxBytes {
		t.Errorf("tracium_queue_stream_bytes = %v, want within (0, %d]", v, maxBytes)
	}
	if v := scrape(t, b.url, "tracium_queue_stream_max_bytes"); v != maxBytes {
		t.Errorf("tracium_queue_stream_max_bytes = %v, want %d", v, maxBytes)
	}
	if v := scrape(t, b.url, "tracium_writer_pending_batches"); v != float64(len(acked)) {
		t.Errorf("tracium_writer_pending_batches = %v, want the %d acknowledged", v, len(acked))
	}
	if v := scrape(t, b.url, `tracium_ingest_requests_total{endpoint="/v1/ingest",status="503"}`); v != 1 {
		t.Errorf("ingest 503s counted: %v, want 1", v)
	}

	px.setDown(false)
	for _, spans := range acked {
		d := b.waitTrace(t, st, p.ID, spans[0].TraceID, int64(len(spans)))
		if len(d.Spans) != len(spans) {
			t.Errorf("trace %s: %d spans stored, want %d", d.TraceID, len(d.Spans), len(spans))
		}
	}
	spans := agentTrace()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := b.post(t, b.key, body(t, spans...))
		if r.status == http.StatusAccepted {
			break
		}
		if r.Error.Code != "queue_full" || time.Now().After(deadline) {
			t.Fatalf("after the backlog drained: status %d %q", r.status, r.Error.Code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.waitTrace(t, st, p.ID, spans[0].TraceID, int64(len(spans)))
}

// TestReadReplica runs a collector whose reads go to a second database
// standing in for a streaming replica: a trace only the replica holds is
// what the REST API and the UI show, while what ingest accepts, the API
// keys and users it checks, and what settings change are on the primary.
func TestReadReplica(t *testing.T) {
	t.Parallel()
	replicaURL := pgtest.NewDatabase(t)
	replica, err := postgres.Open(t.Context(), postgres.Config{URL: replicaURL}) // the primary's schema
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replica.Close() })
	b := setup(t, options{postgres: true, configure: func(c *server.Config) {
		c.ReadDatabaseURL = replicaURL
		c.AdminEmail, c.AdminPassword = "ops@example.com", "replica-test-password"
	}})
	p := b.defaultProject(t)

	onReplica := agentTrace()
	onReplica[0].Name = "only on the replica"
	if err := replica.WriteSpans(t.Context(), p.ID, onReplica); err != nil {
		t.Fatal(err)
	}
	// A score only the replica holds: the dashboard's score charts read
	// there too. Its project row is the primary's, as replication would
	// have copied it.
	if rp, err := replica.CreateProject(t.Context(), p.Name); err != nil || rp.ID != p.ID {
		t.Fatalf("the replica's project: %+v, %v; want id %d", rp, err, p.ID)
	}
	if err := replica.WriteScores(t.Context(), p.ID, []store.Score{{ID: strings.Repeat("cd", 16), TraceID: onReplica[0].TraceID,
		Name: "replica-quality", Value: store.NumberValue(1), Source: store.SourceAPI, Time: onReplica[0].StartTime}}); err != nil {
		t.Fatal(err)
	}
	ingested := agentTrace()
	if r := b.post(t, b.key, body(t, ingested...)); r.status != http.StatusAccepted {
		t.Fatalf("ingest: %d", r.status)
	}
	b.waitTrace(t, b.store, p.ID, ingested[0].TraceID, int64(len(ingested)))
	if _, err := replica.GetTrace(t.Context(), p.ID, ingested[0].TraceID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the ingested trace reached the replica: %v", err)
	}

	get := func(c *http.Client, path string, auth bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", b.url+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+b.key)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	// The API key is only on the primary; the traces are read from the
	// replica.
	if code, body := get(http.DefaultClient, "/api/v1/traces/"+onReplica[0].TraceID, true); code != 200 || !strings.Contains(body, "only on the replica") {
		t.Errorf("API, the replica's trace: %d %s", code, body)
	}
	if code, _ := get(http.DefaultClient, "/api/v1/traces/"+ingested[0].TraceID, true); code != http.StatusNotFound {
		t.Errorf("API, a trace only on the primary: %d, want 404 (reads go to the replica)", code)
	}
	if code, body := get(http.DefaultClient, "/api/v1/traces", true); code != 200 || !strings.Contains(body, onReplica[0].TraceID) || strings.Contains(body, ingested[0].TraceID) {
		t.Errorf("API list: %d %s; want the replica's trace alone", code, body)
	}
	// Every read path works on a database that refuses writes (the
	// replica is opened read-only, as a hot standby would be).
	for path, want := range map[string]string{
		"/api/v1/traces?q=only+on+the+replica": onReplica[0].TraceID,
		"/api/v1/spans?type=llm":               onReplica[0].TraceID,
		"/api/v1/metrics/usage?group_by=model": "gpt-4o-mini",
	} {
		if code, body := get(http.DefaultClient, path, true); code != 200 || !strings.Contains(body, want) {
			t.Errorf("API %s: %d %s; want %s from the replica", path, code, body, want)
		}
	}

	// Sign-in checks the user on the primary; the pages read the replica;
	// settings write to the primary.
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar}
	_, page := get(web, "/login", false)
	resp, err := web.PostForm(b.url+"/login", url.Values{"email": {"ops@example.com"}, "password": {"replica-test-password"}, "csrf": {csrfOf(t, page)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, page := get(web, "/traces", false); code != 200 || !strings.Contains(page, "only on the replica") || strings.Contains(page, ingested[0].TraceID) {
		t.Errorf("traces page: %d; want the replica's trace alone", code)
	}
	if code, _ := get(web, "/traces/"+onReplica[0].TraceID, false); code != 200 {
		t.Errorf("the replica's trace page: %d", code)
	}
	if code, page := get(web, "/dashboard", false); code != 200 || !strings.Contains(page, "replica-quality") {
		t.Errorf("the dashboard on the replica: %d; want the replica's score in its charts", code)
	}
	_, page = get(web, "/settings", false)
	resp, err = web.PostForm(b.url+"/settings/retention", url.Values{"days": {"9"}, "csrf": {csrfOf(t, page)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, err := b.store.GetProject(t.Context(), p.ID); err != nil || got.RetentionDays != 9 {
		t.Errorf("the retention set in settings: %+v, %v; want 9 days on the primary", got, err)
	}
	if code, body := get(http.DefaultClient, "/readyz", false); code != 200 || !strings.Contains(body, `"read_replica":"ok"`) {
		t.Errorf("/readyz: %d %s", code, body)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token in the page")
	}
	return m[1]
}

// TestRetentionJob runs a collector with a server-wide retention of ten
// days and a project keeping three: its job removes what they take and
// says so on /metrics.
func TestRetentionJob(t *testing.T) {
	t.Parallel()
	b := setup(t, options{configure: func(c *server.Config) {
		c.RetentionDays, c.RetentionInterval = 10, 200*time.Millisecond
	}})
	p := b.defaultProject(t)
	if _, err := b.store.SetProjectRetention(t.Context(), p.ID, 3); err != nil {
		t.Fatal(err)
	}
	write := func(age time.Duration) string {
		t.Helper()
		f := storetest.Fixture{SpansPerTrace: 3, PayloadBytes: 100, Start: time.Now().Add(-age), Spacing: time.Second}
		spans := f.Trace(0)
		if err := b.store.WriteSpans(t.Context(), p.ID, spans); err != nil {
			t.Fatal(err)
		}
		return spans[0].TraceID
	}
	day := 24 * time.Hour
	gone := []string{write(20 * day), write(5 * day)}
	kept := write(day)
	deadline := time.Now().Add(30 * time.Second)
	for _, id := range gone {
		for {
			_, err := b.store.GetTrace(t.Context(), p.ID, id)
			if errors.Is(err, store.ErrNotFound) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("trace %s still there: %v", id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if _, err := b.store.GetTrace(t.Context(), p.ID, kept); err != nil {
		t.Errorf("the recent trace: %v", err)
	}
	if v := scrape(t, b.url, "tracium_retention_runs_total"); v < 1 {
		t.Errorf("tracium_retention_runs_total = %v", v)
	}
	if v := scrape(t, b.url, "tracium_retention_last_run_timestamp_seconds"); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("tracium_retention_last_run_timestamp_seconds = %v", v)
	}
}
