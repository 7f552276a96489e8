package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// runExport checks the streamed export: every span of the selected
// traces, whole, once, in order, read in bounded batches.
func runExport(t *testing.T, newStore NewStore) {
	t.Run("ExportOrder", func(t *testing.T) { t.Parallel(); testExportOrder(t, newStore) })
	t.Run("ExportBatches", func(t *testing.T) { t.Parallel(); testExportBatches(t, newStore) })
	t.Run("ExportIsolation", func(t *testing.T) { t.Parallel(); testExportIsolation(t, newStore) })
	t.Run("ExportBigTrace", func(t *testing.T) { t.Parallel(); testExportBigTrace(t, newStore) })
}

// testExportBigTrace exports a trace of more spans than a read returns,
// many starting at the same time, in (start time, span id) order, each
// once.
func testExportBigTrace(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	n := 2*store.ExportBatchSpans + 500
	spans := make([]store.Span, n)
	spans[0] = span(tid, "", "root", 0, time.Hour)
	for i := 1; i < n; i++ {
		spans[i] = span(tid, spans[0].SpanID, fmt.Sprintf("s%d", i), time.Duration(i%7)*time.Second, time.Second)
	}
	for lo := 0; lo < n; lo += 1000 {
		b.write(t, spans[lo:min(lo+1000, n)]...)
	}
	var got []store.Span
	if err := store.ExportTrace(b.ctx, b.store, b.project.ID, tid, func(s *store.Span) error {
		got = append(got, *s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("exported %d spans, want %d", len(got), n)
	}
	seen := map[string]bool{}
	for i, s := range got {
		if seen[s.SpanID] {
			t.Fatalf("span %s exported twice", s.SpanID)
		}
		seen[s.SpanID] = true
		if i > 0 {
			prev := got[i-1]
			if s.StartTime.Before(prev.StartTime) || s.StartTime.Equal(prev.StartTime) && s.SpanID < prev.SpanID {
				t.Fatalf("span %d (%v %s) comes after %v %s", i, s.StartTime, s.SpanID, prev.StartTime, prev.SpanID)
			}
		}
	}
}

func (b *testBundle) export(t *testing.T, f store.TraceFilter) []store.Span {
	t.Helper()
	var out []store.Span
	if err := store.ExportSpans(b.ctx, b.store, b.project.ID, f, func(s *store.Span) error {
		out = append(out, *s)
		return nil
	}); err != nil {
		t.Fatalf("ExportSpans(%+v): %v", f, err)
	}
	return out
}

func spanKeys(spans []store.Span) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.TraceID[:6] + "/" + s.Name
	}
	return out
}

// testExportOrder exports more traces than a page of trace summaries,
// newest first, each trace's spans by start time then span id, with
// their payloads; a filter narrows it as it narrows the list.
func testExportOrder(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	n := store.ExportTracePage + 5
	var want []string
	for i := range n {
		tid := NewTraceID()
		root := span(tid, "", "root", time.Duration(i)*time.Minute, 10*time.Second)
		root.SessionID = fmt.Sprintf("s-%d", i%2)
		root.Input, root.Output = rawJSON(fmt.Sprintf("in %d", i)), rawJSON(fmt.Sprintf("out %d", i))
		// Children written in reverse, two starting at the same time.
		c2 := span(tid, root.SpanID, "c2", time.Duration(i)*time.Minute+2*time.Second, time.Second)
		c1a := span(tid, root.SpanID, "c1a", time.Duration(i)*time.Minute+time.Second, time.Second)
		c1b := span(tid, root.SpanID, "c1b", time.Duration(i)*time.Minute+time.Second, time.Second)
		c1a.SpanID, c1b.SpanID = "1"+c1a.SpanID[1:], "2"+c1b.SpanID[1:]
		c2.Attributes = rawJSON(map[string]any{"k": i})
		b.write(t, c2, c1b, c1a, root)
		want = append([]string{tid[:6] + "/root", tid[:6] + "/c1a", tid[:6] + "/c1b", tid[:6] + "/c2"}, want...)
	}
	got := b.export(t, store.TraceFilter{})
	mustEqualStrings(t, "exported spans", spanKeys(got), want)
	if len(got) != 4*n {
		t.FailNow()
	}
	if string(got[0].Input) != fmt.Sprintf("%q", fmt.Sprintf("in %d", n-1)) || len(got[0].Output) == 0 {
		t.Errorf("the newest root exports input %s, output %s", got[0].Input, got[0].Output)
	}
	var attrs struct{ K int }
	if err := json.Unmarshal(got[3].Attributes, &attrs); err != nil || attrs.K != n-1 {
		t.Errorf("attributes exported as %s", got[3].Attributes)
	}
	odd := b.export(t, store.TraceFilter{SessionID: "s-1"})
	if len(odd) != 4*(n/2) {
		t.Errorf("session s-1 exports %d spans, want %d", len(odd), 4*(n/2))
	}
	for _, s := range odd {
		if s.ParentSpanID == "" && s.SessionID != "s-1" {
			t.Errorf("session s-1's export holds a root of %q", s.SessionID)
		}
	}
	if got := b.export(t, store.TraceFilter{AgentName: "nobody"}); len(got) != 0 {
		t.Errorf("an empty filter result exports %d spans", len(got))
	}
	if err := store.ExportSpans(b.ctx, b.store, b.project.ID, store.TraceFilter{Status: "nope"}, func(*store.Span) error { return nil }); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a bad filter: %v, want ErrInvalid", err)
	}
}

// testExportBatches reads a trace in batches bounded by count and by
// bytes, and exports one trace bigger than a batch.
func testExportBatches(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tidA, tidB := NewTraceID(), NewTraceID()
	var spans []store.Span
	for i := range 7 {
		s := span(tidA, "", fmt.Sprintf("a%d", i), time.Duration(i)*time.Second, time.Second)
		if i > 0 {
			s.ParentSpanID = spans[0].SpanID
		}
		s.Input = rawJSON(strings.Repeat("x", 1000))
		spans = append(spans, s)
	}
	spans = append(spans, span(tidB, "", "b0", 0, time.Second))
	b.write(t, spans...)

	// By count: 3 a time over two traces, B listed first.
	var names []string
	after := store.StartKey
	for range 10 {
		got, more, err := b.store.ReadSpanBatch(b.ctx, b.project.ID, store.SpanBatch{TraceIDs: []string{tidB, tidA}, After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 3 {
			t.Fatalf("a batch of %d spans, limit 3", len(got))
		}
		for _, s := range got {
			names = append(names, s.Name)
		}
		if !more {
			break
		}
		last := got[len(got)-1]
		idx := 1
		if last.TraceID == tidB {
			idx = 0
		}
		after = store.SpanKey{Index: idx, StartTime: last.StartTime, SpanID: last.SpanID}
	}
	mustEqualStrings(t, "batched spans", names, []string{"b0", "a0", "a1", "a2", "a3", "a4", "a5", "a6"})

	// By bytes: each span's input is about 1 KB, so a 2,500-byte bound
	// stops after the third.
	got, more, err := b.store.ReadSpanBatch(b.ctx, b.project.ID, store.SpanBatch{TraceIDs: []string{tidA}, After: store.StartKey, MaxBytes: 2500})
	if err != nil || len(got) != 3 || !more {
		t.Errorf("a byte-bounded batch = %d spans, more %v, %v; want 3 and more", len(got), more, err)
	}
	// The last batch says there is no more.
	got, more, err = b.store.ReadSpanBatch(b.ctx, b.project.ID, store.SpanBatch{TraceIDs: []string{tidA}, After: store.StartKey})
	if err != nil || len(got) != 7 || more {
		t.Errorf("a whole trace = %d spans, more %v, %v; want 7, no more", len(got), more, err)
	}

	var all []string
	if err := store.ExportTrace(b.ctx, b.store, b.project.ID, strings.ToUpper(tidA), func(s *store.Span) error {
		all = append(all, s.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mustEqualStrings(t, "one trace exported", all, []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6"})
	if err := store.ExportTrace(b.ctx, b.store, b.project.ID, NewTraceID(), func(*store.Span) error {
		t.Error("an unknown trace emits a span")
		return nil
	}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("exporting an unknown trace: %v, want ErrNotFound", err)
	}
	stop := errors.New("stop")
	if err := store.ExportTrace(b.ctx, b.store, b.project.ID, tidA, func(*store.Span) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("an emit error comes back as %v", err)
	}
}

func testExportIsolation(t *testing.T, newStore NewStore) {
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
	a.write(t, spansA...)
	b.write(t, spansB...)
	onlyB := b.writeTrace(t, traceSpec{key: "only-b", session: "b-session"})
	for _, s := range a.export(t, store.TraceFilter{}) {
		if strings.HasPrefix(s.Name, "B's") || s.TraceID == onlyB {
			t.Errorf("A's export holds B's span %s", describe(s))
		}
	}
	if got := a.export(t, store.TraceFilter{}); len(got) != 3 {
		t.Errorf("A exports %d spans, want its 3", len(got))
	}
	if err := store.ExportTrace(a.ctx, a.store, a.project.ID, onlyB, func(*store.Span) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("A exports B's trace: %v", err)
	}
	got, _, err := a.store.ReadSpanBatch(a.ctx, a.project.ID, store.SpanBatch{TraceIDs: []string{onlyB, tid}, After: store.StartKey})
	if err != nil || len(got) != 3 {
		t.Errorf("A's batch over B's trace id = %d spans, %v; want A's 3", len(got), err)
	}
}
