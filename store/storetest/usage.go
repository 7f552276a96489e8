package storetest

import (
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// testTokenConvention proves that every backend stores total = input +
// output whatever total was sent (unless only a total was), and that a
// trace's sums, the list's and the metrics' agree with its spans'.
func testTokenConvention(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := span(tid, "", "run", 0, time.Minute)
	a := llmSpan(tid, root.SpanID, "claude-sonnet-4-5", time.Second, time.Second,
		store.Usage{InputTokens: 1500, OutputTokens: 200, CachedTokens: 1000, CacheCreationTokens: 300, TotalTokens: 999}, 0.01)
	a.Provider = "anthropic"
	g := llmSpan(tid, root.SpanID, "gemini-2.5-pro", 2*time.Second, time.Second,
		store.Usage{InputTokens: 80, OutputTokens: 120, ReasoningTokens: 100}, 0.02)
	g.Provider = "google"
	onlyTotal := llmSpan(tid, root.SpanID, "embed", 3*time.Second, time.Second, store.Usage{TotalTokens: 55}, 0)
	onlyTotal.Type = store.SpanEmbedding
	b.write(t, root, a, g, onlyTotal)

	d := b.get(t, tid)
	totals := map[string]int64{}
	var sum store.Usage
	for _, s := range d.Spans {
		if s.Usage != nil {
			totals[s.Model] = s.Usage.TotalTokens
			sum = sum.Add(*s.Usage)
		}
	}
	mustEqual(t, "anthropic total", totals["claude-sonnet-4-5"], int64(1700))
	mustEqual(t, "google total", totals["gemini-2.5-pro"], int64(200))
	mustEqual(t, "a total sent alone", totals["embed"], int64(55))
	mustEqual(t, "trace usage = sum of spans", d.Trace.Usage, sum)

	res, err := b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{})
	if err != nil || len(res.Traces) != 1 {
		t.Fatalf("ListTraces = %+v, %v", res, err)
	}
	mustEqual(t, "listed usage", res.Traces[0].Usage, sum)
	rows, err := b.store.UsageMetrics(b.ctx, b.project.ID, store.UsageQuery{GroupBy: store.GroupByDay})
	if err != nil {
		t.Fatal(err)
	}
	var metrics store.Usage
	for _, r := range rows {
		metrics = metrics.Add(r.Usage)
	}
	mustEqual(t, "metrics usage", metrics, sum)
}
