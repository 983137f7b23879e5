package bench

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/upstream"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// PipelineOptions configures Pipeline.
type PipelineOptions struct {
	Offers int    // catalog size; every offer is mirrored
	Jobs   int    // the queries are dealt to this many jobs, run concurrently; default 1
	Dir    string // scratch directory
	// Keep, when set, is where the mirror is left for later (search); otherwise removed.
	Keep string
	// Resync and Reindex add those measurements after the first sync.
	Resync, Reindex bool
	// SkipBare skips the bare-bleve reference.
	SkipBare bool
}

// Jobs deals the planned queries round-robin to n jobs of page size 50.
func Jobs(qs []PlannedQuery, n int) []crawl.Job {
	n = max(n, 1)
	jobs := make([]crawl.Job, n)
	for i := range jobs {
		jobs[i] = crawl.Job{Name: fmt.Sprintf("catalog-%d", i+1), Kind: upstream.KindCategory, PageSize: 50}
	}
	for i, q := range qs {
		jobs[i%n].Queries = append(jobs[i%n].Queries, q.Query)
	}
	return jobs
}

// Pipeline mirrors a catalog of Offers offers from an instant simulator with no quota and
// compares the end-to-end rate with bleve alone indexing the same documents in batches of
// 1,000, in the same run. With Resync it syncs the unchanged catalog twice more; with Reindex it
// rebuilds the index from the mirror.
func Pipeline(ctx context.Context, open Opener, o PipelineOptions) (*Report, error) {
	s := StartSim(sim.Options{Offers: o.Offers, Seed: 7, LatencyJitter: -1})
	defer s.Close()
	plan, err := Plan(s.Server)
	if err != nil {
		return nil, err
	}
	qs, total := Take(plan, 0)
	r := &Report{Title: fmt.Sprintf("pipeline: %d offers, %d queries, %d pages, instant upstream, no quota", total, len(qs), Pages(qs, 50))}

	var bare BareResult
	if !o.SkipBare {
		var err error
		if bare, err = BareIndex(ctx, s, qs, o.Dir, 1000); err != nil {
			return nil, err
		}
		r.add("bare bleve, batches of 1000", fmt.Sprintf("%.0f offers/s", bare.Rate()), "", nil,
			fmt.Sprintf("%d docs in %s, %.0f MB", bare.Docs, bare.Elapsed.Round(time.Millisecond), bare.DiskMB))
	}

	dir := o.Keep
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp(o.Dir, "pipeline-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	sys, err := open(ctx, SystemConfig{StateDir: dir, BaseURL: s.URL})
	if err != nil {
		return nil, err
	}
	defer sys.Close()
	jobs := Jobs(qs, o.Jobs)
	start := time.Now()
	if err := sys.Backfill(ctx, jobs, true); err != nil {
		return nil, err
	}
	first := time.Since(start)
	rate := float64(total) / first.Seconds()
	note := fmt.Sprintf("%d offers in %s, %d jobs, %d docs indexed", total, first.Round(time.Millisecond), len(jobs), sys.IndexedDocs())
	if o.SkipBare {
		r.add("syncd mirror", fmt.Sprintf("%.0f offers/s", rate), "", nil, note)
	} else {
		r.add("syncd mirror (fetch→normalise→hash→bbolt→bleve)", fmt.Sprintf("%.0f offers/s (%s of bare)", rate, pct(rate/bare.Rate())),
			"≥ 80% of bare bleve", ref(rate >= 0.8*bare.Rate()), note)
	}

	if o.Resync {
		// Two re-syncs: the first leaves its sightings in the log (the first sync wrote every
		// row), the second also folds the first's log when it finishes, as every later run
		// does. The slower one is the figure.
		before := sys.IndexedDocs()
		var again [2]time.Duration
		for i := range again {
			start := time.Now()
			if err := sys.Backfill(ctx, jobs, true); err != nil {
				return nil, err
			}
			again[i] = time.Since(start)
		}
		written := sys.IndexedDocs() - before
		slow := max(again[0], again[1])
		r.add("re-sync of unchanged catalog: docs written", fmt.Sprint(written), "0", ref(written == 0), "two re-syncs")
		r.add("re-sync speed-up over first sync", fmt.Sprintf("%.1f× (%s, %.0f offers/s)", first.Seconds()/slow.Seconds(), slow.Round(time.Millisecond), float64(total)/slow.Seconds()),
			"≥ 10×", ref(first >= 10*slow), fmt.Sprintf("slower of two re-syncs: %s and %s", again[0].Round(time.Millisecond), again[1].Round(time.Millisecond)))
	}

	if o.Reindex {
		served := s.Stats().Requests
		reqs := 0
		for _, n := range served {
			reqs += n
		}
		start := time.Now()
		n, err := sys.Reindex(ctx)
		if err != nil {
			return nil, err
		}
		took := time.Since(start)
		after := s.Stats().Total()
		rate := float64(n) / took.Seconds()
		if o.SkipBare {
			r.add("reindex from the mirror", fmt.Sprintf("%.0f offers/s", rate), "", nil, fmt.Sprintf("%d offers in %s", n, took.Round(time.Millisecond)))
		} else {
			r.add("reindex from the mirror", fmt.Sprintf("%.0f offers/s (%s of bare)", rate, pct(rate/bare.Rate())), "≥ 80% of bare bleve",
				ref(rate >= 0.8*bare.Rate()), fmt.Sprintf("%d offers in %s", n, took.Round(time.Millisecond)))
		}
		r.add("reindex upstream calls", fmt.Sprint(after-reqs), "0", ref(after == reqs), "")
	}
	return r, nil
}
