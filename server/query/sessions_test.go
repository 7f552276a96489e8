package query_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/store"
)

// TestConversationAPI reads sessions and users on both backends. The
// fixture's trace i has user "user-i" and session "session-i/3": project
// A's five traces make session-0 (traces 0 to 2) and session-1 (3 and 4);
// project B's trace makes session-2 and user-7.
func TestConversationAPI(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			b := setup(t, backend)
			t.Run("Sessions", func(t *testing.T) { testSessionsAPI(t, b) })
			t.Run("Session", func(t *testing.T) { testSessionAPI(t, b) })
			t.Run("Users", func(t *testing.T) { testUsersAPI(t, b) })
			t.Run("Scoped", func(t *testing.T) { testConversationScope(t, b) })
			t.Run("BadParameters", func(t *testing.T) { testConversationBadParameters(t, b) })
		})
	}
}

func testSessionsAPI(t *testing.T, b *testBundle) {
	var list store.SessionSummaryList
	code, body := b.get(t, b.keyA, "/api/v1/sessions", &list)
	if code != 200 || len(list.Sessions) != 2 {
		t.Fatalf("sessions: %d %s", code, body)
	}
	for _, field := range []string{`"session_id":"session-1"`, `"trace_count":2`, `"trace_count":3`, `"first_time"`, `"last_time"`, `"user_count"`, `"error_count"`, `"usage"`, `"cost_usd"`} {
		if !strings.Contains(body, field) {
			t.Errorf("the sessions answer lacks %s: %s", field, body)
		}
	}
	if list.Sessions[0].SessionID != "session-1" || list.Sessions[1].SessionID != "session-0" {
		t.Errorf("sessions not most recent first: %+v", list.Sessions)
	}
	// Trace 0 failed (every 20th does); its session counts it.
	if s := list.Sessions[1]; s.ErrorCount != 1 || s.UserCount != 3 || s.Usage.TotalTokens != 3*2*600 {
		t.Errorf("session-0 = %+v", s)
	}
	// Filters are the trace list's; pages follow cursors.
	var one store.SessionSummaryList
	if code, body := b.get(t, b.keyA, "/api/v1/sessions?user_id=user-3", &one); code != 200 || len(one.Sessions) != 1 || one.Sessions[0].TraceCount != 1 {
		t.Errorf("sessions of user-3: %d %s", code, body)
	}
	var first, second store.SessionSummaryList
	b.get(t, b.keyA, "/api/v1/sessions?limit=1", &first)
	if len(first.Sessions) != 1 || first.NextCursor == "" {
		t.Fatalf("first page %+v", first)
	}
	b.get(t, b.keyA, "/api/v1/sessions?limit=1&cursor="+first.NextCursor, &second)
	if len(second.Sessions) != 1 || second.Sessions[0].SessionID != "session-0" || second.NextCursor != "" {
		t.Errorf("second page %+v", second)
	}
}

func testSessionAPI(t *testing.T, b *testBundle) {
	var d query.SessionDetail
	code, body := b.get(t, b.keyA, "/api/v1/sessions/session-0", &d)
	if code != 200 || d.SessionID != "session-0" || d.TraceCount != 3 || len(d.Traces) != 3 {
		t.Fatalf("session-0: %d %.300s", code, body)
	}
	for i, tr := range d.Traces {
		if tr.TraceID != b.traces[i][0].TraceID {
			t.Errorf("turn %d is trace %s, want %s (oldest first)", i, tr.TraceID, b.traces[i][0].TraceID)
		}
		if !strings.Contains(string(tr.Input), "question") || len(tr.Output) == 0 {
			t.Errorf("turn %d lacks its input and output: %s %s", i, tr.Input, tr.Output)
		}
	}
	var page store.TraceList
	b.get(t, b.keyA, "/api/v1/sessions/session-0?limit=2", &page)
	if len(page.Traces) != 2 || page.NextCursor == "" {
		t.Fatalf("a page of turns: %+v", page)
	}
	b.get(t, b.keyA, "/api/v1/sessions/session-0?limit=2&cursor="+page.NextCursor, &d)
	if len(d.Traces) != 1 || d.Traces[0].TraceID != b.traces[2][0].TraceID {
		t.Errorf("the next page of turns: %+v", d.Traces)
	}
	if code, body := b.get(t, b.keyA, "/api/v1/sessions/nope", nil); code != 404 || !strings.Contains(body, "no such session") {
		t.Errorf("an unknown session: %d %s", code, body)
	}
}

func testUsersAPI(t *testing.T, b *testBundle) {
	var list store.UserSummaryList
	code, body := b.get(t, b.keyA, "/api/v1/users", &list)
	if code != 200 || len(list.Users) != 5 || list.Users[0].UserID != "user-4" {
		t.Fatalf("users: %d %s", code, body)
	}
	for _, field := range []string{`"user_id"`, `"first_seen"`, `"last_seen"`, `"trace_count":1`, `"session_count":1`, `"error_rate"`} {
		if !strings.Contains(body, field) {
			t.Errorf("the users answer lacks %s", field)
		}
	}
	var u store.UserSummary
	if code, body := b.get(t, b.keyA, "/api/v1/users/user-0", &u); code != 200 || u.TraceCount != 1 || u.ErrorRate != 1 || u.SessionCount != 1 {
		t.Errorf("user-0: %d %s", code, body)
	}
	var page store.UserSummaryList
	b.get(t, b.keyA, "/api/v1/users?limit=2&session_id=session-0", &page)
	if len(page.Users) != 2 || page.NextCursor == "" {
		t.Fatalf("users of session-0, page 1: %+v", page)
	}
	b.get(t, b.keyA, "/api/v1/users?limit=2&session_id=session-0&cursor="+url.QueryEscape(page.NextCursor), &page)
	if len(page.Users) != 1 || page.Users[0].UserID != "user-0" {
		t.Errorf("users of session-0, page 2: %+v", page)
	}
	if code, body := b.get(t, b.keyA, "/api/v1/users/"+url.PathEscape("no/such user"), nil); code != 404 || !strings.Contains(body, "no such user") {
		t.Errorf("an unknown user: %d %s", code, body)
	}
}

// testConversationScope: project A's key sees none of B's sessions or
// users, listed or asked for by id; B's key sees its own.
func testConversationScope(t *testing.T, b *testBundle) {
	var list store.SessionSummaryList
	b.get(t, b.keyA, "/api/v1/sessions?session_id=session-2", &list)
	if len(list.Sessions) != 0 {
		t.Errorf("A lists B's session: %+v", list.Sessions)
	}
	for _, path := range []string{"/api/v1/sessions/session-2", "/api/v1/users/user-7"} {
		if code, _ := b.get(t, b.keyA, path, nil); code != 404 {
			t.Errorf("A reads %s: %d, want 404", path, code)
		}
		if code, _ := b.get(t, b.keyB, path, nil); code != 200 {
			t.Errorf("B reads its own %s: %d", path, code)
		}
	}
	var users store.UserSummaryList
	b.get(t, b.keyB, "/api/v1/users", &users)
	if len(users.Users) != 1 || users.Users[0].UserID != "user-7" {
		t.Errorf("B's users: %+v", users.Users)
	}
	for _, path := range []string{"/api/v1/sessions", "/api/v1/users", "/api/v1/sessions/session-0", "/api/v1/users/user-0"} {
		if code, body := b.get(t, "", path, nil); code != 401 || !strings.Contains(body, `"unauthorized"`) {
			t.Errorf("%s without a key: %d %s", path, code, body)
		}
	}
}

func testConversationBadParameters(t *testing.T, b *testBundle) {
	traceCursor := store.Cursor{StartTime: b.base, TraceID: b.traces[0][0].TraceID}.Encode()
	for _, tc := range []struct{ path, param string }{
		{"/api/v1/sessions?cursor=zzz", "cursor"},
		{"/api/v1/sessions?cursor=" + traceCursor[:4], "cursor"},
		{"/api/v1/sessions?status=maybe", "status"},
		{"/api/v1/sessions?since=yesterday", "since"},
		{"/api/v1/sessions?limit=100000", "limit"},
		{"/api/v1/sessions?user_id=a%00b", "user_id"},
		{"/api/v1/sessions?q=%FF", "q"},
		{"/api/v1/users?cursor=%21", "cursor"},
		{"/api/v1/users?min_duration_ms=-1", "min_duration_ms"},
		{"/api/v1/users?tag=" + strings.Repeat("t", 10_000), "tag"},
		{"/api/v1/sessions/session-0?cursor=nope", "cursor"},
		{"/api/v1/sessions/session-0?limit=x", "limit"},
		{"/api/v1/sessions/a%00b", "session_id"},
		{"/api/v1/users/%FF", "user_id"},
		{"/api/v1/users/" + strings.Repeat("u", 2000), "user_id"},
	} {
		code, body := b.get(t, b.keyA, tc.path, nil)
		if code != 400 || !strings.Contains(body, `"invalid_parameter"`) || !strings.Contains(body, tc.param) {
			t.Errorf("GET %.80s: %d %s; want 400 naming %s", tc.path, code, body, tc.param)
		}
	}
}
