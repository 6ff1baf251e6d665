package web

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per client key (IP): each bucket holds up to burst tokens and
// refills at burst per period; a run takes one token.
type rateLimiter struct {
	burst  float64
	period time.Duration

	bucketsMu sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; past it, buckets that are full again are dropped.
const maxBuckets = 100_000

func newRateLimiter(perPeriod int, period time.Duration) *rateLimiter {
	return &rateLimiter{burst: float64(perPeriod), period: period, buckets: map[string]*bucket{}}
}

// allow takes a token for key at now. When none is left it returns false and how long until
// one is.
func (l *rateLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	return l.allowN(key, now, 1)
}

// allowN takes n tokens for key at now, or none: then it returns false and how long until n
// are there (more than a period when n is more than the burst: never).
func (l *rateLimiter) allowN(key string, now time.Time, n int) (time.Duration, bool) {
	l.bucketsMu.Lock()
	defer l.bucketsMu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	rate := l.burst / float64(l.period) // tokens per nanosecond
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+float64(elapsed)*rate)
		b.last = now
	}
	if b.tokens >= float64(n) {
		b.tokens -= float64(n)
		return 0, true
	}
	return time.Duration((float64(n) - b.tokens) / rate), false
}

// sweep drops buckets that have refilled completely (they hold no information) once a period,
// or at once when there are too many.
func (l *rateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.period && len(l.buckets) < maxBuckets {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.last) >= l.period {
			delete(l.buckets, k)
		}
	}
}
