package pgtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tracium/tracium/internal/pgtest"
)

// TestReplicaReadsWhatThePrimaryWrote starts a cluster of the test's own
// and a streaming replica of it, then writes on the primary, in a database
// created after the replica started: the rows become readable on the
// replica, which is in recovery and refuses writes.
func TestReplicaReadsWhatThePrimaryWrote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary := pgtest.NewCluster(t)
	replica := primary.StartReplica(t)
	if replica.URL == primary.URL {
		t.Fatalf("the replica has the primary's URL %s", primary.URL)
	}
	db := primary.NewDatabase(t)
	if _, err := connect(t, db).Exec(ctx, `CREATE TABLE t (v int); INSERT INTO t SELECT generate_series(1, 1000)`); err != nil {
		t.Fatal(err)
	}
	onReplica, err := replica.DatabaseURL(db)
	if err != nil {
		t.Fatal(err)
	}

	var conn *pgx.Conn
	var sum int64
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if conn == nil {
			conn, err = pgx.Connect(ctx, onReplica) // the database itself arrives by replay
		}
		if conn != nil {
			err = conn.QueryRow(ctx, `SELECT coalesce(sum(v), 0) FROM t`).Scan(&sum)
			if err == nil && sum == 500500 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica holds a sum of %d, want 500500 (%v)", sum, err)
		}
	}
	defer conn.Close(ctx)

	var recovering bool
	if err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&recovering); err != nil || !recovering {
		t.Errorf("pg_is_in_recovery() on the replica: %v, %v; want true", recovering, err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO t VALUES (1)`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" { // read_only_sql_transaction
		t.Errorf("a write on the replica: %v; want read_only_sql_transaction", err)
	}
	if cpu, err := replica.CPU(); err != nil || cpu <= 0 {
		t.Errorf("the replica's CPU: %v, %v; want some time used", cpu, err)
	}
}
