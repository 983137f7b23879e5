package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/upstream"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// QuotaOptions configures Quota.
type QuotaOptions struct {
	Latency time.Duration // simulator latency, ±20%
	QPS     float64       // the simulator's quota and syncd's upstream.qps
	Pages   int           // about this many pages are backfilled
	Dir     string        // scratch directory
}

// Quota backfills about Pages pages from a simulator with latency and a quota of QPS,
// syncd configured with the same qps, and reports the rate of answered requests and the
// share of answers over quota. The sustained rate counts pages between the first and the
// last answer (the one latency of start-up excluded); the overall rate divides by the
// whole backfill.
func Quota(ctx context.Context, open Opener, o QuotaOptions) (*Report, error) {
	s := StartSim(sim.Options{Offers: 100_000, Seed: 7, QPS: o.QPS, Latency: o.Latency, LatencyJitter: 0.2})
	defer s.Close()
	plan, err := Plan(s.Server)
	if err != nil {
		return nil, err
	}
	var qs []PlannedQuery
	for _, q := range plan {
		if Pages(qs, 50) >= o.Pages {
			break
		}
		qs = append(qs, q)
	}
	dir, err := os.MkdirTemp(o.Dir, "quota-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	sys, err := open(ctx, SystemConfig{StateDir: dir, BaseURL: s.URL, QPS: o.QPS})
	if err != nil {
		return nil, err
	}
	defer sys.Close()

	job := crawl.Job{Name: "quota", Kind: upstream.KindCategory, PageSize: 50}
	for _, q := range qs {
		job.Queries = append(job.Queries, q.Query)
	}
	s.ResetStats()
	tr := newArrivals(s)
	start := time.Now()
	if err := sys.Backfill(ctx, []crawl.Job{job}, true); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	tr.stop()
	st := s.Stats()
	requests := st.Total()
	over := st.Rejected["quota"]
	first, last, n := tr.span()
	sustained := math.NaN() // fewer than two answers, or all at once: no rate to speak of
	if n >= 2 && last.After(first) {
		sustained = float64(n-1) / last.Sub(first).Seconds()
	}
	if os.Getenv("SYNCD_BENCH_GAPS") != "" {
		for i := 1; i < len(tr.times); i++ {
			if g := tr.times[i].Sub(tr.times[i-1]); g > 150*time.Millisecond {
				fmt.Fprintf(os.Stderr, "gap before answer %d: %s\n", i, g)
			}
		}
	}
	overall := float64(st.Served) / elapsed.Seconds()
	overShare := float64(over) / float64(max(requests, 1))

	r := &Report{Title: fmt.Sprintf("quota: latency %s ±20%%, quota %g/s, qps %g, %d pages", o.Latency, o.QPS, o.QPS, st.Served)}
	value := fmt.Sprintf("%.2f (%s of quota)", sustained, pct(sustained/o.QPS))
	if math.IsNaN(sustained) {
		value = "n/a (answers did not span any time)"
	}
	r.add("sustained answers/s", value, "≥ 97% of quota", ref(sustained >= 0.97*o.QPS), fmt.Sprintf("%d answers between first and last", n))
	r.add("overall pages/s", fmt.Sprintf("%.2f (%s of quota)", overall, pct(overall/o.QPS)), "", nil, fmt.Sprintf("%d pages in %s, start-up and last commit included", st.Served, elapsed.Round(time.Millisecond)))
	r.add("answers over quota", fmt.Sprintf("%d of %d (%s)", over, requests, pct(overShare)), "≤ 0.5%", ref(overShare <= 0.005), "")
	return r, nil
}

// arrivals samples the simulator's served count to find when answers started and stopped.
type arrivals struct {
	s     *Sim
	done  chan struct{}
	ended chan struct{}
	times []time.Time // one per answer seen, approximately (1 ms sampling)
}

func newArrivals(s *Sim) *arrivals {
	a := &arrivals{s: s, done: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(a.ended)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		seen := 0
		for {
			select {
			case <-a.done:
				return
			case now := <-t.C:
				n := s.Stats().Served
				for ; seen < n; seen++ {
					a.times = append(a.times, now)
				}
			}
		}
	}()
	return a
}

func (a *arrivals) stop() { close(a.done); <-a.ended }

func (a *arrivals) span() (first, last time.Time, n int) {
	if len(a.times) == 0 {
		return time.Time{}, time.Time{}, 0
	}
	return a.times[0], a.times[len(a.times)-1], len(a.times)
}
