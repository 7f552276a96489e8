package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var shared struct {
	once  sync.Once
	store *postgres.Store
	err   error
}

// sharedStore is one store on the package database, migrated once; tests
// keep out of each other's way by working in projects of their own.
func sharedStore(t *testing.T) *postgres.Store {
	t.Helper()
	url := pgtest.Database(t)
	shared.once.Do(func() {
		shared.store, shared.err = postgres.Open(context.Background(), postgres.Config{URL: url})
	})
	if shared.err != nil {
		t.Fatalf("open store: %v", shared.err)
	}
	return shared.store
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return sharedStore(t) })
}

// TestConformanceValidatedWrites runs the suite with every write made as
// the collector's writer makes it: validated as ingest does, then written
// with WriteValidatedSpans.
func TestConformanceValidatedWrites(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return storetest.ValidatedWrites(sharedStore(t)) })
}

// TestRetention runs the retention suite, each test on a database of its
// own with two stores on it.
func TestRetention(t *testing.T) {
	t.Parallel()
	storetest.RunRetention(t, func(t *testing.T) (store.Store, store.Store) {
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
	})
}

// TestDropPartitions checks that server-wide retention removes whole days
// and leaves the rest.
func TestDropPartitions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := postgres.Open(ctx, postgres.Config{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.CreateProject(ctx, "retention")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	write := func(start time.Time) string {
		t.Helper()
		tid := storetest.NewTraceID()
		sp := store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), Name: "job", Type: store.SpanTask,
			StartTime: start, EndTime: start.Add(time.Second)}
		if err := s.WriteSpans(ctx, p.ID, []store.Span{sp}); err != nil {
			t.Fatal(err)
		}
		return tid
	}
	old := write(today.Add(-40*24*time.Hour + time.Hour))
	older := write(today.Add(-41*24*time.Hour + time.Hour))
	recent := write(today.Add(time.Hour))

	r, err := s.DeleteDaysBefore(ctx, today.Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r != (store.Removed{Traces: 2, Spans: 2, Partitions: 2}) {
		t.Errorf("removed %+v, want 2 partitions of one trace of one span each", r)
	}
	for _, id := range []string{old, older} {
		if _, err := s.GetTrace(ctx, p.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("trace %s survived retention: %v", id, err)
		}
	}
	if _, err := s.GetTrace(ctx, p.ID, recent); err != nil {
		t.Errorf("recent trace: %v", err)
	}
	// Writing into a dropped day again recreates its partition.
	again := write(today.Add(-40*24*time.Hour + 2*time.Hour))
	if _, err := s.GetTrace(ctx, p.ID, again); err != nil {
		t.Errorf("write after drop: %v", err)
	}
}

// TestTwoWriters runs two stores, as two collector processes would, on one
// database, each writing overlapping batches of the same traces.
func TestTwoWriters(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.NewDatabase(t)
	a, err := postgres.Open(ctx, postgres.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, postgres.Config{URL: url, SkipMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := a.CreateProject(ctx, "two-writers")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Second)
	var traces [][]store.Span
	for range 20 {
		tid := storetest.NewTraceID()
		var spans []store.Span
		for i := range 30 {
			spans = append(spans, store.Span{TraceID: tid, SpanID: storetest.NewSpanID(), Name: "step", Type: store.SpanTask,
				StartTime: start.Add(time.Duration(i) * time.Millisecond), EndTime: start.Add(time.Second),
				Usage: &store.Usage{InputTokens: 1, TotalTokens: 1}})
		}
		traces = append(traces, spans)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(traces))
	for i, s := range []*postgres.Store{a, b, a, b} {
		wg.Go(func() {
			for j, spans := range traces {
				// Each writer sends a different half-overlapping slice, in a
				// different trace order, to provoke lock-order trouble.
				k := (j + i*5) % len(traces)
				spans = traces[k]
				lo := (i % 2) * 10
				errs <- s.WriteSpans(ctx, p.ID, spans[lo:lo+20])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("WriteSpans: %v", err)
		}
	}
	for _, spans := range traces {
		d, err := a.GetTrace(ctx, p.ID, spans[0].TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Trace.SpanCount != 30 || len(d.Spans) != 30 || d.Trace.Usage.InputTokens != 30 {
			t.Errorf("trace %s: count %d, %d spans, %d tokens; want 30 each",
				d.TraceID, d.Trace.SpanCount, len(d.Spans), d.Trace.Usage.InputTokens)
		}
	}
}
