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

// TestSearchTextManyEscapes: a long string of escapes is read in one
// pass; a scan that went back over the string for each escape would not
// finish within the test timeout.
func TestSearchTextManyEscapes(t *testing.T) {
	t.Parallel()
	in := []byte(`{"content":"` + strings.Repeat(`a\n`, 1<<20) + `"}`)
	s := Span{Name: "n", Input: in}
	if got := SearchText(&s); len(got) != MaxSpanSearchBytes || !strings.HasPrefix(got, "n\na\na") {
		t.Errorf("SearchText of 3 MB of escapes: %d bytes, %.10q", len(got), got)
	}
}
