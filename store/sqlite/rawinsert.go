package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/tracium/tracium/store"
)

// rawInsert is a plain prepared INSERT of one span row, no conflict
// clause.
var rawInsert = `INSERT INTO spans (` + strings.Join(spanInsertColumns, ", ") + `)
VALUES (?` + strings.Repeat(", ?", len(spanInsertColumns)-1) + `)`

// RawInsert inserts spans as rows of the spans table and nothing else,
// with a prepared INSERT in one transaction through the writer
// connection: no deduplication, no trace summaries. The rows are the ones
// WriteSpans stores, search text and model keys included. SQLite has no
// COPY; this is the floor that benchmarks measure WriteSpans and
// end-to-end ingest against, not a way to store spans.
func (s *Store) RawInsert(ctx context.Context, projectID int64, spans []store.Span) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("raw insert: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt, err := tx.PrepareContext(ctx, rawInsert)
	if err != nil {
		return fmt.Errorf("raw insert: %w", err)
	}
	defer stmt.Close()
	for _, sp := range spans {
		sp.Normalize()
		if _, err := stmt.ExecContext(ctx, spanArgs(projectID, &sp, store.IndexSpan(&sp))...); err != nil {
			return fmt.Errorf("raw insert: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("raw insert: %w", err)
	}
	return nil
}
