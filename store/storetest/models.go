package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// testModelFilters proves that model= finds what people type: the model
// they asked for, the one that answered, and any dated or versioned
// release of the name given, never a longer name; the same on traces,
// spans and metrics.
func testModelFilters(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	write := func(key, model, requested string, offset time.Duration) {
		t.Helper()
		tid := NewTraceID()
		root := span(tid, "", "trace "+key, offset, time.Minute)
		llm := llmSpan(tid, root.SpanID, model, offset+time.Second, time.Second, store.Usage{InputTokens: 10, OutputTokens: 1}, 0.01)
		llm.Name, llm.RequestModel = key, requested
		b.write(t, root, llm)
	}
	write("dated", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", time.Minute)
	write("claude", "claude-sonnet-4-5-20250929", "", 2*time.Minute)
	write("routed", "gpt-4o-2024-08-06", "my-router-alias", 3*time.Minute)
	write("plain", "gpt-4o-mini", "", 4*time.Minute)
	write("unanswered", "", "gemini-2.5-flash", 5*time.Minute)

	for _, tt := range []struct {
		model string
		want  []string // newest first
	}{
		{"gpt-4o-mini", []string{"plain", "dated"}},
		{"gpt-4o-mini-2024-07-18", []string{"dated"}},
		{"claude-sonnet-4-5", []string{"claude"}},
		{"claude-sonnet-4-5-20250929", []string{"claude"}},
		{"my-router-alias", []string{"routed"}}, // the requested model, answered by another
		{"gpt-4o", []string{"routed"}},          // not gpt-4o-mini
		{"GPT-4o ", []string{"routed"}},
		{"gemini-2.5-flash", []string{"unanswered"}},
		{"claude", nil},
		{"gpt-4o-mini-2024", nil},
	} {
		if got := b.list(t, store.TraceFilter{Model: tt.model}, 2); !slices.Equal(got, tt.want) {
			t.Errorf("traces model=%q: %q, want %q", tt.model, got, tt.want)
		}
		res, err := b.store.SearchSpans(b.ctx, b.project.ID, store.SpanFilter{Model: tt.model}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var spans []string
		for _, s := range res.Spans {
			spans = append(spans, s.Name)
		}
		if !slices.Equal(spans, tt.want) {
			t.Errorf("spans model=%q: %q, want %q", tt.model, spans, tt.want)
		}
		rows, err := b.store.UsageMetrics(b.ctx, b.project.ID, store.UsageQuery{GroupBy: store.GroupByDay, Model: tt.model})
		if err != nil {
			t.Fatal(err)
		}
		var calls int64
		for _, r := range rows {
			calls += r.Count
		}
		if calls != int64(len(tt.want)) {
			t.Errorf("metrics model=%q: %d calls, want %d", tt.model, calls, len(tt.want))
		}
	}

	// The display list names what answered, else what was asked for.
	res, err := b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	models := map[string][]string{}
	for _, tr := range res.Traces {
		models[tr.Name] = tr.Models
	}
	if got := models["trace unanswered"]; !slices.Equal(got, []string{"gemini-2.5-flash"}) {
		t.Errorf("models of a call with no answering model = %q", got)
	}
	if got := models["trace routed"]; !slices.Equal(got, []string{"gpt-4o-2024-08-06"}) {
		t.Errorf("models of a routed call = %q", got)
	}
}
