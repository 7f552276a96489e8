package store

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// searchWordsByFields is SearchWords by its definition: strings.Fields,
// sorted, without repeats, joined by spaces.
func searchWordsByFields(text string) string {
	return strings.Join(slices.Compact(slices.Sorted(slices.Values(strings.Fields(text)))), " ")
}

// FuzzSearchWordsIsFields: SearchWords gives what its definition does,
// whatever the text (invalid UTF-8 and Unicode white space included).
func FuzzSearchWordsIsFields(f *testing.F) {
	f.Add("the quick brown fox\njumps over the lazy dog the end")
	f.Add("a\u00a0b\u2003c\u0085d \xff e\u3000f")
	f.Add("  \t\n ")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := SearchWords(text), searchWordsByFields(text); got != want {
			t.Fatalf("SearchWords(%q) = %q; want %q", text, got, want)
		}
	})
}

// BenchmarkSearchWords is a trace's search text of ten 1 KB spans, by
// SearchWords beside its definition.
func BenchmarkSearchWords(b *testing.B) {
	var text searchJoiner
	for i := range 10 {
		sp := Span{Name: "chat", Input: []byte(`{"q":"question ` + time.Duration(i).String() + `: ` +
			strings.Repeat("the quick brown fox jumps over the lazy dog ", 23) + `"}`)}
		text.add(SearchText(&sp))
	}
	s := text.buf.String()
	b.Run("SearchWords", func(b *testing.B) {
		for b.Loop() {
			SearchWords(s)
		}
	})
	b.Run("Fields", func(b *testing.B) {
		for b.Loop() {
			searchWordsByFields(s)
		}
	})
}
