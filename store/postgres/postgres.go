// Package postgres is the PostgreSQL store.Store, for deployments: spans
// partitioned by day, bulk writes through COPY, traces summarised in SQL.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tracium/tracium/migrations"
	"github.com/tracium/tracium/store"
)

// Config says how to reach the database.
type Config struct {
	// URL is a postgres:// connection string.
	URL string
	// MaxConns bounds the pool; DefaultMaxConns when zero.
	MaxConns int32
	// SkipMigrate leaves the schema alone: Open then expects it current.
	SkipMigrate bool
	// Window is the start-time window ingest accepts (zero fields take
	// store's defaults); WriteSpans refuses spans outside the wider
	// Window.ForWrites, so that the partitions it creates stay bounded.
	Window store.Window
	// ReadOnly opens a read replica for the read methods: no migration,
	// no staging tables (a hot standby refuses them), and every
	// transaction read-only, so that a write sent there by mistake fails
	// instead of diverging from the primary.
	ReadOnly bool
}

// DefaultMaxConns is the pool size when Config.MaxConns is zero.
const DefaultMaxConns = 16

func (c *Config) validate() error {
	if c.URL == "" {
		return errors.New("postgres: URL is required")
	}
	c.MaxConns = cmp.Or(c.MaxConns, DefaultMaxConns)
	return nil
}

// Store is a store.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool

	// partitions caches the days whose span partition is known to exist,
	// so that WriteSpans creates each one once.
	partitions sync.Map // time.Time (UTC midnight) -> struct{}
	// window bounds the start times WriteSpans accepts.
	window store.Window
}

var _ store.Store = (*Store)(nil)

// Open connects, applies pending migrations unless cfg.SkipMigrate, and
// returns a ready Store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse URL: %w", err)
	}
	pcfg.MaxConns = cfg.MaxConns
	if cfg.ReadOnly {
		cfg.SkipMigrate = true
		pcfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	} else {
		pcfg.AfterConnect = prepareConn
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", mapError(err))
	}
	s := &Store{pool: pool, window: cfg.Window.ForWrites()}
	if !cfg.SkipMigrate {
		if err := Migrate(ctx, pool); err != nil {
			pool.Close()
			return nil, mapError(err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Migrate applies every pending migration through pool.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	return migrations.Up(ctx, migrations.Postgres, db)
}

// Pool exposes the connection pool, for tools and benchmarks that need to
// speak to the same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", mapError(err))
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
