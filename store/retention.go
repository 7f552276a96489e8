package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Retention removes old traces, whole: a trace goes with every span it
// holds, its summary and its search index rows, in one transaction per
// step, so that no reader ever sees a trace whose spans are gone.
//
// Server-wide retention works by days, the UTC day of a trace's first
// spans: on PostgreSQL, where spans are partitioned by that day, a whole
// day partition is dropped at once; SQLite deletes the rows in batches.
// A project's own retention deletes its traces by start time, in
// batches, on both.
type RetentionStore interface {
	// DeleteDaysBefore applies a server-wide retention: it removes, in
	// every project, the traces whose day (the UTC day their first spans
	// started) ends at or before cutoff, with their scores, and the
	// scores given before that day whose trace was never stored.
	DeleteDaysBefore(ctx context.Context, cutoff time.Time) (Removed, error)
	// DeleteTracesBefore removes the project's traces that started before
	// cutoff, with all their spans and scores, and the project's scores
	// given before cutoff whose trace was never stored.
	DeleteTracesBefore(ctx context.Context, projectID int64, cutoff time.Time) (Removed, error)
	// SetProjectRetention sets how many days the project keeps its
	// traces (0: as long as the server-wide retention allows):
	// ErrInvalid outside 0 to MaxRetentionDays, ErrNotFound for an
	// unknown project.
	SetProjectRetention(ctx context.Context, projectID int64, days int) (Project, error)
	// TryLock takes the lock called name if no one holds it, across every
	// process on the database, and returns its release; ErrLocked when
	// another holder has it. A holder that dies releases it.
	TryLock(ctx context.Context, name string) (release func(), err error)
	// RecordRetentionRun keeps what a run of the retention job did (the
	// last MaxRetentionRuns runs are kept) and returns it with its ID.
	RecordRetentionRun(ctx context.Context, run RetentionRun) (RetentionRun, error)
	// LastRetentionRun returns the run recorded last, or ErrNotFound.
	LastRetentionRun(ctx context.Context) (RetentionRun, error)
}

// ErrLocked: the lock is held by another process or store. Not a kind
// the HTTP layer maps: locks are the background jobs' business.
var ErrLocked = errors.New("locked")

// MaxRetentionDays bounds a retention setting: a hundred years.
const MaxRetentionDays = 36500

// MaxRetentionRuns is how many retention runs the store keeps.
const MaxRetentionRuns = 100

// ValidRetentionDays checks a retention setting.
func ValidRetentionDays(days int) error {
	if days < 0 || days > MaxRetentionDays {
		return fmt.Errorf("%w: retention must be 0 (keep everything) to %d days", ErrInvalid, MaxRetentionDays)
	}
	return nil
}

// RetentionDayCutoff is the cutoff of a server-wide retention of days at
// now: the UTC midnight that starts the oldest day kept. Every day that
// ended at or before it is removed.
func RetentionDayCutoff(now time.Time, days int) time.Time {
	return now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -days)
}

// Removed is what a retention step deleted.
type Removed struct {
	Traces int64 `json:"traces"`
	Spans  int64 `json:"spans"`
	// Scores counts the scores removed with their traces, and those whose
	// trace never came.
	Scores int64 `json:"scores"`
	// Partitions is how many day partitions of spans were dropped
	// (PostgreSQL's server-wide retention).
	Partitions int64 `json:"partitions"`
}

// Add returns the sum of r and o.
func (r Removed) Add(o Removed) Removed {
	return Removed{Traces: r.Traces + o.Traces, Spans: r.Spans + o.Spans, Scores: r.Scores + o.Scores, Partitions: r.Partitions + o.Partitions}
}

// RetentionRun is one run of the retention job.
type RetentionRun struct {
	ID         int64     `json:"id"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// ServerCutoff is the server-wide retention's cutoff; zero when there
	// is no server-wide retention.
	ServerCutoff time.Time `json:"server_cutoff,omitzero"`
	// Projects is how many projects had a retention of their own applied.
	Projects int `json:"projects"`
	Removed
	// Failure is why the run stopped early; empty when it finished.
	Failure string `json:"failure,omitempty"`
}

// RetentionBatch is how many traces one transaction of a batched
// retention deletes: small enough that ingest's writes, which wait for
// it, are held up briefly.
const RetentionBatch = 1000

// ValidLockName reports whether name may name a TryLock lock: 1 to 64
// ASCII letters, digits, '-' or '_' (it names a file beside SQLite's
// database).
func ValidLockName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
