package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tracium/tracium/store"
)

// foldTraces applies the spans of each trace that a batch inserted
// (groups, one a trace) to the trace's row, creating the row for the
// trace's first spans. The rules are store.Summarize and Trace.Merge; the
// read-modify-write is safe inside the write transaction, which holds the
// database's one write lock. The search text is appended in SQL, by
// store.JoinSearchText's rule, so that the trace's 64 KiB of it is never
// read back into Go. The new traces go in a few statements of many rows:
// FTS5 writes what a statement gave it at the next one, so a statement a
// trace would leave its index one tiny segment a trace to merge.
func foldTraces(ctx context.Context, tx *sql.Tx, projectID int64, groups [][]*indexedSpan) error {
	var fresh []store.TraceDelta
	for _, group := range groups {
		d, isNew, err := foldTrace(ctx, tx, projectID, group)
		if err != nil {
			return fmt.Errorf("trace %s: %w", group[0].TraceID, err)
		}
		if isNew {
			fresh = append(fresh, d)
		}
	}
	for lo := 0; lo < len(fresh); lo += tracesPerInsert {
		if err := insertTraces(ctx, tx, projectID, fresh[lo:min(lo+tracesPerInsert, len(fresh))]); err != nil {
			return err
		}
	}
	return nil
}

// foldTrace summarises one trace's new spans and folds them into its row
// when it has one; a trace without a row is returned to be inserted.
func foldTrace(ctx context.Context, tx *sql.Tx, projectID int64, group []*indexedSpan) (_ store.TraceDelta, isNew bool, _ error) {
	spans := make([]store.Span, len(group))
	index := make([]store.SpanIndex, len(group))
	for i, sp := range group {
		spans[i], index[i] = sp.Span, sp.index
	}
	d := store.SummarizeIndexed(spans, index)
	var keys string
	t, err := scanTrace(tx.QueryRowContext(ctx,
		`SELECT `+traceColumns+`, model_keys FROM traces WHERE project_id = ? AND trace_id = ?`, projectID, d.TraceID), &keys)
	if errors.Is(err, sql.ErrNoRows) {
		return d, true, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("read trace: %w", err)
	}
	if t.ModelKeys, err = decodeStrings(keys); err != nil {
		return d, false, fmt.Errorf("trace model keys: %w", err)
	}
	t, newRoot := t.Merge(d)
	return d, false, updateTrace(ctx, tx, projectID, t, d.SearchText, newRoot)
}
