package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/storetest"
)

// BenchmarkWriteSpans writes batches of spans through WriteSpans (100, as
// one SDK request carries, and 5,000, as the writer combines them) and,
// in the same iterations, COPYs equivalent fresh rows straight into the
// spans table: the fastest anything can put them there. It reports both
// rates, ours as a fraction of the raw one, and the CPU time the
// PostgreSQL backend spent per span on each side (both go through one
// connection, so one backend serves them).
func BenchmarkWriteSpans(b *testing.B) {
	for _, tc := range []struct{ size, perBatch int }{{1 << 10, 100}, {20 << 10, 100}, {1 << 10, 5000}} {
		size, perBatch := tc.size, tc.perBatch
		b.Run(fmt.Sprintf("%dKB/batch=%d", size>>10, perBatch), func(b *testing.B) {
			ctx := context.Background()
			s := openBenchStoreConns(b, 1)
			p, err := s.CreateProject(ctx, fmt.Sprintf("write-%d", size))
			if err != nil {
				b.Fatal(err)
			}
			var pid int
			if err := s.Pool().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
				b.Fatal(err)
			}
			cpu := func() time.Duration {
				d, err := pgtest.BackendCPU(pid)
				if err != nil {
					b.Fatal(err)
				}
				return d
			}
			f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: size, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond}
			batches := max(1000/perBatch, 2)
			var ours, raw, oursPG, rawPG time.Duration
			i := 0
			for b.Loop() {
				for range batches {
					ourBatch, rawBatch := batch(f, &i, perBatch), batch(f, &i, perBatch)
					start, cpu0 := time.Now(), cpu()
					if err := s.WriteSpans(ctx, p.ID, ourBatch); err != nil {
						b.Fatal(err)
					}
					mid, cpu1 := time.Now(), cpu()
					if err := s.RawCopy(ctx, p.ID, rawBatch); err != nil {
						b.Fatal(err)
					}
					ours, raw = ours+mid.Sub(start), raw+time.Since(mid)
					cpu2 := cpu()
					oursPG, rawPG = oursPG+cpu1-cpu0, rawPG+cpu2-cpu1
				}
			}
			n := float64(b.N * batches * perBatch)
			b.ReportMetric(n/ours.Seconds(), "spans/s")
			b.ReportMetric(n/raw.Seconds(), "raw-copy-spans/s")
			b.ReportMetric(raw.Seconds()/ours.Seconds(), "ratio")
			b.ReportMetric(oursPG.Seconds()/n*1e6, "pg-µs/span")
			b.ReportMetric(rawPG.Seconds()/n*1e6, "pg-raw-µs/span")
		})
	}
}

// batch returns the next n spans of the fixture's endless stream.
func batch(f storetest.Fixture, i *int, n int) []store.Span {
	out := make([]store.Span, 0, n)
	for len(out) < n {
		out = append(out, f.Trace(*i)...)
		*i++
	}
	return out[:n]
}

func openBenchStore(b *testing.B) *postgres.Store {
	b.Helper()
	return openBenchStoreConns(b, 0)
}

// openBenchStoreConns opens a store on a database of its own with at most
// conns connections (the default when 0).
func openBenchStoreConns(b *testing.B, conns int32) *postgres.Store {
	b.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{URL: pgtest.NewDatabase(b), MaxConns: conns})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// The read benchmarks share one loaded database: 1,000,000 spans in
// 100,000 traces over ten days, plus one trace of 10,000 spans.
var readFixture struct {
	once    sync.Once
	store   *postgres.Store
	project int64
	bigID   string
	err     error
}

func loadReadFixture(b *testing.B) (*postgres.Store, int64, string) {
	b.Helper()
	readFixture.once.Do(func() {
		ctx := context.Background()
		s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.Database(b)})
		if err != nil {
			readFixture.err = err
			return
		}
		p, err := s.CreateProject(ctx, "read-bench")
		if err != nil {
			readFixture.err = err
			return
		}
		bigID, err := storetest.LoadReadFixture(ctx, s, p.ID)
		if err != nil {
			readFixture.err = err
			return
		}
		var n int64
		if err := s.Pool().QueryRow(ctx, "SELECT count(*) FROM spans WHERE project_id = $1", p.ID).Scan(&n); err != nil || n != storetest.ReadFixtureSpans {
			readFixture.err = fmt.Errorf("fixture holds %d spans (%v), want %d", n, err, storetest.ReadFixtureSpans)
			return
		}
		if _, err := s.Pool().Exec(ctx, "ANALYZE"); err != nil {
			readFixture.err = err
			return
		}
		readFixture.store, readFixture.project, readFixture.bigID = s, p.ID, bigID
	})
	if readFixture.err != nil {
		b.Fatal(readFixture.err)
	}
	return readFixture.store, readFixture.project, readFixture.bigID
}

// BenchmarkGetTrace reads one trace of 10,000 spans of about 1 KB each,
// whole (GetTrace, as the REST API answers) and as the trace page draws
// its tree (GetTraceTree, no payloads), in one run.
func BenchmarkGetTrace(b *testing.B) {
	s, project, id := loadReadFixture(b)
	ctx := context.Background()
	for _, read := range []struct {
		name string
		get  func() (spans int, err error)
	}{
		{"GetTrace", func() (int, error) { d, err := s.GetTrace(ctx, project, id); return len(d.Spans), err }},
		{"GetTraceTree", func() (int, error) { d, err := s.GetTraceTree(ctx, project, id, 0); return len(d.Spans), err }},
	} {
		b.Run(read.name, func(b *testing.B) {
			for b.Loop() {
				if n, err := read.get(); err != nil || n != 10_000 {
					b.Fatalf("%s: %d spans, %v", read.name, n, err)
				}
			}
		})
	}
}

// BenchmarkListTraces reads the first page of 50 under each filter, over
// 1,000,000 stored spans.
func BenchmarkListTraces(b *testing.B) {
	s, project, _ := loadReadFixture(b)
	ctx := context.Background()
	for _, tc := range storetest.ReadFilters(time.Now()) {
		b.Run(tc.Name, func(b *testing.B) {
			for b.Loop() {
				res, err := s.ListTraces(ctx, project, tc.Filter, store.Page{Limit: 50})
				if err != nil || len(res.Traces) == 0 {
					b.Fatalf("ListTraces: %d traces, %v", len(res.Traces), err)
				}
			}
		})
	}
}
