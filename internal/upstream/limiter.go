package upstream

import (
	"context"
	"errors"
	"time"

	"golang.org/x/time/rate"
)

// gate admits requests to upstream: at most cap(slots) in flight, and no faster than the
// limiter allows (DESIGN §3 rule 4). One gate belongs to one Client and so to one account;
// every caller and every retry passes through it.
type gate struct {
	slots   chan struct{}
	limiter *rate.Limiter
	// waited, if set, is told how long each admission waited for the limiter.
	waited func(time.Duration)
}

// newGate returns a gate of qps requests per second (unlimited when qps < 0) with the given
// burst and at most concurrency requests in flight.
func newGate(qps float64, burst, concurrency int, waited func(time.Duration)) *gate {
	limit := rate.Limit(qps)
	if qps < 0 {
		limit = rate.Inf
	}
	return &gate{
		slots:   make(chan struct{}, concurrency),
		limiter: rate.NewLimiter(limit, burst),
		waited:  waited,
	}
}

// enter blocks until the request may go: first a slot, then a token of the limiter, so that a
// token is never spent by a request still queued for a slot. It returns ctx.Err() as soon as
// ctx is done, giving back what it took. A nil error must be paired with leave.
func (g *gate) enter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err // select below would pick a free slot at random
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	r := g.limiter.Reserve()
	if !r.OK() { // only with a burst of 0, which New refuses
		<-g.slots
		return errors.New("the rate limiter admits no request: burst is 0")
	}
	d := r.Delay()
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			r.Cancel()
			<-g.slots
			return ctx.Err()
		}
	}
	if g.waited != nil {
		g.waited(d)
	}
	return nil
}

// leave frees the slot taken by enter.
func (g *gate) leave() { <-g.slots }

// sleep waits for d or until ctx is done, whichever comes first, and returns ctx.Err() in
// the second case.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
