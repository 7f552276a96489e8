package migrations_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/tracium/tracium/internal/pgtest"
	"github.com/tracium/tracium/migrations"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestUpDownUp applies every migration, reverts them all, and applies them
// again, on each dialect: down migrations must leave nothing behind that
// trips the next up.
func TestUpDownUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dialect migrations.Dialect
		open    func(t *testing.T) *sql.DB
	}{
		{migrations.Postgres, func(t *testing.T) *sql.DB { return openDB(t, "pgx", pgtest.NewDatabase(t)) }},
		{migrations.SQLite, func(t *testing.T) *sql.DB {
			return openDB(t, "sqlite", "file:"+filepath.Join(t.TempDir(), "t.db"))
		}},
	} {
		t.Run(string(tc.dialect), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := tc.open(t)
			p, err := migrations.NewProvider(tc.dialect, db)
			if err != nil {
				t.Fatal(err)
			}
			all := len(p.ListSources())
			if all == 0 {
				t.Fatal("no migrations embedded")
			}
			up := func() {
				t.Helper()
				res, err := p.Up(ctx)
				if err != nil {
					t.Fatalf("up: %v", err)
				}
				if len(res) != all {
					t.Fatalf("up applied %d of %d migrations", len(res), all)
				}
				mustHaveTable(t, db, "traces", true)
			}
			up()
			res, err := p.DownTo(ctx, 0)
			if err != nil {
				t.Fatalf("down: %v", err)
			}
			if len(res) != all {
				t.Fatalf("down reverted %d of %d", len(res), all)
			}
			mustHaveTable(t, db, "traces", false)
			mustHaveTable(t, db, "spans", false)
			up()
			v, err := p.GetDBVersion(ctx)
			if err != nil || v != p.ListSources()[all-1].Version {
				t.Errorf("version after up = %d, %v", v, err)
			}
		})
	}
}

func openDB(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// mustHaveTable checks for a table by selecting from it, which works on
// both dialects.
func mustHaveTable(t *testing.T, db *sql.DB, name string, want bool) {
	t.Helper()
	_, err := db.Exec("SELECT 1 FROM " + name + " LIMIT 1")
	if got := err == nil; got != want {
		t.Errorf("table %s exists = %v, want %v (%v)", name, got, want, err)
	}
}
