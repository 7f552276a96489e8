package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// call sends a REST request with a key (or none) and decodes the JSON
// answer into out when the status is 2xx; it returns the status and body.
func call(t *testing.T, hc *http.Client, method, url, key string, body []byte, out any, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s %s: %d with Content-Type %q: %s", method, url, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

type posted struct {
	Accepted int      `json:"accepted"`
	IDs      []string `json:"ids"`
}

// waitScores polls GET /api/v1/scores until it lists want scores.
func waitScores(t *testing.T, base, key, query string, want int) []store.Score {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list store.ScoreList
		code, body := call(t, http.DefaultClient, "GET", base+"/api/v1/scores?"+query, key, nil, &list)
		if code != 200 {
			t.Fatalf("GET scores?%s: %d %s", query, code, body)
		}
		if len(list.Scores) == want {
			return list.Scores
		}
		if time.Now().After(deadline) {
			t.Fatalf("scores?%s: %d after 30s, want %d", query, len(list.Scores), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestScoresAPI posts scores with an API key, one and several, reads them
// back with the filters, finds traces by them, and refuses bad values
// with 400 and nothing stored — on each backend.
func TestScoresAPI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    options
	}{{"sqlite", options{}}, {"postgres", options{postgres: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testScoresAPI(t, setup(t, tc.o))
		})
	}
}

func testScoresAPI(t *testing.T, b *testBundle) {
	ctx := context.Background()
	p := b.defaultProject(t)
	if _, err := b.store.PutScoreConfig(ctx, store.ScoreConfig{ProjectID: p.ID, Name: "helpfulness", Type: store.ScoreNumeric,
		Min: ptr(0.0), Max: ptr(1.0)}); err != nil {
		t.Fatal(err)
	}
	spans := agentTrace()
	if r := b.post(t, b.key, body(t, spans...)); r.status != http.StatusAccepted {
		t.Fatalf("ingest: %d", r.status)
	}
	tid, llm := spans[0].TraceID, spans[1].SpanID
	b.waitTrace(t, b.store, p.ID, tid, int64(len(spans)))
	api := b.url + "/api/v1/scores"

	var one posted
	code, raw := call(t, http.DefaultClient, "POST", api, b.key, []byte(`{"trace_id":"`+tid+`","name":"helpfulness","value":0.8,"comment":"clear"}`), &one)
	if code != http.StatusAccepted || one.Accepted != 1 || len(one.IDs) != 1 || len(one.IDs[0]) != 32 {
		t.Fatalf("POST one: %d %s", code, raw)
	}
	var many posted
	code, raw = call(t, http.DefaultClient, "POST", api, b.key, []byte(`{"scores":[
		{"trace_id":"`+tid+`","span_id":"`+llm+`","name":"correct","value":true},
		{"trace_id":"`+tid+`","name":"tone","value":"friendly","id":"`+strings.Repeat("7a", 16)+`"}]}`), &many)
	if code != http.StatusAccepted || many.Accepted != 2 || many.IDs[1] != strings.Repeat("7a", 16) {
		t.Fatalf("POST many: %d %s", code, raw)
	}

	for name, tc := range map[string]struct {
		body, says string
		status     int
	}{
		"out of range":     {`{"trace_id":"` + tid + `","name":"helpfulness","value":1.5}`, "outside its range 0 to 1", 400},
		"wrong type":       {`{"trace_id":"` + tid + `","name":"helpfulness","value":"great"}`, "configured as numeric", 400},
		"no value":         {`{"trace_id":"` + tid + `","name":"q"}`, "value is missing", 400},
		"bad trace id":     {`{"trace_id":"nope","name":"q","value":1}`, "trace_id", 400},
		"one bad of two":   {`{"scores":[{"trace_id":"` + tid + `","name":"q","value":1},{"trace_id":"` + tid + `","name":"","value":1}]}`, "score 1: name", 400},
		"not JSON":         {`{"trace_id":`, "score object", 400},
		"no scores":        {`{"scores":[]}`, "empty", 400},
		"scores not list":  {`{"scores":{}}`, "list of score objects", 400},
		"a NaN comment":    {`{"trace_id":"` + tid + `","name":"q","value":1,"comment":"\u0000"}`, "comment", 400},
		"too many":         {`{"scores":[` + strings.Repeat(`{},`, 1000) + `{}]}`, "more than 1000", 413},
		"a list as value":  {`{"trace_id":"` + tid + `","name":"q","value":[1]}`, "a number, true or false, or a label", 400},
		"a huge body":      {`{"trace_id":"` + tid + `","name":"q","value":1,"comment":"` + strings.Repeat("x", 2<<20) + `"}`, "exceeds", 413},
		"a number too big": {`{"trace_id":"` + tid + `","name":"q","value":1e999}`, "out of range", 400},
	} {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		code, raw := call(t, http.DefaultClient, "POST", api, b.key, []byte(tc.body), nil)
		_ = json.Unmarshal([]byte(raw), &e)
		if code != tc.status || !strings.Contains(e.Error.Message, tc.says) {
			t.Errorf("%s: %d %q; want %d saying %q", name, code, e.Error.Message, tc.status, tc.says)
		}
	}
	if code, _ := call(t, http.DefaultClient, "POST", api, "", []byte(`{}`), nil); code != http.StatusUnauthorized {
		t.Errorf("no key: %d, want 401", code)
	}

	got := waitScores(t, b.url, b.key, "trace_id="+tid, 3)
	byName := map[string]store.Score{}
	for _, sc := range got {
		byName[sc.Name] = sc
	}
	h := byName["helpfulness"]
	if h.ID != one.IDs[0] || h.Value != store.NumberValue(0.8) || h.Comment != "clear" || h.Source != store.SourceAPI ||
		h.AuthorKeyID == 0 || !strings.HasPrefix(h.Author, "key ") {
		t.Errorf("the posted score reads back as %+v", h)
	}
	if c := byName["correct"]; c.SpanID != llm || c.Value != store.BoolValue(true) {
		t.Errorf("the span's score reads back as %+v", c)
	}
	for q, want := range map[string]int{"name=helpfulness": 1, "min=0.9": 1, "max=0.9": 1, "label=friendly": 1,
		"source=api": 3, "source=ui": 0, "span_id=" + llm: 1, "trace_id=" + tid + "&since=" + url.QueryEscape(time.Now().Add(time.Minute).Format(time.RFC3339)): 0} {
		var list store.ScoreList
		if code, body := call(t, http.DefaultClient, "GET", api+"?"+q, b.key, nil, &list); code != 200 || len(list.Scores) != want {
			t.Errorf("scores?%s: %d, %d scores (%s); want %d", q, code, len(list.Scores), body, want)
		}
	}
	var page1, page2 store.ScoreList
	call(t, http.DefaultClient, "GET", api+"?limit=2", b.key, nil, &page1)
	call(t, http.DefaultClient, "GET", api+"?limit=2&cursor="+page1.NextCursor, b.key, nil, &page2)
	if len(page1.Scores) != 2 || page1.NextCursor == "" || len(page2.Scores) != 1 || page2.NextCursor != "" || page2.Scores[0].ID == page1.Scores[1].ID {
		t.Errorf("pages of 2: %d (%q) then %d", len(page1.Scores), page1.NextCursor, len(page2.Scores))
	}
	for _, q := range []string{"min=low", "min=2&max=1", "source=robot", "cursor=bogus", "trace_id=xyz", "label=a&min=0", "limit=1000"} {
		if code, _ := call(t, http.DefaultClient, "GET", api+"?"+q, b.key, nil, nil); code != http.StatusBadRequest {
			t.Errorf("scores?%s: %d, want 400", q, code)
		}
	}

	// Traces found by their scores, with the summaries.
	var traces store.TraceList
	for q, want := range map[string]int{"score_name=helpfulness&score_min=0.5": 1, "score_name=helpfulness&score_min=0.9": 0,
		"score_name=tone&score_label=friendly": 1, "score_name=correct&score_min=1": 1} {
		if code, body := call(t, http.DefaultClient, "GET", b.url+"/api/v1/traces?"+q, b.key, nil, &traces); code != 200 || len(traces.Traces) != want {
			t.Errorf("traces?%s: %d, %d traces (%s); want %d", q, code, len(traces.Traces), body, want)
		}
	}
	call(t, http.DefaultClient, "GET", b.url+"/api/v1/traces?score_name=helpfulness", b.key, nil, &traces)
	if len(traces.Traces) != 1 || len(traces.Traces[0].Scores) != 3 {
		t.Errorf("the trace's score summaries: %+v", traces.Traces)
	}
	if code, _ := call(t, http.DefaultClient, "GET", b.url+"/api/v1/traces?score_min=x", b.key, nil, nil); code != http.StatusBadRequest {
		t.Errorf("traces?score_min=x: %d, want 400", code)
	}
	var metrics struct {
		Rows []store.ScoreRow `json:"rows"`
	}
	// The trace's own score counts toward each model the trace called.
	if code, body := call(t, http.DefaultClient, "GET", b.url+"/api/v1/metrics/scores?group_by=model&name=helpfulness", b.key, nil, &metrics); code != 200 ||
		len(metrics.Rows) != 2 || metrics.Rows[0].Key != "gpt-4o-mini" || metrics.Rows[1].Key != "model-1" ||
		metrics.Rows[0].Average == nil || *metrics.Rows[0].Average != 0.8 || metrics.Rows[1].Count != 1 {
		t.Errorf("metrics/scores by model: %d %s", code, body)
	}
	if code, _ := call(t, http.DefaultClient, "GET", b.url+"/api/v1/metrics/scores?group_by=weekday", b.key, nil, nil); code != http.StatusBadRequest {
		t.Errorf("metrics/scores?group_by=weekday: %d, want 400", code)
	}
}

// TestScoresScopedByProject: project A's key scoring B's trace makes a
// score in A, under B's trace id, that B never sees; neither project's key
// reads the other's scores.
func TestScoresScopedByProject(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	ctx := context.Background()
	pb, err := b.store.CreateProject(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	keyB := newSecret(t)
	if _, err := b.store.CreateAPIKey(ctx, keyRecord(pb.ID, keyB)); err != nil {
		t.Fatal(err)
	}
	spansB := agentTrace()
	if r := b.post(t, keyB, body(t, spansB...)); r.status != http.StatusAccepted {
		t.Fatalf("B's ingest: %d", r.status)
	}
	tidB := spansB[0].TraceID
	b.waitTrace(t, b.store, pb.ID, tidB, int64(len(spansB)))
	api := b.url + "/api/v1/scores"
	if code, raw := call(t, http.DefaultClient, "POST", api, b.key, []byte(`{"trace_id":"`+tidB+`","name":"sabotage","value":0}`), nil); code != http.StatusAccepted {
		t.Fatalf("A's key scoring B's trace id: %d %s", code, raw)
	}
	if code, raw := call(t, http.DefaultClient, "POST", api, keyB, []byte(`{"trace_id":"`+tidB+`","name":"own","value":1}`), nil); code != http.StatusAccepted {
		t.Fatalf("B's own score: %d %s", code, raw)
	}
	mine := waitScores(t, b.url, keyB, "trace_id="+tidB, 1)
	if mine[0].Name != "own" {
		t.Errorf("B sees %+v", mine)
	}
	theirs := waitScores(t, b.url, b.key, "trace_id="+tidB, 1)
	if theirs[0].Name != "sabotage" {
		t.Errorf("A sees %+v", theirs)
	}
	var traces store.TraceList
	call(t, http.DefaultClient, "GET", b.url+"/api/v1/traces?score_name=sabotage", keyB, nil, &traces)
	if len(traces.Traces) != 0 {
		t.Errorf("B's traces filtered by A's score: %d", len(traces.Traces))
	}
	call(t, http.DefaultClient, "GET", b.url+"/api/v1/traces", keyB, nil, &traces)
	if len(traces.Traces) != 1 || len(traces.Traces[0].Scores) != 1 || traces.Traces[0].Scores[0].Name != "own" {
		t.Errorf("B's trace carries %+v; want only its own score", traces.Traces)
	}
	call(t, http.DefaultClient, "GET", b.url+"/api/v1/traces", b.key, nil, &traces)
	if len(traces.Traces) != 0 {
		t.Errorf("A lists %d traces; its orphan score must not make B's trace appear", len(traces.Traces))
	}
}

// TestScoresWithSession: a signed-in member posts scores to the REST API
// with the session and the page's CSRF token; without the token, or as a
// viewer, the post is refused.
func TestScoresWithSession(t *testing.T) {
	t.Parallel()
	b := setup(t, options{configure: func(c *server.Config) { c.AdminEmail, c.AdminPassword = "ada@example.com", "a-long-password" }})
	tid := storetest.NewTraceID()
	admin, token := signInREST(t, b.url, "ada@example.com", "a-long-password")
	score := []byte(`{"trace_id":"` + tid + `","name":"helpfulness","value":1,"comment":"from the page"}`)
	api := b.url + "/api/v1/scores"
	if code, _ := call(t, admin, "POST", api, "", score, nil); code != http.StatusForbidden {
		t.Errorf("session without its CSRF token: %d, want 403", code)
	}
	if code, _ := call(t, admin, "POST", api, "", score, nil, "X-CSRF-Token", "forged"); code != http.StatusForbidden {
		t.Errorf("session with a wrong CSRF token: %d, want 403", code)
	}
	var ok posted
	if code, raw := call(t, admin, "POST", api, "", score, &ok, "X-CSRF-Token", token); code != http.StatusAccepted || ok.Accepted != 1 {
		t.Fatalf("session with its CSRF token: %d %s", code, raw)
	}
	var list store.ScoreList
	deadline := time.Now().Add(30 * time.Second)
	for len(list.Scores) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		call(t, admin, "GET", api+"?trace_id="+tid, "", nil, &list) // a GET needs no token
	}
	if len(list.Scores) != 1 || list.Scores[0].Author != "ada@example.com" || list.Scores[0].AuthorUserID == 0 || list.Scores[0].Source != store.SourceAPI {
		t.Fatalf("the session's score: %+v", list.Scores)
	}

	ctx := context.Background()
	p := b.defaultProject(t)
	u, err := b.store.CreateUser(ctx, store.User{Email: "viewer@example.com", PasswordHash: bcryptHash(t, "a-long-password")})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.AddMember(ctx, p.ID, u.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	viewer, vtoken := signInREST(t, b.url, "viewer@example.com", "a-long-password")
	if code, _ := call(t, viewer, "POST", api, "", score, nil, "X-CSRF-Token", vtoken); code != http.StatusForbidden {
		t.Errorf("a viewer's session: %d, want 403", code)
	}
	if code, _ := call(t, viewer, "GET", api+"?trace_id="+tid, "", nil, nil); code != http.StatusOK {
		t.Errorf("a viewer reading scores: %d", code)
	}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInREST signs in through the login form and returns the session's
// client and the CSRF token of its pages.
func signInREST(t *testing.T, base, email, password string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	page := func(path string) string {
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	m := csrfInput.FindStringSubmatch(page("/login"))
	if m == nil {
		t.Fatal("no CSRF token on the login page")
	}
	resp, err := hc.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/traces" {
		t.Fatalf("sign-in of %s ended on %s", email, resp.Request.URL)
	}
	m = csrfInput.FindStringSubmatch(page("/settings"))
	if m == nil {
		t.Fatal("no CSRF token on the settings page")
	}
	return hc, m[1]
}

func ptr[T any](v T) *T { return &v }

func bcryptHash(t *testing.T, password string) []byte {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestScoresDuringDatabaseOutage cuts the collector off from PostgreSQL:
// scores posted to the REST API and sent in ingest batches are still
// answered 202, since they wait on JetStream, and once the database is
// back each is stored once.
func TestScoresDuringDatabaseOutage(t *testing.T) {
	t.Parallel()
	direct := pgtest.NewDatabase(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr()
	b := setup(t, options{databaseURL: u.String()})
	st := openStore(t, server.Config{DatabaseURL: direct})
	p, err := st.GetProjectByName(t.Context(), server.DefaultProject)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutScoreConfig(t.Context(), store.ScoreConfig{ProjectID: p.ID, Name: "helpfulness", Type: store.ScoreNumeric, Max: ptr(1.0)}); err != nil {
		t.Fatal(err)
	}
	tid := storetest.NewTraceID()
	api := b.url + "/api/v1/scores"
	score := func(name string, v float64) []byte {
		return []byte(fmt.Sprintf(`{"trace_id":%q,"name":%q,"value":%v}`, tid, name, v))
	}
	if code, raw := call(t, http.DefaultClient, "POST", api, b.key, score("helpfulness", 0.5), nil); code != http.StatusAccepted {
		t.Fatalf("before the outage: %d %s", code, raw)
	}
	waitScores(t, b.url, b.key, "trace_id="+tid, 1)

	px.setDown(true)
	for i := range 5 {
		if code, raw := call(t, http.DefaultClient, "POST", api, b.key, score(fmt.Sprintf("during-%d", i), float64(i)), nil); code != http.StatusAccepted {
			t.Fatalf("while the database is down: %d %s", code, raw)
		}
	}
	// The configuration known before the outage still checks scores.
	if code, _ := call(t, http.DefaultClient, "POST", api, b.key, score("helpfulness", 7), nil); code != http.StatusBadRequest {
		t.Errorf("an out-of-range score while the database is down: %d, want 400", code)
	}
	r := b.post(t, b.key, []byte(`{"scores":[{"trace_id":"`+tid+`","name":"from-ingest","value":true}]}`))
	if r.status != http.StatusAccepted {
		t.Fatalf("an ingest batch of scores while the database is down: %d %s", r.status, r.Error.Message)
	}
	time.Sleep(time.Second)
	if l, err := st.ListScores(t.Context(), p.ID, store.ScoreFilter{TraceID: tid}, store.Page{}); err != nil || len(l.Scores) != 1 {
		t.Fatalf("scores written through a cut connection: %d, %v", len(l.Scores), err)
	}
	px.setDown(false)
	deadline := time.Now().Add(60 * time.Second)
	for {
		l, err := st.ListScores(t.Context(), p.ID, store.ScoreFilter{TraceID: tid}, store.Page{})
		if err == nil && len(l.Scores) == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the outage: %d scores stored, want 7 (%v)", len(l.Scores), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestScoresQueueUnavailable stops the external NATS: POST /api/v1/scores
// answers 503 with Retry-After and stores nothing.
func TestScoresQueueUnavailable(t *testing.T) {
	t.Parallel()
	ns := startNATS(t, t.TempDir())
	b := setup(t, options{configure: func(c *server.Config) { c.NATSURL = ns.ClientURL() }})
	ns.Shutdown()
	ns.WaitForShutdown()
	req, _ := http.NewRequest("POST", b.url+"/api/v1/scores", strings.NewReader(`{"trace_id":"`+storetest.NewTraceID()+`","name":"q","value":1}`))
	req.Header.Set("Authorization", "Bearer "+b.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("with NATS down: %d, Retry-After %q; want 503", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
