// Package sqlite is the embedded store.Store, for the zero-config binary:
// one database file, pure Go (modernc.org/sqlite, no cgo), trace summaries
// kept up to date in Go inside each write transaction.
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/tracium/tracium/migrations"
	"github.com/tracium/tracium/store"
)

// Config says where the database lives and how to open it.
type Config struct {
	// Path is the database file, created when missing. In-memory databases
	// are refused: the reader and writer pools would each get their own.
	Path string
	// MaxReadConns bounds the reader pool; DefaultMaxReadConns when zero.
	MaxReadConns int
	// SkipMigrate leaves the schema alone: Open then expects it current.
	SkipMigrate bool
	// BusyTimeout is how long a connection waits for another process's
	// lock before failing with ErrUnavailable; DefaultBusyTimeout when
	// zero.
	BusyTimeout time.Duration
	// Window is the start-time window ingest accepts (zero fields take
	// store's defaults); WriteSpans refuses spans outside the wider
	// Window.ForWrites.
	Window store.Window
}

// DefaultMaxReadConns is the reader pool size when Config.MaxReadConns is
// zero. WAL lets readers run beside the one writer.
const DefaultMaxReadConns = 8

// DefaultBusyTimeout is Config.BusyTimeout when zero.
const DefaultBusyTimeout = 10 * time.Second

func (c *Config) validate() error {
	c.MaxReadConns = cmp.Or(c.MaxReadConns, DefaultMaxReadConns)
	c.BusyTimeout = cmp.Or(c.BusyTimeout, DefaultBusyTimeout)
	switch {
	case c.Path == "":
		return errors.New("sqlite: Path is required")
	case strings.Contains(c.Path, ":memory:") || strings.Contains(c.Path, "mode=memory"):
		return errors.New("sqlite: in-memory databases are not supported; use a file")
	case c.MaxReadConns < 0:
		return errors.New("sqlite: MaxReadConns must not be negative")
	}
	return nil
}

// Store is a store.Store on one SQLite file. It is safe for concurrent use:
// writes queue for the single writer connection, reads share a pool.
type Store struct {
	// write has one connection and begins transactions IMMEDIATE, so a
	// read-modify-write of a trace row never races another writer and
	// never fails upgrading a read lock.
	write *sql.DB
	// read is query_only; in WAL mode its connections see the last commit
	// without waiting for the writer.
	read *sql.DB
	// window bounds the start times WriteSpans accepts.
	window store.Window
	// textPlan is when ListTraces reads text candidates by id (textsearch.go).
	textPlan textPlan
	// path is the database file; TryLock's lock files sit beside it.
	path string
	// locks are the locks TryLock holds where flock(2) is missing.
	locks sync.Map
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the database at cfg.Path, applies pending
// migrations unless cfg.SkipMigrate, and returns a ready Store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := CreatePrivateFile(cfg.Path); err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", dsn(cfg, "_txlock=immediate&"+writeCache))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	write.SetMaxOpenConns(1)
	if !cfg.SkipMigrate {
		// Through the writer: goose's DDL takes the same lock as any write.
		if err := migrations.Up(ctx, migrations.SQLite, write); err != nil {
			write.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	read, err := sql.Open("sqlite", dsn(cfg, "_pragma=query_only(1)"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	read.SetMaxOpenConns(cfg.MaxReadConns)
	read.SetMaxIdleConns(cfg.MaxReadConns)
	s := &Store{write: write, read: read, window: cfg.Window.ForWrites(), textPlan: defaultTextPlan, path: cfg.Path}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// createPrivate creates the database file readable by its owner only,
// before SQLite opens it: SQLite gives the -wal and -shm files the mode of
// the database file, so they are private too. A file that exists is made
// private as well: it holds password and key hashes and every trace.
func CreatePrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("sqlite: make %s private: %w", path, err)
		}
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sqlite: make %s%s private: %w", path, suffix, err)
		}
	}
	return nil
}

// writeCache is the writer connection's page cache. At SQLite's default
// (2 MB) a write of a few thousand spans spills pages it has not committed
// and reads back the index pages it keeps returning to, from the WAL;
// 64 MB holds them. It is an upper bound, taken as pages are used.
const writeCache = "_pragma=cache_size(-65536)"

// dsn is the modernc connection string for cfg.Path: every connection
// gets the same pragmas, plus extra.
func dsn(cfg Config, extra string) string {
	q := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", cfg.BusyTimeout.Milliseconds()),
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
		// Reads through a memory map rather than a read call per page:
		// five times faster over a database bigger than the page cache.
		// The map costs address space; the pages are the kernel's file
		// cache, shared and reclaimable, not the process's own memory.
		"_pragma=mmap_size(1073741824)",
		extra,
	}
	// A file: URI so that a '?' or '#' in the path is not read as the
	// start of the parameters.
	return "file:" + (&url.URL{Path: cfg.Path}).EscapedPath() + "?" + strings.Join(q, "&")
}

// Ping reports whether the database answers, through both pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", mapError(err))
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", mapError(err))
	}
	return nil
}

// Close closes both pools. Calls in flight may fail.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}
