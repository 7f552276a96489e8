package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
)

// chatJSON is an llm span's input or output in the recorded chat shape.
func chatJSON(role, text string) []byte {
	return rawJSON(map[string]any{"messages": []any{map[string]any{
		"role": role, "parts": []any{map[string]any{"type": "text", "content": text}}, "finish_reason": "stop"}}})
}

// testSearch proves what q= matches, the same on every backend: the text
// of every span of a trace (names, error messages, the string values of
// inputs and outputs), folded for case, never the JSON's keys or the chat
// shape's structure.
func testSearch(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	// Each trace: an http root, an agent under it, an llm call under that.
	trace := func(key, name, err, answer string, offset time.Duration) {
		t.Helper()
		tid := NewTraceID()
		root := span(tid, "", "POST /v1/run "+key, offset, time.Minute)
		root.Type = store.SpanHTTP
		agent := span(tid, root.SpanID, "agent "+key, offset+time.Second, 50*time.Second)
		agent.Type = store.SpanAgent
		llm := llmSpan(tid, agent.SpanID, "gpt-4o", offset+2*time.Second, time.Second, store.Usage{InputTokens: 1}, 0)
		llm.Name = name
		llm.Input = chatJSON("user", "Question for "+key)
		llm.Output = chatJSON("assistant", answer)
		if err != "" {
			llm.Status, llm.ErrorMessage = store.StatusError, err
		}
		b.write(t, llm, agent, root) // the root last: its text is not first
	}
	trace("lisbon", "chat", "", "The capital of Portugal is Lisbon.", time.Minute)
	trace("timeout", "chat", "Upstream timeout after 30s", "", 2*time.Minute)
	trace("geocode", "geocode-lookup", "", "Done.", 3*time.Minute)
	trace("greek", "chat", "", "ΟΔΟΣ ΣΟΦΊΑΣ", 4*time.Minute)
	trace("french", "chat", "", "ÉCOLE Straße ŋ qz", 5*time.Minute)
	trace("quote", "chat", "", `He said "yes" twice`, 6*time.Minute)

	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"PORTUGAL", []string{"lisbon"}},                 // a non-root span's output
		{"upstream TIMEOUT", []string{"timeout"}},        // an error message
		{"geocode", []string{"geocode"}},                 // a span name
		{"question for g", []string{"greek", "geocode"}}, // an input
		{"οδος σοφίας", []string{"greek"}},               // Σ, σ and ς fold alike
		{"école", []string{"french"}},                    // É and é
		{"STRASSE", []string{"french"}},                  // ß folds to ss
		{"ŋ", []string{"french"}},                        // one character
		{"qz", []string{"french"}},                       // two
		{"post /v1/run", []string{"quote", "french", "greek", "geocode", "timeout", "lisbon"}},
		{`said "yes"`, []string{"quote"}}, // a quote is text like any other
		{`"`, []string{"quote"}},
		{"role", nil},          // a key of the chat shape
		{"content", nil},       // another
		{"assistant", nil},     // the value of a structural key
		{"stop", nil},          // another (finish_reason)
		{"{", nil},             // JSON's punctuation is not text
		{"lisbon.\ndone", nil}, // texts of two traces do not run together
	} {
		got := b.traceKeys(t, store.TraceFilter{Query: tt.q})
		if !slices.Equal(got, tt.want) {
			t.Errorf("q=%q finds %q, want %q", tt.q, got, tt.want)
		}
	}

	// Span search follows the same rule, span by span.
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"portugal", []string{"chat"}},
		{"UPSTREAM", []string{"chat"}},
		{"geocode-", []string{"geocode-lookup"}},
		{"σοφίασ", []string{"chat"}},
		{"agent g", []string{"agent greek", "agent geocode"}},
		{"role", nil},
		{"user", nil},
	} {
		res, err := b.store.SearchSpans(b.ctx, b.project.ID, store.SpanFilter{Query: tt.q}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range res.Spans {
			got = append(got, s.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("span q=%q finds %q, want %q", tt.q, got, tt.want)
		}
	}
}

// traceKeys lists the traces a filter finds by the key in their root's
// name ("POST /v1/run <key>"), newest first.
func (b *testBundle) traceKeys(t *testing.T, f store.TraceFilter) []string {
	t.Helper()
	res, err := b.store.ListTraces(b.ctx, b.project.ID, f, store.Page{Limit: store.MaxPageLimit})
	if err != nil {
		t.Fatalf("ListTraces(%+v): %v", f, err)
	}
	var keys []string
	for _, tr := range res.Traces {
		keys = append(keys, tr.Name[strings.LastIndexByte(tr.Name, ' ')+1:])
	}
	return keys
}

// testSearchCut writes a trace whose text runs past MaxTraceSearchRunes in
// five batches, and checks that every backend cuts it where
// store.JoinSearchText does: by characters, the spans in the order they
// were written.
func testSearchCut(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	tid := NewTraceID()
	root := span(tid, "", "cut root", 0, time.Hour)
	spans := []store.Span{root}
	for i := range 24 { // about 3,700 characters (4 KiB) of text each, none repeated
		s := span(tid, root.SpanID, fmt.Sprintf("part %02d", i), time.Duration(40-i)*time.Second, time.Second)
		var text strings.Builder
		fmt.Fprintf(&text, "marker-%02d ", i)
		for j := range 500 {
			fmt.Fprintf(&text, "é%02d.%03d ", i, j)
		}
		s.Output = rawJSON(text.String())
		spans = append(spans, s)
	}
	var want, whole string
	for i, s := range spans {
		text := store.SearchText(&s)
		want = store.JoinSearchText(want, text)
		if i > 0 {
			whole += "\n"
		}
		whole += text
	}
	for lo := 0; lo < len(spans); lo += 5 {
		b.write(t, spans[lo:lo+5]...)
	}
	if n := len([]rune(want)); n != store.MaxTraceSearchRunes || len([]rune(whole)) <= n {
		t.Fatalf("the fixture is %d characters cut, %d whole; it must run past the cut", n, len([]rune(whole)))
	}
	runes, all := []rune(want), []rune(whole)
	cut := len(runes)
	kept := string(runes[cut-12:])           // the last characters before the cut
	straddling := string(all[cut-6 : cut+6]) // half before it, half after
	beyond := string(all[len(all)-20:])      // the end of the last span
	for _, tt := range []struct {
		name, q string
		found   bool
	}{
		{"before the cut", kept, true},
		{"across the cut", straddling, false},
		{"after the cut", beyond, false},
		{"the first span's name, written first", "cut root", true},
		{"an early marker", "marker-00", true},
		{"the last marker", "marker-23", false},
	} {
		got := b.traceKeys(t, store.TraceFilter{Query: tt.q})
		if (len(got) == 1) != tt.found || len(got) > 1 {
			t.Errorf("%s: q=%.20q finds %q, want found %v", tt.name, tt.q, got, tt.found)
		}
	}
}
