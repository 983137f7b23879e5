package crawl

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

// Failures, interruptions and what the next run makes of them.

var errIndexDown = errors.New("index is down")

func TestRunner_Run_UpsertFails_CursorStays_RerunResumes(t *testing.T) {
	var ps [][]upstream.Offer
	for i := range 4 {
		ps = append(ps, offers(seqIDs("u", 2*i, 2)...))
	}
	cat := catalog{"kw": pages(4, ps...)}
	baseline := newHarness(t, cat.serve).mustRun(t, keywordJob("j", "kw"), false)

	var failing atomic.Bool
	failing.Store(true)
	h := newHarness(t, cat.serve)
	h.index.upsert = func(_ context.Context, docs []index.Offer) error {
		if failing.Load() && docs[0].OfferID == "u-002" { // page 2
			return errIndexDown
		}
		return nil
	}
	job := keywordJob("j", "kw")

	run, err := h.runner.Run(context.Background(), job, false)
	if !errors.Is(err, errIndexDown) || !strings.Contains(err.Error(), "page 2 of query 1/1") || !strings.Contains(err.Error(), "job j") {
		t.Fatalf("err = %v, want index error naming page 2, query 1/1, job j", err)
	}
	if run.Status != checkpoint.RunFailed || run.Error == "" {
		t.Errorf("run = %+v, want failed with an error", run)
	}
	rec := h.record(t, "j")
	c := rec.Cursor
	if c == nil || c.Query != 0 || c.Page != 2 || c.Run.Status != checkpoint.RunFailed || c.Run.Pages != 1 || c.Run.ID != run.ID {
		t.Fatalf("cursor = %+v, want query 0 page 2 of the failed run, 1 page done", c)
	}
	if _, ok, _ := h.store.Offer("u-002"); ok {
		t.Error("page 2 rows were committed although the index refused them")
	}

	failing.Store(false)
	resumed := h.mustRun(t, job, false)
	if resumed.ID != run.ID {
		t.Errorf("rerun id %s, want the resumed run %s", resumed.ID, run.ID)
	}
	if resumed.Stats != baseline.Stats {
		t.Errorf("resumed stats %+v, want those of an uninterrupted run %+v", resumed.Stats, baseline.Stats)
	}
	if n := h.fetcher.count("kw", 1); n != 1 {
		t.Errorf("page 1 requested %d times; it was committed and must not be fetched again", n)
	}
	if n := h.fetcher.count("kw", 2); n != 2 {
		t.Errorf("page 2 requested %d times, want 2 (failed run, then resume)", n)
	}
}

// errBadSignature stands for an upstream error that retrying cannot fix.
var errBadSignature = errors.New("upstream code 401: bad signature")

func TestRunner_Run_FetchError_FailsAtOnce_CursorKept(t *testing.T) {
	cat := catalog{"kw": pages(6, offers("a"), offers("b"), offers("c"), offers("d"), offers("e"), offers("f"))}
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if req.Page == 3 {
			return nil, errBadSignature
		}
		return cat.serve(ctx, req)
	})

	run, err := h.runner.Run(context.Background(), keywordJob("j", "kw"), false)
	if !errors.Is(err, errBadSignature) {
		t.Fatalf("err = %v, want the fetch error", err)
	}
	for _, want := range []string{"fetch page 3 of query 1/1", `(keyword "kw")`, "job j"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err %q does not say %q", err, want)
		}
	}
	if n := h.fetcher.count("kw", 3); n != 1 {
		t.Errorf("page 3 requested %d times; the runner must not retry", n)
	}
	c := h.record(t, "j").Cursor
	if c == nil || c.Page != 3 || c.Run.Status != checkpoint.RunFailed || !strings.Contains(c.Run.Error, "bad signature") || run.Pages != 2 {
		t.Errorf("cursor = %+v, run = %+v; want page 3 kept, failed with the error, 2 pages done", c, run)
	}
}

func TestRunner_Run_Cancel_InterruptsAndResumeMatchesUninterrupted(t *testing.T) {
	mk := func(prefix string) []*upstream.Page {
		var ps [][]upstream.Offer
		for i := range 6 {
			ps = append(ps, offers(seqIDs(prefix, 3*i, 3)...))
		}
		return pages(6, ps...)
	}
	cat := catalog{"x": mk("x"), "y": mk("y")}
	job := keywordJob("j", "x", "y")
	baseline := newHarness(t, cat.serve).mustRun(t, job, false)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled, xDone atomic.Bool
	h := newHarness(t, func(c context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if req.Query.Keyword == "x" && req.Page == 6 {
			defer xDone.Store(true)
		}
		if !cancelled.Load() && req.Query.Keyword == "y" && req.Page == 3 {
			// The lookahead may ask for y's pages before x's last page has arrived; let it
			// arrive (arrived pages are landed) so that the run stops inside query 2.
			for deadline := time.Now().Add(3 * time.Second); !xDone.Load() && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(10 * time.Millisecond)
			cancelled.Store(true)
			cancel() // shutdown arrives while page 3 of the second query is in flight
			return nil, c.Err()
		}
		return cat.serve(c, req)
	})

	run, err := h.runner.Run(ctx, job, false)
	if !errors.Is(err, context.Canceled) || run.Status != checkpoint.RunInterrupted {
		t.Fatalf("run = %+v, err = %v; want interrupted with context.Canceled", run, err)
	}
	c := h.record(t, "j").Cursor
	if c == nil || c.Run.Status != checkpoint.RunInterrupted || c.Query != 1 || c.Page < 2 || c.Page > 3 {
		t.Fatalf("cursor = %+v, want the interrupted run at query 1, page 2 or 3", c)
	}
	stopped := *c
	before := h.fetcher.counts()

	resumed := h.mustRun(t, job, false)
	if resumed.ID != run.ID {
		t.Errorf("resumed run %s, want %s", resumed.ID, run.ID)
	}
	if resumed.Stats != baseline.Stats {
		t.Errorf("resumed stats %+v, want those of an uninterrupted run %+v", resumed.Stats, baseline.Stats)
	}
	after := h.fetcher.counts()
	for p := 1; p <= 6; p++ {
		if after[reqKey("x", p)] != 1 {
			t.Errorf("x page %d requested %d times; the first query was done", p, after[reqKey("x", p)])
		}
	}
	for p := 1; p < stopped.Page; p++ {
		if after[reqKey("y", p)] != before[reqKey("y", p)] {
			t.Errorf("y page %d was committed before the interruption but fetched again", p)
		}
	}
	if n := h.index.count(); n != 36 {
		t.Errorf("index holds %d documents, want 36", n)
	}
}

func TestRunner_Run_Fresh_StartsOver(t *testing.T) {
	cat := catalog{"kw": pages(3, offers("a", "b"), offers("c"), offers("d"))}
	h := newHarness(t, cat.serve)
	var failing atomic.Bool
	failing.Store(true)
	h.index.upsert = func(_ context.Context, docs []index.Offer) error {
		if failing.Load() && docs[0].OfferID == "c" {
			return errIndexDown
		}
		return nil
	}
	job := keywordJob("j", "kw")
	failed, err := h.runner.Run(context.Background(), job, false)
	if err == nil {
		t.Fatal("first run did not fail")
	}
	failing.Store(false)

	run := h.mustRun(t, job, true)

	if run.ID == failed.ID {
		t.Error("fresh run resumed the old run")
	}
	if want := (checkpoint.Stats{Pages: 3, Offers: 4, New: 2, Unchanged: 2}); run.Stats != want {
		t.Errorf("stats = %+v, want %+v (a and b were committed by the failed run)", run.Stats, want)
	}
	if n := h.fetcher.count("kw", 1); n != 2 {
		t.Errorf("page 1 requested %d times, want 2", n)
	}
	hist, err := h.store.History("j", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].ID != run.ID || hist[1].ID != failed.ID || hist[1].Status != checkpoint.RunFailed ||
		!strings.HasPrefix(hist[1].Error, "abandoned") || hist[1].Pages != 1 {
		t.Errorf("history = %+v, want the fresh run after the abandoned failed one", hist)
	}
}

// A run stopped at query y's first page, before any page of y landed: y is replaced by z.
// What the run did (x) still holds, so it goes on with z instead of spending x's quota
// again.
func TestRunner_Run_QueryNotStartedChanged_Resumes(t *testing.T) {
	cat := catalog{
		"x": pages(1, offers("x1")),
		"y": pages(1, offers("y1")),
		"z": pages(1, offers("z1")),
	}
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if req.Query.Keyword == "y" {
			return nil, errBadSignature
		}
		return cat.serve(ctx, req)
	})
	old, err := h.runner.Run(context.Background(), keywordJob("j", "x", "y"), false)
	if err == nil {
		t.Fatal("first run did not fail")
	}
	if c := h.record(t, "j").Cursor; c == nil || c.Query != 1 {
		t.Fatalf("cursor = %+v, want query 1", c)
	}

	run := h.mustRun(t, keywordJob("j", "x", "z"), false)

	if run.ID != old.ID {
		t.Error("the run started over although the queries it had done are unchanged")
	}
	if n := h.fetcher.count("x", 1); n != 1 {
		t.Errorf("x page 1 requested %d times, want 1: it was done", n)
	}
	if run.Stats != (checkpoint.Stats{Pages: 2, Offers: 2, New: 2}) {
		t.Errorf("stats = %+v", run.Stats)
	}
}

// stoppedAtY2 runs job over cat until its run fails at page 2 of query "y" (the second
// query), one page at a time, and returns the harness, now serving cat as it is, and the
// failed run.
func stoppedAtY2(t *testing.T, cat catalog, job Job) (*harness, checkpoint.Run) {
	t.Helper()
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if req.Query.Keyword == "y" && req.Page == 2 {
			return nil, errBadSignature
		}
		return cat.serve(ctx, req)
	}, func(o *Options) { o.Window = 1 })
	run, err := h.runner.Run(context.Background(), job, false)
	if err == nil {
		t.Fatal("first run did not fail")
	}
	if c := h.record(t, "j").Cursor; c == nil || c.Query != 1 || c.Page != 2 {
		t.Fatalf("cursor = %+v, want query 1 page 2", c)
	}
	h.fetcher.fetch = cat.serve
	return h, run
}

// A change to a query the run has done, or to the one it is in the middle of, starts the
// run over: its cursor would page the wrong query.
func TestRunner_Run_ChangedQueries_StartsOver(t *testing.T) {
	mk := func(prefix string) []*upstream.Page {
		return pages(3, offers(prefix+"1"), offers(prefix+"2"), offers(prefix+"3"))
	}
	cat := catalog{"x": mk("x"), "y": mk("y"), "w": mk("w"), "v": mk("v")}
	for name, next := range map[string]Job{
		"a done query changed":          keywordJob("j", "w", "y"),
		"the current query changed":     keywordJob("j", "x", "v"),
		"a query inserted before it":    keywordJob("j", "w", "x", "y"),
		"the page size changed":         func() Job { j := keywordJob("j", "x", "y"); j.PageSize = 7; return j }(),
		"the done queries were swapped": keywordJob("j", "y", "x"),
	} {
		t.Run(name, func(t *testing.T) {
			h, old := stoppedAtY2(t, cat, keywordJob("j", "x", "y"))
			run := h.mustRun(t, next, false)
			if run.ID == old.ID {
				t.Error("the old run was resumed")
			}
			if want := 3 * len(next.Queries); run.Stats.Pages != want {
				t.Errorf("pages = %d, want all %d of the new list", run.Stats.Pages, want)
			}
		})
	}
}

// Queries appended to a job, or removed after the one the run is in, keep the run going.
func TestRunner_Run_QueriesAppendedOrDroppedAfter_Resumes(t *testing.T) {
	mk := func(prefix string) []*upstream.Page {
		return pages(2, offers(prefix+"1"), offers(prefix+"2"))
	}
	cat := catalog{"x": mk("x"), "y": mk("y"), "z": mk("z"), "u": mk("u")}
	for name, tt := range map[string]struct {
		next  Job
		pages int // pages the resumed run has done in all
	}{
		"appended": {keywordJob("j", "x", "y", "z", "u", "z"), 10},
		"dropped":  {keywordJob("j", "x", "y"), 4},
		"replaced": {keywordJob("j", "x", "y", "u"), 6},
	} {
		t.Run(name, func(t *testing.T) {
			h, old := stoppedAtY2(t, cat, keywordJob("j", "x", "y", "z"))
			run := h.mustRun(t, tt.next, false)
			if run.ID != old.ID {
				t.Error("the run started over")
			}
			if run.Stats.Pages != tt.pages {
				t.Errorf("pages = %d, want %d", run.Stats.Pages, tt.pages)
			}
			if n := h.fetcher.count("x", 1) + h.fetcher.count("y", 1); n != 2 {
				t.Errorf("x and y page 1 requested %d times, want once each", n)
			}
		})
	}
}

func TestRunner_Run_ResumesAtQuery(t *testing.T) {
	cat := catalog{"x": pages(2, offers("x1"), offers("x2")), "y": pages(1, offers("y1"))}
	var failY atomic.Bool
	failY.Store(true)
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if failY.Load() && req.Query.Keyword == "y" {
			return nil, errBadSignature
		}
		return cat.serve(ctx, req)
	})
	job := keywordJob("j", "x", "y")
	if _, err := h.runner.Run(context.Background(), job, false); err == nil {
		t.Fatal("first run did not fail")
	}
	failY.Store(false)
	run := h.mustRun(t, job, false)
	if h.fetcher.count("x", 1) != 1 || h.fetcher.count("x", 2) != 1 || h.fetcher.count("y", 1) != 2 {
		t.Errorf("requests = %v; only the failed page may be fetched again", h.fetcher.counts())
	}
	if run.Stats != (checkpoint.Stats{Pages: 3, Offers: 3, New: 3}) {
		t.Errorf("stats = %+v", run.Stats)
	}
}

func TestRunner_Run_AlreadyRunning(t *testing.T) {
	release := make(chan struct{})
	cat := catalog{"kw": pages(1, offers("a"))}
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		<-release
		return cat.serve(ctx, req)
	})
	job := keywordJob("j", "kw")
	done := make(chan error, 1)
	go func() {
		_, err := h.runner.Run(context.Background(), job, false)
		done <- err
	}()
	waitFor(t, func() bool { return h.fetcher.inflight.Load() == 1 })

	if !h.runner.Running("j") || h.runner.Running("other") {
		t.Error("Running does not report the run in progress")
	}
	if _, err := h.runner.Run(context.Background(), job, false); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: err = %v, want ErrRunning", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h.runner.Running("j") {
		t.Error("still running after Run returned")
	}
	if h.fetcher.total() != 1 {
		t.Errorf("%d requests, want 1: the refused run must not fetch", h.fetcher.total())
	}
}

func TestRunner_Run_CancelDuringApply_CommitsThePage(t *testing.T) {
	cat := catalog{"kw": pages(3, offers("a"), offers("b"), offers("c"))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Page 3 is still in flight when shutdown begins: it answers only once cancelled. (A
	// page 3 that had already arrived would be applied too, its quota being spent.)
	h := newHarness(t, func(c context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if req.Page == 3 {
			<-c.Done()
			return nil, c.Err()
		}
		return cat.serve(c, req)
	}, func(o *Options) { o.Window = 1 })
	var applyCtxErr error
	h.index.upsert = func(c context.Context, docs []index.Offer) error {
		if docs[0].OfferID == "b" {
			cancel() // shutdown while page 2 is being indexed
			applyCtxErr = c.Err()
		}
		return nil
	}

	run, err := h.runner.Run(ctx, keywordJob("j", "kw"), false)

	if !errors.Is(err, context.Canceled) || run.Status != checkpoint.RunInterrupted {
		t.Fatalf("run = %+v, err = %v; want interrupted", run, err)
	}
	if applyCtxErr != nil {
		t.Errorf("the index saw a cancelled context (%v); a fetched page must be applied", applyCtxErr)
	}
	c := h.record(t, "j").Cursor
	if c == nil || c.Page != 3 || c.Run.Pages != 2 {
		t.Errorf("cursor = %+v, want page 2 committed and page 3 next", c)
	}
	if _, ok, _ := h.store.Offer("b"); !ok {
		t.Error("page 2 rows were not committed")
	}
}
