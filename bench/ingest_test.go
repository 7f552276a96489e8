// Package bench measures the collector end to end: a load generator sends
// 1 KB spans in batches of 100 over HTTP to a tracium-server process on
// PostgreSQL, and the same run COPYs the same rows into the same table
// with bare pgx.CopyFrom, the fastest anything can put them there.
//
//	make bench-ingest
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/auth"
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
	ctx := context.Background()
	st, key, srv, p := setupServer(b)
	raw, err := st.CreateProject(ctx, "raw-copy")
	if err != nil {
		b.Fatal(err)
	}
	const spansPerOp = 100_000
	f := storetest.Fixture{SpansPerTrace: 10, PayloadBytes: 1 << 10, Start: time.Now().Add(-time.Hour), Spacing: time.Millisecond}
	next, sent := 0, 0
	var e2e, copyTime time.Duration
	var pgE2E, pgRaw float64 // PostgreSQL CPU seconds
	cpu0 := srv.cpuSeconds(b)
	start := time.Now()
	for b.Loop() {
		bodies, spans := makeBatches(b, f, &next, spansPerOp)
		pg0 := backendCPU(b, st, serverAppName)
		prof := srv.profile(b)
		t0 := time.Now()
		sendAll(b, srv.url, key, bodies)
		sent += len(spans)
		srv.waitWritten(b, float64(sent))
		e2e += time.Since(t0)
		prof()
		pgE2E += backendCPU(b, st, serverAppName).since(pg0)

		rawSpans := make([]store.Span, 0, spansPerOp)
		for _, tr := range makeTraces(f, &next, spansPerOp) {
			rawSpans = append(rawSpans, tr...)
		}
		pg1 := backendCPU(b, st, benchAppName)
		t1 := time.Now()
		for lo := 0; lo < len(rawSpans); lo += 5000 {
			if err := st.RawCopy(ctx, raw.ID, rawSpans[lo:min(lo+5000, len(rawSpans))]); err != nil {
				b.Fatal(err)
			}
		}
		copyTime += time.Since(t1)
		pgRaw += backendCPU(b, st, benchAppName).since(pg1)
	}
	wall := time.Since(start) - copyTime
	cpu := srv.cpuSeconds(b) - cpu0
	n := float64(b.N * spansPerOp)
	b.ReportMetric(n/e2e.Seconds(), "e2e-spans/s")
	b.ReportMetric(n/copyTime.Seconds(), "raw-copy-spans/s")
	b.ReportMetric(copyTime.Seconds()/e2e.Seconds(), "ratio")
	b.ReportMetric(cpu/wall.Seconds(), "collector-cores")
	b.ReportMetric(cpu/n*1e6, "collector-µs/span")
	b.ReportMetric(pgE2E/n*1e6, "pg-e2e-µs/span")
	b.ReportMetric(pgRaw/n*1e6, "pg-raw-µs/span")
	b.ReportMetric(srv.peakMB(b), "collector-peak-MB")
	if got := countSpans(b, st, p.ID); got != int64(sent) {
		b.Errorf("%d spans stored, %d sent", got, sent)
	}
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

func sendAll(b *testing.B, url, key string, bodies [][]byte) {
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
					req, _ := http.NewRequest("POST", url+"/v1/ingest", bytes.NewReader(bodies[k]))
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

// setupServer gives a benchmark its own database, a tracium-server
// process on it (with env added), the store opened beside it, the
// bootstrap key and the default project.
func setupServer(b *testing.B, env ...string) (*postgres.Store, string, *serverProcess, store.Project) {
	b.Helper()
	dbURL := pgtest.NewDatabase(b)
	st, err := postgres.Open(context.Background(), postgres.Config{URL: withAppName(b, dbURL, benchAppName)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	key, _, err := auth.NewKey(0, "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv := startServer(b, withAppName(b, dbURL, serverAppName), key, env...)
	p, err := st.GetProjectByName(context.Background(), "default")
	if err != nil {
		b.Fatal(err)
	}
	return st, key, srv, p
}

type serverProcess struct {
	cmd      *exec.Cmd
	url      string
	dataDir  string
	pprofURL string // when profiling
}

// startServer builds tracium-server and runs it on dbURL (empty for the
// embedded SQLite) with an embedded NATS, as a separate process so that
// its CPU and memory can be read.
func startServer(b *testing.B, dbURL, key string, env ...string) *serverProcess {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "tracium-server")
	build := exec.Command("go", "build", "-o", bin, "../cmd/tracium-server")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(b)
	cmd := exec.Command(bin)
	dataDir := filepath.Join(dir, "data")
	cmd.Env = append(os.Environ(), "TRACIUM_ADDR="+addr, "TRACIUM_DATA_DIR="+dataDir,
		"TRACIUM_BOOTSTRAP_API_KEY="+key, "TRACIUM_RATE_LIMIT=-1")
	if dbURL != "" {
		cmd.Env = append(cmd.Env, "TRACIUM_DATABASE_URL="+dbURL)
	}
	s := &serverProcess{cmd: cmd, url: "http://" + addr, dataDir: dataDir}
	if profileDir != "" {
		pprofAddr := freeAddr(b)
		cmd.Env = append(cmd.Env, "TRACIUM_PPROF_ADDR="+pprofAddr)
		s.pprofURL = "http://" + pprofAddr
	}
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(60 * time.Second); ; {
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("server did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitWritten polls /metrics until the writer has committed want spans.
func (s *serverProcess) waitWritten(b *testing.B, want float64) {
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s.metric(b, "tracium_writer_spans_written_total") >= want {
			return
		}
	}
	b.Fatalf("writer did not reach %v spans", want)
}

func (s *serverProcess) metric(b *testing.B, name string) float64 {
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// cpuSeconds is the process's user plus system CPU time.
func (s *serverProcess) cpuSeconds(b *testing.B) float64 {
	v, err := processCPU(s.cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// freeAddr is a loopback address with a port free right now.
func freeAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// peakMB is the process's peak resident set size (VmHWM).
func (s *serverProcess) peakMB(b *testing.B) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
