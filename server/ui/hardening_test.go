package ui_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// TestSignInRedirectStaysOnSite: every spelling of "another site" that a
// browser would follow after sign-in lands on the traces page instead.
func TestSignInRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for next, want := range map[string]string{
		"/dashboard?range=7d":     "/dashboard?range=7d",
		"/traces/abc":             "/traces/abc",
		`/\evil.example/`:         "/traces",
		"/%5Cevil.example/":       "/traces",
		"/%2F%2Fevil.example/":    "/traces",
		"/%09/evil.example/":      "/traces",
		"//evil.example/":         "/traces",
		"https://evil.example/":   "/traces",
		"/\t/evil.example":        "/traces",
		"javascript:alert(1)":     "/traces",
		"/ok#frag":                "/ok",
		"/%2e%2e/%2e%2e/settings": "/%2e%2e/%2e%2e/settings",
	} {
		b.client.Jar, _ = cookiejar.New(nil) // signed out
		doc, _ := b.page(t, "/login")
		token, _ := doc.Find(`input[name=csrf]`).Attr("value")
		resp := b.post(t, "/login", url.Values{"email": {"ada@example.com"}, "password": {password}, "csrf": {token}, "next": {next}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("next=%q: %d to %q, want %q", next, resp.StatusCode, got, want)
		}
	}
}

// TestSignInThrottled: wrong passwords for one account are refused with
// 429 and Retry-After once over the limit, even with the right password,
// and the server hashes nothing while refusing.
func TestSignInThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	attempt := func(pw string) *http.Response {
		doc, _ := b.page(t, "/login")
		token, _ := doc.Find(`input[name=csrf]`).Attr("value")
		return b.post(t, "/login", url.Values{"email": {"ada@example.com"}, "password": {pw}, "csrf": {token}})
	}
	for i := range 10 {
		if resp := attempt("wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	start := time.Now()
	resp := attempt(password)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after 10 failures the right password gives %d (Retry-After %q), want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d > time.Second {
		t.Logf("a throttled attempt took %s", d)
	}
	// Another account from the same address is still allowed.
	hash := []byte("$2a$04$abcdefghijklmnopqrstuuCQ9wZ3QfT1lbr/iE5kF2PvWn6KkEcha")
	if _, err := b.store.CreateUser(context.Background(), store.User{Email: "bob@example.com", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	doc, _ := b.page(t, "/login")
	token, _ := doc.Find(`input[name=csrf]`).Attr("value")
	if resp := b.post(t, "/login", url.Values{"email": {"bob@example.com"}, "password": {"x"}, "csrf": {token}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("another account: %d, want 401", resp.StatusCode)
	}
}

// TestPageHeaders: data pages are not cached, not sniffed, send no
// referrer off-site, are gzip-compressed when asked, and /static/ lists
// nothing.
func TestPageHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	req, _ := http.NewRequest(http.MethodGet, b.url+"/traces/"+b.big, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(withCookies(t, b, req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for k, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "same-origin", "Content-Encoding": "gzip"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(zr)
	if !strings.Contains(string(html), "tree-row") {
		t.Errorf("the gzip body is not the page")
	}
	for _, path := range []string{"/static/", "/static", "/static/../", "/static/nope.css"} {
		if _, code := b.page(t, path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if _, code := b.page(t, "/static/tracium.css"); code != http.StatusOK {
		t.Errorf("the stylesheet: %d", code)
	}
}

func withCookies(t *testing.T, b *testBundle, req *http.Request) *http.Request {
	t.Helper()
	u, _ := url.Parse(b.url)
	for _, c := range b.client.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	return req
}

// TestTraceWithCycle: a trace whose parent links loop (A→B→A, and a span
// that names itself) opens, shows every span once, and says where the
// loop was cut; an oversized tree-state URL is refused with 414.
func TestTraceWithCycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.login(t)
	start := time.Now().Add(-time.Minute).UTC()
	tid, a, bb, c := storetest.NewTraceID(), storetest.NewSpanID(), storetest.NewSpanID(), storetest.NewSpanID()
	spans := []store.Span{
		{TraceID: tid, SpanID: a, ParentSpanID: bb, Name: "loop-a", Type: store.SpanCustom, StartTime: start, EndTime: start.Add(time.Second)},
		{TraceID: tid, SpanID: bb, ParentSpanID: a, Name: "loop-b", Type: store.SpanCustom, StartTime: start.Add(time.Millisecond), EndTime: start.Add(time.Second)},
		{TraceID: tid, SpanID: c, ParentSpanID: a, Name: "child", Type: store.SpanTool, StartTime: start.Add(2 * time.Millisecond), EndTime: start.Add(time.Second)},
	}
	if err := b.store.WriteSpans(context.Background(), b.project.ID, spans); err != nil {
		t.Fatal(err)
	}
	doc, code := b.page(t, "/traces/"+tid)
	if code != http.StatusOK {
		t.Fatalf("a trace with a cycle: %d", code)
	}
	if n := doc.Find(".tree-row[id]").Length(); n != 3 {
		t.Errorf("%d rows, want each of the 3 spans once", n)
	}
	if note := doc.Find(".notice").Text(); !strings.Contains(note, "loop-a") || !strings.Contains(note, "cut") {
		t.Errorf("the page does not say the loop was cut: %q", note)
	}
	long := "/traces/" + tid + "?open=" + strings.Repeat("0123456789abcdef,", 400)
	if _, code := b.page(t, long); code != http.StatusRequestURITooLong {
		t.Errorf("a 7 KB tree state: %d, want 414", code)
	}
}
