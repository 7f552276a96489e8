package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tracium/tracium/store"
)

// foldTrace applies the spans of one trace that a batch inserted to the
// trace's row, creating it for the trace's first spans. The rules are
// store.Summarize and Trace.Merge; the read-modify-write is safe inside
// the write transaction, which holds the database's one write lock. The
// search text is appended in SQL, by store.JoinSearchText's rule, so that
// the trace's 64 KiB of it is never read back into Go.
func foldTrace(ctx context.Context, tx *sql.Tx, projectID int64, group []*indexedSpan) error {
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
		return insertTrace(ctx, tx, projectID, d)
	}
	if err != nil {
		return fmt.Errorf("read trace: %w", err)
	}
	if t.ModelKeys, err = decodeStrings(keys); err != nil {
		return fmt.Errorf("trace model keys: %w", err)
	}
	t, newRoot := t.Merge(d)
	return updateTrace(ctx, tx, projectID, t, d.SearchText, newRoot)
}
