package ingest

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/tracium/tracium/server/respond"
)

// budget bounds what ingest holds at once across all requests: how many
// requests are past authentication, and how many bytes they have read,
// decompressed and decoded. A request claims bytes as its body grows, so
// that a small request never waits behind the reservation a large one
// might need; a request that cannot get its claim within wait is refused
// (503, nothing accepted) instead of queueing without bound.
type budget struct {
	requests *semaphore.Weighted
	bytes    *semaphore.Weighted
	total    int64
	wait     time.Duration
	// waiting is set while a request waits for bytes (claim.hold).
	waiting atomic.Bool
}

// Factors by which a request's claim covers its body. While reading, the
// buffer being filled and the one it grew from are both alive. Once read,
// the body is alive beside its raw spans, the decoded spans, the
// decoder's buffer and the encoded chunks on their way to the queue.
const (
	readFactor   = 2
	decodeFactor = 4
)

func newBudget(requests int, bytes int64, wait time.Duration) *budget {
	return &budget{
		requests: semaphore.NewWeighted(int64(requests)),
		bytes:    semaphore.NewWeighted(bytes),
		total:    bytes,
		wait:     wait,
	}
}

// overloaded is the refusal of a request that could not get its budget.
func overloaded(what string) error {
	return respond.NewProblem(respond.ErrOverloaded, "",
		fmt.Sprintf("the collector is at its limit of %s; nothing was accepted, retry after the Retry-After delay", what))
}

// claim is what one request holds of the budget. It is not safe for
// concurrent use: one request, one goroutine.
type claim struct {
	b    *budget
	held int64
}

// enter admits a request, or refuses it when the collector already
// serves its limit of ingest requests and none finishes within wait.
func (b *budget) enter(ctx context.Context) (*claim, error) {
	ctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	if err := b.requests.Acquire(ctx, 1); err != nil {
		return nil, overloaded("concurrent ingest requests")
	}
	return &claim{b: b}, nil
}

// hold makes the claim cover n bytes, waiting at most the budget's wait
// for other requests to release theirs.
func (c *claim) hold(ctx context.Context, n int64) error {
	if n <= c.held {
		return nil
	}
	if n > c.b.total {
		return overloaded("ingest memory")
	}
	if c.b.bytes.TryAcquire(n - c.held) {
		c.held = n
		return nil
	}
	// Requests that wait for more while holding part of the budget could
	// each hold some and all wait for the rest, until every one of them
	// is refused. One request at a time waits; another that cannot grow
	// meanwhile is refused at once (the collector is at its memory limit:
	// 503, retry after), and what it gives back goes to the one waiting,
	// which is sure to get it once the rest finish or give up. A waiter
	// that holds nothing is no exception: it would stand first in the
	// semaphore's line, ahead of holders that need to grow.
	if !c.b.waiting.CompareAndSwap(false, true) {
		return overloaded("ingest memory")
	}
	defer c.b.waiting.Store(false)
	ctx, cancel := context.WithTimeout(ctx, c.b.wait)
	defer cancel()
	if err := c.b.bytes.Acquire(ctx, n-c.held); err != nil {
		return overloaded("ingest memory")
	}
	c.held = n
	return nil
}

// release gives back everything the claim holds.
func (c *claim) release() {
	c.b.bytes.Release(c.held)
	c.held = 0
	c.b.requests.Release(1)
}
