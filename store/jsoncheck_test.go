package store

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckJSON(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	deepObj := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	tests := []struct {
		in          string
		text, jsonb bool // accepted as each kind
	}{
		{`{}`, true, true},
		{`[]`, true, true},
		{` {"a": [1, -2.5e3, true, false, null, "x"], "b": {}} `, true, true},
		{`"plain"`, true, true},
		{`0`, true, true},
		{`-0.0e-0`, true, true},
		{``, false, false},
		{` `, false, false},
		{`{`, false, false},
		{`{"a"}`, false, false},
		{`{"a":}`, false, false},
		{`{"a":1,}`, false, false},
		{`[1,]`, false, false},
		{`[1 2]`, false, false},
		{`{"a":1]`, false, false},
		{`[1}`, false, false},
		{`{1:2}`, false, false},
		{`01`, false, false},
		{`1.`, false, false},
		{`.5`, false, false},
		{`1e`, false, false},
		{`+1`, false, false},
		{`-`, false, false},
		{`tru`, false, false},
		{`nul`, false, false},
		{`"a`, false, false},
		{`"\x"`, false, false},
		{`"\u12"`, false, false},
		{`"\u12g4"`, false, false},
		{"\"a\tb\"", false, false},
		{"\"\xff\"", false, false},
		{"\"\xed\xa0\x80\"", false, false}, // a surrogate written as UTF-8
		{`1 2`, false, false},
		{`{} {}`, false, false},
		{`"é€😀"`, true, true},
		{`"\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\"`, true, true},
		{`"\u0000"`, true, false},
		{`{"k\u0000":1}`, true, false},
		{`"\ud800"`, true, false},
		{`"\udc00"`, true, false},
		{`"\ud800x"`, true, false},
		{`"\ud800\u0041"`, true, false},
		{`"\ud800\ud800"`, true, false},
		{`"\udc00\ud800"`, true, false},
		{`"\uD83D\uDE00"`, true, true},
		// PostgreSQL's numeric, as measured on PostgreSQL 15.
		{`1e131071`, true, true},
		{`9.99e131071`, true, true},
		{`-1e131071`, true, true},
		{`100e131069`, true, true},
		{`0.001e131074`, true, true},
		{`1e131072`, true, false},
		{`100e131070`, true, false},
		{`0.001e131075`, true, false},
		{`{"a":1e1000000}`, true, false},
		{`1e-16383`, true, true},
		{`0e-16383`, true, true},
		{`0.5e-16382`, true, true},
		{`1e-16384`, true, false},
		{`0e-16384`, true, false},
		{`0.5e-16383`, true, false},
		{`10e-16384`, true, false},
		{`0e999999999`, true, true},
		{`0e1073741823`, true, false},
		{`0e99999999999999999999`, true, false},
		{"0." + strings.Repeat("0", 16383), true, true},
		{"0." + strings.Repeat("0", 16384), true, false},
		{"1" + strings.Repeat("0", 131071), true, true},
		{"1" + strings.Repeat("0", 131072), true, false},
		{deep(MaxJSONDepth), true, true},
		{deep(MaxJSONDepth + 1), false, false},
		{deepObj(MaxJSONDepth), true, true},
		{deepObj(MaxJSONDepth + 1), false, false},
		{`[` + deep(MaxJSONDepth-1) + `,` + deep(MaxJSONDepth-1) + `]`, true, true},
	}
	for _, tt := range tests {
		for _, k := range []struct {
			kind JSONKind
			want bool
		}{{JSONText, tt.text}, {JSONB, tt.jsonb}} {
			err := CheckJSON([]byte(tt.in), k.kind)
			if (err == nil) != k.want {
				t.Errorf("CheckJSON(%.60q, %d) = %v, want accepted %v", tt.in, k.kind, err, k.want)
			}
		}
	}
}

// FuzzCheckJSON holds CheckJSON to encoding/json's grammar (plus UTF-8 and
// the depth bound) and checks that jsonb accepts no more than text.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\ud800"`, `1e131072`, `[[[]]]`, `"\u0000"`, `-0.5e-3`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		textErr, jsonbErr := CheckJSON(b, JSONText), CheckJSON(b, JSONB)
		want := json.Valid(b) && utf8.Valid(b) && depth(b) <= MaxJSONDepth
		if (textErr == nil) != want {
			t.Fatalf("CheckJSON(%q) = %v; encoding/json and UTF-8 say valid %v", b, textErr, want)
		}
		if jsonbErr == nil && textErr != nil {
			t.Fatalf("jsonb accepts %q that text refuses: %v", b, textErr)
		}
		if textErr == nil && jsonbErr != nil && !strings.Contains(string(b), `\u`) && !strings.ContainsAny(string(b), "eE") && len(b) < 10000 {
			t.Fatalf("jsonb refuses %q with no escape, exponent or long number: %v", b, jsonbErr)
		}
	})
}

// depth is the deepest nesting of b, which must be valid JSON for the
// answer to mean anything.
func depth(b []byte) int {
	d, most, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			d++
			most = max(most, d)
		case !inString && (c == ']' || c == '}'):
			d--
		}
	}
	return most
}

func BenchmarkCheckJSON(b *testing.B) {
	doc := []byte(`{"messages":[{"role":"user","parts":[{"type":"text","content":"` +
		strings.Repeat("The quick brown fox jumps over the lazy dog. Ünïcödé too. ", 200) + `"}]}],"n":[1,2.5,-3e4]}`)
	b.Run("CheckJSON", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if err := CheckJSON(doc, JSONB); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Valid+utf8.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if !json.Valid(doc) || !utf8.Valid(doc) {
				b.Fatal("invalid")
			}
		}
	})
}

// TestWordSkips checks the word-at-a-time scans against the byte tables
// they stand for: every byte value at every position of a 19-byte run (two
// words and a tail) stops each scan where the table says.
func TestWordSkips(t *testing.T) {
	t.Parallel()
	for ch := range 256 {
		for at := range 19 {
			b := []byte("abcdefghijklmnopqrs")
			b[at] = byte(ch)
			want := at
			if plain[ch] {
				want = len(b)
			}
			if got := skipPlain(b, 0); got != want {
				t.Fatalf("skipPlain with %#x at %d = %d, want %d", ch, at, got, want)
			}
			if ch >= 0x80 {
				continue // skipUnfolded reads ASCII only
			}
			want = at
			if !foldsASCII[ch] {
				want = len(b)
			}
			if got := skipUnfolded(b); got != want {
				t.Fatalf("skipUnfolded with %#x at %d = %d, want %d", ch, at, got, want)
			}
		}
	}
}

// FuzzWordSkips compares the word-at-a-time scans with byte-at-a-time
// ones on any input.
func FuzzWordSkips(f *testing.F) {
	f.Add([]byte(`the quick "brown" fox\u00e9 JUMPS`), 3)
	f.Fuzz(func(t *testing.T, b []byte, from int) {
		if from < 0 || from > len(b) {
			return
		}
		want := from
		for want < len(b) && plain[b[want]] {
			want++
		}
		if got := skipPlain(b, from); got != want {
			t.Fatalf("skipPlain(%q, %d) = %d, want %d", b, from, got, want)
		}
		if !isASCII(b) {
			return
		}
		want = 0
		for want < len(b) && !foldsASCII[b[want]] {
			want++
		}
		if got := skipUnfolded(b); got != want {
			t.Fatalf("skipUnfolded(%q) = %d, want %d", b, got, want)
		}
	})
}

func TestJSONValueEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		b    string
		at   int
		want int // -1 for an error
	}{
		{`{"a":[1,"x"]} , 2`, 0, 13},
		{`[{}, []]x`, 0, 8},
		{`, "str\"ing" ]`, 2, 12},
		{`12.5e3]`, 0, 6},
		{`true,`, 0, 4},
		{`{"a":1`, 0, -1},
		{`{"a" 1}`, 0, -1},
		{`01`, 0, 1}, // the value is 0: what follows is not read
		{"\"\xff\"", 0, -1},
		{strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1), 0, -1},
		{`[]`, 3, -1},
	} {
		end, err := JSONValueEnd([]byte(tc.b), tc.at)
		if tc.want < 0 && err == nil || tc.want >= 0 && (err != nil || end != tc.want) {
			t.Errorf("JSONValueEnd(%q, %d) = %d, %v; want %d", tc.b, tc.at, end, err, tc.want)
		}
	}
}
