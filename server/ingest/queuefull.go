package ingest

import (
	"fmt"

	"github.com/tracium/tracium/server/respond"
)

// QueueFullRetryAfter is the Retry-After, in seconds, of a 503 answered
// because the span stream is full: the writers need time to drain it.
const QueueFullRetryAfter = 5

// queueFull is the answer to a batch the span stream refused because it
// is at its maximum bytes. The stream discards new batches, never queued
// ones, so nothing accepted is lost and nothing of this batch was kept.
func queueFull(err error) error {
	return fmt.Errorf("%w: %w", &respond.Problem{Kind: respond.ErrOverloaded, Code: "queue_full",
		Message:    "the span queue is full while the store catches up; nothing was accepted, retry after the Retry-After delay",
		RetryAfter: QueueFullRetryAfter}, err)
}
