package ui_test

import (
	"encoding/csv"
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

	"github.com/go-chi/chi/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/server/ui"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// conversationBundle is a UI over either backend whose project "default"
// holds session conv-1 (three turns by user-1: a recorded chat, an agent
// run under an HTTP root, a failed turn) and conv-2 (one turn by
// user-2); project "other" holds session b-secret of b-user.
type conversationBundle struct {
	*testBundle
	turns  []string // conv-1's trace ids, in order
	odd    string   // the session whose id needs escaping
	secret string   // a trace of project other
}

func chatJSON(msgs ...[2]string) json.RawMessage {
	type part struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	}
	type msg struct {
		Role  string `json:"role"`
		Parts []part `json:"parts"`
	}
	c := struct {
		Messages []msg `json:"messages"`
	}{}
	for _, m := range msgs {
		c.Messages = append(c.Messages, msg{Role: m[0], Parts: []part{{"text", m[1]}}})
	}
	b, _ := json.Marshal(c)
	return b
}

func setupConversations(t *testing.T, backend string) *conversationBundle {
	t.Helper()
	ctx := t.Context()
	var st store.Store
	var err error
	if backend == "postgres" {
		st, err = postgres.Open(ctx, postgres.Config{URL: pgtest.NewDatabase(t)})
	} else {
		st, err = sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "ui.db")})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &conversationBundle{testBundle: &testBundle{store: st}, odd: "a/b <i>x</i> 50%"}
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
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	write := func(project int64, spans ...store.Span) {
		t.Helper()
		if err := st.WriteSpans(ctx, project, spans); err != nil {
			t.Fatal(err)
		}
	}
	turn := func(project int64, session, user string, at time.Duration, in, out json.RawMessage) []store.Span {
		tid := storetest.NewTraceID()
		root := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), Name: "answer", Type: store.SpanAgent, Status: store.StatusOK,
			StartTime: start.Add(at), EndTime: start.Add(at + 1200*time.Millisecond), SessionID: session, UserID: user, Input: in, Output: out}
		cost := 0.002
		llm := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), ParentSpanID: root.SpanID, Name: "chat gpt-4o-mini", Type: store.SpanLLM,
			Status: store.StatusOK, StartTime: start.Add(at + 100*time.Millisecond), EndTime: start.Add(at + time.Second), Model: "gpt-4o-mini",
			Provider: "openai", Usage: &store.Usage{InputTokens: 40, OutputTokens: 10, TotalTokens: 50}, CostUSD: &cost}
		return []store.Span{root, llm}
	}
	first := turn(b.project.ID, "conv-1", "user-1", 0,
		chatJSON([2]string{"system", "Answer in one word."}, [2]string{"user", "What is the capital of France?"}),
		chatJSON([2]string{"assistant", "Paris."}))
	write(b.project.ID, first...)
	// An HTTP request around the agent run: the root records nothing.
	second := turn(b.project.ID, "conv-1", "user-1", time.Minute,
		json.RawMessage(`{"question":"And of Spain?"}`), json.RawMessage(`{"answer":"Madrid."}`))
	httpRoot := store.Span{TraceID: second[0].TraceID, SpanID: storetest.NewSpanID(), Name: "POST /ask", Type: store.SpanHTTP, Status: store.StatusOK,
		StartTime: second[0].StartTime.Add(-time.Millisecond), EndTime: second[0].EndTime.Add(time.Millisecond), SessionID: "conv-1", UserID: "user-1"}
	second[0].ParentSpanID = httpRoot.SpanID
	write(b.project.ID, append(second, httpRoot)...)
	third := turn(b.project.ID, "conv-1", "user-1", 2*time.Minute, json.RawMessage(`"=cmd|' /C calc'!A0"`), json.RawMessage(`"You are welcome."`))
	third[1].Status, third[1].ErrorMessage = store.StatusError, "=1+1 upstream failed"
	write(b.project.ID, third...)
	b.turns = []string{first[0].TraceID, second[0].TraceID, third[0].TraceID}
	write(b.project.ID, turn(b.project.ID, "conv-2", "user-2", -time.Minute, json.RawMessage(`"hi"`), json.RawMessage(`"hello"`))...)
	write(b.project.ID, turn(b.project.ID, b.odd, "", -2*time.Minute, json.RawMessage(`"odd"`), nil)...)
	secret := turn(b.other.ID, "b-secret", "b-user", 3*time.Minute, json.RawMessage(`"B's question"`), json.RawMessage(`"B's answer"`))
	write(b.other.ID, secret...)
	b.secret = secret[0].TraceID

	r := chi.NewRouter()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages := ui.New(ui.Config{Store: st, Secret: []byte("test-secret-test-secret-test-secret"), Keys: auth.NewAuthenticator(st), Logger: logger})
	pages.Routes(r)
	query.New(st, pages.CallerOfSession, nil, logger).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	b.url = srv.URL
	jar, _ := cookiejar.New(nil)
	b.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

// get fetches path with the client's session, whole.
func (b *testBundle) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := b.client.Get(b.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func TestConversationPages(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			b := setupConversations(t, backend)
			// A member of project default only.
			m := &conversationBundle{testBundle: b.as(t, "mia@example.com", store.RoleMember), turns: b.turns, odd: b.odd, secret: b.secret}
			t.Run("Sessions", func(t *testing.T) { testSessionsPage(t, m) })
			t.Run("Session", func(t *testing.T) { testSessionPage(t, m) })
			t.Run("Users", func(t *testing.T) { testUsersPage(t, m) })
			t.Run("Downloads", func(t *testing.T) { testDownloads(t, m) })
			t.Run("Scoped", func(t *testing.T) { testConversationScope(t, m) })
			t.Run("BadParameters", func(t *testing.T) { testConversationBadParameters(t, m) })
		})
	}
}

func testSessionsPage(t *testing.T, b *conversationBundle) {
	doc, code := b.page(t, "/sessions")
	if code != 200 {
		t.Fatalf("sessions: %d", code)
	}
	rows := doc.Find("table.sessions tbody tr")
	if rows.Length() != 3 {
		t.Fatalf("%d session rows, want 3", rows.Length())
	}
	firstRow := rows.First()
	if id := strings.TrimSpace(firstRow.Find("td").First().Text()); id != "conv-1" {
		t.Errorf("the most recent session is %q, want conv-1", id)
	}
	cells := firstRow.Find("td")
	if got := strings.TrimSpace(cells.Eq(3).Text()); got != "3" {
		t.Errorf("conv-1 traces %q", got)
	}
	if href, _ := cells.Eq(4).Find("a").Attr("href"); href != "/traces?user_id=user-1" {
		t.Errorf("conv-1's user links to %q", href)
	}
	if got := strings.TrimSpace(cells.Eq(5).Text()); got != "150" {
		t.Errorf("conv-1 tokens %q, want 150", got)
	}
	if got := strings.TrimSpace(cells.Eq(7).Text()); got != "1" || !firstRow.HasClass("failed") {
		t.Errorf("conv-1 errors %q", got)
	}
	if href, _ := firstRow.Find("td a").First().Attr("href"); href != "/sessions/conv-1" {
		t.Errorf("conv-1 links to %q", href)
	}
	if href, _ := rows.Eq(2).Find("td a").First().Attr("href"); href != "/sessions/"+url.PathEscape(b.odd) {
		t.Errorf("the odd session links to %q", href)
	}
	if doc.Find("nav a.active").Text() != "Sessions" {
		t.Errorf("the nav marks %q", doc.Find("nav a.active").Text())
	}
	doc, _ = b.page(t, "/sessions?user_id=user-2")
	if n := doc.Find("table.sessions tbody tr").Length(); n != 1 {
		t.Errorf("user-2's sessions: %d rows", n)
	}
	doc, _ = b.page(t, "/sessions?limit=1")
	next, ok := doc.Find(".pager a").Attr("href")
	if !ok {
		t.Fatal("no next page link")
	}
	doc, _ = b.page(t, next)
	if id := strings.TrimSpace(doc.Find("table.sessions tbody tr td").First().Text()); id != "conv-2" {
		t.Errorf("the second page opens on %q", id)
	}
}

func testSessionPage(t *testing.T, b *conversationBundle) {
	doc, code := b.page(t, "/sessions/conv-1")
	if code != 200 {
		t.Fatalf("session page: %d", code)
	}
	turns := doc.Find("section.conversation article.turn")
	if turns.Length() != 3 {
		t.Fatalf("%d turns, want 3", turns.Length())
	}
	for i, want := range []struct{ in, out string }{
		{"What is the capital of France?", "Paris."},
		{"And of Spain?", "Madrid."},
		{"=cmd|' /C calc'!A0", "You are welcome."},
	} {
		turn := turns.Eq(i)
		if id, _ := turn.Attr("id"); id != "turn-"+b.turns[i] {
			t.Errorf("turn %d is %s, want trace %s", i, id, b.turns[i])
		}
		if got := strings.TrimSpace(turn.Find(".messages.input .msg.user pre.text").Text()); got != want.in {
			t.Errorf("turn %d says %q, want %q", i, got, want.in)
		}
		if got := strings.TrimSpace(turn.Find(".messages.output .msg.assistant pre.text").Text()); got != want.out {
			t.Errorf("turn %d answers %q, want %q", i, got, want.out)
		}
		if href, _ := turn.Find(".turn-meta a").Attr("href"); href != "/traces/"+b.turns[i] {
			t.Errorf("turn %d links to %q", i, href)
		}
		meta := turn.Find(".turn-meta").Text()
		for _, w := range []string{"1.20 s", "50 tokens", "$0.002"} {
			if !strings.Contains(meta, w) {
				t.Errorf("turn %d's meta %q lacks %q", i, meta, w)
			}
		}
	}
	// The system prompt is history, not what the user said.
	if strings.Contains(turns.Eq(0).Text(), "Answer in one word.") {
		t.Error("the first turn shows the system prompt as the user's words")
	}
	if !turns.Eq(2).HasClass("failed") || turns.Eq(1).HasClass("failed") {
		t.Error("only the third turn is marked failed")
	}
	csvHref, _ := doc.Find("a.download-csv").Attr("href")
	if csvHref != "/api/v1/export/traces?format=csv&session_id=conv-1" {
		t.Errorf("the CSV download is %q", csvHref)
	}
	if href, _ := doc.Find(".summary a").First().Attr("href"); href != "/traces?session_id=conv-1" {
		t.Errorf("the session's traces link is %q", href)
	}

	doc, code = b.page(t, "/sessions/"+url.PathEscape(b.odd))
	if code != 200 || !strings.Contains(doc.Find("h1").Text(), b.odd) {
		t.Errorf("the odd session: %d %q", code, doc.Find("h1").Text())
	}
	if doc.Find("h1 i").Length() != 0 {
		t.Error("a session id's markup reached the page")
	}
	if _, code := b.page(t, "/sessions/nope"); code != 404 {
		t.Errorf("an unknown session: %d", code)
	}
	// The trace page links its session and offers its own download.
	doc, _ = b.page(t, "/traces/"+b.turns[0])
	if href, _ := doc.Find("a.session-link").Attr("href"); href != "/sessions/conv-1" {
		t.Errorf("the trace page's session link is %q", href)
	}
	if href, _ := doc.Find("a.download-csv").Attr("href"); href != "/api/v1/export/traces/"+b.turns[0]+"?format=csv" {
		t.Errorf("the trace page's CSV download is %q", href)
	}
}

func testUsersPage(t *testing.T, b *conversationBundle) {
	doc, code := b.page(t, "/users")
	if code != 200 {
		t.Fatalf("users: %d", code)
	}
	rows := doc.Find("table.users tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d user rows, want 2", rows.Length())
	}
	cells := rows.First().Find("td")
	if got := strings.TrimSpace(cells.Eq(0).Text()); got != "user-1" {
		t.Fatalf("first user %q", got)
	}
	for i, want := range map[int]string{3: "3", 4: "1", 5: "150", 7: "33.3%"} {
		if got := strings.TrimSpace(cells.Eq(i).Text()); got != want {
			t.Errorf("user-1 column %d = %q, want %q", i, got, want)
		}
	}
	if href, _ := cells.Find("a.user-traces").Attr("href"); href != "/traces?user_id=user-1" {
		t.Errorf("user-1's traces link %q", href)
	}
	href, _ := cells.Find("a.user-sessions").Attr("href")
	if href != "/sessions?user_id=user-1" {
		t.Errorf("user-1's sessions link %q", href)
	}
	doc, _ = b.page(t, href)
	if n := doc.Find("table.sessions tbody tr").Length(); n != 1 {
		t.Errorf("user-1's sessions page has %d rows", n)
	}
	doc, _ = b.page(t, "/traces?user_id=user-1")
	if n := doc.Find("table.traces tbody tr").Length(); n != 3 {
		t.Errorf("user-1's traces page has %d rows", n)
	}
}

func testDownloads(t *testing.T, b *conversationBundle) {
	doc, _ := b.page(t, "/sessions/conv-1")
	href, _ := doc.Find("a.download-csv").Attr("href")
	resp, body := b.get(t, href)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("the CSV download: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 1+7 {
		t.Fatalf("the CSV has %d rows (%v), want a header and conv-1's 7 spans", len(rows), err)
	}
	// A cell that starts like a formula is disarmed; JSON text starts with
	// a quote and is safe as it is.
	var disarmed, jsonInput bool
	for _, row := range rows[1:] {
		for _, cell := range row {
			disarmed = disarmed || cell == "'=1+1 upstream failed"
			jsonInput = jsonInput || cell == `"=cmd|' /C calc'!A0"`
			if strings.HasPrefix(cell, "=") {
				t.Errorf("a CSV cell starts with =: %q", cell)
			}
		}
	}
	if !disarmed || !jsonInput {
		t.Errorf("the CSV lacks the disarmed error message (%v) or the JSON input (%v)", disarmed, jsonInput)
	}
	if strings.Contains(body, "B's") {
		t.Error("the session's CSV holds another project's data")
	}
	doc, _ = b.page(t, "/sessions/conv-1")
	href, _ = doc.Find("a.download-jsonl").Attr("href")
	resp, body = b.get(t, href)
	if resp.StatusCode != 200 || strings.Count(body, "\n") != 7 {
		t.Errorf("the JSON Lines download: %d, %d lines", resp.StatusCode, strings.Count(body, "\n"))
	}
	// The traces list's download carries its filters, its time range
	// preset as a since.
	doc, _ = b.page(t, "/traces?status=error&range=24h&cursor=x")
	href, _ = doc.Find("a.download-csv").Attr("href")
	u, _ := url.Parse(href)
	if u.Path != "/api/v1/export/traces" || u.Query().Get("status") != "error" || u.Query().Get("since") == "" || u.Query().Has("cursor") || u.Query().Has("range") {
		t.Errorf("the traces list's download is %q", href)
	}
	resp, body = b.get(t, href)
	rows, _ = csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.StatusCode != 200 || len(rows) != 1+2 || rows[1][0] != b.turns[2] {
		t.Errorf("the failed traces' CSV: %d, %d rows", resp.StatusCode, len(rows))
	}
}

// testConversationScope: a member of project default sees none of
// project other's sessions, users or spans, in pages, the API or
// exports.
func testConversationScope(t *testing.T, b *conversationBundle) {
	for _, path := range []string{"/sessions", "/users", "/sessions?session_id=b-secret"} {
		_, body := b.get(t, path)
		if strings.Contains(body, "b-secret") && !strings.Contains(path, "b-secret") || strings.Contains(body, "b-user") {
			t.Errorf("%s shows project other's data", path)
		}
	}
	if _, code := b.page(t, "/sessions/b-secret"); code != 404 {
		t.Errorf("project other's session page: %d", code)
	}
	for _, path := range []string{"/api/v1/sessions/b-secret", "/api/v1/users/b-user", "/api/v1/export/traces/" + b.secret} {
		if resp, body := b.get(t, path); resp.StatusCode != 404 {
			t.Errorf("%s: %d %.200s", path, resp.StatusCode, body)
		}
	}
	for _, path := range []string{"/api/v1/export/traces?session_id=b-secret", "/api/v1/export/traces?user_id=b-user&format=csv"} {
		resp, body := b.get(t, path)
		if resp.StatusCode != 200 || strings.Contains(body, "B's") || strings.Count(body, "\n") > 1 {
			t.Errorf("%s: %d %.200s", path, resp.StatusCode, body)
		}
	}
	_, body := b.get(t, "/api/v1/sessions")
	if strings.Contains(body, "b-secret") || !strings.Contains(body, "conv-1") {
		t.Errorf("the API's sessions with the member's session: %.300s", body)
	}
	// Signed out, nothing.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/sessions", "/sessions/conv-1", "/users"} {
		resp, err := anon.Get(b.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("signed out %s: %d", path, resp.StatusCode)
		}
	}
	resp, err := anon.Get(b.url + "/api/v1/export/traces?format=csv")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("a signed-out export: %d", resp.StatusCode)
	}
}

func testConversationBadParameters(t *testing.T, b *conversationBundle) {
	for _, tc := range []struct{ path, want string }{
		{"/sessions?status=maybe", "status"},
		{"/sessions?cursor=bad!", "cursor"},
		{"/sessions?user_id=a%00b", "user_id"},
		{"/users?since=yesterday", "since"},
		{"/users?q=%FF", "q"},
		{"/sessions/conv-1?cursor=nope", "cursor"},
		{"/sessions/%FF", "session_id"},
	} {
		doc, code := b.page(t, tc.path)
		if code != 400 || !strings.Contains(doc.Text(), tc.want) {
			t.Errorf("%s: %d, want 400 naming %s: %.200s", tc.path, code, tc.want, strings.TrimSpace(doc.Find("main").Text()))
		}
	}
}
