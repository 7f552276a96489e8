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

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	empty := store.Span{TraceID: "4bf92f3577b34da6a3ce929d0e0e4737", SpanID: "00f067aa0ba902b8", Name: "n"}
	empty.Normalize()
	for _, tc := range []struct {
		name  string
		spans []store.Span
	}{
		{"none", nil},
		{"every field", []store.Span{fullSpan()}},
		{"bare", []store.Span{empty}},
		{"fixture", fixture(100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := Encode(tc.spans)
			if payload[0] != Version {
				t.Fatalf("first byte %d, want the version %d", payload[0], Version)
			}
			got, err := Decode(payload)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Validated || len(got.Spans) != len(tc.spans) {
				t.Fatalf("decoded %d spans, validated %v; want %d, true", len(got.Spans), got.Validated, len(tc.spans))
			}
			for i := range tc.spans {
				if !reflect.DeepEqual(got.Spans[i], tc.spans[i]) {
					t.Errorf("span %d:\n got %+v\nwant %+v", i, got.Spans[i], tc.spans[i])
				}
			}
			if n := Count(payload); n != len(tc.spans) {
				t.Errorf("Count = %d, want %d", n, len(tc.spans))
			}
		})
	}
}

// TestJSONBatches: a batch queued as JSON, by an earlier collector or as
// a dead letter, decodes unvalidated, span for span.
func TestJSONBatches(t *testing.T) {
	t.Parallel()
	spans := append([]store.Span{fullSpan()}, fixture(20)...)
	payload, err := EncodeJSON(spans)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{payload, append([]byte("\n  "), payload...)} {
		got, err := Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Validated || !reflect.DeepEqual(got.Spans, spans) {
			t.Errorf("JSON batch decoded as %d spans, validated %v; want the %d encoded, false", len(got.Spans), got.Validated, len(spans))
		}
		if n := Count(p); n != len(spans) {
			t.Errorf("Count = %d, want %d", n, len(spans))
		}
	}
	// The JSON fields go in as they came: not compacted, not escaped.
	odd := fullSpan()
	odd.Input = json.RawMessage(`{ "q" : "<b>&amp;</b>" ,
  "n": [1, 2] }`)
	odd.Output = json.RawMessage(`[]`)
	payload, err = EncodeJSON([]store.Span{odd})
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
	if n := Count([]byte(`{"spans": "not a list"}`)); n != -1 {
		t.Errorf("Count of a JSON object without spans = %d, want -1", n)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	payload := Encode(fixture(10))
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
	if n := Count([]byte{Version + 1}); n != -1 {
		t.Errorf("Count of an unknown version = %d, want -1", n)
	}
}

func TestChunks(t *testing.T) {
	t.Parallel()
	spans := fixture(100)
	whole := len(Encode(spans))
	limit := whole / 5
	chunks := Chunks(spans, limit)
	var got []store.Span
	for i, c := range chunks {
		if len(c) > limit {
			t.Errorf("chunk %d has %d bytes, past the limit of %d", i, len(c), limit)
		}
		b, err := Decode(c)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		got = append(got, b.Spans...)
	}
	if len(chunks) < 5 || !reflect.DeepEqual(got, spans) {
		t.Errorf("%d chunks holding %d spans; want at least 5 holding the 100 in order", len(chunks), len(got))
	}
	if c := Chunks(spans[:3], 10); len(c) != 3 {
		t.Errorf("spans each larger than the limit: %d chunks, want one each", len(c))
	}
	if c := Chunks(spans, 2*whole); len(c) != 1 {
		t.Errorf("a limit twice the whole batch: %d chunks, want 1", len(c))
	}
}

// FuzzDecode: no payload makes Decode panic, and whatever it decodes from
// the binary encoding encodes back to the same spans.
func FuzzDecode(f *testing.F) {
	f.Add(Encode([]store.Span{fullSpan()}))
	f.Add(Encode(fixture(3)))
	f.Add([]byte(`{"spans":[{"name":"x"}]}`))
	f.Add([]byte{Version, 1})
	f.Fuzz(func(t *testing.T, payload []byte) {
		b, err := Decode(payload)
		if err != nil || !b.Validated {
			return
		}
		again, err := Decode(Encode(b.Spans))
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
	bin := Encode(spans)
	js, err := EncodeJSON(spans)
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
			Encode(spans)
		}
	})
}
