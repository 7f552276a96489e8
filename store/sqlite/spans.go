package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tracium/tracium/store"
)

// WriteSpans stores spans and folds the new ones into their traces, all in
// one transaction. It validates the whole batch before writing any of it.
func (s *Store) WriteSpans(ctx context.Context, projectID int64, spans []store.Span) error {
	return s.writeSpans(ctx, projectID, spans, (*store.Span).Validate)
}

// WriteValidatedSpans is WriteSpans for spans validated before
// (store.SpanWriter).
func (s *Store) WriteValidatedSpans(ctx context.Context, projectID int64, spans []store.Span) error {
	return s.writeSpans(ctx, projectID, spans, (*store.Span).CheckValidated)
}

func (s *Store) writeSpans(ctx context.Context, projectID int64, spans []store.Span, check func(*store.Span) error) error {
	if len(spans) == 0 {
		return nil
	}
	norm, err := normalize(spans, time.Now(), s.window, check)
	if err != nil {
		return fmt.Errorf("write spans: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write spans: begin: %w", mapError(err))
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	inserted, err := insertSpans(ctx, tx, projectID, norm)
	if err != nil {
		return fmt.Errorf("write spans: %w", mapError(err))
	}
	if err := foldTraces(ctx, tx, projectID, byTrace(inserted)); err != nil {
		return fmt.Errorf("write spans: %w", mapError(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write spans: commit: %w", mapError(err))
	}
	return nil
}

// indexedSpan is a span of a batch with its index, computed once.
type indexedSpan struct {
	store.Span
	index store.SpanIndex
}

// normalize returns normalized, indexed copies of spans, or an ErrInvalid
// naming the first span that fails check (Span.Validate, or
// Span.CheckValidated for spans validated before) or starts outside w
// (the store's write window) around now. The caller's slice is untouched.
func normalize(spans []store.Span, now time.Time, w store.Window, check func(*store.Span) error) ([]indexedSpan, error) {
	out := make([]indexedSpan, len(spans))
	for i := range spans {
		sp := spans[i]
		sp.Normalize()
		err := check(&sp)
		if err == nil {
			err = w.Check(now, sp.StartTime)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: span %d: %v", store.ErrInvalid, i, err)
		}
		out[i].Span = sp
	}
	for i := range out {
		out[i].index = store.IndexSpan(&out[i].Span)
	}
	return out, nil
}

// insertSpans inserts spans in order and returns those that were new. Of
// two spans with one id, in the batch or across batches, the first stays.
func insertSpans(ctx context.Context, tx *sql.Tx, projectID int64, spans []indexedSpan) ([]*indexedSpan, error) {
	stmt, err := tx.PrepareContext(ctx, insertSpan)
	if err != nil {
		return nil, fmt.Errorf("prepare insert: %w", err)
	}
	defer stmt.Close()
	var inserted []*indexedSpan
	for i := range spans {
		res, err := stmt.ExecContext(ctx, spanArgs(projectID, &spans[i].Span, spans[i].index)...)
		if err != nil {
			return nil, fmt.Errorf("insert span %d: %w", i, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("insert span %d: %w", i, err)
		}
		if n == 1 {
			inserted = append(inserted, &spans[i])
		}
	}
	return inserted, nil
}

// byTrace groups spans by trace id, traces in id order and each trace's
// spans in the order given (the order their search texts join in).
func byTrace(spans []*indexedSpan) [][]*indexedSpan {
	groups := map[string][]*indexedSpan{}
	for _, sp := range spans {
		groups[sp.TraceID] = append(groups[sp.TraceID], sp)
	}
	ids := slices.Sorted(maps.Keys(groups))
	out := make([][]*indexedSpan, len(ids))
	for i, id := range ids {
		out[i] = groups[id]
	}
	return out
}
