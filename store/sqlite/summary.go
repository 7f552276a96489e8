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
// the write transaction, which holds the database's one write lock.
func foldTrace(ctx context.Context, tx *sql.Tx, projectID int64, group []*store.Span) error {
	spans := make([]store.Span, len(group))
	for i, sp := range group {
		spans[i] = *sp
	}
	d := store.Summarize(spans)
	t, err := scanTrace(tx.QueryRowContext(ctx,
		`SELECT `+traceColumns+` FROM traces WHERE project_id = ? AND trace_id = ?`, projectID, d.TraceID))
	if errors.Is(err, sql.ErrNoRows) {
		return insertTrace(ctx, tx, projectID, d.Trace)
	}
	if err != nil {
		return fmt.Errorf("read trace: %w", err)
	}
	t, newRoot := t.Merge(d)
	return updateTrace(ctx, tx, projectID, t, newRoot)
}
