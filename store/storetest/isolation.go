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

	if n, err := a.store.DeleteTracesBefore(a.ctx, a.project.ID, base.Add(time.Hour*24*365)); err != nil || n != 1 {
		t.Errorf("A's retention deleted %d, %v; want its 1 trace", n, err)
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
}
