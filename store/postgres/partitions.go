package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// Spans are partitioned by their trace's day (trace_day: the UTC day the
// trace's first spans started). A partition is created the first time a
// trace of its day is written, and dropped whole by DropPartitionsBefore:
// retention then costs one DROP TABLE per day instead of a DELETE of every
// row, and takes whole traces. WriteSpans refuses spans outside its window,
// so the partitions it creates stay within that window's days.

const partitionPrefix = "spans_d"

// partitionLockKey serialises partition DDL across writer processes.
const partitionLockKey = 0x7472616369756d // "tracium"

func partitionName(day time.Time) string { return partitionPrefix + day.Format("20060102") }

// ensurePartitions creates the partitions of the days the deltas' traces
// would take if they are new. A trace that exists has its partition.
func (s *Store) ensurePartitions(ctx context.Context, deltas []store.TraceDelta) error {
	var missing []time.Time
	for _, d := range deltas {
		day := day(d.StartTime)
		if _, ok := s.partitions.Load(day); ok {
			continue
		}
		if !containsTime(missing, day) {
			missing = append(missing, day)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(partitionLockKey)); err != nil {
			return err
		}
		for _, day := range missing {
			sql := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF spans FOR VALUES FROM ('%s') TO ('%s')`,
				partitionName(day), day.Format(time.DateOnly), day.Add(24*time.Hour).Format(time.DateOnly))
			if _, err := tx.Exec(ctx, sql); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create span partitions: %w", err)
	}
	for _, day := range missing {
		s.partitions.Store(day, struct{}{})
	}
	return nil
}

func containsTime(ts []time.Time, t time.Time) bool {
	for _, x := range ts {
		if x.Equal(t) {
			return true
		}
	}
	return false
}

// DropPartitionsBefore applies a server-wide retention: it drops every span
// partition whose day ends at or before cutoff, for all projects at once,
// with the traces of those days. It returns the number of partitions
// dropped. Per-project retention is DeleteTracesBefore.
func (s *Store) DropPartitionsBefore(ctx context.Context, cutoff time.Time) (int, error) {
	rows, err := s.pool.Query(ctx, `
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'spans'::regclass`)
	if err != nil {
		return 0, fmt.Errorf("list partitions: %w", mapError(err))
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("list partitions: %w", mapError(err))
	}
	// The traces go first: a trace row without its spans is a trace that
	// is being deleted, never a trace whose spans are missing.
	lastDay := day(cutoff).Add(-24 * time.Hour)
	if _, err := s.pool.Exec(ctx, `DELETE FROM traces WHERE trace_day <= $1`, lastDay); err != nil {
		return 0, fmt.Errorf("delete traces: %w", mapError(err))
	}
	dropped := 0
	for _, name := range names {
		day, err := time.Parse("20060102", strings.TrimPrefix(name, partitionPrefix))
		if err != nil || !strings.HasPrefix(name, partitionPrefix) || day.After(lastDay) {
			continue
		}
		if _, err := s.pool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
			return dropped, fmt.Errorf("drop partition %s: %w", name, mapError(err))
		}
		s.partitions.Delete(day)
		dropped++
	}
	return dropped, nil
}
