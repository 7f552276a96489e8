package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes, plain and as gzip, to the decoder:
// it must never panic, and every span it accepts must be valid.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"spans":[{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"chat","type":"llm","start_time":"2026-01-02T03:04:05Z","end_time":"2026-01-02T03:04:06Z","usage":{"input_tokens":3}}]}`))
	f.Add([]byte(`{"spans":[]}`))
	f.Add([]byte(`{"spans":[{},null,1,"x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, enc := range []string{"", "gzip"} {
			in := data
			if enc == "gzip" {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write(data)
				zw.Close()
				in = buf.Bytes()
			}
			body, err := readBody(bytes.NewReader(in), enc, 1<<20)
			if err != nil {
				if !errors.Is(err, errTooLarge) {
					t.Fatalf("readBody(%q): %v", enc, err)
				}
				continue
			}
			b, err := decodeBatch(body)
			if err != nil {
				continue
			}
			spans, rejected := decodeSpans(b.Spans)
			if len(spans)+len(rejected) != len(b.Spans) {
				t.Fatalf("%d accepted + %d rejected != %d spans", len(spans), len(rejected), len(b.Spans))
			}
			for _, s := range spans {
				if err := s.Validate(); err != nil {
					t.Fatalf("accepted an invalid span: %v", err)
				}
			}
		}
	})
}

func TestReadBodyLimits(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", 2000)
	if _, err := readBody(strings.NewReader(big), "", 1000); !errors.Is(err, errTooLarge) {
		t.Errorf("plain over the limit: %v", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(big))
	zw.Close()
	if _, err := readBody(bytes.NewReader(buf.Bytes()), "gzip", 1000); !errors.Is(err, errTooLarge) {
		t.Errorf("gzip expanding over the limit: %v", err)
	}
	if got, err := readBody(strings.NewReader(big), "identity", 2000); err != nil || len(got) != 2000 {
		t.Errorf("at the limit: %d bytes, %v", len(got), err)
	}
}

func TestEncodeChunks(t *testing.T) {
	t.Parallel()
	b, _ := decodeBatch([]byte(`{"spans":[` + strings.Repeat(`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"n","start_time":"2026-01-02T03:04:05Z","end_time":"2026-01-02T03:04:06Z"},`, 9) +
		`{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","name":"n","start_time":"2026-01-02T03:04:05Z","end_time":"2026-01-02T03:04:06Z"}]}`))
	spans, rejected := decodeSpans(b.Spans)
	if len(spans) != 10 || len(rejected) != 0 {
		t.Fatalf("decoded %d, rejected %v", len(spans), rejected)
	}
	chunks, err := encodeChunks(spans, 1000)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range chunks {
		if len(c) > 1000 {
			t.Errorf("chunk of %d bytes over the 1000 limit", len(c))
		}
		cb, err := decodeBatch(c)
		if err != nil {
			t.Fatalf("chunk does not decode: %v", err)
		}
		total += len(cb.Spans)
	}
	if len(chunks) < 2 || total != 10 {
		t.Errorf("%d chunks holding %d spans; want several holding 10", len(chunks), total)
	}
}
