package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tracium/tracium/store"
)

// RawCopy COPYs spans straight into the spans table, each in the partition
// of its own start day: no deduplication, no trace summaries, no
// partition upkeep (the partitions must exist). The rows are the ones
// WriteSpans stores, search text and model keys included. It is the floor
// that benchmarks measure WriteSpans and end-to-end ingest against, not a
// way to store spans.
func (s *Store) RawCopy(ctx context.Context, projectID int64, spans []store.Span) error {
	rows := make([][]any, len(spans))
	for i, sp := range spans {
		sp.Normalize()
		rows[i] = append([]any{projectID}, spanRow(&sp, store.IndexSpan(&sp), day(sp.StartTime))...)
	}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"spans"}, copyColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("raw copy: %w", err)
	}
	return nil
}
