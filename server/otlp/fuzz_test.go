package otlp

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FuzzMap feeds OTLP export requests decoded from arbitrary protobuf
// bytes: Map must not panic, must account for every span, and every span
// it returns must be one the store accepts.
func FuzzMap(f *testing.F) {
	for _, o := range fuzzSeeds() {
		b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(traces(f, o))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
		if err != nil {
			return
		}
		spans, rejected := Map(td)
		if len(spans)+len(rejected) != td.SpanCount() {
			t.Fatalf("%d spans and %d rejections for %d spans sent", len(spans), len(rejected), td.SpanCount())
		}
		for _, r := range rejected {
			if r.Reason == errInternal.Error() {
				t.Fatalf("the mapping failed on a span: %+v", r)
			}
		}
		for _, s := range spans {
			s.Normalize()
			if err := s.Validate(); err != nil {
				t.Fatalf("the store refuses a mapped span: %v\n%+v", err, s)
			}
		}
	})
}

// fuzzSeeds are spans of every convention the mapping reads.
func fuzzSeeds() []spanOpts {
	var seeds []spanOpts
	for _, row := range precedenceRows() {
		seeds = append(seeds, row.span)
	}
	seeds = append(seeds, spanOpts{name: strings.Repeat("x", 2000), attrs: map[string]any{
		"tag.tags": []any{"a", strings.Repeat("t", 300)}, "metadata": `{"k":1}`, "nested": map[string]any{"a": []any{1.5, true, nil}},
	}})
	return seeds
}
