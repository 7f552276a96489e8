package storetest

import (
	"context"
	"fmt"

	"github.com/tracium/tracium/store"
)

// ValidatedWrites returns s with its WriteSpans done the way the
// collector's writer writes: every span normalised and validated first,
// as ingest does before it queues a batch, and the batch then written with
// WriteValidatedSpans. The suite run over it checks that the writer's
// path stores and refuses what WriteSpans does.
func ValidatedWrites(s store.Store) store.Store { return validatedWrites{s} }

type validatedWrites struct{ store.Store }

func (v validatedWrites) WriteSpans(ctx context.Context, projectID int64, spans []store.Span) error {
	checked := make([]store.Span, len(spans))
	for i, sp := range spans {
		sp.Normalize()
		if err := sp.Validate(); err != nil {
			return fmt.Errorf("%w: span %d: %v", store.ErrInvalid, i, err)
		}
		checked[i] = sp
	}
	return v.Store.WriteValidatedSpans(ctx, projectID, checked)
}
