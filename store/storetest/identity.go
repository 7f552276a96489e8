package storetest

import (
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// testResentSpan sends one span id twice, with other start times (another
// day even) and another parent: a span's identity is its project, trace id
// and span id, so the first copy stays, alone, and the summary counts it
// once.
func testResentSpan(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := span(tid, "", "root", 0, time.Hour)
	a := span(tid, root.SpanID, "a", time.Minute, time.Second)
	first := llmSpan(tid, root.SpanID, "m", 2*time.Minute, time.Second, store.Usage{InputTokens: 5, OutputTokens: 1}, 0.5)
	first.Name = "first copy"
	b.write(t, root, a, first)

	again := first
	again.Name = "second copy"
	again.StartTime = first.StartTime.Add(-26 * time.Hour) // the day before
	again.EndTime = again.StartTime.Add(time.Second)
	again.ParentSpanID = a.SpanID
	b.write(t, again)
	later := again
	later.StartTime, later.EndTime = first.StartTime.Add(30*time.Hour), first.StartTime.Add(31*time.Hour) // the day after
	b.write(t, later, a)                                                                                  // with a span stored already: the careful path

	d := b.get(t, tid)
	if len(d.Spans) != 3 {
		t.Fatalf("got %d spans, want 3: %+v", len(d.Spans), d.Spans)
	}
	var got store.Span
	for _, s := range d.Spans {
		if s.SpanID == first.SpanID {
			got = s
		}
	}
	if got.Name != "first copy" || got.ParentSpanID != root.SpanID || !got.StartTime.Equal(first.StartTime) {
		t.Errorf("the stored copy is %q under %s at %v; want the first one", got.Name, got.ParentSpanID, got.StartTime)
	}
	mustEqual(t, "span count", d.Trace.SpanCount, int64(3))
	mustEqual(t, "input tokens", d.Trace.Usage.InputTokens, int64(5))
	mustEqual(t, "cost", d.Trace.CostUSD, 0.5)
	mustEqual(t, "start", d.Trace.StartTime, root.StartTime)
	mustEqual(t, "end", d.Trace.EndTime, root.EndTime)
	if tree, err := b.store.GetTraceTree(b.ctx, b.project.ID, tid, 0); err != nil || len(tree.Spans) != 3 {
		t.Errorf("the tree holds %d spans, %v; want 3", len(tree.Spans), err)
	}
	res, err := b.store.SearchSpans(b.ctx, b.project.ID, store.SpanFilter{Query: "copy"}, store.Page{})
	if err != nil || len(res.Spans) != 1 || res.Spans[0].Name != "first copy" {
		t.Errorf("span search finds %+v, %v; want the first copy once", res.Spans, err)
	}
	if got := b.list(t, store.TraceFilter{Query: "second copy"}, 10); len(got) != 0 {
		t.Errorf("the refused copy's text is searchable: %q", got)
	}
}
