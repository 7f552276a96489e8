package retention_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/server/metrics"
	"github.com/tracium/tracium/server/retention"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backends opens two stores on one fresh database of each backend, as two
// collectors would have.
var backends = map[string]func(t *testing.T) (store.Store, store.Store){
	"sqlite": func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "tracium.db")
		a, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		b, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, SkipMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return a, b
	},
	"postgres": func(t *testing.T) (store.Store, store.Store) {
		url := pgtest.NewDatabase(t)
		var two [2]store.Store
		for i := range two {
			s, err := postgres.Open(t.Context(), postgres.Config{URL: url})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			two[i] = s
		}
		return two[0], two[1]
	},
}

func forEachBackend(t *testing.T, test func(t *testing.T, a, b store.Store)) {
	t.Helper()
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			test(t, a, b)
		})
	}
}

// watched is a store that counts the retention deletes in progress
// through every watched store of a test, and can hold one in place.
type watched struct {
	store.Store
	active, most *atomic.Int32
	entered      chan struct{} // receives when a delete starts, if set
	proceed      chan struct{} // a delete waits for it, if set
}

func (w *watched) enter() func() {
	n := w.active.Add(1)
	for {
		m := w.most.Load()
		if n <= m || w.most.CompareAndSwap(m, n) {
			break
		}
	}
	if w.entered != nil {
		w.entered <- struct{}{}
	}
	if w.proceed != nil {
		<-w.proceed
	}
	return func() { w.active.Add(-1) }
}

func (w *watched) DeleteDaysBefore(ctx context.Context, cutoff time.Time) (store.Removed, error) {
	defer w.enter()()
	return w.Store.DeleteDaysBefore(ctx, cutoff)
}

func (w *watched) DeleteTracesBefore(ctx context.Context, projectID int64, cutoff time.Time) (store.Removed, error) {
	defer w.enter()()
	return w.Store.DeleteTracesBefore(ctx, projectID, cutoff)
}

// TestOneRunnerAtATime holds one collector's pass in the middle of its
// deletes: the other collector's pass, on the same database, is skipped
// and deletes nothing; once the first has finished, the second skips it
// again until an interval has passed, then runs.
func TestOneRunnerAtATime(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a, b store.Store) {
		var active, most atomic.Int32
		held := &watched{Store: a, active: &active, most: &most, entered: make(chan struct{}, 1), proceed: make(chan struct{})}
		other := &watched{Store: b, active: &active, most: &most}
		now := time.Now()
		first := retention.New(retention.Config{Days: 30, Now: func() time.Time { return now }}, held)
		later := now
		second := retention.New(retention.Config{Days: 30, Now: func() time.Time { return later }}, other)

		done := make(chan error, 1)
		go func() {
			_, err := first.RunOnce(context.Background())
			done <- err
		}()
		<-held.entered
		if _, err := second.RunOnce(t.Context()); !errors.Is(err, retention.ErrSkipped) {
			t.Errorf("second pass while the first runs: err = %v, want ErrSkipped", err)
		}
		close(held.proceed)
		if err := <-done; err != nil {
			t.Fatalf("first pass: %v", err)
		}
		if got := most.Load(); got != 1 {
			t.Errorf("%d deletes ran at once, want 1", got)
		}
		if _, err := second.RunOnce(t.Context()); !errors.Is(err, retention.ErrSkipped) {
			t.Errorf("second pass right after the first: err = %v, want ErrSkipped", err)
		}
		later = now.Add(retention.DefaultInterval)
		run, err := second.RunOnce(t.Context())
		if err != nil || run.ID == 0 || run.StartedAt.Sub(later).Abs() > time.Millisecond {
			t.Errorf("second pass an interval later: %+v, %v", run, err)
		}
		last, err := a.LastRetentionRun(t.Context())
		if err != nil || last.ID != run.ID || last.ID == 0 {
			t.Errorf("last run %+v, %v; want the second pass, %d", last, err, run.ID)
		}
	})
}

// TestConcurrentRunners starts many passes at once through two stores
// whose clocks always make a pass due: the deletes never overlap.
func TestConcurrentRunners(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a, b store.Store) {
		var active, most atomic.Int32
		var clock atomic.Int64
		now := func() time.Time { return time.Now().Add(time.Duration(clock.Add(1)) * retention.DefaultInterval) }
		jobs := []*retention.Job{
			retention.New(retention.Config{Days: 30, Now: now}, &watched{Store: a, active: &active, most: &most}),
			retention.New(retention.Config{Days: 30, Now: now}, &watched{Store: b, active: &active, most: &most}),
		}
		var ran atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				if _, err := jobs[i%2].RunOnce(t.Context()); err == nil {
					ran.Add(1)
				} else if !errors.Is(err, retention.ErrSkipped) {
					t.Errorf("pass: %v", err)
				}
			})
		}
		wg.Wait()
		if most.Load() != 1 || ran.Load() == 0 {
			t.Errorf("%d passes ran, their deletes up to %d at once; want at least 1, never 2", ran.Load(), most.Load())
		}
	})
}

// TestPass: one pass applies the server-wide retention to every project
// and each project's shorter one to it, leaves the rest, records what it
// removed, and shows it on /metrics.
func TestPass(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, s, _ store.Store) {
		ctx := t.Context()
		now := time.Now()
		day := 24 * time.Hour
		write := func(p store.Project, age time.Duration) string {
			t.Helper()
			tid := storetest.NewTraceID()
			start := now.Add(-age)
			sp := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), Name: "job", Type: store.SpanTask,
				StartTime: start, EndTime: start.Add(time.Second), Status: store.StatusOK}
			if err := s.WriteSpans(ctx, p.ID, []store.Span{sp}); err != nil {
				t.Fatal(err)
			}
			return tid
		}
		project := func(name string, days int) store.Project {
			t.Helper()
			p, err := s.CreateProject(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if p, err = s.SetProjectRetention(ctx, p.ID, days); err != nil {
				t.Fatal(err)
			}
			return p
		}
		short, plain, long := project("short", 3), project("plain", 0), project("long", 30)
		type trace struct {
			p    store.Project
			id   string
			gone bool
		}
		traces := []trace{
			{short, write(short, 5*day), true},
			{short, write(short, day), false},
			{plain, write(plain, 5*day), false},
			{plain, write(plain, 20*day), true},
			{long, write(long, 20*day), true},
			{long, write(long, 5*day), false},
		}
		// A score of a trace that goes goes with it, and is counted.
		if err := s.WriteScores(ctx, traces[0].p.ID, []store.Score{{ID: strings.Repeat("e1", 16), TraceID: traces[0].id, Name: "quality",
			Value: store.NumberValue(1), Source: store.SourceAPI, Time: now}}); err != nil {
			t.Fatal(err)
		}
		reg := metrics.NewRegistry()
		run, err := retention.New(retention.Config{Days: 10, Now: func() time.Time { return now }, Metrics: reg}, s).RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if run.Traces != 3 || run.Spans != 3 || run.Scores != 1 || run.Projects != 1 || run.Failure != "" || run.ServerCutoff.IsZero() {
			t.Errorf("run %+v; want 3 traces of 1 span each, 1 project of its own", run)
		}
		for _, tr := range traces {
			_, err := s.GetTrace(ctx, tr.p.ID, tr.id)
			if tr.gone != errors.Is(err, store.ErrNotFound) {
				t.Errorf("project %s, trace %s: err = %v, want removed %v", tr.p.Name, tr.id, err, tr.gone)
			}
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		for _, want := range []string{"tracium_retention_runs_total 1\n", "tracium_retention_last_run_traces_deleted 3\n",
			"tracium_retention_last_run_spans_deleted 3\n", "tracium_retention_last_run_scores_deleted 1\n", "tracium_retention_last_run_failed 0\n"} {
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("/metrics lacks %q:\n%s", want, rec.Body.String())
			}
		}
		if strings.Contains(rec.Body.String(), "tracium_retention_last_run_timestamp_seconds 0\n") {
			t.Error("/metrics shows no last run")
		}
	})
}
