package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tracium/tracium/store"
)

// Retention deletes whole traces in batches of store.RetentionBatch, each
// batch in its own write transaction: the spans of the batch's traces,
// then the traces (whose delete trigger takes their rows out of the
// traces_fts search index). Ingest's writes queue behind one batch at a
// time, never behind the whole pass.

// DeleteDaysBefore removes every project's traces that started before
// the UTC midnight at or before cutoff, and the scores given before it
// whose trace was never stored.
func (s *Store) DeleteDaysBefore(ctx context.Context, cutoff time.Time) (store.Removed, error) {
	day := cutoff.UTC().Truncate(24 * time.Hour)
	r, err := s.deleteInBatches(ctx, `start_time < ?1`, micros(day))
	if err == nil {
		var n int64
		n, err = s.deleteOrphanScores(ctx, `scored_at < ?1`, micros(day))
		r.Scores += n
	}
	if err != nil {
		return r, fmt.Errorf("delete old days: %w", mapError(err))
	}
	return r, nil
}

// DeleteTracesBefore removes the project's traces that started before
// cutoff, with their spans and scores, and the scores given before it
// whose trace was never stored.
func (s *Store) DeleteTracesBefore(ctx context.Context, projectID int64, cutoff time.Time) (store.Removed, error) {
	r, err := s.deleteInBatches(ctx, `project_id = ?2 AND start_time < ?1`, micros(cutoff), projectID)
	if err == nil {
		var n int64
		n, err = s.deleteOrphanScores(ctx, `project_id = ?2 AND scored_at < ?1`, micros(cutoff), projectID)
		r.Scores += n
	}
	if err != nil {
		return r, fmt.Errorf("delete traces: %w", mapError(err))
	}
	return r, nil
}

// deleteInBatches deletes the traces that match where (over the traces
// table, with ?1 the cutoff) and their spans, a batch per transaction,
// until none is left.
func (s *Store) deleteInBatches(ctx context.Context, where string, args ...any) (store.Removed, error) {
	var total store.Removed
	batch := `SELECT id FROM traces WHERE ` + where + ` ORDER BY id LIMIT ` + fmt.Sprint(store.RetentionBatch)
	for {
		r, err := s.deleteBatch(ctx, batch, args)
		total = total.Add(r)
		if err != nil || r.Traces < store.RetentionBatch {
			return total, err
		}
	}
}

func (s *Store) deleteBatch(ctx context.Context, batch string, args []any) (store.Removed, error) {
	var r store.Removed
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return r, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	// The same batch every time: the transaction is the only writer and
	// deleting spans and scores leaves the traces as they were.
	res, err := tx.ExecContext(ctx, `DELETE FROM spans WHERE (project_id, trace_id) IN (
    SELECT project_id, trace_id FROM traces WHERE id IN (`+batch+`))`, args...)
	if err != nil {
		return r, err
	}
	if r.Spans, err = res.RowsAffected(); err != nil {
		return r, err
	}
	if res, err = tx.ExecContext(ctx, `DELETE FROM scores WHERE (project_id, trace_id) IN (
    SELECT project_id, trace_id FROM traces WHERE id IN (`+batch+`))`, args...); err != nil {
		return r, err
	}
	if r.Scores, err = res.RowsAffected(); err != nil {
		return r, err
	}
	if res, err = tx.ExecContext(ctx, `DELETE FROM traces WHERE id IN (`+batch+`)`, args...); err != nil {
		return r, err
	}
	if r.Traces, err = res.RowsAffected(); err != nil {
		return r, err
	}
	if err := tx.Commit(); err != nil {
		return store.Removed{}, err
	}
	return r, nil
}

// SetProjectRetention sets how many days the project keeps its traces.
func (s *Store) SetProjectRetention(ctx context.Context, projectID int64, days int) (store.Project, error) {
	if err := store.ValidRetentionDays(days); err != nil {
		return store.Project{}, fmt.Errorf("set project retention: %w", err)
	}
	return oneProject(ctx, s.write, "set project retention",
		`UPDATE projects SET retention_days = ? WHERE id = ? RETURNING `+projectColumns, days, projectID)
}

const retentionRunColumns = `id, started_at, finished_at, server_cutoff, projects, traces_deleted, spans_deleted, scores_deleted, partitions_dropped, failure`

// RecordRetentionRun keeps run and forgets all but the last
// store.MaxRetentionRuns runs.
func (s *Store) RecordRetentionRun(ctx context.Context, run store.RetentionRun) (store.RetentionRun, error) {
	var cutoff sql.NullInt64
	if !run.ServerCutoff.IsZero() {
		cutoff = sql.NullInt64{Int64: micros(run.ServerCutoff), Valid: true}
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return run, fmt.Errorf("record retention run: %w", mapError(err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	got, err := scanRetentionRun(tx.QueryRowContext(ctx, `INSERT INTO retention_runs
    (started_at, finished_at, server_cutoff, projects, traces_deleted, spans_deleted, scores_deleted, partitions_dropped, failure)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+retentionRunColumns,
		micros(run.StartedAt), micros(run.FinishedAt), cutoff, run.Projects, run.Traces, run.Spans, run.Scores, run.Partitions, run.Failure))
	if err == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM retention_runs WHERE id <= ?`, got.ID-store.MaxRetentionRuns)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return run, fmt.Errorf("record retention run: %w", mapError(err))
	}
	return got, nil
}

// LastRetentionRun returns the run recorded last, or ErrNotFound.
func (s *Store) LastRetentionRun(ctx context.Context) (store.RetentionRun, error) {
	r, err := scanRetentionRun(s.read.QueryRowContext(ctx, `SELECT `+retentionRunColumns+` FROM retention_runs ORDER BY id DESC LIMIT 1`))
	if err != nil {
		return r, fmt.Errorf("last retention run: %w", mapError(err))
	}
	return r, nil
}

func scanRetentionRun(row scanner) (store.RetentionRun, error) {
	var r store.RetentionRun
	var started, finished int64
	var cutoff sql.NullInt64
	err := row.Scan(&r.ID, &started, &finished, &cutoff, &r.Projects, &r.Traces, &r.Spans, &r.Scores, &r.Partitions, &r.Failure)
	r.StartedAt, r.FinishedAt = fromMicros(started), fromMicros(finished)
	if cutoff.Valid {
		r.ServerCutoff = fromMicros(cutoff.Int64)
	}
	return r, err
}

// deleteOrphanScores removes the scores that match where (over the scores
// table, with ?1 the cutoff) and whose trace is not stored: their trace
// never came, or went before them.
// It returns how many it removed.
func (s *Store) deleteOrphanScores(ctx context.Context, where string, args ...any) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM scores WHERE `+where+`
    AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = scores.project_id AND t.trace_id = scores.trace_id)`, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
