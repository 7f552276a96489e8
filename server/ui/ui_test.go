package ui_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-chi/chi/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/server/ui"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

const password = "correct horse battery"

type testBundle struct {
	url     string
	store   store.Store
	client  *http.Client
	project store.Project
	other   store.Project
	trace   []store.Span // a small agent trace with a failed llm call
	big     string       // a 10,000-span trace
	otherID string       // a trace of the other project
}

func setup(t testing.TB, configure ...func(*ui.Config)) *testBundle {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "ui.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &testBundle{store: st}
	if b.project, err = st.CreateProject(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if b.other, err = st.CreateProject(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if _, err := st.CreateUser(ctx, store.User{Email: "ada@example.com", PasswordHash: hash, InstanceAdmin: true}); err != nil {
		t.Fatal(err)
	}
	f := storetest.Fixture{SpansPerTrace: 4, PayloadBytes: 200, Start: time.Now().Add(-time.Hour), Spacing: time.Minute}
	b.trace = f.Trace(0) // trace 0 has a failed llm call
	b.trace[0].Name = `plan <script>alert(1)</script>`
	// The recorded chat shape, as the SDK writes it (sdk/llmtest renders
	// what the real clients produce).
	b.trace[1].Input = []byte(`{"messages":[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},` +
		`{"role":"user","parts":[{"type":"text","content":"What is the capital of Portugal?"}]}]}`)
	b.trace[1].Output = []byte(`{"messages":[{"role":"assistant","finish_reason":"tool_calls",` +
		`"parts":[{"type":"tool_call","id":"call_1","name":"lookup","arguments":{"q":"Portugal"}}]}]}`)
	ttft := 180.0
	b.trace[1].TimeToFirstTokenMS = &ttft
	for i := 1; i < 3; i++ {
		if err := st.WriteSpans(ctx, b.project.ID, f.Trace(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.WriteSpans(ctx, b.project.ID, b.trace); err != nil {
		t.Fatal(err)
	}
	big := storetest.Fixture{SpansPerTrace: 10_000, PayloadBytes: 100, Start: time.Now().Add(-2 * time.Hour)}.Trace(3)
	if err := st.WriteSpans(ctx, b.project.ID, big); err != nil {
		t.Fatal(err)
	}
	b.big = big[0].TraceID
	o := f.Trace(9)
	if err := st.WriteSpans(ctx, b.other.ID, o); err != nil {
		t.Fatal(err)
	}
	b.otherID = o[0].TraceID

	r := chi.NewRouter()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := ui.Config{Store: st, Secret: []byte("test-secret-test-secret-test-secret"), Keys: auth.NewAuthenticator(st), Logger: logger}
	for _, c := range configure {
		c(&cfg)
	}
	pages := ui.New(cfg)
	pages.Routes(r)
	// The REST API with sessions, as server/routes.go mounts it.
	query.New(st, pages.CallerOfSession, nil, logger).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	b.url = srv.URL
	jar, _ := cookiejar.New(nil)
	b.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

// page fetches path and parses it.
func (b *testBundle) page(t testing.TB, path string) (*goquery.Document, int) {
	t.Helper()
	resp, err := b.client.Get(b.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc, resp.StatusCode
}

func (b *testBundle) post(t testing.TB, path string, form url.Values) *http.Response {
	t.Helper()
	resp, err := b.client.PostForm(b.url+path, form)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// login signs in through the form, CSRF token included.
func (b *testBundle) login(t testing.TB) {
	t.Helper()
	doc, _ := b.page(t, "/login")
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	resp := b.post(t, "/login", url.Values{"email": {"ADA@example.com"}, "password": {password}, "csrf": {token}, "next": {"/traces"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/traces" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range resp.Cookies() {
		if c.Name == "tracium_session" && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Errorf("session cookie not HttpOnly and SameSite=Lax: %+v", c)
		}
	}
}

// csrf reads the token a signed-in page's forms carry.
func (b *testBundle) csrf(t *testing.T) string {
	doc, _ := b.page(t, "/settings")
	token, ok := doc.Find(`form[action="/logout"] input[name=csrf]`).Attr("value")
	if !ok || token == "" {
		t.Fatal("no CSRF token in the page")
	}
	return token
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, _ := b.client.Get(b.url + "/traces?status=error")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("signed out /traces: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	doc, _ := b.page(t, "/login")
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
	}{
		{"wrong password", url.Values{"email": {"ada@example.com"}, "password": {"nope"}, "csrf": {token}}, 401},
		{"unknown user", url.Values{"email": {"bob@example.com"}, "password": {password}, "csrf": {token}}, 401},
		{"no CSRF token", url.Values{"email": {"ada@example.com"}, "password": {password}}, 403},
	} {
		resp := b.post(t, "/login", tc.form)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	b.login(t)
	if _, code := b.page(t, "/traces"); code != 200 {
		t.Errorf("after sign-in /traces: %d", code)
	}
	resp = b.post(t, "/logout", url.Values{"csrf": {b.csrf(t)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	if resp, _ := b.client.Get(b.url + "/traces"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout /traces: %d, want a redirect to sign in", resp.StatusCode)
	}
}

func TestTracesPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	doc, code := b.page(t, "/traces")
	if code != 200 || doc.Find("table.traces tbody tr").Length() != 4 {
		t.Fatalf("traces page: %d, %d rows; want 4", code, doc.Find("table.traces tbody tr").Length())
	}
	if doc.Find("tr.failed").Length() != 1 || doc.Find(".badge.error").Length() != 1 {
		t.Errorf("the failed trace does not stand out")
	}
	if html, _ := doc.Html(); strings.Contains(html, "<script>alert") {
		t.Error("a span name reached the page unescaped")
	}
	doc, _ = b.page(t, "/traces?status=error")
	if n := doc.Find("table.traces tbody tr").Length(); n != 1 {
		t.Errorf("status=error: %d rows, want 1", n)
	}
	if v, _ := doc.Find(`select[name=status] option[selected]`).Attr("value"); v != "error" {
		t.Errorf("the filter form does not keep status=error: %q", v)
	}
	doc, code = b.page(t, "/traces?status=maybe")
	if code != 400 || !strings.Contains(doc.Find(".error").Text(), "status") {
		t.Errorf("bad filter: %d %q", code, doc.Find(".error").Text())
	}
	doc, _ = b.page(t, "/traces?limit=2")
	next, ok := doc.Find(".pager a").Attr("href")
	if !ok {
		t.Fatal("no next page link with limit=2")
	}
	doc, _ = b.page(t, next)
	if n := doc.Find("table.traces tbody tr").Length(); n != 2 {
		t.Errorf("second page: %d rows, want 2", n)
	}
	doc, _ = b.page(t, "/traces?refresh=10")
	if c, _ := doc.Find(`meta[http-equiv=refresh]`).Attr("content"); c != "10" {
		t.Errorf("auto-refresh on: meta refresh %q", c)
	}
}

func TestTracePage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	tr := b.trace
	doc, code := b.page(t, "/traces/"+tr[0].TraceID+"?span="+tr[1].SpanID)
	if code != 200 {
		t.Fatalf("trace page: %d", code)
	}
	if n := doc.Find(".tree-row[id]").Length(); n != len(tr) {
		t.Errorf("%d tree rows, want %d", n, len(tr))
	}
	if doc.Find(".tree-row.failed").Length() != 1 || doc.Find(".lane .bar").Length() != len(tr) {
		t.Errorf("failed rows %d, bars %d", doc.Find(".tree-row.failed").Length(), doc.Find(".lane .bar").Length())
	}
	detail := doc.Find("aside.detail")
	text := detail.Text()
	for _, want := range []string{"model-0", "500 in", "100 out", "128 cached", "180 ms", "RateLimitError", "What is the capital of Portugal?", "lookup({\"q\":\"Portugal\"})", "tool_calls"} {
		if !strings.Contains(text, want) {
			t.Errorf("span detail lacks %q", want)
		}
	}
	if detail.Find(".msg.user").Length() != 1 || detail.Find(".msg.system").Length() != 1 || detail.Find("details.raw").Length() < 2 {
		t.Errorf("messages not rendered as chat with a raw toggle")
	}
	if _, code := b.page(t, "/traces/"+b.otherID); code != 404 {
		t.Errorf("another project's trace: %d, want 404", code)
	}
}

func TestBigTrace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	doc, code := b.page(t, "/traces/"+b.big)
	rows := doc.Find(".tree-row[id]").Length()
	if code != 200 || rows < 2 || rows > 200 || !strings.Contains(doc.Find(".hidden-note").Text(), "collapsed") {
		t.Fatalf("10,000-span trace: %d, %d rows, note %q", code, rows, doc.Find(".hidden-note").Text())
	}
	toggle, ok := doc.Find(".tree-row a.toggle").First().Attr("href")
	if !ok {
		t.Fatal("no toggle link")
	}
	collapsed, _ := b.page(t, toggle)
	if n := collapsed.Find(".tree-row[id]").Length(); n >= rows {
		t.Errorf("collapsing the root left %d rows (was %d)", n, rows)
	}
	more, ok := doc.Find(".hidden-note a").First().Attr("href")
	if !ok {
		t.Fatal("no link to more rows")
	}
	doc, _ = b.page(t, more)
	if n := doc.Find(".tree-row[id]").Length(); n <= rows {
		t.Errorf("show more drew %d rows, no more than %d", n, rows)
	}
	doc, _ = b.page(t, "/traces/"+b.big+"?rows=10000")
	if n := doc.Find(".tree-row[id]").Length(); n != 10_000 {
		t.Errorf("rows=10000 drew %d rows", n)
	}
}

// TestTraceTreeBound: a trace with more spans than a page lays out shows
// its first ones, and says so.
func TestTraceTreeBound(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *ui.Config) { c.TreeSpans = 100 })
	b.login(t)
	doc, code := b.page(t, "/traces/"+b.big+"?rows=10000")
	rows := doc.Find(".tree-row[id]").Length()
	if code != 200 || rows != 100 || !strings.Contains(doc.Text(), "This trace holds 10,000 spans; the tree holds its first 100 by start time.") {
		t.Errorf("a 10,000-span trace under a bound of 100: %d, %d rows, notes %q", code, rows, doc.Find(".notes, .note").Text())
	}
}

// BenchmarkBigTracePage serves the 10,000-span trace's page as a browser
// opens it, response read whole: the server's share of the page's load
// time (bench/ui measures the rest in Chromium).
func BenchmarkBigTracePage(b *testing.B) {
	tb := setup(b)
	tb.login(b)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := tb.client.Get(tb.url + "/traces/" + tb.big)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n == 0 {
			b.Fatalf("trace page: %d, %d bytes", resp.StatusCode, n)
		}
	}
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	for _, rg := range []string{"", "7d", "30d", "bogus"} {
		doc, code := b.page(t, "/dashboard?range="+rg)
		if code != 200 || doc.Find("section.chart-card svg").Length() != 8 {
			t.Errorf("range %q: %d, %d charts", rg, code, doc.Find("section.chart-card svg").Length())
		}
		if calls := strings.TrimSpace(doc.Find(".stat .value").First().Text()); calls == "0" || calls == "" {
			t.Errorf("range %q: %q LLM calls", rg, calls)
		}
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	token := b.csrf(t)
	if resp := b.post(t, "/settings/keys", url.Values{"name": {"ci"}}); resp.StatusCode != 403 {
		t.Errorf("form without CSRF token: %d, want 403", resp.StatusCode)
	}
	resp := b.post(t, "/settings/keys", url.Values{"name": {"ci"}, "csrf": {token}})
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	secret := strings.TrimSpace(doc.Find("#new-secret").Text())
	if resp.StatusCode != 200 || !auth.WellFormed(secret) {
		t.Fatalf("create key: %d, secret %q", resp.StatusCode, secret)
	}
	k, err := b.store.APIKeyByHash(t.Context(), auth.Hash(secret))
	if err != nil || k.ProjectID != b.project.ID {
		t.Fatalf("the shown secret is not the stored key: %+v %v", k, err)
	}
	doc, _ = b.page(t, "/settings")
	if html, _ := doc.Html(); strings.Contains(html, secret) {
		t.Error("the secret is shown again")
	}
	if !strings.Contains(doc.Find("table").First().Text(), k.Prefix) {
		t.Error("the key's prefix is not listed")
	}
	resp = b.post(t, "/settings/keys/"+jsonNumber(k.ID)+"/revoke", url.Values{"csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: %d", resp.StatusCode)
	}
	if k, _ := b.store.APIKeyByHash(t.Context(), auth.Hash(secret)); !k.Revoked() {
		t.Error("key not revoked")
	}
	if resp := b.post(t, "/settings/users", url.Values{"csrf": {token}, "email": {"bo@example.com"}, "password": {"long enough"}, "role": {"viewer"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add user: %d", resp.StatusCode)
	}
	if resp := b.post(t, "/settings/projects", url.Values{"csrf": {token}, "name": {"third"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("create project: %d", resp.StatusCode)
	}
	doc, _ = b.page(t, "/settings")
	if !strings.Contains(doc.Text(), "bo@example.com") || !strings.Contains(doc.Text(), "third") {
		t.Error("new user or project not listed")
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }
