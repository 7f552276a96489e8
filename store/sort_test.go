package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSortSpansOrdersByStartThenID(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 1000} {
		spans := make([]Span, n)
		for i := range spans {
			// Few distinct start times, so that ties fall to the span id.
			spans[i] = Span{SpanID: fmt.Sprintf("%016x", r.Uint64()), StartTime: base.Add(time.Duration(r.IntN(5)) * time.Second), Name: fmt.Sprint(i)}
		}
		want := slices.Clone(spans)
		slices.SortFunc(want, func(a, b Span) int {
			if c := a.StartTime.Compare(b.StartTime); c != 0 {
				return c
			}
			return strings.Compare(a.SpanID, b.SpanID)
		})
		SortSpans(spans)
		for i := range spans {
			if spans[i].SpanID != want[i].SpanID || spans[i].Name != want[i].Name {
				t.Fatalf("n=%d: position %d holds %s/%s, want %s/%s", n, i, spans[i].SpanID, spans[i].Name, want[i].SpanID, want[i].Name)
			}
		}
	}
}

func BenchmarkSortSpans(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]Span, 10_000)
	for i := range src {
		src[i] = Span{SpanID: fmt.Sprintf("%016x", r.Uint64()), StartTime: time.Unix(0, r.Int64N(1e12))}
	}
	spans := make([]Span, len(src))
	for _, sort := range []struct {
		name string
		fn   func([]Span)
	}{{"SortSpans", SortSpans}, {"slices.SortFunc", func(s []Span) {
		slices.SortFunc(s, func(a, b Span) int {
			if c := a.StartTime.Compare(b.StartTime); c != 0 {
				return c
			}
			return strings.Compare(a.SpanID, b.SpanID)
		})
	}}} {
		b.Run(sort.name, func(b *testing.B) {
			for b.Loop() {
				copy(spans, src)
				sort.fn(spans)
			}
		})
	}
}
