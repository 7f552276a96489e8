package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// Spans are partitioned by their trace's day (trace_day: the UTC day the
// trace's first spans started). A partition is created the first time a
// trace of its day is written, and dropped whole by DeleteDaysBefore:
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
