// Package migrations holds Tracium's schema, one goose migration set per
// database dialect, embedded in the binary: numbered SQL files, and Go
// migrations where a rule only Go knows rewrites rows (model keys).
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect names a migration set.
type Dialect string

// The dialects Tracium ships migrations for.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// NewProvider returns a goose provider that applies the dialect's
// migrations to db.
func NewProvider(dialect Dialect, db *sql.DB) (*goose.Provider, error) {
	var gd goose.Dialect
	switch dialect {
	case Postgres:
		gd = goose.DialectPostgres
	case SQLite:
		gd = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	sub, err := fs.Sub(files, string(dialect))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(gd, db, sub, goose.WithGoMigrations(modelKeysMigration(dialect)))
}

// Up applies every pending migration.
func Up(ctx context.Context, dialect Dialect, db *sql.DB) error {
	p, err := NewProvider(dialect, db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}
