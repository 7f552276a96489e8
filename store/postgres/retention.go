package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// DeleteDaysBefore applies a server-wide retention: for each span
// partition whose day ends at or before cutoff, oldest first, one
// transaction deletes the traces of that day and drops the partition
// with all their spans. A trace row never outlives its spans, and a
// span never outlives its trace. The partition lock serialises it with
// the writers' partition creation; a lock wait past retentionLockTimeout
// fails the step, which the next run takes up again.
func (s *Store) DeleteDaysBefore(ctx context.Context, cutoff time.Time) (store.Removed, error) {
	var total store.Removed
	days, err := s.partitionDays(ctx)
	if err != nil {
		return total, fmt.Errorf("delete old days: %w", mapError(err))
	}
	lastDay := day(cutoff).Add(-24 * time.Hour)
	for _, d := range days {
		if d.After(lastDay) {
			break
		}
		r, err := s.dropDay(ctx, d)
		total = total.Add(r)
		if err != nil {
			return total, fmt.Errorf("delete day %s: %w", d.Format(time.DateOnly), mapError(err))
		}
	}
	n, err := s.deleteOrphanScores(ctx, `s.scored_at < $1`, day(cutoff))
	total.Scores += n
	if err != nil {
		return total, fmt.Errorf("delete old scores: %w", mapError(err))
	}
	return total, nil
}

// deleteOrphanScores removes the scores s that match where (with $1 the
// cutoff) and whose trace is not stored: their trace never came, or went
// before them. It returns how many it removed.
func (s *Store) deleteOrphanScores(ctx context.Context, where string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM scores s WHERE `+where+`
AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = s.project_id AND t.trace_id = s.trace_id)`, args...)
	return tag.RowsAffected(), err
}

// retentionLockTimeout bounds the wait of a partition drop for the
// queries that use the span table.
const retentionLockTimeout = "10s"

func (s *Store) dropDay(ctx context.Context, d time.Time) (store.Removed, error) {
	var r store.Removed
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '`+retentionLockTimeout+`'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(partitionLockKey)); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `
WITH gone AS (DELETE FROM traces WHERE trace_day = $1 RETURNING project_id, trace_id, span_count),
scores_gone AS (DELETE FROM scores sc USING gone g WHERE sc.project_id = g.project_id AND sc.trace_id = g.trace_id RETURNING 1)
SELECT count(*), coalesce(sum(span_count), 0)::bigint, (SELECT count(*) FROM scores_gone) FROM gone`, d).Scan(&r.Traces, &r.Spans, &r.Scores); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{partitionName(d)}.Sanitize()); err != nil {
			return err
		}
		r.Partitions = 1
		return nil
	})
	if err != nil {
		return store.Removed{}, err
	}
	s.partitions.Delete(d)
	return r, nil
}

// partitionDays lists the days that have a span partition, oldest first.
func (s *Store) partitionDays(ctx context.Context) ([]time.Time, error) {
	rows, err := s.pool.Query(ctx, `
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'spans'::regclass`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var days []time.Time
	for _, name := range names {
		digits, ok := strings.CutPrefix(name, partitionPrefix)
		if d, err := time.Parse("20060102", digits); ok && err == nil {
			days = append(days, d)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	return days, nil
}

// DeleteTracesBefore removes the project's traces that started before
// cutoff, with their spans, store.RetentionBatch traces per transaction.
func (s *Store) DeleteTracesBefore(ctx context.Context, projectID int64, cutoff time.Time) (store.Removed, error) {
	var total store.Removed
	for {
		var r store.Removed
		err := s.pool.QueryRow(ctx, `
WITH gone AS (
    DELETE FROM traces WHERE project_id = $1 AND trace_id IN (
        SELECT trace_id FROM traces WHERE project_id = $1 AND start_time < $2 LIMIT $3)
    RETURNING trace_id, trace_day
), spans_gone AS (
    DELETE FROM spans s USING gone g
    WHERE s.project_id = $1 AND s.trace_id = g.trace_id AND s.trace_day = g.trace_day
    RETURNING 1
), scores_gone AS (
    DELETE FROM scores sc USING gone g WHERE sc.project_id = $1 AND sc.trace_id = g.trace_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM spans_gone), (SELECT count(*) FROM scores_gone)`,
			projectID, cutoff, store.RetentionBatch).Scan(&r.Traces, &r.Spans, &r.Scores)
		if err != nil {
			return total, fmt.Errorf("delete traces: %w", mapError(err))
		}
		total = total.Add(r)
		if r.Traces < store.RetentionBatch {
			n, err := s.deleteOrphanScores(ctx, `s.project_id = $1 AND s.scored_at < $2`, projectID, cutoff)
			total.Scores += n
			if err != nil {
				return total, fmt.Errorf("delete old scores: %w", mapError(err))
			}
			return total, nil
		}
	}
}

// SetProjectRetention sets how many days the project keeps its traces.
func (s *Store) SetProjectRetention(ctx context.Context, projectID int64, days int) (store.Project, error) {
	if err := store.ValidRetentionDays(days); err != nil {
		return store.Project{}, fmt.Errorf("set project retention: %w", err)
	}
	return s.oneProject(ctx, "set project retention",
		`UPDATE projects SET retention_days = $2 WHERE id = $1 RETURNING `+projectColumns, projectID, days)
}

// TryLock takes a session-level advisory lock on a connection it keeps
// until release: every process on the database sees it, and it goes with
// the connection however that ends.
func (s *Store) TryLock(ctx context.Context, name string) (func(), error) {
	if !store.ValidLockName(name) {
		return nil, fmt.Errorf("lock %q: %w: a lock name is 1 to 64 letters, digits, '-' or '_'", name, store.ErrInvalid)
	}
	key := lockKey(name)
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, mapError(err))
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("lock %s: %w", name, mapError(err))
	}
	if !ok {
		conn.Release()
		return nil, fmt.Errorf("lock %s: %w", name, store.ErrLocked)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// Closing the connection is what releases the lock then.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}

// lockKey is the advisory lock key of a TryLock name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("tracium-lock:" + name))
	return int64(h.Sum64())
}

const retentionRunColumns = `id, started_at, finished_at, server_cutoff, projects, traces_deleted, spans_deleted, scores_deleted, partitions_dropped, failure`

// RecordRetentionRun keeps run and forgets all but the last
// store.MaxRetentionRuns runs.
func (s *Store) RecordRetentionRun(ctx context.Context, run store.RetentionRun) (store.RetentionRun, error) {
	var cutoff *time.Time
	if !run.ServerCutoff.IsZero() {
		cutoff = &run.ServerCutoff
	}
	var got store.RetentionRun
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		got, err = scanRetentionRun(tx.QueryRow(ctx, `INSERT INTO retention_runs
    (started_at, finished_at, server_cutoff, projects, traces_deleted, spans_deleted, scores_deleted, partitions_dropped, failure)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+retentionRunColumns,
			run.StartedAt, run.FinishedAt, cutoff, run.Projects, run.Traces, run.Spans, run.Scores, run.Partitions, run.Failure))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM retention_runs WHERE id <= $1`, got.ID-store.MaxRetentionRuns)
		return err
	})
	if err != nil {
		return run, fmt.Errorf("record retention run: %w", mapError(err))
	}
	return got, nil
}

// LastRetentionRun returns the run recorded last, or ErrNotFound.
func (s *Store) LastRetentionRun(ctx context.Context) (store.RetentionRun, error) {
	r, err := scanRetentionRun(s.pool.QueryRow(ctx, `SELECT `+retentionRunColumns+` FROM retention_runs ORDER BY id DESC LIMIT 1`))
	if err != nil {
		return r, fmt.Errorf("last retention run: %w", mapError(err))
	}
	return r, nil
}

func scanRetentionRun(row pgx.Row) (store.RetentionRun, error) {
	var r store.RetentionRun
	var cutoff *time.Time
	err := row.Scan(&r.ID, &r.StartedAt, &r.FinishedAt, &cutoff, &r.Projects, &r.Traces, &r.Spans, &r.Scores, &r.Partitions, &r.Failure)
	r.StartedAt, r.FinishedAt = r.StartedAt.UTC(), r.FinishedAt.UTC()
	if cutoff != nil {
		r.ServerCutoff = cutoff.UTC()
	}
	return r, err
}
