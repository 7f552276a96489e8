package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Hello WORLD": "hello world",
		"ÉCOLE école": "école école",
		"ΣΊΣΥΦΟΣ σας": "σίσυφοσ σασ",
		"Straße":      "strasse",
		"ﬁle":         "file",
		"\u212a":      "k", // the Kelvin sign
		"":            "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSearchText(t *testing.T) {
	t.Parallel()
	chat := `{"messages":[{"role":"user","parts":[{"type":"text","content":"Where is LISBON?"},` +
		`{"type":"image","mime_type":"image/png","file_id":"f-1"}]},` +
		`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"lookup","arguments":{"city":"Lisboa"}}],` +
		`"finish_reason":"tool_calls"}]}`
	tests := []struct {
		name string
		span Span
		want string
	}{
		{"name only", Span{Name: "Plan Trip"}, "plan trip"},
		{"error message", Span{Name: "call", ErrorMessage: "429: Slow Down"}, "call\n429: slow down"},
		{"chat shape: content, not structure", Span{Name: "chat", Input: []byte(chat)},
			"chat\nwhere is lisbon?\nlookup\nlisboa"},
		{"plain string output", Span{Name: "s", Output: []byte(`"Über \"quoted\"\n"`)}, "s\nüber \"quoted\"\n"},
		{"escapes", Span{Name: "s", Input: []byte(`["\u00c9t\u00c9", "\ud83d\ude00", "\ud800!", "a\u0000b"]`)},
			"s\nétÉ\n😀\n\uFFFD!\na b"},
		{"numbers and literals are not text", Span{Name: "s", Input: []byte(`{"n": 12, "ok": true, "v": null, "id": 7, "x": "y"}`)}, "s\ny"},
		{"a structural key skips only its string", Span{Name: "s", Input: []byte(`{"type": {"text": "inner"}, "role": ["r"]}`)}, "s\ninner\nr"},
	}
	// "étÉ" folds to "été".
	tests[4].want = "s\nété\n😀\n\uFFFD!\na b"
	for _, tt := range tests {
		if got := SearchText(&tt.span); got != tt.want {
			t.Errorf("%s: SearchText = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSearchTextCut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", MaxSpanSearchBytes) // two bytes each
	s := Span{Name: "n", Input: []byte(`"` + long + `"`), Output: []byte(`"never reached"`)}
	got := SearchText(&s)
	if len(got) > MaxSpanSearchBytes || len(got) < MaxSpanSearchBytes-1 || !utf8.ValidString(got) {
		t.Errorf("cut text has %d bytes, valid %v; want %d on a character boundary", len(got), utf8.ValidString(got), MaxSpanSearchBytes)
	}
	if strings.Contains(got, "never") {
		t.Error("text after the cut is kept")
	}
	// Folding that shrinks text still fills the cut: the Kelvin sign is
	// three bytes and folds to one.
	kelvin := Span{Name: "n", Input: []byte(`"` + strings.Repeat("\u212a", 2*MaxSpanSearchBytes) + `"`)}
	if got := SearchText(&kelvin); len(got) != MaxSpanSearchBytes {
		t.Errorf("shrinking fold: %d bytes, want %d", len(got), MaxSpanSearchBytes)
	}
}

func TestJoinSearchText(t *testing.T) {
	t.Parallel()
	if got := JoinSearchText("", "a"); got != "a" {
		t.Errorf("first span: %q", got)
	}
	if got := JoinSearchText("a", "b"); got != "a\nb" {
		t.Errorf("second span: %q", got)
	}
	full := strings.Repeat("€", MaxTraceSearchRunes-1)
	got := JoinSearchText(full, "xyz")
	if n := utf8.RuneCountInString(got); n != MaxTraceSearchRunes || !strings.HasSuffix(got, "€\n") {
		t.Errorf("cut by characters: %d characters, ends %q", n, got[len(got)-4:])
	}
	if again := JoinSearchText(got, "more"); again != got {
		t.Error("a full text grew")
	}
}

// FuzzSearchText holds SearchText to a reference built on encoding/json's
// decoder, for documents small enough not to be cut.
func FuzzSearchText(f *testing.F) {
	for _, s := range []string{`{"role":"user","content":"Hi"}`, `["\ud800", "\u00e9"]`, `"x"`, `{"a":{"type":"t"},"b":"c"}`, `[1,"2",{"id":"x","y":"z"}]`} {
		f.Add("name", []byte(s))
	}
	f.Fuzz(func(t *testing.T, name string, input []byte) {
		s := Span{Name: name, Input: input}
		got := SearchText(&s)
		if len(got) > MaxSpanSearchBytes || !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
			t.Fatalf("SearchText = %q: too long, invalid UTF-8 or with NUL", got)
		}
		if CheckJSON(input, JSONText) != nil || !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 || len(input) > 512 || len(name) > 64 {
			return
		}
		want := referenceSearchText(t, name, input)
		if got != want {
			t.Fatalf("SearchText(%q, %q) = %q, reference %q", name, input, got, want)
		}
	})
}

func referenceSearchText(t *testing.T, name string, input []byte) string {
	var pieces []string
	add := func(s string) {
		if s != "" {
			pieces = append(pieces, Fold(strings.ReplaceAll(s, "\x00", " ")))
		}
	}
	add(name)
	dec := json.NewDecoder(bytes.NewReader(input))
	type frame struct{ object, expectKey, skip bool }
	var stack []frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reference decoder: %v", err)
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				if top != nil && top.object {
					top.expectKey, top.skip = true, false
				}
				stack = append(stack, frame{object: v == '{', expectKey: v == '{'})
			} else {
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			switch {
			case top != nil && top.object && top.expectKey:
				top.skip, top.expectKey = structuralKeys[v], false
				continue
			case top != nil && top.skip:
			default:
				add(v)
			}
		}
		if top != nil && top.object {
			top.expectKey, top.skip = true, false
		}
	}
	return strings.Join(pieces, "\n")
}

func BenchmarkSearchText(b *testing.B) {
	in := []byte(`{"messages":[{"role":"user","parts":[{"type":"text","content":"` +
		strings.Repeat("The quick brown fox jumps over the lazy dog. ", 100) + `"}]}]}`)
	out := []byte(`{"messages":[{"role":"assistant","parts":[{"type":"text","content":"` +
		strings.Repeat("Ünïcödé text folds too. ", 100) + `"}]}]}`)
	s := Span{Name: "chat gpt-4o", Input: in, Output: out}
	b.ReportAllocs()
	for b.Loop() {
		SearchText(&s)
	}
}

func TestSearchJoinerIsJoinSearchText(t *testing.T) {
	t.Parallel()
	pieces := []string{"a", "", "ünïcödé " + strings.Repeat("€", 3000), strings.Repeat("x", 4000), "😀😀", "end"}
	var joined string
	var j searchJoiner
	for i := range 60 {
		p := pieces[i%len(pieces)]
		joined = JoinSearchText(joined, p)
		j.add(p)
		if got := j.buf.String(); got != joined {
			t.Fatalf("after %d pieces the joiner has %d characters, JoinSearchText %d", i+1, utf8.RuneCountInString(got), utf8.RuneCountInString(joined))
		}
	}
	if utf8.RuneCountInString(joined) != MaxTraceSearchRunes {
		t.Errorf("the pieces did not reach the cut")
	}
}

func TestSearchWords(t *testing.T) {
	t.Parallel()
	if got := SearchWords("b a\nb  c\ta"); got != "a b c" {
		t.Errorf("SearchWords = %q", got)
	}
	if got := QueryWords("to be or not to be"); !slices.Equal(got, []string{"not", "be", "or", "to"}) {
		t.Errorf("QueryWords = %q", got)
	}
}

// FuzzSearchWords checks the property the trigram indexes rely on: every
// word of any substring of a text lies within the text's SearchWords.
func FuzzSearchWords(f *testing.F) {
	f.Add("the quick brown fox\njumps over", 4, 14)
	f.Add("a  b\tc", 0, 6)
	f.Fuzz(func(t *testing.T, text string, i, j int) {
		if !utf8.ValidString(text) || i < 0 || j > len(text) || i > j {
			return
		}
		q := text[i:j]
		if !utf8.ValidString(q) {
			return
		}
		words := SearchWords(text)
		for _, w := range QueryWords(q) {
			if !strings.Contains(words, w) {
				t.Fatalf("word %q of %q, a substring of %q, is not in %q", w, q, text, words)
			}
		}
	})
}
