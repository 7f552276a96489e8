package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// TestMain removes the read benchmarks' database, which outlives any one
// benchmark, when the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if readFixture.store != nil {
		readFixture.store.Close()
	}
	if readFixture.dir != "" {
		os.RemoveAll(readFixture.dir)
	}
	os.Exit(code)
}

// BenchmarkWriteSpans writes batches of 100 spans through WriteSpans and,
// in the same iterations, inserts equivalent fresh rows straight into the
// spans table of the same file with a plain prepared INSERT, one
// transaction a batch: the fastest plain way to put them there. SQLite has
// no COPY. It reports both rates and ours as a fraction of the raw one.
func BenchmarkWriteSpans(b *testing.B) {
	for _, size := range []int{1 << 10, 20 << 10} {
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			ctx := context.Background()
			s := openBenchStore(b, filepath.Join(b.TempDir(), "bench.db"))
			p, err := s.CreateProject(ctx, fmt.Sprintf("write-%d", size))
			if err != nil {
				b.Fatal(err)
			}
			f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: size, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond}
			const batches, perBatch = 10, 100
			var ours, raw time.Duration
			i := 0
			writeOurs := func(spans []store.Span) time.Duration {
				start := time.Now()
				if err := s.WriteSpans(ctx, p.ID, spans); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			writeRaw := func(spans []store.Span) time.Duration {
				start := time.Now()
				if err := s.RawInsert(ctx, p.ID, spans); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			for b.Loop() {
				for k := range batches {
					ourBatch, rawBatch := batch(f, &i, perBatch), batch(f, &i, perBatch)
					// The two take turns going first: a commit that pushes
					// the WAL past its limit pays for the checkpoint, and a
					// fixed order would leave that to the same side.
					if k%2 == 0 {
						ours += writeOurs(ourBatch)
						raw += writeRaw(rawBatch)
					} else {
						raw += writeRaw(rawBatch)
						ours += writeOurs(ourBatch)
					}
				}
			}
			n := float64(b.N * batches * perBatch)
			b.ReportMetric(n/ours.Seconds(), "spans/s")
			b.ReportMetric(n/raw.Seconds(), "raw-insert-spans/s")
			b.ReportMetric(raw.Seconds()/ours.Seconds(), "ratio")
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

func openBenchStore(b *testing.B, path string) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// The read benchmarks share one loaded database: 1,000,000 spans in
// 100,000 traces over ten days, plus one trace of 10,000 spans. It lives
// in a directory of os.TempDir() that TestMain removes.
//
// Unlike the PostgreSQL benchmarks it is not ANALYZEd: the store never
// runs ANALYZE, so the query planner works as it does in the binary.
var readFixture struct {
	once    sync.Once
	dir     string
	store   *sqlite.Store
	project int64
	bigID   string
	err     error
}

func loadReadFixture(b *testing.B) (*sqlite.Store, int64, string) {
	b.Helper()
	readFixture.once.Do(func() {
		ctx := context.Background()
		began := time.Now()
		dir, err := os.MkdirTemp("", "tracium-sqlite-bench-")
		if err != nil {
			readFixture.err = err
			return
		}
		readFixture.dir = dir
		s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "read.db")})
		if err != nil {
			readFixture.err = err
			return
		}
		readFixture.store = s // closed by TestMain
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
		b.Logf("read fixture: %d spans in %v", storetest.ReadFixtureSpans, time.Since(began).Round(time.Millisecond))
		readFixture.project, readFixture.bigID = p.ID, bigID
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
