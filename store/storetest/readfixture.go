package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/tracium/tracium/store"
)

// The read benchmarks of every backend, and the end-to-end query
// benchmark, measure the same data: 1,000,000 spans in 100,000 traces of
// ten spans over the last ten days, and one trace of 10,000 spans of about
// 1 KB.
const (
	ReadFixtureTraces  = 100_000
	ReadFixtureSpans   = ReadFixtureTraces*10 + BigTraceSpans
	BigTraceSpans      = 10_000
	readFixtureBatch   = 2000
	bigTraceBatchSpans = 1000
)

// LoadReadFixture writes the read benchmarks' data into the project and
// returns the id of the 10,000-span trace.
func LoadReadFixture(ctx context.Context, w store.SpanWriter, projectID int64) (bigTraceID string, err error) {
	f := Fixture{SpansPerTrace: 10, PayloadBytes: 300, Start: time.Now().Add(-10 * 24 * time.Hour), Spacing: 8640 * time.Millisecond}
	var buf []store.Span
	for i := range ReadFixtureTraces {
		buf = append(buf, f.Trace(i)...)
		if len(buf) >= readFixtureBatch || i == ReadFixtureTraces-1 {
			if err := w.WriteSpans(ctx, projectID, buf); err != nil {
				return "", fmt.Errorf("load read fixture: %w", err)
			}
			buf = buf[:0]
		}
	}
	big := Fixture{SpansPerTrace: BigTraceSpans, PayloadBytes: 1 << 10, Start: time.Now().Add(-time.Hour)}.Trace(0)
	for lo := 0; lo < len(big); lo += bigTraceBatchSpans {
		if err := w.WriteSpans(ctx, projectID, big[lo:lo+bigTraceBatchSpans]); err != nil {
			return "", fmt.Errorf("load big trace: %w", err)
		}
	}
	return big[0].TraceID, nil
}

// ReadFilter is one ListTraces case of the read benchmarks.
type ReadFilter struct {
	Name   string
	Filter store.TraceFilter
}

// ReadFilters are the list filters the read benchmarks time, each matching
// some traces of the read fixture.
func ReadFilters(now time.Time) []ReadFilter {
	return []ReadFilter{
		{"none", store.TraceFilter{}},
		{"agent", store.TraceFilter{AgentName: "agent-3"}},
		{"model", store.TraceFilter{Model: "model-2"}},
		{"tag", store.TraceFilter{Tag: "shard:1"}},
		{"errors", store.TraceFilter{Status: store.StatusError}},
		{"user", store.TraceFilter{UserID: "user-77"}},
		{"since+agent+min_duration", store.TraceFilter{Since: now.Add(-3 * 24 * time.Hour), AgentName: "agent-5", MinDuration: 1500 * time.Millisecond}},
		{"text", store.TraceFilter{Query: "question 4242:"}},
		{"text in a child span", store.TraceFilter{Query: "429 too many"}},
	}
}
