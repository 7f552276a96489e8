package traciumlangchaingo

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tmc/langchaingo/schema"
)

// panicky is a value whose MarshalJSON panics.
type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("boom") }

func TestBoundedMap(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxRecordedValues-10)
	for _, tc := range []struct {
		name string
		in   map[string]any
		want string
	}{
		{"nil", nil, "null"},
		{"plain values", map[string]any{"topic": "otters", "n": 3, "ok": true, "list": []string{"a", "b"}},
			`{"list":["a","b"],"n":3,"ok":true,"topic":"otters"}`},
		{"documents", map[string]any{"input_documents": []schema.Document{{PageContent: "Otters eat fish."}}},
			`{"input_documents":[{"PageContent":"Otters eat fish.","Metadata":null,"Score":0}]}`},
		{"a value JSON cannot encode is recorded by its Go form", map[string]any{"f": false, "c": complex(1, 2)},
			`{"c":"(1+2i)","f":false}`},
		{"a MarshalJSON that panics", map[string]any{"p": panicky{}}, `{"p":"{}"}`},
		{"a string past the budget is cut to what is left, and named, in key order", map[string]any{"a": long, "b": long, "c": "short"},
			`{"a":"` + long + `","b":"xxxxxx","truncated":["b","c"]}`},
		{"other values past the budget are left out, and named", map[string]any{"a": long, "b": []string{long}},
			`{"a":"` + long + `","truncated":["b"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(boundedMap(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("boundedMap = %.200s, want %.200s", got, tc.want)
			}
		})
	}
}

// A value too long for the budget is cut, not dropped: its JSON fits
// the budget and holds a prefix of the text, cut on a character boundary.
func TestBoundedMapCutsAHugeString(t *testing.T) {
	t.Parallel()
	for _, text := range []string{strings.Repeat("é", maxRecordedValues), strings.Repeat(`"`, maxRecordedValues)} {
		got := boundedMap(map[string]any{"text": text})
		raw, ok := got["text"].(json.RawMessage)
		if !ok {
			t.Fatalf("text dropped: %v", got)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if len(raw) > maxRecordedValues || len(s) < maxRecordedValues/4 || !strings.HasPrefix(text, s) || !utf8.ValidString(s) {
			t.Errorf("kept %d bytes of text as %d bytes of JSON (valid UTF-8: %t), want a prefix within %d", len(s), len(raw), utf8.ValidString(s), maxRecordedValues)
		}
	}
}

func TestDocumentsAreBounded(t *testing.T) {
	t.Parallel()
	docs := make([]schema.Document, maxDocuments+3)
	for i := range docs {
		docs[i] = schema.Document{PageContent: "doc", Score: 0.5, Metadata: map[string]any{"id": i}}
	}
	docs[0].PageContent = strings.Repeat("y", maxDocumentContent+100)
	docs[1].Metadata = map[string]any{"blob": strings.Repeat("z", maxMetadata)}
	got := documents(docs)
	if len(got.Documents) != maxDocuments || got.Omitted != 3 {
		t.Fatalf("%d documents, %d omitted; want %d and 3", len(got.Documents), got.Omitted, maxDocuments)
	}
	if d := got.Documents[0]; len(d.Content) != maxDocumentContent || !d.Truncated || string(d.Metadata) != `{"id":0}` {
		t.Errorf("first document: %d bytes, truncated %t, metadata %s", len(d.Content), d.Truncated, d.Metadata)
	}
	if d := got.Documents[1]; d.Metadata != nil || !d.Truncated || d.Content != "doc" {
		t.Errorf("second document: metadata %s, truncated %t", d.Metadata, d.Truncated)
	}
	if d := got.Documents[2]; d.Truncated || d.Score != 0.5 || string(d.Metadata) != `{"id":2}` {
		t.Errorf("third document: %+v", d)
	}
	if b, err := json.Marshal(documents(nil)); err != nil || string(b) != `{"documents":[]}` {
		t.Errorf("no documents: %s, %v", b, err)
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"otters", 10, "otters"},
		{"otters", 3, "ott"},
		{"otters", 0, ""},
		{"aé", 2, "a"}, // é is two bytes: not cut in half
		{"日本", 4, "日"},
		{"日本", 6, "日本"},
	} {
		if got := truncate(tc.s, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// Whatever text comes in (a tool's result, a document, a prompt), what is
// recorded is valid JSON, valid UTF-8 when the text was, and bounded.
func FuzzRecordedText(f *testing.F) {
	for _, s := range []string{"", "otters", "aé日本", "\xff\xfe", strings.Repeat("é", 40), `{"json":true}`} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 {
			n = -n
		}
		n %= 1 << 12
		cut := truncate(s, n)
		if len(cut) > n || !strings.HasPrefix(s, cut) || utf8.ValidString(s) && !utf8.ValidString(cut) {
			t.Fatalf("truncate(%q, %d) = %q", s, n, cut)
		}
		raw := encodeValue(s)
		if !json.Valid(raw) {
			t.Fatalf("encodeValue(%q) = %s, not JSON", s, raw)
		}
		m := boundedMap(map[string]any{"v": s, "docs": []schema.Document{{PageContent: s}}})
		if b, err := json.Marshal(m); err != nil || !json.Valid(b) {
			t.Fatalf("boundedMap(%q) = %s, %v", s, b, err)
		}
		if fit := fitString(s, n); fit != nil {
			var back string
			if len(fit) > n || json.Unmarshal(fit, &back) != nil || utf8.ValidString(s) && !strings.HasPrefix(s, back) {
				t.Fatalf("fitString(%q, %d) = %s", s, n, fit)
			}
		} else if n >= 2+6 {
			t.Fatalf("fitString(%q, %d) kept nothing, not even the quotes", s, n)
		}
		if d := documents([]schema.Document{{PageContent: s}}); len(d.Documents[0].Content) > maxDocumentContent {
			t.Fatalf("document of %d bytes kept", len(d.Documents[0].Content))
		}
	})
}
