package upstream

import (
	"math"
	"sync/atomic"
	"time"
)

// AutoConcurrencyLatency is the upstream latency up to which the automatic in-flight cap
// (Options.Concurrency 0) still lets requests use the whole rate limit: by Little's law a
// rate of QPS needs QPS × latency requests in flight.
const AutoConcurrencyLatency = 2 * time.Second

// MaxAutoConcurrency bounds the automatic in-flight cap.
const MaxAutoConcurrency = 128

// autoConcurrency is the in-flight cap for qps when none is configured: enough to use the
// whole rate at up to AutoConcurrencyLatency of latency, at least DefaultConcurrency.
func autoConcurrency(qps float64) int {
	if qps < 0 || qps*AutoConcurrencyLatency.Seconds() >= MaxAutoConcurrency {
		return MaxAutoConcurrency
	}
	return max(DefaultConcurrency, int(math.Ceil(qps*AutoConcurrencyLatency.Seconds())))
}

// Pace is what a caller needs to keep the rate limit busy without over-asking: by
// Little's law, QPS × Latency requests must be in flight (or queued for a token) at all
// times to use the whole rate.
type Pace struct {
	// QPS is the shared rate limit in requests per second; +Inf when unlimited.
	QPS float64
	// InFlight is the cap on requests in flight.
	InFlight int
	// Latency is a moving average of the duration of successful attempts (the exchange
	// alone, without rate-limit waits); 0 before the first one.
	Latency time.Duration
}

// Pace returns the client's rate limit, in-flight cap and recent latency.
func (c *Client) Pace() Pace {
	qps := c.opts.QPS
	if qps < 0 {
		qps = math.Inf(1)
	}
	return Pace{QPS: qps, InFlight: c.opts.Concurrency, Latency: time.Duration(c.latency.Load())}
}

// latencyEWMA keeps an exponentially weighted moving average of attempt durations.
type latencyEWMA struct{ v atomic.Int64 }

func (e *latencyEWMA) Load() int64 { return e.v.Load() }

// observe folds d in with weight 1/8; racing updates may drop one sample, which an
// average does not mind.
func (e *latencyEWMA) observe(d time.Duration) {
	old := e.v.Load()
	if old == 0 {
		e.v.Store(int64(d))
		return
	}
	e.v.Store(old + (int64(d)-old)/8)
}
