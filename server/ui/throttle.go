package ui

import (
	"sync"
	"time"
)

// Sign-in throttling. Failed sign-ins are counted per account and per
// client address in a sliding window; past the limit, sign-in answers 429
// with Retry-After before any password is hashed, so guessing costs the
// server nothing and an account cannot be tried faster than the limit from
// any number of addresses. A success clears the account's count.

// Limits of the sign-in throttle.
const (
	loginWindow         = 15 * time.Minute
	loginFailsPerUser   = 10
	loginFailsPerAddr   = 30
	loginThrottleMaxKey = 100_000 // entries kept; the oldest go first
)

// loginThrottle counts recent failures by key. Safe for concurrent use.
type loginThrottle struct {
	mu    sync.Mutex
	now   func() time.Time
	fails map[string][]time.Time
	order []string // keys in first-failure order, for eviction
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, fails: map[string][]time.Time{}}
}

// wait returns how long the keys must wait before another attempt: zero
// when none is over its limit.
func (t *loginThrottle) wait(account, addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	return max(t.waitFor("u:"+account, loginFailsPerUser, now), t.waitFor("a:"+addr, loginFailsPerAddr, now))
}

func (t *loginThrottle) waitFor(key string, limit int, now time.Time) time.Duration {
	fails := t.recent(key, now)
	if len(fails) < limit {
		return 0
	}
	// Allowed again once the oldest failure that keeps it over the limit
	// leaves the window.
	return fails[len(fails)-limit].Add(loginWindow).Sub(now)
}

// recent drops failures older than the window and returns the rest.
func (t *loginThrottle) recent(key string, now time.Time) []time.Time {
	fails := t.fails[key]
	i := 0
	for i < len(fails) && now.Sub(fails[i]) >= loginWindow {
		i++
	}
	if i > 0 {
		fails = fails[i:]
		if len(fails) == 0 {
			delete(t.fails, key)
		} else {
			t.fails[key] = fails
		}
	}
	return fails
}

// fail records a failed attempt.
func (t *loginThrottle) fail(account, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, key := range []string{"u:" + account, "a:" + addr} {
		if _, ok := t.fails[key]; !ok {
			t.order = append(t.order, key)
		}
		t.fails[key] = append(t.recent(key, now), now)
	}
	for len(t.fails) > loginThrottleMaxKey && len(t.order) > 0 {
		delete(t.fails, t.order[0])
		t.order = t.order[1:]
	}
	if len(t.order) > 2*loginThrottleMaxKey {
		t.compact()
	}
}

// compact drops keys from order that fails no longer holds.
func (t *loginThrottle) compact() {
	kept := t.order[:0]
	for _, k := range t.order {
		if _, ok := t.fails[k]; ok {
			kept = append(kept, k)
		}
	}
	t.order = kept
}

// succeed clears the account's failures.
func (t *loginThrottle) succeed(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, "u:"+account)
}
