package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/tracium/tracium/internal/otlptest"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// BenchmarkDecodeBatch splits a body of 100 spans of 1 KB, as the SDK
// sends them, with splitBatch (store's JSON checker finding each span's
// extent) beside the plain json.Unmarshal into raw spans that it replaced
// (which cannot stop at the span limit).
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
	b.Run("split", func(b *testing.B) {
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

// BenchmarkEndpoints runs the handlers on the same 100 spans of 1 KB, as
// /v1/ingest's JSON and as OTLP/HTTP in protobuf and in JSON (the spans
// expressed in the GenAI conventions), up to the queue (a fake that keeps
// nothing): reading, decoding, mapping, validating and encoding for the
// queue, per span.
func BenchmarkEndpoints(b *testing.B) {
	f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now(), Spacing: time.Millisecond}
	var spans []store.Span
	for i := range 10 {
		spans = append(spans, f.Trace(i)...)
	}
	ingestBody, err := json.Marshal(map[string]any{"spans": spans})
	if err != nil {
		b.Fatal(err)
	}
	req := ptraceotlp.NewExportRequestFromTraces(otlptest.FromSpans(b, spans))
	pb, _ := req.MarshalProto()
	js, _ := req.MarshalJSON()
	h, _ := newTestHandler(b, Config{})
	h.queue = discardQueue{}
	for _, tc := range []struct {
		name, path, contentType string
		body                    []byte
		serve                   http.HandlerFunc
		status                  int
	}{
		{"ingest-json", "/v1/ingest", "application/json", ingestBody, h.ingest, http.StatusAccepted},
		{"otlp-protobuf", "/v1/traces", contentTypeProto, pb, h.otlpHTTP, http.StatusOK},
		{"otlp-json", "/v1/traces", contentTypeJSON, js, h.otlpHTTP, http.StatusOK},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for b.Loop() {
				r := httptest.NewRequest("POST", tc.path, bytes.NewReader(tc.body))
				r.Header.Set("Content-Type", tc.contentType)
				r.Header.Set("Authorization", "Bearer "+testKey)
				w := httptest.NewRecorder()
				tc.serve(w, r)
				if w.Code != tc.status {
					b.Fatalf("status %d %s", w.Code, w.Body.Bytes())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(spans)), "ns/span")
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N*len(spans)), "cpu-ns/span")
			b.ReportMetric(float64(len(tc.body))/float64(len(spans)), "bytes/span")
		})
	}
}

// cpuTime is the CPU time the process has used, garbage collection
// included: on a machine shared with other work it varies less than the
// wall clock.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardQueue accepts everything and keeps nothing.
type discardQueue struct{}

func (discardQueue) Publish(context.Context, int64, string, []byte) error { return nil }
func (discardQueue) MaxPayload() int64                                    { return 8 << 20 }
