package bench

import (
	"context"
	"database/sql"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/backend"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// BenchmarkIngestSQLite is BenchmarkIngest on the embedded default: a
// tracium-server process with no configuration (SQLite and NATS embedded
// in its data directory). Its peer, in the same iterations, is a bare
// prepared INSERT of the same number of rows into the same table of the
// same file, one transaction per 5,000 rows, from this process. Beside
// the rates it reports the collector's CPU per span (SQLite works inside
// it) and this process's CPU per span during the bare INSERT.
func BenchmarkIngestSQLite(b *testing.B) {
	ctx := context.Background()
	key, _, err := auth.NewKey(0, "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv := startServer(b, "", key)
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(srv.dataDir, backend.SQLiteFile), SkipMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p, err := st.GetProjectByName(ctx, "default")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := st.CreateProject(ctx, "raw-insert")
	if err != nil {
		b.Fatal(err)
	}
	const spansPerOp = 100_000
	f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond}
	next, sent := 0, 0
	var e2e, insertTime time.Duration
	var insertCPU float64
	cpu0 := srv.cpuSeconds(b)
	start := time.Now()
	for b.Loop() {
		bodies, spans := makeBatches(b, f, &next, spansPerOp)
		prof := srv.profile(b)
		t0 := time.Now()
		sendAll(b, []string{srv.url}, key, bodies)
		sent += len(spans)
		srv.waitWritten(b, float64(sent))
		e2e += time.Since(t0)
		prof()

		rawSpans := make([]store.Span, 0, spansPerOp)
		for _, tr := range makeTraces(f, &next, spansPerOp) {
			rawSpans = append(rawSpans, tr...)
		}
		c0, t1 := selfCPU(b), time.Now()
		for lo := 0; lo < len(rawSpans); lo += 5000 {
			if err := st.RawInsert(ctx, raw.ID, rawSpans[lo:min(lo+5000, len(rawSpans))]); err != nil {
				b.Fatal(err)
			}
		}
		insertTime += time.Since(t1)
		insertCPU += selfCPU(b) - c0
	}
	wall := time.Since(start) - insertTime
	cpu := srv.cpuSeconds(b) - cpu0
	n := float64(b.N * spansPerOp)
	b.ReportMetric(n/e2e.Seconds(), "e2e-spans/s")
	b.ReportMetric(n/insertTime.Seconds(), "raw-insert-spans/s")
	b.ReportMetric(insertTime.Seconds()/e2e.Seconds(), "ratio")
	b.ReportMetric(cpu/wall.Seconds(), "collector-cores")
	b.ReportMetric(cpu/n*1e6, "collector-µs/span")
	b.ReportMetric(insertCPU/n*1e6, "raw-insert-µs/span")
	b.ReportMetric(srv.peakMB(b), "collector-peak-MB")
	if got := countSQLiteSpans(b, filepath.Join(srv.dataDir, backend.SQLiteFile), p.ID); got != int64(sent) {
		b.Errorf("%d spans stored, %d sent", got, sent)
	}
}

// selfCPU is this process's user plus system CPU time, in seconds.
func selfCPU(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func countSQLiteSpans(b *testing.B, path string, projectID int64) int64 {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM spans WHERE project_id = ?", projectID).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
