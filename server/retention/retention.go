// Package retention is the background job that removes old traces: the
// server-wide retention (TRACIUM_RETENTION_DAYS, whole days) and each
// project's own (set in the settings page). Every collector runs the job;
// a lock in the store lets one pass run at a time across all of them, and
// the last pass recorded in the store keeps them from repeating each
// other's work within an interval.
package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tracium/tracium/server/metrics"
	"github.com/tracium/tracium/store"
)

// Store is what the job needs of the store.
type Store interface {
	store.RetentionStore
	ListProjects(ctx context.Context) ([]store.Project, error)
}

// Config tunes the job.
type Config struct {
	// Days is the server-wide retention; 0 keeps every day.
	Days int
	// Interval is how often a pass runs, across all collectors;
	// DefaultInterval.
	Interval time.Duration
	Logger   *slog.Logger
	// Metrics, when set, receives the job's counters and the last run's
	// gauges.
	Metrics *metrics.Registry
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// DefaultInterval is how often retention runs.
const DefaultInterval = time.Hour

// LockName is the store lock a pass holds.
const LockName = "retention"

// ErrSkipped: the pass did not run, because another collector holds the
// lock or a pass finished less than an interval ago.
var ErrSkipped = errors.New("retention pass skipped")

// Job removes old traces. It is safe for concurrent use.
type Job struct {
	cfg      Config
	store    Store
	runs     *metrics.Counter
	failures *metrics.Counter
}

// New returns the job over st.
func New(cfg Config, st Store) *Job {
	cfg.Interval = cmp.Or(cfg.Interval, DefaultInterval)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	reg := cfg.Metrics
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	j := &Job{cfg: cfg, store: st,
		runs:     reg.NewCounter("tracium_retention_runs_total", "Retention passes this collector ran."),
		failures: reg.NewCounter("tracium_retention_failures_total", "Retention passes this collector ran that stopped on an error."),
	}
	if cfg.Metrics != nil {
		j.registerLastRun(cfg.Metrics)
	}
	return j
}

// Run runs a pass at once and then every Interval until ctx is done.
func (j *Job) Run(ctx context.Context) error {
	t := time.NewTicker(j.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := j.RunOnce(ctx); err != nil && !errors.Is(err, ErrSkipped) && ctx.Err() == nil {
			j.cfg.Logger.Warn("retention: pass failed; the next one takes it up", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce runs one pass, unless another collector holds the lock or the
// last pass finished less than nine tenths of an interval ago
// (ErrSkipped). It records the pass, failed or not, and returns it.
func (j *Job) RunOnce(ctx context.Context) (store.RetentionRun, error) {
	release, err := j.store.TryLock(ctx, LockName)
	if errors.Is(err, store.ErrLocked) {
		return store.RetentionRun{}, fmt.Errorf("%w: another collector runs it", ErrSkipped)
	}
	if err != nil {
		return store.RetentionRun{}, fmt.Errorf("retention: %w", err)
	}
	defer release()
	now := j.cfg.Now()
	last, err := j.store.LastRetentionRun(ctx)
	switch {
	case err == nil && now.Sub(last.FinishedAt) < j.cfg.Interval*9/10:
		return last, fmt.Errorf("%w: the last pass finished at %s", ErrSkipped, last.FinishedAt.Format(time.RFC3339))
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return store.RetentionRun{}, fmt.Errorf("retention: %w", err)
	}
	j.runs.Inc()
	run, passErr := j.pass(ctx, now)
	run.FinishedAt = j.cfg.Now()
	if passErr != nil {
		j.failures.Inc()
		run.Failure = passErr.Error()
	}
	recorded, err := j.store.RecordRetentionRun(context.WithoutCancel(ctx), run)
	if err != nil {
		return run, errors.Join(passErr, fmt.Errorf("retention: %w", err))
	}
	j.cfg.Logger.Info("retention: pass done", "traces", run.Traces, "spans", run.Spans,
		"scores", run.Scores, "partitions", run.Partitions, "projects", run.Projects, "failure", run.Failure)
	return recorded, passErr
}

// pass removes what the server-wide retention and each project's own
// take, going on past a failure so that one project cannot hold back the
// others.
func (j *Job) pass(ctx context.Context, now time.Time) (store.RetentionRun, error) {
	run := store.RetentionRun{StartedAt: now}
	var errs []error
	if j.cfg.Days > 0 {
		run.ServerCutoff = store.RetentionDayCutoff(now, j.cfg.Days)
		r, err := j.store.DeleteDaysBefore(ctx, run.ServerCutoff)
		run.Removed = run.Add(r)
		if err != nil {
			errs = append(errs, err)
		}
	}
	projects, err := j.store.ListProjects(ctx)
	if err != nil {
		return run, errors.Join(append(errs, err)...)
	}
	for _, p := range projects {
		// A project keeping longer than the server-wide retention keeps
		// what that leaves: nothing more to do.
		if p.RetentionDays == 0 || j.cfg.Days > 0 && p.RetentionDays >= j.cfg.Days {
			continue
		}
		run.Projects++
		r, err := j.store.DeleteTracesBefore(ctx, p.ID, now.AddDate(0, 0, -p.RetentionDays))
		run.Removed = run.Add(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("project %d: %w", p.ID, err))
		}
	}
	return run, errors.Join(errs...)
}

// registerLastRun exposes the last pass recorded in the store, whichever
// collector ran it, read at most every ten seconds.
func (j *Job) registerLastRun(reg *metrics.Registry) {
	var mu sync.Mutex
	var last store.RetentionRun
	var at time.Time
	read := func() store.RetentionRun {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(at) < 10*time.Second {
			return last
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if r, err := j.store.LastRetentionRun(ctx); err == nil {
			last, at = r, time.Now()
		}
		return last
	}
	reg.NewGaugeFunc("tracium_retention_last_run_timestamp_seconds", "When the last retention pass, by any collector, finished (Unix time); 0 before the first.", func() float64 {
		if r := read(); !r.FinishedAt.IsZero() {
			return float64(r.FinishedAt.UnixMilli()) / 1000
		}
		return 0
	})
	reg.NewGaugeFunc("tracium_retention_last_run_traces_deleted", "Traces the last retention pass removed.", func() float64 { return float64(read().Traces) })
	reg.NewGaugeFunc("tracium_retention_last_run_spans_deleted", "Spans the last retention pass removed.", func() float64 { return float64(read().Spans) })
	reg.NewGaugeFunc("tracium_retention_last_run_scores_deleted", "Scores the last retention pass removed.", func() float64 { return float64(read().Scores) })
	reg.NewGaugeFunc("tracium_retention_last_run_partitions_dropped", "Day partitions of spans the last retention pass dropped (PostgreSQL).", func() float64 {
		return float64(read().Partitions)
	})
	reg.NewGaugeFunc("tracium_retention_last_run_failed", "1 when the last retention pass stopped on an error.", func() float64 {
		if read().Failure != "" {
			return 1
		}
		return 0
	})
}
