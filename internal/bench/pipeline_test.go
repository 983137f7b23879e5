package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// fakeSystem stands in for syncd in Pipeline: it records what it is asked and reports
// documents written as configured, without mirroring anything.
type fakeSystem struct {
	cfg        SystemConfig
	offers     int64 // documents the first backfill writes
	resyncDocs int64 // documents each later backfill writes
	// leaky makes Reindex fetch a page upstream, which a reindex must never do.
	leaky bool

	mu        sync.Mutex
	backfills [][]crawl.Job
	fresh     []bool
	indexed   int64
	closed    int
}

func (f *fakeSystem) Backfill(_ context.Context, jobs []crawl.Job, fresh bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.backfills) == 0 {
		f.indexed += f.offers
	} else {
		f.indexed += f.resyncDocs
	}
	f.backfills = append(f.backfills, jobs)
	f.fresh = append(f.fresh, fresh)
	return nil
}

func (f *fakeSystem) Reindex(ctx context.Context) (int, error) {
	if f.leaky {
		c, err := upstream.New(upstream.Options{BaseURL: f.cfg.BaseURL, AccessKey: "sim-access-key", SecretKey: "sim-secret-key", UserID: "bench", QPS: -1})
		if err != nil {
			return 0, err
		}
		defer c.Close()
		if _, err := c.FetchPage(ctx, upstream.PageRequest{Query: f.backfills[0][0].Queries[0], Page: 1, PageSize: 50}); err != nil {
			return 0, err
		}
	}
	return int(f.offers), nil
}

func (f *fakeSystem) Search(context.Context, index.Query) (*index.Result, error) {
	return nil, errors.New("not in this test")
}
func (f *fakeSystem) IndexedDocs() int64 { f.mu.Lock(); defer f.mu.Unlock(); return f.indexed }
func (f *fakeSystem) DropCaches()        {}
func (f *fakeSystem) Close() error       { f.closed++; return nil }

// TestPipeline runs Pipeline against a fake System: what it asks of syncd (the plan's
// queries dealt to jobs, fresh backfills, the simulator as upstream), what it reports from
// the counts (documents re-written, upstream calls by reindex) and what it leaves behind.
// Rates and the targets held against them are measurements and not checked.
func TestPipeline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		o             PipelineOptions
		keep          bool
		resyncDocs    int64
		leaky         bool
		wantFigures   []string
		wantWritten   string // "" when not measured
		wantUpstream  string
		wantMet       string // of both
		wantMirrorTgt string
	}{
		{
			name: "clean", o: PipelineOptions{Offers: 3000, Jobs: 2, Resync: true, Reindex: true, SkipBare: true},
			wantFigures: []string{"syncd mirror", "re-sync of unchanged catalog: docs written", "re-sync speed-up over first sync",
				"reindex from the mirror", "reindex upstream calls"},
			wantWritten: "0", wantUpstream: "0", wantMet: "yes",
		},
		{
			name: "re-sync rewrites, reindex calls upstream", o: PipelineOptions{Offers: 3000, Jobs: 3, Resync: true, Reindex: true, SkipBare: true},
			resyncDocs: 5, leaky: true,
			wantFigures: []string{"syncd mirror", "re-sync of unchanged catalog: docs written", "re-sync speed-up over first sync",
				"reindex from the mirror", "reindex upstream calls"},
			wantWritten: "10", wantUpstream: "1", wantMet: "no",
		},
		{
			name: "beside bare bleve, kept", o: PipelineOptions{Offers: 500}, keep: true,
			wantFigures:   []string{"bare bleve, batches of 1000", "syncd mirror (fetch→normalise→hash→bbolt→bleve)"},
			wantMirrorTgt: "≥ 80% of bare bleve",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := tc.o
			o.Dir = filepath.Join(dir, "scratch")
			if err := os.Mkdir(o.Dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.keep {
				o.Keep = filepath.Join(dir, "kept")
			}
			var sys *fakeSystem
			open := func(_ context.Context, c SystemConfig) (System, error) {
				if sys != nil {
					return nil, errors.New("opened twice")
				}
				// Like syncd, keep state in the directory, creating it if needed.
				if err := os.MkdirAll(c.StateDir, 0o755); err != nil {
					return nil, err
				}
				if err := os.WriteFile(filepath.Join(c.StateDir, "mirror.db"), nil, 0o600); err != nil {
					return nil, err
				}
				sys = &fakeSystem{cfg: c, offers: int64(o.Offers), resyncDocs: tc.resyncDocs, leaky: tc.leaky}
				return sys, nil
			}
			r, err := Pipeline(t.Context(), open, o)
			if err != nil {
				t.Fatal(err)
			}
			plan := mustPlan(t, sim.New(sim.Options{Offers: o.Offers, Seed: 7}))
			if want := fmt.Sprintf("pipeline: %d offers, %d queries, %d pages,", o.Offers, len(plan), Pages(plan, 50)); !strings.HasPrefix(r.Title, want) {
				t.Errorf("title %q, want it to start %q", r.Title, want)
			}

			// What Pipeline asked of syncd.
			if !strings.HasPrefix(sys.cfg.BaseURL, "http://127.0.0.1:") || sys.cfg.NoUpstream || sys.cfg.QPS != 0 {
				t.Errorf("opened with %+v; want the loopback simulator and no quota", sys.cfg)
			}
			wantState := o.Keep
			if wantState == "" {
				if filepath.Dir(sys.cfg.StateDir) != o.Dir || !strings.HasPrefix(filepath.Base(sys.cfg.StateDir), "pipeline-") {
					t.Errorf("state directory %s, want a new one in %s", sys.cfg.StateDir, o.Dir)
				}
			} else if sys.cfg.StateDir != wantState {
				t.Errorf("state directory %s, want --keep's %s", sys.cfg.StateDir, wantState)
			}
			wantBackfills := 1
			if o.Resync {
				wantBackfills = 3
			}
			jobs := Jobs(plan, o.Jobs)
			if len(sys.backfills) != wantBackfills {
				t.Fatalf("%d backfills, want %d", len(sys.backfills), wantBackfills)
			}
			for i, got := range sys.backfills {
				if !sys.fresh[i] || !slices.EqualFunc(got, jobs, func(a, b crawl.Job) bool {
					return a.Name == b.Name && a.Kind == b.Kind && a.PageSize == b.PageSize && slices.Equal(a.Queries, b.Queries)
				}) {
					t.Errorf("backfill %d: fresh %v, %d jobs; want fresh, the plan dealt to %d jobs", i, sys.fresh[i], len(got), len(jobs))
				}
			}
			if sys.closed != 1 {
				t.Errorf("System closed %d times, want once", sys.closed)
			}

			// What it reported.
			var names []string
			fig := map[string]Figure{}
			for _, f := range r.Figures {
				names = append(names, f.Name)
				fig[f.Name] = f
			}
			if !slices.Equal(names, tc.wantFigures) {
				t.Fatalf("figures %q, want %q", names, tc.wantFigures)
			}
			var mirror Figure
			for _, f := range r.Figures {
				if strings.HasPrefix(f.Name, "syncd mirror") {
					mirror = f
				}
			}
			if want := fmt.Sprintf("%d offers in ", o.Offers); !strings.HasPrefix(mirror.Note, want) ||
				!strings.HasSuffix(mirror.Note, fmt.Sprintf(", %d jobs, %d docs indexed", len(jobs), o.Offers)) {
				t.Errorf("mirror note %q", mirror.Note)
			}
			if mirror.Target != tc.wantMirrorTgt {
				t.Errorf("mirror target %q, want %q", mirror.Target, tc.wantMirrorTgt)
			}
			if f, ok := fig["bare bleve, batches of 1000"]; ok && !strings.HasPrefix(f.Note, fmt.Sprintf("%d docs in ", o.Offers)) {
				t.Errorf("bare bleve note %q, want %d docs", f.Note, o.Offers)
			}
			if tc.wantWritten != "" {
				if f := fig["re-sync of unchanged catalog: docs written"]; f.Value != tc.wantWritten || f.Met != tc.wantMet {
					t.Errorf("docs written by re-syncs: %q, met %q; want %q, %q", f.Value, f.Met, tc.wantWritten, tc.wantMet)
				}
				if f := fig["reindex upstream calls"]; f.Value != tc.wantUpstream || f.Met != tc.wantMet {
					t.Errorf("reindex upstream calls: %q, met %q; want %q, %q", f.Value, f.Met, tc.wantUpstream, tc.wantMet)
				}
				if f := fig["reindex from the mirror"]; !strings.HasPrefix(f.Note, fmt.Sprintf("%d offers in ", o.Offers)) {
					t.Errorf("reindex note %q", f.Note)
				}
			}

			// What it left behind: the kept mirror, and nothing in the scratch directory.
			if left, _ := os.ReadDir(o.Dir); len(left) != 0 {
				t.Errorf("scratch directory holds %v afterwards", left)
			}
			if o.Keep != "" {
				if _, err := os.Stat(filepath.Join(o.Keep, "mirror.db")); err != nil {
					t.Errorf("kept state directory: %v", err)
				}
			}
		})
	}
}

func TestBareIndex(t *testing.T) {
	t.Parallel()
	s := StartSim(sim.Options{Offers: 2000, Seed: 7, LatencyJitter: -1})
	defer s.Close()
	qs, total := Take(mustPlan(t, s.Server), 300)
	if total < 300 || len(qs) < 2 {
		t.Fatalf("took %d queries, %d offers; want a few hundred offers over several queries", len(qs), total)
	}
	dir := t.TempDir()
	res, err := BareIndex(t.Context(), s, qs, dir, 100)
	if err != nil {
		t.Fatal(err)
	}
	if res.Docs != total || res.DiskMB <= 0 || res.Elapsed <= 0 {
		t.Errorf("BareIndex = %+v, want %d docs, some disk, some time", res, total)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("BareIndex left %v", left)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if res, err := BareIndex(ctx, s, qs, dir, 100); !errors.Is(err, context.Canceled) || res.Docs != 0 {
		t.Errorf("BareIndex with a cancelled context = %+v, %v; want no docs and context.Canceled", res, err)
	}
}

func TestForEachOffer(t *testing.T) {
	s := StartSim(sim.Options{Offers: 2000, Seed: 7, LatencyJitter: -1})
	defer s.Close()
	qs, _ := Take(mustPlan(t, s.Server), 0)
	qs = qs[len(qs)-3:] // the smallest queries
	var want, got []string
	for _, q := range qs {
		want = append(want, s.Matches(q.Query)...)
	}
	err := forEachOffer(t.Context(), s, qs, func(o upstream.Offer) error {
		got = append(got, o.OfferID)
		return nil
	})
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("forEachOffer gave %v, %v; want the queries' matches in order %v", got, err, want)
	}
	stop := errors.New("stop")
	n := 0
	err = forEachOffer(t.Context(), s, qs, func(upstream.Offer) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("forEachOffer after fn failed: %v after %d calls, want fn's error after 1", err, n)
	}
}

func TestDirMB(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a", 1<<20)
	write("store/b.zap", 512<<10)
	write("store/deep/c", 0)
	if got := dirMB(dir); got != 1.5 {
		t.Errorf("dirMB = %g, want 1.5 (every file below the directory)", got)
	}
	if got := dirMB(filepath.Join(dir, "missing")); got != 0 {
		t.Errorf("dirMB of a missing directory = %g, want 0", got)
	}
}

func TestBareResultRate(t *testing.T) {
	if got := (BareResult{Docs: 1000, Elapsed: 2 * time.Second}).Rate(); got != 500 {
		t.Errorf("Rate = %g, want 500 docs/s", got)
	}
}
