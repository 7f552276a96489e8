package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/sqlite"
	"github.com/tracium/tracium/store/storetest"
)

// TestFileModes checks that the database and its -wal and -shm files are
// readable by their owner only, in a directory anyone may list, whether
// Open creates the file or finds it world-readable.
func TestFileModes(t *testing.T) {
	t.Parallel()
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "tracium.db")
		if existing {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
				t.Fatal(err)
			}
		}
		s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.CreateProject(t.Context(), "modes")
		if err != nil {
			t.Fatal(err)
		}
		tid := storetest.NewTraceID()
		if err := s.WriteSpans(t.Context(), p.ID, []store.Span{newSpan(tid, "", "root", 0)}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(name)
			if err != nil {
				t.Fatalf("existing %v: %v", existing, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("existing %v: %s has mode %v, want 0600", existing, filepath.Base(name), fi.Mode().Perm())
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBusyIsUnavailable holds the write lock from another connection past
// the busy timeout: the write fails as ErrUnavailable, which a caller may
// retry, not as bad data.
func TestBusyIsUnavailable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "busy.db")
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, BusyTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.CreateProject(t.Context(), "busy")
	if err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	err = s.WriteSpans(t.Context(), p.ID, []store.Span{newSpan(storetest.NewTraceID(), "", "root", 0)})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("write while another process holds the lock: err = %v, want ErrUnavailable", err)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteSpans(t.Context(), p.ID, []store.Span{newSpan(storetest.NewTraceID(), "", "root", 0)}); err != nil {
		t.Errorf("write after the lock went: %v", err)
	}
}

// TestSumsSaturate puts counts no span may carry (2^63-1) into the stored
// rows, as an old or hand-edited database may hold them, and checks that
// what the store adds to them never wraps.
func TestSumsSaturate(t *testing.T) {
	t.Parallel()
	b := setupProject(t)
	ctx := t.Context()
	tid := storetest.NewTraceID()
	root := newSpan(tid, "", "root", 0)
	a := newSpan(tid, root.SpanID, "a", time.Second)
	a.Type, a.Model, a.Usage = store.SpanLLM, "m", &store.Usage{InputTokens: 1}
	c := a
	c.SpanID, c.Name = storetest.NewSpanID(), "c"
	b.write(t, root, a, c)
	db := b.store.WriteDB()
	if _, err := db.ExecContext(ctx, `UPDATE spans SET input_tokens = ?, total_tokens = ? WHERE trace_id = ? AND type = 'llm'`,
		int64(math.MaxInt64), int64(math.MaxInt64), tid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE traces SET input_tokens = ? WHERE trace_id = ?`, int64(math.MaxInt64), tid); err != nil {
		t.Fatal(err)
	}
	more := a
	more.SpanID, more.Usage = storetest.NewSpanID(), &store.Usage{InputTokens: store.MaxTokenCount}
	b.write(t, more)
	if got := b.trace(t, tid).Usage.InputTokens; got != math.MaxInt64 {
		t.Errorf("trace input tokens = %d, want 2^63-1", got)
	}
	rows, err := b.store.UsageMetrics(ctx, b.project.ID, store.UsageQuery{GroupBy: store.GroupByModel})
	if err != nil || len(rows) != 1 {
		t.Fatalf("UsageMetrics = %+v, %v", rows, err)
	}
	if rows[0].Usage.InputTokens != math.MaxInt64 || rows[0].Usage.TotalTokens != math.MaxInt64 {
		t.Errorf("metrics sum = %+v, want 2^63-1", rows[0].Usage)
	}
}

// TestWriteWindow checks that the store refuses spans outside the write
// window that Config.Window sets.
func TestWriteWindow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "w.db"), Window: store.Window{Back: time.Hour, Ahead: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.CreateProject(ctx, "window")
	if err != nil {
		t.Fatal(err)
	}
	at := func(start time.Time) store.Span {
		sp := newSpan(storetest.NewTraceID(), "", "s", 0)
		sp.StartTime, sp.EndTime = start, start.Add(time.Second)
		return sp
	}
	now := time.Now()
	for _, start := range []time.Time{now.Add(-8 * 24 * time.Hour), now.Add(26 * time.Hour)} {
		if err := s.WriteSpans(ctx, p.ID, []store.Span{at(start)}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a span starting %v: err = %v, want ErrInvalid", start, err)
		}
	}
	if err := s.WriteSpans(ctx, p.ID, []store.Span{at(now.Add(-6 * 24 * time.Hour))}); err != nil {
		t.Errorf("a span six days old, inside Back plus the slack: %v", err)
	}
}

// TestTextPlans runs one set of text queries under each of the ways
// ListTraces can find them (by candidate id, by index order among
// candidates, by scan), which must all give the same answer.
func TestTextPlans(t *testing.T) {
	t.Parallel()
	b := setupProject(t)
	var spans []store.Span
	for i := range 30 {
		sp := newSpan(storetest.NewTraceID(), "", "run", time.Duration(i)*time.Second)
		switch {
		case i%3 == 0:
			sp.Output = []byte(`"common words here"`)
		case i == 7:
			sp.Output = []byte(`"a rare needle, and common words"`)
		}
		spans = append(spans, sp)
	}
	b.write(t, spans...)
	for _, plan := range [][2]int{{2000, 20000}, {1, 20000}, {0, 1}, {0, 0}} {
		b.store.SetTextPlan(plan[0], plan[1])
		for q, want := range map[string]int{"common words": 11, "rare needle": 1, "no such text": 0, "co": 11, "ds h": 10} {
			var got int
			page := store.Page{Limit: 4}
			for {
				res, err := b.store.ListTraces(t.Context(), b.project.ID, store.TraceFilter{Query: q}, page)
				if err != nil {
					t.Fatal(err)
				}
				got += len(res.Traces)
				if page.Cursor = res.NextCursor; page.Cursor == "" {
					break
				}
			}
			if got != want {
				t.Errorf("plan %v, q=%q: %d traces, want %d", plan, q, got, want)
			}
		}
	}
}
