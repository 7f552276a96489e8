package storetest

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// runConversations checks sessions and users: the traces grouped by
// session id and by user id.
func runConversations(t *testing.T, newStore NewStore) {
	t.Run("Sessions", func(t *testing.T) { t.Parallel(); testSessionSummaries(t, newStore) })
	t.Run("SessionTraces", func(t *testing.T) { t.Parallel(); testSessionTraces(t, newStore) })
	t.Run("Users", func(t *testing.T) { t.Parallel(); testUserSummaries(t, newStore) })
	t.Run("SummaryPages", func(t *testing.T) { t.Parallel(); testSummaryPages(t, newStore) })
	t.Run("SummarySums", func(t *testing.T) { t.Parallel(); testSummarySums(t, newStore) })
	t.Run("ConversationIsolation", func(t *testing.T) { t.Parallel(); testConversationIsolation(t, newStore) })
	t.Run("BadConversationParams", func(t *testing.T) { t.Parallel(); testBadConversationParams(t, newStore) })
}

// turn writes one trace of a conversation: a root carrying the ids and
// an llm child with usage and cost, failed when asked.
func (b *testBundle) turn(t *testing.T, session, user string, offset time.Duration, failed bool) string {
	t.Helper()
	tid := NewTraceID()
	root := span(tid, "", "turn", offset, 2*time.Second)
	root.SessionID, root.UserID, root.AgentName = session, user, "chat-agent"
	root.Input, root.Output = rawJSON("question at "+offset.String()), rawJSON("answer at "+offset.String())
	c := llmSpan(tid, root.SpanID, "gpt-4o-mini", offset+100*time.Millisecond, time.Second,
		store.Usage{InputTokens: 100, OutputTokens: 20, CachedTokens: 10, TotalTokens: 120}, 0.25)
	if failed {
		c.Status = store.StatusError
	}
	b.write(t, root, c)
	return tid
}

func (b *testBundle) sessions(t *testing.T, f store.TraceFilter) []store.SessionSummary {
	t.Helper()
	var out []store.SessionSummary
	page := store.Page{Limit: 2}
	for range 100 {
		res, err := b.store.ListSessionSummaries(b.ctx, b.project.ID, f, page)
		if err != nil {
			t.Fatalf("ListSessionSummaries(%+v): %v", f, err)
		}
		if len(res.Sessions) > 2 {
			t.Fatalf("a page of %d sessions, limit 2", len(res.Sessions))
		}
		out = append(out, res.Sessions...)
		if res.NextCursor == "" {
			return out
		}
		page.Cursor = res.NextCursor
	}
	t.Fatal("the session pages never end")
	return nil
}

func (b *testBundle) users(t *testing.T, f store.TraceFilter) []store.UserSummary {
	t.Helper()
	var out []store.UserSummary
	page := store.Page{Limit: 2}
	for range 100 {
		res, err := b.store.ListUserSummaries(b.ctx, b.project.ID, f, page)
		if err != nil {
			t.Fatalf("ListUserSummaries(%+v): %v", f, err)
		}
		out = append(out, res.Users...)
		if res.NextCursor == "" {
			return out
		}
		page.Cursor = res.NextCursor
	}
	t.Fatal("the user pages never end")
	return nil
}

func sessionIDs(ss []store.SessionSummary) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.SessionID
	}
	return out
}

func userIDs(us []store.UserSummary) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.UserID
	}
	return out
}

func mustEqualStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// conversationFixture: session "s-1" has three turns by "u-1" (the
// second failed), "s-2" one turn by "u-2" and one by "u-1", "s-3" one
// turn by "u-2" an hour later; one trace has neither id.
func conversationFixture(t *testing.T, b *testBundle) {
	t.Helper()
	b.turn(t, "s-1", "u-1", 0, false)
	b.turn(t, "s-1", "u-1", time.Minute, true)
	b.turn(t, "s-1", "u-1", 2*time.Minute, false)
	b.turn(t, "s-2", "u-2", 30*time.Second, false)
	b.turn(t, "s-2", "u-1", 3*time.Minute, false)
	b.turn(t, "s-3", "u-2", time.Hour, false)
	b.turn(t, "", "", 2*time.Hour, false)
}

func testSessionSummaries(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	conversationFixture(t, b)

	got := b.sessions(t, store.TraceFilter{})
	mustEqualStrings(t, "sessions, most recently active first", sessionIDs(got), []string{"s-3", "s-2", "s-1"})
	if len(got) != 3 {
		t.FailNow()
	}
	s1 := got[2]
	mustEqual(t, "s-1 traces", s1.TraceCount, int64(3))
	mustEqual(t, "s-1 users", s1.UserCount, int64(1))
	mustEqual(t, "s-1 user", s1.UserID, "u-1")
	mustEqual(t, "s-1 errors", s1.ErrorCount, int64(1))
	mustEqual(t, "s-1 first time", s1.FirstTime, base)
	mustEqual(t, "s-1 last time", s1.LastTime, base.Add(2*time.Minute+2*time.Second))
	mustEqual(t, "s-1 usage", s1.Usage, store.Usage{InputTokens: 300, OutputTokens: 60, CachedTokens: 30, TotalTokens: 360})
	if math.Abs(s1.CostUSD-0.75) > 1e-9 {
		t.Errorf("s-1 cost = %v, want 0.75", s1.CostUSD)
	}
	s2 := got[1]
	mustEqual(t, "s-2 users", s2.UserCount, int64(2))
	mustEqual(t, "s-2 smallest user", s2.UserID, "u-1")
	mustEqual(t, "s-2 errors", s2.ErrorCount, int64(0))

	// A filter picks the traces that are grouped.
	mustEqualStrings(t, "sessions of u-2", sessionIDs(b.sessions(t, store.TraceFilter{UserID: "u-2"})), []string{"s-3", "s-2"})
	only := b.sessions(t, store.TraceFilter{UserID: "u-2", SessionID: "s-2"})
	if len(only) != 1 || only[0].TraceCount != 1 || only[0].UserCount != 1 {
		t.Errorf("s-2's traces of u-2 = %+v, want one trace, one user", only)
	}
	mustEqualStrings(t, "sessions with a failed trace", sessionIDs(b.sessions(t, store.TraceFilter{Status: store.StatusError})), []string{"s-1"})
	mustEqualStrings(t, "sessions active since 150 s", sessionIDs(b.sessions(t, store.TraceFilter{Since: base.Add(150 * time.Second)})), []string{"s-3", "s-2"})
	mustEqualStrings(t, "sessions matching a text", sessionIDs(b.sessions(t, store.TraceFilter{Query: "answer at 1h0m0s"})), []string{"s-3"})

	one, err := b.store.GetSessionSummary(b.ctx, b.project.ID, "s-1")
	if err != nil || one != s1 {
		t.Errorf("GetSessionSummary(s-1) = %+v, %v; want %+v", one, err, s1)
	}
	if _, err := b.store.GetSessionSummary(b.ctx, b.project.ID, "s-9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSessionSummary of an unknown session: %v, want ErrNotFound", err)
	}
}

func testSessionTraces(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var want []string
	for i := range 5 {
		// Written newest first: the list orders them, not the writes.
		want = append([]string{b.turn(t, "long", "u", time.Duration(4-i)*time.Minute, false)}, want...)
	}
	b.turn(t, "other", "u", 30*time.Second, false)
	var got []string
	page := store.Page{Limit: 2}
	for range 10 {
		res, err := b.store.ListSessionTraces(b.ctx, b.project.ID, "long", page)
		if err != nil {
			t.Fatalf("ListSessionTraces: %v", err)
		}
		for _, tr := range res.Traces {
			got = append(got, tr.TraceID)
			if string(tr.Input) != fmt.Sprintf("%q", "question at "+tr.StartTime.Sub(base).String()) || len(tr.Output) == 0 {
				t.Errorf("trace %s carries input %s and output %s", tr.TraceID, tr.Input, tr.Output)
			}
			mustEqual(t, "turn session", tr.SessionID, "long")
		}
		if res.NextCursor == "" {
			break
		}
		page.Cursor = res.NextCursor
	}
	mustEqualStrings(t, "the session's traces, oldest first", got, want)
	if res, err := b.store.ListSessionTraces(b.ctx, b.project.ID, "nobody", store.Page{}); err != nil || len(res.Traces) != 0 {
		t.Errorf("an unknown session's traces = %d, %v; want none", len(res.Traces), err)
	}
}

func testUserSummaries(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	conversationFixture(t, b)
	got := b.users(t, store.TraceFilter{})
	mustEqualStrings(t, "users, most recently seen first", userIDs(got), []string{"u-2", "u-1"})
	if len(got) != 2 {
		t.FailNow()
	}
	u1 := got[1]
	mustEqual(t, "u-1 traces", u1.TraceCount, int64(4))
	mustEqual(t, "u-1 sessions", u1.SessionCount, int64(2))
	mustEqual(t, "u-1 errors", u1.ErrorCount, int64(1))
	mustEqual(t, "u-1 error rate", u1.ErrorRate, 0.25)
	mustEqual(t, "u-1 first seen", u1.FirstSeen, base)
	mustEqual(t, "u-1 last seen", u1.LastSeen, base.Add(3*time.Minute+2*time.Second))
	mustEqual(t, "u-1 tokens", u1.Usage.TotalTokens, int64(480))
	mustEqual(t, "u-2 sessions", got[0].SessionCount, int64(2))
	mustEqual(t, "u-2 error rate", got[0].ErrorRate, 0.0)

	mustEqualStrings(t, "users of session s-2", userIDs(b.users(t, store.TraceFilter{SessionID: "s-2"})), []string{"u-1", "u-2"})
	one, err := b.store.GetUserSummary(b.ctx, b.project.ID, "u-1")
	if err != nil || one != u1 {
		t.Errorf("GetUserSummary(u-1) = %+v, %v; want %+v", one, err, u1)
	}
	if _, err := b.store.GetUserSummary(b.ctx, b.project.ID, "u-9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUserSummary of an unknown user: %v, want ErrNotFound", err)
	}
}

// testSummaryPages pages through sessions that end at the same time,
// whose ids differ in case and in non-ASCII letters: both backends order
// ids byte by byte, so they page alike.
func testSummaryPages(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ids := []string{"B", "a", "é", "Z", "b", "ä", "_", "10", "9"}
	for _, id := range ids {
		b.turn(t, id, "user "+id, time.Minute, false)
	}
	// Byte order, descending.
	want := []string{"é", "ä", "b", "a", "_", "Z", "B", "9", "10"}
	mustEqualStrings(t, "sessions at one time, by id", sessionIDs(b.sessions(t, store.TraceFilter{})), want)
	wantUsers := make([]string, len(want))
	for i, id := range want {
		wantUsers[i] = "user " + id
	}
	mustEqualStrings(t, "users at one time, by id", userIDs(b.users(t, store.TraceFilter{})), wantUsers)
}

// testSummarySums adds up token counts far past 32 bits exactly.
func testSummarySums(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	for i := range 3 {
		tid := NewTraceID()
		root := span(tid, "", "big", time.Duration(i)*time.Minute, time.Second)
		root.SessionID, root.UserID = "huge", "heavy"
		c := llmSpan(tid, root.SpanID, "m", time.Duration(i)*time.Minute, time.Second,
			store.Usage{InputTokens: store.MaxTokenCount, OutputTokens: 1, TotalTokens: store.MaxTokenCount}, 1)
		b.write(t, root, c)
	}
	s, err := b.store.GetSessionSummary(b.ctx, b.project.ID, "huge")
	if err != nil {
		t.Fatal(err)
	}
	if s.Usage.InputTokens != 3*store.MaxTokenCount || s.Usage.OutputTokens != 3 {
		t.Errorf("session usage %+v, want %d input and 3 output tokens", s.Usage, 3*store.MaxTokenCount)
	}
	u, err := b.store.GetUserSummary(b.ctx, b.project.ID, "heavy")
	if err != nil || u.Usage != s.Usage || u.TraceCount != 3 {
		t.Errorf("user summary %+v, %v; want the session's usage over 3 traces", u, err)
	}
}

func testConversationIsolation(t *testing.T, newStore NewStore) {
	a := setup(t, newStore)
	other, err := a.store.CreateProject(a.ctx, "p-"+randomHex(8))
	if err != nil {
		t.Fatal(err)
	}
	b := &testBundle{store: a.store, project: other, ctx: a.ctx}
	a.turn(t, "shared", "same-user", 0, false)
	b.turn(t, "shared", "same-user", time.Minute, true)
	b.turn(t, "only-b", "b-user", time.Minute, true)

	mustEqualStrings(t, "A's sessions", sessionIDs(a.sessions(t, store.TraceFilter{})), []string{"shared"})
	mustEqualStrings(t, "A's users", userIDs(a.users(t, store.TraceFilter{})), []string{"same-user"})
	s, err := a.store.GetSessionSummary(a.ctx, a.project.ID, "shared")
	if err != nil || s.TraceCount != 1 || s.ErrorCount != 0 {
		t.Errorf("A's shared session = %+v, %v; want A's one trace", s, err)
	}
	if _, err := a.store.GetSessionSummary(a.ctx, a.project.ID, "only-b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A reads B's session: %v", err)
	}
	if _, err := a.store.GetUserSummary(a.ctx, a.project.ID, "b-user"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A reads B's user: %v", err)
	}
	if res, err := a.store.ListSessionTraces(a.ctx, a.project.ID, "only-b", store.Page{}); err != nil || len(res.Traces) != 0 {
		t.Errorf("A lists B's session traces: %d, %v", len(res.Traces), err)
	}
	if res, err := a.store.ListSessionTraces(a.ctx, a.project.ID, "shared", store.Page{}); err != nil || len(res.Traces) != 1 {
		t.Errorf("A's shared session traces: %d, %v; want 1", len(res.Traces), err)
	}
}

func testBadConversationParams(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	b.turn(t, "s", "u", 0, false)
	var pe *store.ParamError
	if _, err := b.store.ListSessionSummaries(b.ctx, b.project.ID, store.TraceFilter{UserID: "a\x00b"}, store.Page{}); !errors.As(err, &pe) || pe.Param != "user_id" {
		t.Errorf("a NUL in user_id: %v, want a ParamError naming user_id", err)
	}
	if _, err := b.store.ListUserSummaries(b.ctx, b.project.ID, store.TraceFilter{Status: "bad"}, store.Page{}); !errors.As(err, &pe) || pe.Param != "status" {
		t.Errorf("a bad status: %v, want a ParamError naming status", err)
	}
	for _, cursor := range []string{"!!", store.Cursor{StartTime: base, TraceID: NewTraceID()}.Encode()[:5], "MTIz"} {
		if _, err := b.store.ListSessionSummaries(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{Cursor: cursor}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("cursor %q: %v, want ErrInvalid", cursor, err)
		}
	}
	if _, err := b.store.ListSessionTraces(b.ctx, b.project.ID, "s", store.Page{Cursor: "nope"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a bad session trace cursor: %v, want ErrInvalid", err)
	}
	for _, id := range []string{"", "\xff", "a\x00"} {
		if _, err := b.store.GetSessionSummary(b.ctx, b.project.ID, id); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("GetSessionSummary(%q): %v, want ErrInvalid", id, err)
		}
		if _, err := b.store.GetUserSummary(b.ctx, b.project.ID, id); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("GetUserSummary(%q): %v, want ErrInvalid", id, err)
		}
	}
}
