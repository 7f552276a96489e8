package storetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// testTreeAndSpan proves the trace page's two reads: the tree without any
// payload, saying how big each span's is, and one whole span; and that
// raw payloads are stored byte for byte, read only whole, never searched
// and never summarised.
func testTreeAndSpan(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := fullSpan(tid)
	llm := llmSpan(tid, root.SpanID, "gpt-4o-mini-2024-07-18", 100*time.Millisecond, time.Second, store.Usage{InputTokens: 3, OutputTokens: 2}, 0.001)
	llm.Input = chatJSON("user", "Hello")
	llm.Output = chatJSON("assistant", "Hi there")
	// As the provider sent them: odd spacing, key order, escapes that
	// jsonb would refuse, a number no float holds.
	llm.RawInput = js(` {"model" : "gpt-4o-mini", "messages":[{"role":"user","content":"Hello \u0000 \ud800 rawonlyword"}],"n":1e1000000} `)
	llm.RawOutput = js(`{"id":"chatcmpl-1","choices":[{"message":{"content":"Hi there"}}]}` + "\n")
	llm.Attributes = js(`{"temperature":0.5}`)
	tool := span(tid, root.SpanID, "no payload", 200*time.Millisecond, time.Second)
	// The latest span has the smallest id: a bounded tree read that took
	// rows in key order would keep it.
	tool.SpanID = "0000000000000001"
	b.write(t, root, llm, tool)

	tree, err := b.store.GetTraceTree(b.ctx, b.project.ID, strings.ToUpper(tid), 0)
	if err != nil {
		t.Fatal(err)
	}
	full := b.get(t, tid)
	if len(tree.Spans) != 3 || tree.Trace.SpanCount != 3 || tree.Trace.Name != full.Trace.Name || tree.Trace.Usage != full.Trace.Usage {
		t.Fatalf("tree %+v; want the trace's summary and 3 spans", tree.Trace)
	}
	if tree.Trace.Input != nil || tree.Trace.Output != nil {
		t.Errorf("the tree's trace carries input or output")
	}
	wantBytes := map[string]int64{
		root.SpanID: int64(len(root.Input) + len(root.Output)),
		llm.SpanID:  int64(len(llm.Input) + len(llm.Output)),
		tool.SpanID: 0,
	}
	if len(full.Spans) != len(tree.Spans) {
		t.Fatalf("tree %d spans, whole %d", len(tree.Spans), len(full.Spans))
	}
	for i, s := range tree.Spans {
		mustEqual(t, "PayloadBytes of "+s.Name, s.PayloadBytes, wantBytes[s.SpanID])
		// The tree's span is exactly Span.Tree of the whole one, in the
		// same order.
		if want := full.Spans[i].Tree(); s != want {
			t.Errorf("tree span %d = %+v, want %+v", i, s, want)
		}
	}
	// A bounded read keeps the first spans by start time, and the trace
	// still says how many it has.
	first, err := b.store.GetTraceTree(b.ctx, b.project.ID, tid, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Spans) != 2 || first.Spans[0] != tree.Spans[0] || first.Spans[1] != tree.Spans[1] || first.SpanCount != 3 {
		t.Errorf("the first 2 of the tree: %+v (span count %d); want %+v", first.Spans, first.SpanCount, tree.Spans[:2])
	}
	if sp := tree.Spans[1]; !sp.HasUsage || sp.TotalTokens != 5 || sp.Model != "gpt-4o-mini-2024-07-18" || sp.Type != store.SpanLLM {
		t.Errorf("the llm span's tree row %+v: want its model and 5 tokens", sp)
	}

	got, err := b.store.GetSpan(b.ctx, b.project.ID, tid, strings.ToUpper(llm.SpanID))
	if err != nil {
		t.Fatal(err)
	}
	llm.Normalize()
	assertSpanEqual(t, got, llm)
	if !bytes.Equal(got.RawInput, llm.RawInput) || !bytes.Equal(got.RawOutput, llm.RawOutput) {
		t.Errorf("raw payloads changed: %q / %q", got.RawInput, got.RawOutput)
	}
	for _, s := range full.Spans {
		if s.SpanID == llm.SpanID && (!bytes.Equal(s.RawInput, llm.RawInput) || !bytes.Equal(s.RawOutput, llm.RawOutput)) {
			t.Errorf("GetTrace's raw payloads differ")
		}
	}
	for _, ids := range [][2]string{{tid, NewSpanID()}, {NewTraceID(), llm.SpanID}, {tid, "nope"}} {
		if _, err := b.store.GetSpan(b.ctx, b.project.ID, ids[0], ids[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetSpan(%s, %s): err = %v, want ErrNotFound", ids[0], ids[1], err)
		}
	}
	if _, err := b.store.GetTraceTree(b.ctx, b.project.ID, NewTraceID(), 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTraceTree of no trace: err = %v, want ErrNotFound", err)
	}

	res, err := b.store.SearchSpans(b.ctx, b.project.ID, store.SpanFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Spans {
		if s.RawInput != nil || s.RawOutput != nil || s.Attributes != nil {
			t.Errorf("span search returned the payloads of %s", describe(s))
		}
	}
	if got := b.list(t, store.TraceFilter{Query: "rawonlyword"}, 10); len(got) != 0 {
		t.Errorf("raw payloads are searched: %q", got)
	}
	if res, _ := b.store.SearchSpans(b.ctx, b.project.ID, store.SpanFilter{Query: "chatcmpl"}, store.Page{}); len(res.Spans) != 0 {
		t.Errorf("span search reads raw payloads")
	}
	if !bytes.Equal(full.Trace.Input, root.Input) {
		t.Errorf("the trace's input is %q, want the root's", full.Trace.Input)
	}
}
