package backend_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/backend"
)

// TestSQLiteFileIsPrivate opens the data directory's database both ways a
// binary does (the server and the migration tool): the file is 0600 in a
// directory anyone may list.
func TestSQLiteFileIsPrivate(t *testing.T) {
	t.Parallel()
	for _, open := range []struct {
		name string
		open func(backend.Config) (func() error, error)
	}{
		{"OpenSQL", func(c backend.Config) (func() error, error) {
			db, _, err := backend.OpenSQL(c)
			if err != nil {
				return nil, err
			}
			return db.Close, db.Ping()
		}},
		{"Open", func(c backend.Config) (func() error, error) {
			s, err := backend.Open(t.Context(), c)
			if err != nil {
				return nil, err
			}
			return s.Close, nil
		}},
	} {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		closeDB, err := open.open(backend.Config{DataDir: dir, AutoMigrate: true})
		if err != nil {
			t.Fatalf("%s: %v", open.name, err)
		}
		closeDB()
		fi, err := os.Stat(filepath.Join(dir, backend.SQLiteFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: database mode %v (%v), want 0600", open.name, fi.Mode().Perm(), err)
		}
	}
}

// TestWindowReachesTheStore checks that the configured window is the one
// the store guards writes with.
func TestWindowReachesTheStore(t *testing.T) {
	t.Parallel()
	s, err := backend.Open(t.Context(), backend.Config{DataDir: t.TempDir(), AutoMigrate: true,
		Window: store.Window{Back: time.Hour, Ahead: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.CreateProject(t.Context(), "w")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-10 * 24 * time.Hour) // inside the default window, outside this one
	sp := store.Span{TraceID: "0123456789abcdef0123456789abcdef", SpanID: "0123456789abcdef", Name: "old",
		Type: store.SpanTask, StartTime: start, EndTime: start.Add(time.Second)}
	if err := s.WriteSpans(t.Context(), p.ID, []store.Span{sp}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a span ten days old under a one-hour window: err = %v, want ErrInvalid", err)
	}
}
