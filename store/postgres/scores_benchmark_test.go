package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/storetest"
)

// BenchmarkWriteScores writes batches of 99 scores through WriteScores
// and, in the same iterations, COPYs equivalent rows straight into the
// scores table, the peer.
func BenchmarkWriteScores(b *testing.B) {
	ctx := context.Background()
	s := openBenchStore(b)
	p, err := s.CreateProject(ctx, "write-scores")
	if err != nil {
		b.Fatal(err)
	}
	f := storetest.Fixture{SpansPerTrace: 2, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond}
	const batches, perBatch = 10, 99 // three scores a trace
	var ours, raw time.Duration
	i := 0
	next := func() []store.Score {
		var out []store.Score
		for len(out) < perBatch {
			out = append(out, storetest.FixtureScores(f.Trace(i), i)...)
			i++
		}
		return out
	}
	columns := []string{"project_id", "score_id", "trace_id", "span_id", "name", "data_type", "value", "label", "comment", "source", "scored_at"}
	for b.Loop() {
		for range batches {
			mine, peer := next(), next()
			start := time.Now()
			if err := s.WriteScores(ctx, p.ID, mine); err != nil {
				b.Fatal(err)
			}
			mid := time.Now()
			rows := make([][]any, len(peer))
			for k, sc := range peer {
				var v *float64
				if n, ok := sc.Value.Average(); ok {
					v = &n
				}
				rows[k] = []any{p.ID, sc.ID, sc.TraceID, sc.SpanID, sc.Name, string(sc.Value.Type), v, sc.Value.Label, sc.Comment, string(sc.Source), sc.Time}
			}
			if _, err := s.Pool().CopyFrom(ctx, pgx.Identifier{"scores"}, columns, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
			ours, raw = ours+mid.Sub(start), raw+time.Since(mid)
		}
	}
	n := float64(b.N * batches * perBatch)
	b.ReportMetric(n/ours.Seconds(), "scores/s")
	b.ReportMetric(n/raw.Seconds(), "raw-copy-scores/s")
	b.ReportMetric(raw.Seconds()/ours.Seconds(), "ratio")
}

// BenchmarkListTracesScored reads the first page of 50 of 20,000 traces,
// each with three scores, beside the same traces with none (what the
// score summaries of a page cost), and filtered by their scores.
func BenchmarkListTracesScored(b *testing.B) {
	ctx := context.Background()
	s := openBenchStore(b)
	scored, err := s.CreateProject(ctx, "scored")
	if err != nil {
		b.Fatal(err)
	}
	plain, err := s.CreateProject(ctx, "plain")
	if err != nil {
		b.Fatal(err)
	}
	if err := storetest.LoadScoreFixture(ctx, s, scored.ID, plain.ID, 20_000); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	type listCase struct {
		name    string
		project int64
		f       store.TraceFilter
	}
	cases := []listCase{{"no scores", plain.ID, store.TraceFilter{}}, {"three scores a trace", scored.ID, store.TraceFilter{}}}
	for _, rf := range storetest.ScoreListFilters() {
		cases = append(cases, listCase{rf.Name, scored.ID, rf.Filter})
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				res, err := s.ListTraces(ctx, tc.project, tc.f, store.Page{Limit: 50})
				if err != nil || len(res.Traces) != 50 {
					b.Fatalf("ListTraces: %d traces, %v", len(res.Traces), err)
				}
			}
		})
	}
}
