package query_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/auth"
	"github.com/tracium/tracium/server/query"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// exportBench is a store loaded with the read fixture (1,010,000 spans,
// storetest.LoadReadFixture) behind the query API, and the peer: a bare
// read of the same rows.
type exportBench struct {
	url, key string
	peer     func(b *testing.B) (rows int64)
}

// loadExportBench loads the fixture into a new store of backend, for the
// benchmarks run under b.
func loadExportBench(b *testing.B, backend string) *exportBench {
	b.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	var dbURL, path string
	if backend == "postgres" {
		dbURL = pgtest.NewDatabase(b)
		st, err = postgres.Open(ctx, postgres.Config{URL: dbURL})
	} else {
		dir, derr := os.MkdirTemp("", "tracium-export-bench-")
		if derr != nil {
			b.Fatal(derr)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		path = filepath.Join(dir, "export.db")
		st, err = sqlite.Open(ctx, sqlite.Config{Path: path})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p, err := st.CreateProject(ctx, "export-bench")
	if err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	if _, err := storetest.LoadReadFixture(ctx, st, p.ID); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d spans loaded in %v", backend, storetest.ReadFixtureSpans, time.Since(began).Round(time.Second))
	secret, rec, _ := auth.NewKey(p.ID, "k")
	if _, err := st.CreateAPIKey(ctx, rec); err != nil {
		b.Fatal(err)
	}
	r := chi.NewRouter()
	query.New(st, query.FromAPIKey(auth.NewAuthenticator(st)), nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Routes(r)
	srv := httptest.NewServer(r)
	b.Cleanup(srv.Close)
	e := &exportBench{url: srv.URL, key: secret}
	const columns = `trace_id, span_id, parent_span_id, name, type, start_time, end_time, status, error_type, error_message,
    model, request_model, provider, input_tokens, output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens,
    total_tokens, cost_usd, ttft_ms, tags, agent_name, user_id, session_id, metadata, input, output, raw_input, raw_output, attributes`
	if backend == "postgres" {
		pool := st.(*postgres.Store).Pool()
		if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
		e.peer = func(b *testing.B) int64 {
			rows, err := pool.Query(ctx, `SELECT `+columns+` FROM spans WHERE project_id = $1`, p.ID)
			if err != nil {
				b.Fatal(err)
			}
			defer rows.Close()
			var n int64
			for rows.Next() {
				_ = rows.RawValues()
				n++
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			return n
		}
	} else {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		e.peer = func(b *testing.B) int64 {
			rows, err := db.QueryContext(ctx, `SELECT `+columns+` FROM spans WHERE project_id = ?`, p.ID)
			if err != nil {
				b.Fatal(err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			dest := make([]any, len(cols))
			for i := range dest {
				dest[i] = new(sql.RawBytes)
			}
			var n int64
			for rows.Next() {
				if err := rows.Scan(dest...); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	return e
}

// memoryPeaks samples the heap's live objects and the process's
// anonymous resident memory (RssAnon: the heap, stacks and the
// databases' own allocations, not the SQLite file's memory map) every
// 10 ms, and reads the peak resident set (VmHWM, reset when sampling
// starts; it counts the mapped database pages too).
type memoryPeaks struct {
	stop      chan struct{}
	done      chan struct{}
	heap      atomic.Uint64
	heapEarly atomic.Uint64 // the peak until mark is called
	anon      atomic.Uint64
	marked    atomic.Bool
}

func startMemoryPeaks() *memoryPeaks {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // resets VmHWM to the current RSS (Linux)
	m := &memoryPeaks{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(m.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			v := sample[0].Value.Uint64()
			if v > m.heap.Load() {
				m.heap.Store(v)
			}
			if !m.marked.Load() && v > m.heapEarly.Load() {
				m.heapEarly.Store(v)
			}
			if a := procStatus("RssAnon:"); a > m.anon.Load() {
				m.anon.Store(a)
			}
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memoryPeaks) mark() { m.marked.Store(true) }

func (m *memoryPeaks) end() (heap, heapEarly, anon, rss uint64) {
	close(m.stop)
	<-m.done
	return m.heap.Load(), m.heapEarly.Load(), m.anon.Load(), procStatus("VmHWM:")
}

// procStatus is a size field of /proc/self/status in bytes, 0 where /proc
// does not say.
func procStatus(field string) uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkExport downloads every span of the read fixture (1,010,000
// spans of about 300 bytes of payload, and a 10,000-span trace of 1 KB
// ones) through GET /api/v1/export/traces over loopback, as JSON Lines and
// as CSV, on both backends, beside the peer: one bare SELECT of the same
// rows' columns, read to the end and thrown away, in the same run. It
// reports spans/s of each, their ratio, the bytes sent, and the peak heap
// of the process (live objects, sampled every 10 ms) over the first
// 100,000 spans and over the whole export, and its peak resident memory
// (see memoryPeaks): flat memory means the two heap peaks match.
func BenchmarkExport(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) { benchmarkExport(b, loadExportBench(b, backend)) })
	}
}

func benchmarkExport(b *testing.B, e *exportBench) {
	benchmarkConversationAPI(b, e)
	for _, format := range []string{"jsonl", "csv"} {
		b.Run(format, func(b *testing.B) {
			var ours, peer time.Duration
			var spans, peerRows, sent int64
			var heap, early, anon, rss uint64
			for b.Loop() {
				m := startMemoryPeaks()
				start := time.Now()
				n, size := e.download(b, format, m.mark)
				ours += time.Since(start)
				h, he, a, r := m.end()
				heap, early, anon, rss = max(heap, h), max(early, he), max(anon, a), max(rss, r)
				spans, sent = spans+n, sent+size
				start = time.Now()
				peerRows += e.peer(b)
				peer += time.Since(start)
			}
			if spans != peerRows || spans != int64(b.N)*storetest.ReadFixtureSpans {
				b.Fatalf("exported %d spans, the peer read %d, want %d each", spans, peerRows, int64(b.N)*storetest.ReadFixtureSpans)
			}
			oursRate, peerRate := float64(spans)/ours.Seconds(), float64(peerRows)/peer.Seconds()
			b.ReportMetric(oursRate, "spans/s")
			b.ReportMetric(peerRate, "peer-spans/s")
			b.ReportMetric(oursRate/peerRate, "ratio")
			b.ReportMetric(float64(sent)/float64(b.N)/(1<<20), "MB-sent")
			b.ReportMetric(float64(sent)/ours.Seconds()/(1<<20), "MB/s")
			b.ReportMetric(float64(early)/(1<<20), "peak-heap-first-100k-MB")
			b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(anon)/(1<<20), "peak-anon-RSS-MB")
			b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
		})
	}
}

// benchmarkConversationAPI times, over HTTP, the first page of the
// sessions and users lists (grouped from the fixture's 100,001 traces:
// 33,335 sessions of three traces, 1,000 users) and one session with its
// turns, reporting p50 and p95.
func benchmarkConversationAPI(b *testing.B, e *exportBench) {
	for _, tc := range []struct{ name, path string }{
		{"api-sessions", "/api/v1/sessions"},
		{"api-sessions-of-a-user", "/api/v1/sessions?user_id=user-77"},
		{"api-users", "/api/v1/users"},
		{"api-session", "/api/v1/sessions/session-4242"},
		{"api-user", "/api/v1/users/user-77"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				req, _ := http.NewRequest("GET", e.url+tc.path, nil)
				req.Header.Set("Authorization", "Bearer "+e.key)
				start := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				if resp.StatusCode != 200 {
					b.Fatalf("GET %s: %d", tc.path, resp.StatusCode)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[(len(lat)*95)/100].Microseconds())/1000, "p95-ms")
		})
	}
}

// download reads the whole export, counting spans (lines, less CSV's
// header), and calls mark once 100,000 have arrived.
func (e *exportBench) download(b *testing.B, format string, mark func()) (spans, size int64) {
	req, _ := http.NewRequest("GET", e.url+"/api/v1/export/traces?format="+format, nil)
	req.Header.Set("Authorization", "Bearer "+e.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("export: %d", resp.StatusCode)
	}
	buf := make([]byte, 256<<10)
	var lines int64
	marked := false
	for {
		n, err := resp.Body.Read(buf)
		size += int64(n)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		if !marked && lines >= 100_000 {
			mark()
			marked = true
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(fmt.Errorf("export body: %w", err))
		}
	}
	if format == "csv" {
		lines--
	}
	return lines, size
}
