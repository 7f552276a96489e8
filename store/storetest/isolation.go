package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// runIsolation proves that no call made with one project's id reads or
// changes another project's data, even when the two use the same trace and
// span ids.
func runIsolation(t *testing.T, newStore NewStore) {
	a := setup(t, newStore)
	other, err := a.store.CreateProject(a.ctx, "p-"+randomHex(8))
	if err != nil {
		t.Fatal(err)
	}
	b := &testBundle{store: a.store, project: other, ctx: a.ctx}

	tid := NewTraceID()
	spansA := chain(tid, 3)
	spansB := make([]store.Span, len(spansA))
	copy(spansB, spansA)
	for i := range spansB {
		spansB[i].Name = "B's " + spansB[i].Name
	}
	spansB[0].AgentName = "agent-b"
	a.write(t, spansA...)
	b.write(t, spansB...)
	onlyB := b.writeTrace(t, traceSpec{key: "only-b", agent: "agent-b", model: "b-model", offset: -40 * 24 * time.Hour, dur: time.Second})

	da, db := a.get(t, tid), b.get(t, tid)
	mustEqual(t, "A's root name", da.Trace.Name, "root")
	mustEqual(t, "B's root name", db.Trace.Name, "B's root")
	mustEqual(t, "A's span count", da.Trace.SpanCount, int64(3))
	mustEqual(t, "B's span count", db.Trace.SpanCount, int64(3))
	for _, s := range da.Spans {
		if s.AgentName == "agent-b" || len(s.Name) > 3 && s.Name[:3] == "B's" {
			t.Errorf("project A sees B's %s", describe(s))
		}
	}

	if _, err := a.store.GetTrace(a.ctx, a.project.ID, onlyB); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A reads B's trace: err = %v, want ErrNotFound", err)
	}
	if _, err := a.store.GetTraceTree(a.ctx, a.project.ID, onlyB, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A reads B's trace tree: err = %v, want ErrNotFound", err)
	}
	if sp, err := a.store.GetSpan(a.ctx, a.project.ID, tid, spansB[1].SpanID); err != nil || sp.Name != spansA[1].Name {
		t.Errorf("A's GetSpan of a shared id = %q, %v; want A's own span", sp.Name, err)
	}
	if tree, err := a.store.GetTraceTree(a.ctx, a.project.ID, tid, 0); err != nil || len(tree.Spans) != 3 || tree.Spans[0].Name != "root" {
		t.Errorf("A's tree of a shared trace id = %+v, %v", tree.Spans, err)
	}
	if res, err := a.store.SearchSpans(a.ctx, a.project.ID, store.SpanFilter{Query: "B's"}, store.Page{}); err != nil || len(res.Spans) != 0 {
		t.Errorf("A's span search finds B's text: %d spans, %v", len(res.Spans), err)
	}
	if got := a.list(t, store.TraceFilter{Query: "B's"}, 10); len(got) != 0 {
		t.Errorf("A's trace search finds B's text: %q", got)
	}
	if got := a.list(t, store.TraceFilter{Model: "b-model"}, 10); len(got) != 0 {
		t.Errorf("A's model filter finds B's model: %q", got)
	}
	if got := a.list(t, store.TraceFilter{}, 10); len(got) != 1 {
		t.Errorf("A lists %q; want only its own trace", got)
	}
	if got := a.list(t, store.TraceFilter{AgentName: "agent-b"}, 10); len(got) != 0 {
		t.Errorf("A lists B's agent: %q", got)
	}
	rows, err := a.store.UsageMetrics(a.ctx, a.project.ID, store.UsageQuery{Since: base.Add(-100 * 24 * time.Hour), GroupBy: store.GroupByModel})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Key == "b-model" || r.Count != 2 {
			t.Errorf("A's usage holds %+v; want only its 2 calls to m", r)
		}
	}

	if n, err := a.store.DeleteTracesBefore(a.ctx, a.project.ID, base.Add(time.Hour*24*365)); err != nil || n.Traces != 1 {
		t.Errorf("A's retention deleted %+v, %v; want its 1 trace", n, err)
	}
	if got := b.get(t, tid); got.Trace.SpanCount != 3 || len(got.Spans) != 3 {
		t.Errorf("A's retention touched B: %d spans left", len(got.Spans))
	}
	b.get(t, onlyB)

	key, err := b.store.CreateAPIKey(b.ctx, newKey(b.project.ID, "sk_live_"+randomHex(40)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.store.RevokeAPIKey(a.ctx, a.project.ID, key.ID, base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A revokes B's key: err = %v, want ErrNotFound", err)
	}
	if err := a.store.TouchAPIKey(a.ctx, a.project.ID, key.ID, base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A touches B's key: err = %v, want ErrNotFound", err)
	}
	if keys, _ := a.store.ListAPIKeys(a.ctx, a.project.ID); len(keys) != 0 {
		t.Errorf("A lists B's keys: %+v", keys)
	}
	if keys, _ := b.store.ListAPIKeys(b.ctx, b.project.ID); len(keys) != 1 || keys[0].Revoked() || keys[0].LastUsedAt != nil {
		t.Errorf("B's key changed through A: %+v", keys)
	}

	// Memberships: a user of A sees only A, and A's admin cannot reach B's
	// members; sessions: revoking one user's leaves another's.
	userA, userB := newUser(t, a.store, false), newUser(t, a.store, false)
	if err := a.store.AddMember(a.ctx, a.project.ID, userA.ID, store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := b.store.AddMember(b.ctx, b.project.ID, userB.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if prs, err := a.store.ListUserProjects(a.ctx, userA.ID); err != nil || len(prs) != 1 || prs[0].Project.ID != a.project.ID {
		t.Errorf("A's user sees %+v, %v; want only A", prs, err)
	}
	if _, err := a.store.GetMembership(a.ctx, userA.ID, b.project.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A's user in B: err = %v, want ErrNotFound", err)
	}
	if err := a.store.RemoveMember(a.ctx, a.project.ID, userB.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing B's member through A: err = %v, want ErrNotFound", err)
	}
	if ms, _ := a.store.ListMembers(a.ctx, a.project.ID); len(ms) != 1 || ms[0].UserID != userA.ID {
		t.Errorf("A's members = %+v; want only A's user", ms)
	}
	if role, err := b.store.GetMembership(b.ctx, userB.ID, b.project.ID); err != nil || role != store.RoleViewer {
		t.Errorf("B's member changed through A: %q, %v", role, err)
	}
	sessA := store.Session{UserID: userA.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: time.Now().Add(time.Hour)}
	sessB := store.Session{UserID: userB.ID, IDHash: sessionHash(randomHex(32)), ExpiresAt: time.Now().Add(time.Hour)}
	for _, x := range []store.Session{sessA, sessB} {
		if err := a.store.CreateSession(a.ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.store.RevokeUserSessions(a.ctx, userA.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := b.store.GetSession(b.ctx, sessB.IDHash); err != nil || got.UserID != userB.ID {
		t.Errorf("revoking A's user's sessions ended B's: %+v, %v", got, err)
	}
	if _, err := a.store.GetSession(a.ctx, sessA.IDHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A's session after revoking: err = %v, want ErrNotFound", err)
	}
}
