package sim

import (
	"math"
	"sync"
	"time"
)

// bucket is the account quota: a token bucket of capacity burst refilled at rate tokens per
// second. It runs on the monotonic real clock, never on Options.Now, so a frozen test clock
// cannot freeze the quota.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(qps float64) *bucket {
	burst := math.Max(1, qps)
	return &bucket{rate: qps, burst: burst, tokens: burst, last: time.Now()}
}

// take spends one token; when none is left it reports how long until one is.
func (b *bucket) take() (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}
