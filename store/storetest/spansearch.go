package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

func runSpanSearch(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := span(tid, "", "plan the trip", 0, time.Hour)
	root.Type = store.SpanAgent
	root.Input = js(`{"goal":"Visit LISBON in May"}`)
	a := llmSpan(tid, root.SpanID, "gpt-4o", time.Minute, time.Second, store.Usage{InputTokens: 5}, 0.1)
	a.Name = "a"
	a.Output = js(`"Lisbon is lovely in spring"`)
	c := llmSpan(tid, root.SpanID, "claude", 2*time.Minute, time.Second, store.Usage{InputTokens: 5}, 0.1)
	c.Name = "c"
	c.Status = store.StatusError
	tool := span(tid, root.SpanID, "weather lookup", 3*time.Minute, time.Second)
	tool.Type = store.SpanTool
	other := NewTraceID()
	late := llmSpan(other, "", "gpt-4o", 10*time.Minute, time.Second, store.Usage{}, 0)
	late.Name = "late"
	b.write(t, root, a, c, tool, late)

	names := func(f store.SpanFilter, limit int) []string {
		t.Helper()
		var out []string
		page := store.Page{Limit: limit}
		for range 100 {
			res, err := b.store.SearchSpans(b.ctx, b.project.ID, f, page)
			if err != nil {
				t.Fatalf("SearchSpans(%+v): %v", f, err)
			}
			for _, s := range res.Spans {
				if s.Input != nil || s.Output != nil {
					t.Errorf("SearchSpans returned the input or output of %s", s.Name)
				}
				out = append(out, s.Name)
			}
			if res.NextCursor == "" {
				return out
			}
			page.Cursor = res.NextCursor
		}
		t.Fatal("pagination did not end")
		return nil
	}
	for _, tc := range []struct {
		name string
		f    store.SpanFilter
		want []string
	}{
		{"all", store.SpanFilter{}, []string{"late", "weather lookup", "c", "a", "plan the trip"}},
		{"type", store.SpanFilter{Type: store.SpanLLM}, []string{"late", "c", "a"}},
		{"model", store.SpanFilter{Model: "gpt-4o"}, []string{"late", "a"}},
		{"status", store.SpanFilter{Status: store.StatusError}, []string{"c"}},
		{"ok", store.SpanFilter{Status: store.StatusOK, Type: store.SpanLLM}, []string{"late", "a"}},
		{"time", store.SpanFilter{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, []string{"c", "a"}},
		{"text in input and output", store.SpanFilter{Query: "lisbon"}, []string{"a", "plan the trip"}},
		{"text in name", store.SpanFilter{Query: "WEATHER"}, []string{"weather lookup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, limit := range []int{1, 2, 50} {
				if got := names(tc.f, limit); !slices.Equal(got, tc.want) {
					t.Errorf("limit %d: got %q, want %q", limit, got, tc.want)
				}
			}
		})
	}
	other2, err := b.store.CreateProject(b.ctx, "p-"+randomHex(8))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.store.SearchSpans(b.ctx, other2.ID, store.SpanFilter{}, store.Page{})
	if err != nil || len(res.Spans) != 0 {
		t.Errorf("another project sees %d spans (%v)", len(res.Spans), err)
	}
}
