package ingest

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per API key: rate tokens a second, up to
// burst. A negative rate turns it off.
type rateLimiter struct {
	rate  float64
	burst float64

	mu      sync.Mutex
	buckets map[int64]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(max(burst, 1)), buckets: map[int64]*bucket{}}
}

func (l *rateLimiter) allow(keyID int64, now time.Time) bool {
	if l.rate < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[keyID]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[keyID] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
