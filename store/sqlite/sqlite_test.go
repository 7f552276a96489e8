package sqlite_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// setup opens a store on a new file in t's temporary directory.
func setup(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tracium.db")
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

// TestConformance runs the shared suite against one store, as a server
// uses it: every test of the suite at once on the same file.
func TestConformance(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	storetest.Run(t, func(t *testing.T) store.Store { return s })
}

// TestConformanceValidatedWrites runs the suite with every write made as
// the collector's writer makes it: validated as ingest does, then written
// with WriteValidatedSpans.
func TestConformanceValidatedWrites(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.ValidatedWrites(s) })
}

// TestRetention runs the retention suite, each test on a file of its own
// opened twice, as two processes would.
func TestRetention(t *testing.T) {
	t.Parallel()
	storetest.RunRetention(t, func(t *testing.T) (store.Store, store.Store) {
		a, path := setup(t)
		b, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, SkipMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return a, b
	})
}

// testBundle is a store with a project of its own.
type testBundle struct {
	store   *sqlite.Store
	path    string
	project store.Project
}

func setupProject(t *testing.T) *testBundle {
	t.Helper()
	s, path := setup(t)
	p, err := s.CreateProject(t.Context(), "test")
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	return &testBundle{store: s, path: path, project: p}
}

func (b *testBundle) write(t *testing.T, spans ...store.Span) {
	t.Helper()
	if err := b.store.WriteSpans(t.Context(), b.project.ID, spans); err != nil {
		t.Fatalf("WriteSpans: %v", err)
	}
}

func (b *testBundle) trace(t *testing.T, traceID string) store.TraceDetail {
	t.Helper()
	d, err := b.store.GetTrace(t.Context(), b.project.ID, traceID)
	if err != nil {
		t.Fatalf("GetTrace: %v", err)
	}
	return d
}

// base is recent: the store refuses spans outside its write window.
var base = time.Now().UTC().Truncate(time.Hour).Add(-24 * time.Hour)

func newSpan(traceID, parentID, name string, offset time.Duration) store.Span {
	return store.Span{
		TraceID: traceID, SpanID: storetest.NewSpanID(), ParentSpanID: parentID, Name: name,
		Type: store.SpanTask, StartTime: base.Add(offset), EndTime: base.Add(offset + time.Second),
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", ":memory:", "file:x?mode=memory"} {
		if s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

func TestOpenOddPath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a dir", "100% ?sure#.db")
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the path given: %v", err)
	}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	b := setupProject(t)
	tid := storetest.NewTraceID()
	root := newSpan(tid, "", "root", 0)
	b.write(t, root, newSpan(tid, root.SpanID, "child", time.Second))
	if err := b.store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, skip := range []bool{false, true} {
		s, err := sqlite.Open(t.Context(), sqlite.Config{Path: b.path, SkipMigrate: skip})
		if err != nil {
			t.Fatalf("reopen (SkipMigrate %v): %v", skip, err)
		}
		d, err := s.GetTrace(t.Context(), b.project.ID, strings.ToUpper(tid))
		if err != nil || d.SpanCount != 2 || len(d.Spans) != 2 || d.Name != "root" {
			t.Errorf("after reopen (SkipMigrate %v): %+v, %v", skip, d.Trace, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteSpansLeavesCallerSpans(t *testing.T) {
	t.Parallel()
	b := setupProject(t)
	tid := storetest.NewTraceID()
	s := newSpan(strings.ToUpper(tid), "", "root", 0)
	s.Tags = []string{"b", "a", "b"}
	spans := []store.Span{s}
	b.write(t, spans...)
	if !slices.Equal(spans[0].Tags, []string{"b", "a", "b"}) || spans[0].TraceID != strings.ToUpper(tid) {
		t.Errorf("WriteSpans changed the caller's span: %+v", spans[0])
	}
	if got := b.trace(t, tid).Tags; !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("trace tags = %q", got)
	}
}

// TestConcurrentWriters has eight writers race on overlapping batches of
// many traces while readers page through them.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	b := setupProject(t)
	f := storetest.Fixture{SpansPerTrace: 5, PayloadBytes: 256, Start: base, Spacing: time.Second}
	var traces [][]store.Span
	for i := range 40 {
		traces = append(traces, f.Trace(i))
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 8 {
		wg.Go(func() {
			for i := range traces { // every trace, spans in a writer-specific order
				spans := slices.Clone(traces[(i+w*5)%len(traces)])
				if w%2 == 1 {
					slices.Reverse(spans)
				}
				if err := b.store.WriteSpans(ctx, b.project.ID, spans[:w%len(spans)+1]); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			if _, err := b.store.ListTraces(ctx, b.project.ID, store.TraceFilter{}, store.Page{Limit: 7}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent use: %v", err)
	}
	list, err := b.store.ListTraces(ctx, b.project.ID, store.TraceFilter{}, store.Page{Limit: 100})
	if err != nil || len(list.Traces) != len(traces) {
		t.Fatalf("listed %d traces, %v; want %d", len(list.Traces), err, len(traces))
	}
	for _, tr := range list.Traces {
		if tr.SpanCount != 5 || tr.RootSpanID == "" {
			t.Errorf("trace %s: %d spans, root %q; want 5 and the root", tr.TraceID, tr.SpanCount, tr.RootSpanID)
		}
	}
}

// TestLatencyPercentiles checks the interpolation done in Go against
// values PostgreSQL's percentile_cont gives.
func TestLatencyPercentiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		ms            []int
		p50, p95, p99 float64
	}{
		{"one", []int{70}, 70, 70, 70},
		{"two", []int{10, 20}, 15, 19.5, 19.9},
		{"five unsorted", []int{50, 10, 40, 20, 30}, 30, 48, 49.6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupProject(t)
			tid := storetest.NewTraceID()
			var spans []store.Span
			for i, ms := range tc.ms {
				s := newSpan(tid, "", "call", time.Duration(i)*time.Minute)
				s.Type, s.Model = store.SpanLLM, "m"
				s.EndTime = s.StartTime.Add(time.Duration(ms) * time.Millisecond)
				spans = append(spans, s)
			}
			b.write(t, spans...)
			rows, err := b.store.UsageMetrics(t.Context(), b.project.ID, store.UsageQuery{GroupBy: store.GroupByModel})
			if err != nil || len(rows) != 1 {
				t.Fatalf("UsageMetrics = %+v, %v", rows, err)
			}
			r := rows[0]
			for _, p := range []struct{ got, want float64 }{{r.LatencyP50MS, tc.p50}, {r.LatencyP95MS, tc.p95}, {r.LatencyP99MS, tc.p99}} {
				if math.Abs(p.got-p.want) > 1e-9 {
					t.Errorf("percentiles %v %v %v, want %v %v %v", r.LatencyP50MS, r.LatencyP95MS, r.LatencyP99MS, tc.p50, tc.p95, tc.p99)
					break
				}
			}
		})
	}
}
