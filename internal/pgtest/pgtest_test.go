package pgtest_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func dbName(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// userTables counts tables outside the system schemas.
func userTables(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var n int
	err := conn.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDatabasesAreDistinctEmptyAndIsolated(t *testing.T) {
	ctx := context.Background()
	pkg := pgtest.Database(t)
	if again := pgtest.Database(t); again != pkg {
		t.Fatalf("Database returned %q, then %q", pkg, again)
	}
	fresh := pgtest.NewDatabase(t)
	other := pgtest.NewDatabase(t)

	names := map[string]bool{dbName(t, pkg): true, dbName(t, fresh): true, dbName(t, other): true}
	if len(names) != 3 {
		t.Fatalf("database names not distinct: %s, %s, %s", pkg, fresh, other)
	}
	for n := range names {
		if !strings.HasPrefix(n, "tracium_test_") {
			t.Errorf("database name %q lacks the tracium_test_ prefix", n)
		}
	}

	pkgConn, freshConn, otherConn := connect(t, pkg), connect(t, fresh), connect(t, other)
	for _, c := range []*pgx.Conn{pkgConn, freshConn, otherConn} {
		if n := userTables(t, c); n != 0 {
			t.Fatalf("new database %s has %d tables, want 0", c.Config().Database, n)
		}
	}

	if _, err := freshConn.Exec(ctx, `CREATE TABLE t (v text); INSERT INTO t VALUES ('fresh')`); err != nil {
		t.Fatal(err)
	}
	if n := userTables(t, pkgConn); n != 0 {
		t.Errorf("table created in the fresh database shows in the package database")
	}
	if n := userTables(t, otherConn); n != 0 {
		t.Errorf("table created in one fresh database shows in another")
	}
	// The same name in another database is a different table.
	if _, err := pkgConn.Exec(ctx, `CREATE TABLE t (v text); INSERT INTO t VALUES ('pkg')`); err != nil {
		t.Fatal(err)
	}
	for c, want := range map[*pgx.Conn]string{freshConn: "fresh", pkgConn: "pkg"} {
		var got string
		if err := c.QueryRow(ctx, `SELECT string_agg(v, ',') FROM t`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: t holds %q, want %q", c.Config().Database, got, want)
		}
	}
}

func TestPackageDatabaseIsShared(t *testing.T) {
	// Whichever test runs first creates it; both see the same one.
	conn := connect(t, pgtest.Database(t))
	if _, err := conn.Exec(context.Background(), `CREATE TABLE IF NOT EXISTS shared (v int)`); err != nil {
		t.Fatal(err)
	}
}

func TestNewDatabaseIsDroppedAfterTest(t *testing.T) {
	var name string
	// A connection still open when the subtest ends must not keep its
	// cleanup from dropping the database.
	var leaked *pgx.Conn
	t.Cleanup(func() {
		if leaked != nil {
			leaked.Close(context.Background())
		}
	})
	t.Run("user", func(t *testing.T) {
		dbURL := pgtest.NewDatabase(t)
		name = dbName(t, dbURL)
		var err error
		if leaked, err = pgx.Connect(context.Background(), dbURL); err != nil {
			t.Fatal(err)
		}
	})

	admin := connect(t, pgtest.ServerURL())
	var exists bool
	err := admin.QueryRow(context.Background(),
		`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	if err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test ended", name)
	}
}
