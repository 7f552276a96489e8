// Package bench measures the collector end to end: a load generator sends
// 1 KB spans in batches of 100 over HTTP to a tracium-server process on
// PostgreSQL (or on its embedded SQLite), and the same run puts the same
// rows into the same table the fastest plain way (bare pgx.CopyFrom, or a
// bare prepared INSERT on SQLite). BenchmarkIngestTopology does the same
// across deployments: several collectors, a NATS cluster, a streaming
// replica of PostgreSQL. TRACIUM_BENCH_PROFILE_DIR, when set, names a
// directory for CPU profiles of the collectors during the end-to-end
// phases.
//
//	make bench-ingest
//	make bench-topology
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	batchSize   = 100
	concurrency = 8
)

// BenchmarkIngest reports, per iteration of 100,000 spans: the sustained
// end-to-end rate (first request sent to last span committed), the raw
// COPY rate of the same rows, their ratio, the collector process's CPU
// (cores busy on average, and microseconds of user plus system time per
// span written) and peak resident memory, and the CPU time PostgreSQL's
// backends spent per span on each side: those serving the collector
// during the end-to-end phase, and the one serving the raw COPY.
func BenchmarkIngest(b *testing.B) {
	st, key, srv, p := setupServer(b)
	r := newIngestRun(b, st, key, collectors{srv}, p)
	for b.Loop() {
		r.ingest(b, nil)
		r.rawCopy(b)
	}
	r.report(b)
}

// spansPerOp is the spans an iteration of the ingest benchmarks sends.
const spansPerOp = 100_000

// ingestRun is what BenchmarkIngest measures, kept across iterations: in
// each, spansPerOp spans sent to the collectors and written (ingest), then
// as many rows copied raw into the same table (rawCopy).
type ingestRun struct {
	st           *postgres.Store
	key          string
	cs           collectors
	project, raw store.Project
	f            storetest.Fixture
	next, sent   int

	e2e, copyTime time.Duration
	// aside is time spent on neither side (checks between phases): like
	// the raw COPY's, it is left out of the time the collectors' CPU is
	// spread over.
	aside        time.Duration
	pgE2E, pgRaw float64 // PostgreSQL CPU seconds
	cpu0         float64
	start        time.Time
}

// newIngestRun starts measuring the collectors cs, which write to st's
// database for project p.
func newIngestRun(b *testing.B, st *postgres.Store, key string, cs collectors, p store.Project) *ingestRun {
	raw, err := st.CreateProject(context.Background(), "raw-copy")
	if err != nil {
		b.Fatal(err)
	}
	return &ingestRun{
		st: st, key: key, cs: cs, project: p, raw: raw,
		f:    storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond},
		cpu0: cs.cpuSeconds(b), start: time.Now(),
	}
}

// ingest sends spansPerOp spans, the batches spread over the collectors,
// and waits until their writers committed them all. during, when not nil,
// is called as the clock starts, and what it returns as the clock stops
// (its time set aside).
func (r *ingestRun) ingest(b *testing.B, during func() (stop func())) {
	bodies, spans := makeBatches(b, r.f, &r.next, spansPerOp)
	pg0 := backendCPU(b, r.st, serverAppName)
	prof := r.cs.profile(b)
	var stop func()
	t0 := time.Now()
	if during != nil {
		stop = during()
	}
	sendAll(b, r.cs.urls(), r.key, bodies)
	r.sent += len(spans)
	r.cs.waitWritten(b, float64(r.sent))
	r.e2e += time.Since(t0)
	if stop != nil {
		r.setAside(stop)
	}
	prof()
	r.pgE2E += backendCPU(b, r.st, serverAppName).since(pg0)
}

// rawCopy copies spansPerOp rows into the raw project with bare COPY.
func (r *ingestRun) rawCopy(b *testing.B) {
	rawSpans := make([]store.Span, 0, spansPerOp)
	for _, tr := range makeTraces(r.f, &r.next, spansPerOp) {
		rawSpans = append(rawSpans, tr...)
	}
	pg1 := backendCPU(b, r.st, benchAppName)
	t1 := time.Now()
	for lo := 0; lo < len(rawSpans); lo += 5000 {
		if err := r.st.RawCopy(context.Background(), r.raw.ID, rawSpans[lo:min(lo+5000, len(rawSpans))]); err != nil {
			b.Fatal(err)
		}
	}
	r.copyTime += time.Since(t1)
	r.pgRaw += backendCPU(b, r.st, benchAppName).since(pg1)
}

// setAside runs f, its time left out of the collectors' wall time.
func (r *ingestRun) setAside(f func()) {
	t := time.Now()
	f()
	r.aside += time.Since(t)
}

// report reports BenchmarkIngest's metrics and returns the end-to-end
// rate (see rate). With several collectors,
// their CPU is summed and the peak memory is the largest one's.
func (r *ingestRun) report(b *testing.B) float64 {
	wall := time.Since(r.start) - r.copyTime - r.aside
	cpu := r.cs.cpuSeconds(b) - r.cpu0
	n := float64(b.N * spansPerOp)
	rate := r.rate(b)
	b.ReportMetric(rate, "e2e-spans/s")
	b.ReportMetric(n/r.copyTime.Seconds(), "raw-copy-spans/s")
	b.ReportMetric(r.copyTime.Seconds()/r.e2e.Seconds(), "ratio")
	b.ReportMetric(cpu/wall.Seconds(), "collector-cores")
	b.ReportMetric(cpu/n*1e6, "collector-µs/span")
	b.ReportMetric(r.pgE2E/n*1e6, "pg-e2e-µs/span")
	b.ReportMetric(r.pgRaw/n*1e6, "pg-raw-µs/span")
	b.ReportMetric(r.cs.peakMB(b), "collector-peak-MB")
	return rate
}

// rate checks that every span sent was stored, and returns the end-to-end
// rate.
func (r *ingestRun) rate(b *testing.B) float64 {
	if got := countSpans(b, r.st, r.project.ID); got != int64(r.sent) {
		b.Errorf("%d spans stored, %d sent", got, r.sent)
	}
	return float64(r.sent) / r.e2e.Seconds()
}

func countSpans(b *testing.B, st *postgres.Store, projectID int64) int64 {
	var n int64
	if err := st.Pool().QueryRow(context.Background(), "SELECT count(*) FROM spans WHERE project_id = $1", projectID).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func makeTraces(f storetest.Fixture, next *int, n int) [][]store.Span {
	var out [][]store.Span
	for total := 0; total < n; total += f.SpansPerTrace {
		out = append(out, f.Trace(*next))
		*next++
	}
	return out
}

// makeBatches encodes n spans as request bodies of batchSize spans.
func makeBatches(b *testing.B, f storetest.Fixture, next *int, n int) ([][]byte, []store.Span) {
	var all []store.Span
	for _, tr := range makeTraces(f, next, n) {
		all = append(all, tr...)
	}
	var bodies [][]byte
	for lo := 0; lo < len(all); lo += batchSize {
		raw, err := json.Marshal(map[string]any{"spans": all[lo:min(lo+batchSize, len(all))]})
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, raw)
	}
	return bodies, all
}

// sendAll posts every body with concurrency senders, batch k to
// urls[k%len(urls)], retrying a refused one as the SDK would.
func sendAll(b *testing.B, urls []string, key string, bodies [][]byte) {
	var i atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	for range concurrency {
		wg.Go(func() {
			for {
				k := int(i.Add(1)) - 1
				if k >= len(bodies) {
					return
				}
				for attempt := 0; ; attempt++ {
					req, _ := http.NewRequest("POST", urls[k%len(urls)]+"/v1/ingest", bytes.NewReader(bodies[k]))
					req.Header.Set("Authorization", "Bearer "+key)
					resp, err := client.Do(req)
					if err == nil {
						// Read to its end, as the SDK reads it, so that the
						// connection is reused.
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode == http.StatusAccepted {
							break
						}
					}
					if attempt > 20 {
						b.Errorf("batch %d not accepted: %v", k, err)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}
