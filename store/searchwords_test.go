package store

import (
	"slices"
	"strings"
	"testing"
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
