package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// RawCopy COPYs spans straight into the spans table: no deduplication, no
// trace summaries, no partition upkeep (the partitions must exist). It is
// the floor that benchmarks measure WriteSpans and end-to-end ingest
// against, not a way to store spans.
func (s *Store) RawCopy(ctx context.Context, projectID int64, spans []store.Span) error {
	rows := make([][]any, len(spans))
	for i, sp := range spans {
		sp.Normalize()
		rows[i] = append([]any{projectID}, spanRow(&sp)...)
	}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"spans"}, copyColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("raw copy: %w", err)
	}
	return nil
}
