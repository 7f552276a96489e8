// Package backend picks the store.Store a deployment asked for: PostgreSQL
// for a postgres:// URL, the embedded SQLite file otherwise.
package backend

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for migrations
	_ "modernc.org/sqlite"             // database/sql driver "sqlite", for migrations

	"github.com/tracium/tracium/migrations"
	"github.com/tracium/tracium/store"
	"github.com/tracium/tracium/store/postgres"
	"github.com/tracium/tracium/store/sqlite"
)

// SQLiteFile is the database file's name inside the data directory.
const SQLiteFile = "tracium.db"

// Config says which database to use.
type Config struct {
	// DatabaseURL is a postgres:// URL, or empty for SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite file when DatabaseURL is empty.
	DataDir string
	// AutoMigrate applies pending migrations on open.
	AutoMigrate bool
	// Window is the start-time window ingest accepts (zero fields take
	// store's defaults). The store refuses writes outside the wider
	// Window.ForWrites, which bounds the partitions PostgreSQL creates.
	Window store.Window
}

// IsPostgres reports whether url names a PostgreSQL database.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

func (c Config) sqlitePath() (string, error) {
	if c.DatabaseURL != "" {
		return "", fmt.Errorf("database URL must start with postgres:// (or be empty for the embedded SQLite store)")
	}
	if c.DataDir == "" {
		return "", fmt.Errorf("a data directory is required for the embedded SQLite store")
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	return filepath.Join(c.DataDir, SQLiteFile), nil
}

// Open opens the configured store.
func Open(ctx context.Context, cfg Config) (store.Store, error) {
	if IsPostgres(cfg.DatabaseURL) {
		return postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL, SkipMigrate: !cfg.AutoMigrate, Window: cfg.Window})
	}
	path, err := cfg.sqlitePath()
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, sqlite.Config{Path: path, SkipMigrate: !cfg.AutoMigrate, Window: cfg.Window})
}

// OpenReplica opens a PostgreSQL read replica, for the read methods only
// (the query API and the UI's trace pages): it is never migrated and
// refuses writes.
func OpenReplica(ctx context.Context, url string) (store.Store, error) {
	if !IsPostgres(url) {
		return nil, fmt.Errorf("a read replica's URL must start with postgres://")
	}
	return postgres.Open(ctx, postgres.Config{URL: url, ReadOnly: true})
}

// OpenSQL opens the configured database through database/sql, for the
// migration tool, and says which migration set applies.
func OpenSQL(cfg Config) (*sql.DB, migrations.Dialect, error) {
	if IsPostgres(cfg.DatabaseURL) {
		db, err := sql.Open("pgx", cfg.DatabaseURL)
		return db, migrations.Postgres, err
	}
	path, err := cfg.sqlitePath()
	if err != nil {
		return nil, "", err
	}
	if err := sqlite.CreatePrivateFile(path); err != nil {
		return nil, "", err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	return db, migrations.SQLite, err
}
