package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

func runTraces(t *testing.T, newStore NewStore) {
	t.Run("Filters", func(t *testing.T) { t.Parallel(); testListFilters(t, newStore) })
	t.Run("Pagination", func(t *testing.T) { t.Parallel(); testPagination(t, newStore) })
	t.Run("BadCursor", func(t *testing.T) { t.Parallel(); testBadCursor(t, newStore) })
	t.Run("NotFound", func(t *testing.T) { t.Parallel(); testTraceNotFound(t, newStore) })
	t.Run("Retention", func(t *testing.T) { t.Parallel(); testRetention(t, newStore) })
}

type traceSpec struct {
	key                         string
	agent, user, session, model string
	tags                        []string
	offset, dur                 time.Duration
	failed                      bool
	name, input, output         string
}

// writeTrace stores a root span and, when spec.model is set, an llm child.
func (b *testBundle) writeTrace(t *testing.T, spec traceSpec) string {
	t.Helper()
	tid := NewTraceID()
	root := span(tid, "", cmpOr(spec.name, "trace "+spec.key), spec.offset, spec.dur)
	root.AgentName, root.UserID, root.SessionID, root.Tags = spec.agent, spec.user, spec.session, spec.tags
	if spec.input != "" {
		root.Input = rawJSON(spec.input)
	}
	if spec.output != "" {
		root.Output = rawJSON(spec.output)
	}
	spans := []store.Span{root}
	if spec.model != "" {
		c := llmSpan(tid, root.SpanID, spec.model, spec.offset, spec.dur/2, store.Usage{InputTokens: 1}, 0)
		if spec.failed {
			c.Status = store.StatusError
		}
		spans = append(spans, c)
	} else if spec.failed {
		spans[0].Status = store.StatusError
	}
	b.write(t, spans...)
	return tid
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// list returns the keys (trace names without the "trace " prefix) of every
// trace the filter matches, following cursors.
func (b *testBundle) list(t *testing.T, f store.TraceFilter, limit int) []string {
	t.Helper()
	var names []string
	page := store.Page{Limit: limit}
	for range 1000 {
		res, err := b.store.ListTraces(b.ctx, b.project.ID, f, page)
		if err != nil {
			t.Fatalf("ListTraces(%+v): %v", f, err)
		}
		if len(res.Traces) > max(limit, 1) && limit > 0 {
			t.Fatalf("page of %d traces, limit %d", len(res.Traces), limit)
		}
		for _, tr := range res.Traces {
			if tr.Input != nil || tr.Output != nil {
				t.Errorf("ListTraces returned input/output for %s; only GetTrace does", tr.TraceID)
			}
			names = append(names, strings.TrimPrefix(tr.Name, "trace "))
		}
		if res.NextCursor == "" {
			return names
		}
		page.Cursor = res.NextCursor
	}
	t.Fatal("pagination did not end")
	return nil
}

func testListFilters(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	m := time.Minute
	specs := []traceSpec{
		{key: "a", agent: "alpha", user: "u1", session: "s1", model: "gpt-4o", tags: []string{"prod"}, offset: 1 * m, dur: time.Second, input: "find the NEEDLE please"},
		{key: "b", agent: "beta", user: "u2", session: "s1", model: "claude", tags: []string{"prod", "beta"}, offset: 2 * m, dur: 5 * time.Second, failed: true},
		{key: "c", agent: "alpha", user: "u1", session: "s2", model: "gpt-4o", offset: 3 * m, dur: 10 * time.Second, output: "a needle in a haystack"},
		{key: "d", agent: "gamma", offset: 4 * m, dur: 20 * time.Second, failed: true, name: "trace d 100%_done"},
		{key: "e", agent: "alpha", tags: []string{"beta"}, offset: 5 * m, dur: 2 * time.Second},
	}
	for _, s := range specs {
		b.writeTrace(t, s)
	}
	tests := []struct {
		name   string
		filter store.TraceFilter
		want   []string
	}{
		{"none", store.TraceFilter{}, []string{"e", "d 100%_done", "c", "b", "a"}},
		{"since", store.TraceFilter{Since: base.Add(3 * m)}, []string{"e", "d 100%_done", "c"}},
		{"until", store.TraceFilter{Until: base.Add(3 * m)}, []string{"b", "a"}},
		{"range", store.TraceFilter{Since: base.Add(2 * m), Until: base.Add(4 * m)}, []string{"c", "b"}},
		{"agent", store.TraceFilter{AgentName: "alpha"}, []string{"e", "c", "a"}},
		{"tag", store.TraceFilter{Tag: "beta"}, []string{"e", "b"}},
		{"model", store.TraceFilter{Model: "gpt-4o"}, []string{"c", "a"}},
		{"error", store.TraceFilter{Status: store.StatusError}, []string{"d 100%_done", "b"}},
		{"ok", store.TraceFilter{Status: store.StatusOK}, []string{"e", "c", "a"}},
		{"user", store.TraceFilter{UserID: "u1"}, []string{"c", "a"}},
		{"session", store.TraceFilter{SessionID: "s1"}, []string{"b", "a"}},
		{"min duration", store.TraceFilter{MinDuration: 5 * time.Second}, []string{"d 100%_done", "c", "b"}},
		{"query in input and output, any case", store.TraceFilter{Query: "needle"}, []string{"c", "a"}},
		{"query in name", store.TraceFilter{Query: "TRACE B"}, []string{"b"}},
		{"query wildcards are literal", store.TraceFilter{Query: "100%_"}, []string{"d 100%_done"}},
		{"query percent alone", store.TraceFilter{Query: "%"}, []string{"d 100%_done"}},
		{"combined", store.TraceFilter{AgentName: "alpha", Model: "gpt-4o", MinDuration: 5 * time.Second}, []string{"c"}},
		{"nothing", store.TraceFilter{AgentName: "nobody"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := b.list(t, tc.filter, 2)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func testPagination(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	var want []string
	for i := range 23 {
		// Groups of three share a start time, so the trace id must break ties.
		key := string(rune('a' + i))
		b.writeTrace(t, traceSpec{key: key, offset: time.Duration(i/3) * time.Minute, dur: time.Second})
		want = append(want, key)
	}
	for _, limit := range []int{1, 5, 7, 23, 100} {
		got := b.list(t, store.TraceFilter{}, limit)
		if len(got) != 23 {
			t.Fatalf("limit %d: got %d traces, want 23: %q", limit, len(got), got)
		}
		sorted := slices.Sorted(slices.Values(got))
		if !slices.Equal(sorted, slices.Sorted(slices.Values(want))) {
			t.Fatalf("limit %d: got %q, want each of %q once", limit, got, want)
		}
	}
	// Newest first: the last group (offset 7) holds keys v, w.
	res, err := b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range res.Traces {
		if !tr.StartTime.Equal(base.Add(7 * time.Minute)) {
			t.Errorf("first page holds %s started %v; want the newest", tr.Name, tr.StartTime)
		}
	}
	if res.Traces[0].TraceID < res.Traces[1].TraceID {
		t.Errorf("ties not broken by trace id descending")
	}
	res, err = b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{})
	if err != nil || len(res.Traces) != 23 || res.NextCursor != "" {
		t.Errorf("default limit: %d traces, cursor %q, err %v; want all 23 and no cursor", len(res.Traces), res.NextCursor, err)
	}
}

func testBadCursor(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	for _, c := range []string{"!!!", "bm9wZQ", "MTIzOnp6eg"} {
		_, err := b.store.ListTraces(b.ctx, b.project.ID, store.TraceFilter{}, store.Page{Cursor: c})
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("cursor %q: err = %v, want ErrInvalid", c, err)
		}
	}
}

func testTraceNotFound(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	for _, id := range []string{NewTraceID(), "nope", ""} {
		if _, err := b.store.GetTrace(b.ctx, b.project.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetTrace(%q) err = %v, want ErrNotFound", id, err)
		}
	}
}

func testRetention(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	old := b.writeTrace(t, traceSpec{key: "old", model: "m", offset: -30 * 24 * time.Hour, dur: time.Second})
	edge := b.writeTrace(t, traceSpec{key: "edge", offset: -10 * 24 * time.Hour, dur: time.Second})
	fresh := b.writeTrace(t, traceSpec{key: "fresh", model: "m", offset: 0, dur: time.Second})
	n, err := b.store.DeleteTracesBefore(b.ctx, b.project.ID, base.Add(-10*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "deleted", n, store.Removed{Traces: 1, Spans: 2})
	if _, err := b.store.GetTrace(b.ctx, b.project.ID, old); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old trace still there: %v", err)
	}
	for _, id := range []string{edge, fresh} {
		b.get(t, id)
	}
	rows, err := b.store.UsageMetrics(b.ctx, b.project.ID, store.UsageQuery{GroupBy: store.GroupByModel})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Count != 1 {
		t.Errorf("usage after retention = %+v; want only the fresh trace's llm span", rows)
	}
}
