package ingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tracium/tracium/store/storetest"
)

// BenchmarkDecodeBatch splits a body of 100 spans of 1 KB, as the SDK
// sends them, with the streaming decoder beside the plain json.Unmarshal
// into raw spans that it replaced (which cannot stop at the span limit).
func BenchmarkDecodeBatch(b *testing.B) {
	f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now(), Spacing: time.Millisecond}
	var spans []any
	for i := range 10 {
		for _, s := range f.Trace(i) {
			spans = append(spans, s)
		}
	}
	body, err := json.Marshal(map[string]any{"spans": spans})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("streaming", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if raw, err := decodeBatch(body, DefaultMaxSpans); err != nil || len(raw) != 100 {
				b.Fatal(len(raw), err)
			}
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var batch struct {
				Spans []json.RawMessage `json:"spans"`
			}
			if err := json.Unmarshal(body, &batch); err != nil || len(batch.Spans) != 100 {
				b.Fatal(err)
			}
		}
	})
}
