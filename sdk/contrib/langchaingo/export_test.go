package traciumlangchaingo

import "github.com/petermattis/goid"

// OpenOnThisGoroutine is how many spans the handler holds open on the
// calling goroutine's lane, for tests that check a run leaves none.
func OpenOnThisGoroutine() int {
	g := goid.Get()
	sh := lanes.shard(g)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return len(sh.lanes[g])
}
