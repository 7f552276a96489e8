package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/tracium/tracium/store"
)

// FixtureScores are the scores the score benchmarks give trace i of a
// Fixture whose root is root: a numeric score of the trace, a boolean one
// of its second span, and a label, at the root's start.
func FixtureScores(spans []store.Span, i int) []store.Score {
	root := spans[0]
	at := root.StartTime
	id := func(k int) string { return fmt.Sprintf("%024x%08x", i, k+1) } // never all zero
	out := []store.Score{
		{ID: id(0), TraceID: root.TraceID, Name: "quality", Value: store.NumberValue(float64(i%10) / 10), Source: store.SourceSDK, Time: at},
		{ID: id(2), TraceID: root.TraceID, Name: "tone", Value: store.LabelValue([]string{"friendly", "curt", "rude"}[i%3]), Source: store.SourceUI, Time: at,
			Comment: "a person's note on this run"},
	}
	if len(spans) > 1 {
		out = append(out, store.Score{ID: id(1), TraceID: root.TraceID, SpanID: spans[1].SpanID, Name: "correct",
			Value: store.BoolValue(i%4 != 0), Source: store.SourceAPI, Time: at})
	}
	return out
}

// LoadScoreFixture writes n traces of two spans into each project, with
// FixtureScores into scored only, for the list benchmarks.
func LoadScoreFixture(ctx context.Context, s store.Store, scored, plain int64, n int) error {
	f := Fixture{SpansPerTrace: 2, PayloadBytes: 200, Start: time.Now().Add(-24 * time.Hour), Spacing: time.Second}
	var spans []store.Span
	var scores []store.Score
	flush := func() error {
		for _, p := range []int64{scored, plain} {
			if err := s.WriteSpans(ctx, p, spans); err != nil {
				return err
			}
		}
		err := s.WriteScores(ctx, scored, scores)
		spans, scores = spans[:0], scores[:0]
		return err
	}
	for i := range n {
		tr := f.Trace(i)
		spans = append(spans, tr...)
		scores = append(scores, FixtureScores(tr, i)...)
		if len(spans) >= 2000 {
			if err := flush(); err != nil {
				return fmt.Errorf("load score fixture: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("load score fixture: %w", err)
	}
	return nil
}

// ScoreListFilters are the trace list filters the score benchmarks time.
func ScoreListFilters() []ReadFilter {
	return []ReadFilter{
		{"score_name+min", store.TraceFilter{Score: store.ScoreMatch{Name: "quality", Min: ptr(0.85)}}},
		{"score_label", store.TraceFilter{Score: store.ScoreMatch{Name: "tone", Label: "rude"}}},
	}
}
