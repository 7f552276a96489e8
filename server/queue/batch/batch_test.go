package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// fullSpan sets every field a span can carry.
func fullSpan() store.Span {
	cost, ttft := 0.0021, 312.5
	s := store.Span{
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7", ParentSpanID: "00f067aa0ba902b6",
		Name: "chat gpt-4o-mini ✓", Type: store.SpanLLM, Status: store.StatusError,
		StartTime: time.Date(2026, 11, 24, 10, 0, 0, 123456000, time.UTC), EndTime: time.Date(2026, 11, 24, 10, 0, 1, 200000000, time.UTC),
		ErrorType: "RateLimitError", ErrorMessage: "429 Too Many Requests",
		Input: json.RawMessage(`{"messages":[{"role":"user","parts":[{"type":"text","content":"héllo"}]}]}`), Output: json.RawMessage(`[]`),
		RawInput: json.RawMessage(`{"model":"gpt-4o-mini"}`), RawOutput: json.RawMessage(`{"id":"x"}`),
		Model: "gpt-4o-mini-2024-07-18", RequestModel: "gpt-4o-mini", Provider: "openai",
		Usage:   &store.Usage{InputTokens: 1200, OutputTokens: 80, CachedTokens: 1024, CacheCreationTokens: 3, ReasoningTokens: 7, TotalTokens: 1280},
		CostUSD: &cost, TimeToFirstTokenMS: &ttft,
		Attributes: json.RawMessage(`{"stream":true}`), Tags: []string{"a", "b:c"},
		AgentName: "researcher", UserID: "user-42", SessionID: "s-1", Metadata: json.RawMessage(`{"k":1e3}`),
	}
	s.Normalize()
	return s
}

func fixture(n int) []store.Span {
	f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond}
	var spans []store.Span
	for i := 0; len(spans) < n; i++ {
		spans = append(spans, f.Trace(i)...)
	}
	spans = spans[:n]
	for i := range spans {
		spans[i].Normalize()
	}
	return spans
}

// scores are the fixture's scores of its first trace, with an author, as
// ingest queues them.
func scores() []store.Score {
	out := storetest.FixtureScores(fixture(10), 1)
	for i := range out {
		out[i].AuthorKeyID = 7
		out[i].Normalize()
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	empty := store.Span{TraceID: "4bf92f3577b34da6a3ce929d0e0e4737", SpanID: "00f067aa0ba902b8", Name: "n"}
	empty.Normalize()
	for _, tc := range []struct {
		name   string
		spans  []store.Span
		scores []store.Score
	}{
		{"none", nil, nil},
		{"every field", []store.Span{fullSpan()}, nil},
		{"bare", []store.Span{empty}, nil},
		{"fixture", fixture(100), nil},
		{"spans and scores", fixture(10), scores()},
		{"scores alone", nil, scores()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload, err := Encode(tc.spans, tc.scores)
			if err != nil {
				t.Fatal(err)
			}
			if payload[0] != Version {
				t.Fatalf("first byte %d, want the version %d", payload[0], Version)
			}
			got, err := Decode(payload)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Validated || len(got.Spans) != len(tc.spans) || len(got.Scores) != len(tc.scores) {
				t.Fatalf("decoded %d spans and %d scores, validated %v; want %d, %d, true",
					len(got.Spans), len(got.Scores), got.Validated, len(tc.spans), len(tc.scores))
			}
			for i := range tc.spans {
				if !reflect.DeepEqual(got.Spans[i], tc.spans[i]) {
					t.Errorf("span %d:\n got %+v\nwant %+v", i, got.Spans[i], tc.spans[i])
				}
			}
			for i := range tc.scores {
				if !reflect.DeepEqual(got.Scores[i], tc.scores[i]) {
					t.Errorf("score %d:\n got %+v\nwant %+v", i, got.Scores[i], tc.scores[i])
				}
			}
			if spans, scores, ok := Count(payload); !ok || spans != len(tc.spans) || scores != len(tc.scores) {
				t.Errorf("Count = %d, %d, %v; want %d, %d, true", spans, scores, ok, len(tc.spans), len(tc.scores))
			}
		})
	}
}

// TestJSONBatches: a batch queued as JSON, by an earlier collector or as
// a dead letter, decodes unvalidated, span for span.
func TestJSONBatches(t *testing.T) {
	t.Parallel()
	spans, scs := append([]store.Span{fullSpan()}, fixture(20)...), scores()
	payload, err := EncodeJSON(spans, scs)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{payload, append([]byte("\n  "), payload...)} {
		got, err := Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Validated || !reflect.DeepEqual(got.Spans, spans) || !reflect.DeepEqual(got.Scores, scs) {
			t.Errorf("JSON batch decoded as %d spans and %d scores, validated %v; want the %d and %d encoded, false",
				len(got.Spans), len(got.Scores), got.Validated, len(spans), len(scs))
		}
		if n, m, ok := Count(p); !ok || n != len(spans) || m != len(scs) {
			t.Errorf("Count = %d, %d, %v; want %d, %d, true", n, m, ok, len(spans), len(scs))
		}
	}
	// The JSON fields go in as they came: not compacted, not escaped.
	odd := fullSpan()
	odd.Input = json.RawMessage(`{ "q" : "<b>&amp;</b>" ,
  "n": [1, 2] }`)
	odd.Output = json.RawMessage(`[]`)
	payload, err = EncodeJSON([]store.Span{odd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(payload)
	if err != nil || len(got.Spans) != 1 || !reflect.DeepEqual(got.Spans[0], odd) {
		t.Errorf("a span with spaced and HTML-laden input decoded as %+v (%v); want %+v", got.Spans, err, odd)
	}
	if _, err := Decode([]byte(`{"spans": "not a list"}`)); err == nil {
		t.Error("a JSON batch whose spans are not a list decoded")
	}
	if _, _, ok := Count([]byte(`{"spans": "not a list"}`)); ok {
		t.Error("Count took a JSON object whose spans are not a list for a batch")
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	payload, err := Encode(fixture(10), scores())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode([]byte{Version + 1, 0}); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("a later version: %v, want ErrUnknownVersion", err)
	}
	if _, err := Decode(nil); err == nil {
		t.Error("an empty payload decoded")
	}
	for n := 1; n < len(payload); n++ {
		if _, err := Decode(payload[:n]); err == nil {
			t.Fatalf("the payload cut at %d of %d bytes decoded", n, len(payload))
		}
	}
	if _, err := Decode(append(bytes.Clone(payload), 0)); err == nil {
		t.Error("a payload with a byte after its spans decoded")
	}
	if _, err := Decode([]byte{Version, 0xff, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Error("a count of 4 billion spans in 6 bytes decoded")
	}
	if _, _, ok := Count([]byte{Version + 1}); ok {
		t.Error("Count took an unknown version for a batch")
	}
}

func TestChunks(t *testing.T) {
	t.Parallel()
	spans, scs := fixture(100), scores()
	whole, err := Encode(spans, scs)
	if err != nil {
		t.Fatal(err)
	}
	limit := len(whole) / 5
	chunks, err := Chunks(spans, scs, limit)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.Span
	var gotScores []store.Score
	for i, c := range chunks {
		if len(c) > limit {
			t.Errorf("chunk %d has %d bytes, past the limit of %d", i, len(c), limit)
		}
		b, err := Decode(c)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		got, gotScores = append(got, b.Spans...), append(gotScores, b.Scores...)
	}
	if len(chunks) < 5 || !reflect.DeepEqual(got, spans) || !reflect.DeepEqual(gotScores, scs) {
		t.Errorf("%d chunks holding %d spans and %d scores; want at least 5 holding the 100 and %d in order", len(chunks), len(got), len(gotScores), len(scs))
	}
	for _, tc := range []struct {
		name   string
		spans  []store.Span
		scores []store.Score
		limit  int
		want   int
	}{
		{"spans each larger than the limit", spans[:3], nil, 10, 3},
		{"scores each larger than the limit", nil, scs, 10, len(scs)},
		{"a limit twice the whole batch", spans, scs, 2 * len(whole), 1},
	} {
		if c, err := Chunks(tc.spans, tc.scores, tc.limit); err != nil || len(c) != tc.want {
			t.Errorf("%s: %d chunks (%v), want %d", tc.name, len(c), err, tc.want)
		}
	}
}

// FuzzDecode: no payload makes Decode panic, and whatever it decodes from
// the binary encoding encodes back to the same spans.
func FuzzDecode(f *testing.F) {
	for _, b := range []struct {
		spans  []store.Span
		scores []store.Score
	}{{[]store.Span{fullSpan()}, nil}, {fixture(3), scores()}} {
		payload, err := Encode(b.spans, b.scores)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payload)
	}
	f.Add([]byte(`{"spans":[{"name":"x"}]}`))
	f.Add([]byte{Version, 1})
	f.Fuzz(func(t *testing.T, payload []byte) {
		b, err := Decode(payload)
		if err != nil || !b.Validated {
			return
		}
		payload, err = Encode(b.Spans, b.Scores)
		if err != nil {
			return // a score read from JSON that does not encode again
		}
		again, err := Decode(payload)
		if err != nil {
			t.Fatalf("re-encoded spans do not decode: %v", err)
		}
		if !reflect.DeepEqual(again.Spans, b.Spans) {
			t.Fatalf("re-encoded spans differ:\n%+v\n%+v", again.Spans, b.Spans)
		}
	})
}

// BenchmarkDecode reads 100 spans of 1 KB, the binary encoding beside
// the JSON batch that the writer decoded before.
func BenchmarkDecode(b *testing.B) {
	spans := fixture(100)
	bin, err := Encode(spans, nil)
	if err != nil {
		b.Fatal(err)
	}
	js, err := EncodeJSON(spans, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		payload []byte
	}{{"binary", bin}, {"json", js}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.payload)))
			b.ReportAllocs()
			for b.Loop() {
				if got, err := Decode(tc.payload); err != nil || len(got.Spans) != 100 {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(bin)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Encode(spans, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAppendChunks: payloads encoded into a reused buffer are Chunks'
// byte for byte, lie in that buffer when it has room, and a buffer
// without room is replaced, not overrun.
func TestAppendChunks(t *testing.T) {
	t.Parallel()
	spans, scs := fixture(100), scores()
	whole, err := Encode(spans, scs)
	if err != nil {
		t.Fatal(err)
	}
	limit := len(whole) / 5
	want, err := Chunks(spans, scs, limit)
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for round := range 3 {
		var got [][]byte
		got, buf, err = AppendChunks(buf[:0], spans[:100-round], scs, limit)
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 && !reflect.DeepEqual(got, want) {
			t.Fatalf("AppendChunks gave %d payloads unlike Chunks' %d", len(got), len(want))
		}
		off := 0
		for i, c := range got {
			b, err := Decode(c)
			if err != nil {
				t.Fatalf("round %d, payload %d: %v", round, i, err)
			}
			if i == 0 && !reflect.DeepEqual(b.Spans[0], spans[0]) {
				t.Errorf("round %d: the first span came back changed", round)
			}
			if off+len(c) > len(buf) || &c[0] != &buf[off] {
				t.Errorf("round %d: payload %d is not next in the buffer", round, i)
			}
			off += len(c)
		}
	}
	small := make([]byte, 0, 16)
	got, grown, err := AppendChunks(small, spans[:3], nil, 1<<20)
	if err != nil || len(got) != 1 || cap(grown) <= 16 {
		t.Errorf("a small buffer: %d payloads in a buffer of %d (%v)", len(got), cap(grown), err)
	}
	if small[:1][0] != 0 {
		t.Errorf("a buffer without room was written to")
	}
}
