package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tracium/tracium/store"
)

// The trace summary rules are the PostgreSQL backend's, done in Go: a
// trace row is read, merged with the spans a batch inserted, and written
// back, inside the write transaction that holds the database's one write
// lock.

// batchSummary is what one batch's newly inserted spans of a trace say.
type batchSummary struct {
	store.Trace
	// root is the batch's root span, nil when it holds none.
	root *store.Span
}

// summarize folds the spans of one trace that a batch inserted. Where the
// spans disagree on a trace-level field, the root wins, then the earliest
// start.
func summarize(spans []*store.Span) batchSummary {
	slices.SortFunc(spans, func(a, b *store.Span) int {
		if a.IsRoot() != b.IsRoot() {
			if a.IsRoot() {
				return -1
			}
			return 1
		}
		return cmp.Or(a.StartTime.Compare(b.StartTime), cmp.Compare(a.SpanID, b.SpanID))
	})
	first := spans[0]
	b := batchSummary{Trace: store.Trace{
		TraceID: first.TraceID, Name: first.Name, StartTime: first.StartTime, EndTime: first.EndTime,
	}}
	if first.IsRoot() {
		b.root = first
		b.RootSpanID, b.Input, b.Output = first.SpanID, first.Input, first.Output
	}
	var tags, models []string
	for _, sp := range spans {
		b.StartTime = minTime(b.StartTime, sp.StartTime)
		b.EndTime = maxTime(b.EndTime, sp.EndTime)
		b.SpanCount++
		if sp.Status == store.StatusError {
			b.ErrorCount++
		}
		if sp.Usage != nil {
			b.Usage = b.Usage.Add(*sp.Usage)
		}
		if sp.CostUSD != nil {
			b.CostUSD += *sp.CostUSD
		}
		tags = append(tags, sp.Tags...)
		if sp.Model != "" {
			models = append(models, sp.Model)
		}
		b.AgentName = cmp.Or(b.AgentName, sp.AgentName)
		b.UserID = cmp.Or(b.UserID, sp.UserID)
		b.SessionID = cmp.Or(b.SessionID, sp.SessionID)
		b.Metadata = firstSet(b.Metadata, sp.Metadata)
	}
	b.Tags, b.Models = sortedSet(tags), sortedSet(models)
	return b
}

// merge folds a batch into the stored trace t. The first root to arrive
// names the trace and gives it its input and output; its own trace-level
// values win over what earlier spans said, and otherwise the first value
// seen stays.
func merge(t store.Trace, b batchSummary) (_ store.Trace, newRoot bool) {
	t.StartTime = minTime(t.StartTime, b.StartTime)
	t.EndTime = maxTime(t.EndTime, b.EndTime)
	t.SpanCount += b.SpanCount
	t.ErrorCount += b.ErrorCount
	t.Usage = t.Usage.Add(b.Usage)
	t.CostUSD += b.CostUSD
	t.Tags = sortedSet(append(t.Tags, b.Tags...))
	t.Models = sortedSet(append(t.Models, b.Models...))
	var root store.Span // zero values: no root says nothing
	if newRoot = t.RootSpanID == "" && b.root != nil; newRoot {
		root = *b.root
		t.RootSpanID, t.Name, t.Input, t.Output = root.SpanID, root.Name, root.Input, root.Output
	}
	t.AgentName = cmp.Or(root.AgentName, t.AgentName, b.AgentName)
	t.UserID = cmp.Or(root.UserID, t.UserID, b.UserID)
	t.SessionID = cmp.Or(root.SessionID, t.SessionID, b.SessionID)
	t.Metadata = firstSet(root.Metadata, t.Metadata, b.Metadata)
	return t, newRoot
}

// foldTrace applies the spans a batch inserted to their trace's row,
// creating it for the trace's first spans.
func foldTrace(ctx context.Context, tx *sql.Tx, projectID int64, spans []*store.Span) error {
	b := summarize(spans)
	t, err := scanTrace(tx.QueryRowContext(ctx,
		`SELECT `+traceColumns+` FROM traces WHERE project_id = ? AND trace_id = ?`, projectID, b.TraceID))
	if errors.Is(err, sql.ErrNoRows) {
		return insertTrace(ctx, tx, projectID, b.Trace)
	}
	if err != nil {
		return fmt.Errorf("read trace: %w", err)
	}
	t, newRoot := merge(t, b)
	return updateTrace(ctx, tx, projectID, t, newRoot)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// firstSet returns the first non-empty value.
func firstSet[T ~[]byte](vs ...T) T {
	for _, v := range vs {
		if len(v) > 0 {
			return v
		}
	}
	return nil
}

// sortedSet sorts s and drops duplicates; it never returns nil.
func sortedSet(s []string) []string {
	if len(s) == 0 {
		return []string{}
	}
	slices.Sort(s)
	return slices.Compact(s)
}
