package crawl

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/upstream"
)

// Tests of the pipeline: the window filled across several queries, the first pages of
// several queries fetched at start, and what failures and interruptions do to the queries
// looked ahead.

// shortQueries returns a catalog of n queries q00, q01, … of perQuery pages each (one
// offer per page, every offer distinct) and the job over them.
func shortQueries(n, perQuery int) (catalog, Job) {
	cat := catalog{}
	var kws []string
	for i := range n {
		kw := fmt.Sprintf("q%02d", i)
		var ps [][]upstream.Offer
		for p := range perQuery {
			ps = append(ps, offers(fmt.Sprintf("%s-%d", kw, p+1)))
		}
		cat[kw] = pages(perQuery, ps...)
		kws = append(kws, kw)
	}
	return cat, keywordJob("j", kws...)
}

// everyPage lists pages 1..perQuery of queries 0..queries-1 in run order, as
// committedPages reports them.
func everyPage(queries, perQuery int) []string {
	var out []string
	for q := range queries {
		for p := 1; p <= perQuery; p++ {
			out = append(out, fmt.Sprintf("%d/%d", q, p))
		}
	}
	return out
}

// queryOf returns the index of the query of a shortQueries keyword.
func queryOf(kw string) int {
	var i int
	fmt.Sscanf(kw, "q%d", &i)
	return i
}

// pacer is a Fetcher that is also a Pacer with a settable pace.
type pacer struct {
	Fetcher
	pace upstream.Pace
}

func (p *pacer) Pace() upstream.Pace { return p.pace }

// At 1 s of latency and 50/s, 50–60 pages must be in flight; a job of short queries holds
// far fewer per query. The window must be filled from as many queries as it takes: with
// queries of 2 pages and a window of 8, requests of the queries after the next one are in
// flight while a query is landed.
func TestPipeline_ShortQueries_FillTheWindowAcrossQueries(t *testing.T) {
	const queries, perQuery, window = 24, 2, 8
	cat, job := shortQueries(queries, perQuery)
	var h *harness
	var steadyMax atomic.Int64 // requests in flight, seen by requests made after query 4 landed
	var mu sync.Mutex
	var early []string // requests of query k made while query k-2 was not yet landed
	h = newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		h.mu.Lock()
		landed := len(h.progress) / perQuery // queries fully committed
		h.mu.Unlock()
		if k := queryOf(req.Query.Keyword); landed < k-1 {
			mu.Lock()
			early = append(early, reqKey(req.Query.Keyword, req.Page))
			mu.Unlock()
		}
		if landed >= 4 {
			n := h.fetcher.inflight.Load()
			for m := steadyMax.Load(); n > m && !steadyMax.CompareAndSwap(m, n); m = steadyMax.Load() {
			}
		}
		select { // a fixed latency: long against the runner's work, short for the test
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return cat.serve(ctx, req)
	}, withWindow(window))

	run := h.mustRun(t, job, false)

	if run.Pages != queries*perQuery || run.New != queries*perQuery {
		t.Fatalf("run = %+v, want %d pages, all new", run.Stats, queries*perQuery)
	}
	if got := steadyMax.Load(); got < window {
		t.Errorf("at most %d requests in flight once the run was under way, want the window (%d): "+
			"the run does not fetch ahead beyond the next query", got, window)
	}
	// The window, plus the page the runner takes next, plus at most a window of first pages.
	if got := h.fetcher.maxInflight.Load(); got > 2*window+1 {
		t.Errorf("%d requests in flight at once, want at most %d", got, 2*window+1)
	}
	mu.Lock()
	n := len(early)
	mu.Unlock()
	if n == 0 {
		t.Error("no page of query N+2 was requested before query N was landed")
	}
	for k, c := range h.fetcher.counts() {
		var kw string
		var p int
		if parseReqKey(k, &kw, &p); c != 1 || p > perQuery {
			t.Errorf("%s requested %d times; want each page once, none past page %d", k, c, perQuery)
		}
	}
	if got, want := h.committedPages(), everyPage(queries, perQuery); !slices.Equal(got, want) {
		t.Errorf("pages committed in the order %v, want %v", got, want)
	}
}

// Before the first answer, nothing tells how far a query goes, so only first pages can be
// requested: a run asks for those of several queries at once rather than page 1 alone,
// which would leave the rate limit idle for a round trip.
func TestPipeline_Start_FirstPagesOfSeveralQueries(t *testing.T) {
	const window = 4
	cat, job := shortQueries(10, 3)
	var h *harness
	var before atomic.Int64 // first pages requested when page 1 of query 0 was answered
	h = newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if req.Query.Keyword == "q00" && req.Page == 1 {
			firstPages := func() int {
				n := 0
				for k := range h.fetcher.counts() {
					if strings.HasSuffix(k, "/1") {
						n++
					}
				}
				return n
			}
			deadline := time.Now().Add(2 * time.Second)
			for firstPages() <= window && time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			before.Store(int64(firstPages()))
		}
		return cat.serve(ctx, req)
	}, withWindow(window))

	h.mustRun(t, job, false)

	// Nothing tells yet how long a query is: query 0's first page, and the first pages of a
	// window of queries looked ahead.
	if got := before.Load(); got != window+1 {
		t.Errorf("%d first pages requested before the first answer, want %d", got, window+1)
	}
	for k, c := range h.fetcher.counts() {
		if c != 1 {
			t.Errorf("%s requested %d times, want once", k, c)
		}
	}
}

// With a Pacer, the window follows Little's law once a latency is known; before the first
// answer it is the most the in-flight cap allows, not DefaultWindow.
func TestWindowSize_FromPace(t *testing.T) {
	p := &pacer{Fetcher: newFakeFetcher(nil)}
	r := NewRunner(Options{Store: openStore(t), Index: newFakeIndex(), Fetcher: p})
	for _, c := range []struct {
		pace upstream.Pace
		want int
	}{
		{upstream.Pace{QPS: 10, InFlight: 20}, 20},                       // nothing measured yet
		{upstream.Pace{QPS: 50, InFlight: 100}, MaxAutoWindow},           // nothing measured yet
		{upstream.Pace{QPS: 10, InFlight: 20, Latency: time.Second}, 17}, // 1.5 × 10 × 1 s + 2
		{upstream.Pace{QPS: 10, InFlight: 20, Latency: 100 * time.Millisecond}, DefaultWindow},
		{upstream.Pace{QPS: 50, InFlight: 100, Latency: time.Second}, MaxAutoWindow},
	} {
		p.pace = c.pace
		if got := r.windowSize(); got != c.want {
			t.Errorf("pace %+v: window %d, want %d", c.pace, got, c.want)
		}
	}
}

// Pages of the queries past the end of each query are never requested, whatever the
// lookahead: totalPage, an empty first page, one-page queries, an empty page before
// totalPage (only pages fetched on page 1's word are discarded, and reported), no total
// at all (one page at a time) and max_pages.
func TestPipeline_NeverPastAQuerysEnd(t *testing.T) {
	seq := func(prefix string, n int) [][]upstream.Offer {
		var out [][]upstream.Offer
		for i := range n {
			out = append(out, offers(fmt.Sprintf("%s%d", prefix, i+1)))
		}
		return out
	}
	build := func() catalog {
		d := pages(6, seq("d", 6)...)
		d[2] = &upstream.Page{TotalPage: 6} // empty page 3 of 6
		return catalog{
			"a": pages(5, seq("a", 7)...), // upstream has 7 pages, totalPage says 5
			"b": pages(0, nil),            // empty first page
			"c": pages(1, seq("c", 3)...), // one page (of 3 upstream has)
			"d": d,
			"e": pages(0, seq("e", 3)...), // no total: 3 pages, then an empty one
			"f": pages(2, seq("f", 2)...),
			"g": pages(4, seq("g", 4)...),
		}
	}
	kws := []string{"a", "b", "c", "d", "e", "f", "g", "a2", "c2", "f2"}
	for _, tc := range []struct {
		name      string
		maxPages  int
		last      map[string]int // the last page that may be requested
		committed map[string]int
	}{
		{
			name:      "stop rules",
			last:      map[string]int{"a": 5, "b": 1, "c": 1, "d": 6, "e": 4, "f": 2, "g": 4},
			committed: map[string]int{"a": 5, "b": 1, "c": 1, "d": 3, "e": 4, "f": 2, "g": 4},
		},
		{
			name: "max_pages", maxPages: 2,
			last:      map[string]int{"a": 2, "b": 1, "c": 1, "d": 2, "e": 2, "f": 2, "g": 2},
			committed: map[string]int{"a": 2, "b": 1, "c": 1, "d": 2, "e": 2, "f": 2, "g": 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := build()
			cat["a2"], cat["c2"], cat["f2"] = cat["a"], cat["c"], cat["f"]
			h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
				time.Sleep(2 * time.Millisecond)
				return cat.serve(ctx, req)
			}, withWindow(8))
			job := keywordJob("j", kws...)
			job.MaxPages = tc.maxPages
			run := h.mustRun(t, job, false)

			base := func(kw string) string { return strings.TrimSuffix(kw, "2") }
			discardable := 0
			for k, n := range h.fetcher.counts() {
				var kw string
				var p int
				parseReqKey(k, &kw, &p)
				if n != 1 || p > tc.last[base(kw)] {
					t.Errorf("%s requested %d times; want at most once, none past page %d", k, n, tc.last[base(kw)])
				}
				if p > tc.committed[base(kw)] {
					discardable++
				}
			}
			var want []string
			pagesWant := 0
			for qi, kw := range kws {
				for p := 1; p <= tc.committed[base(kw)]; p++ {
					want = append(want, fmt.Sprintf("%d/%d", qi, p))
					pagesWant++
				}
			}
			if got := h.committedPages(); !slices.Equal(got, want) {
				t.Errorf("committed %v, want %v", got, want)
			}
			if run.Pages != pagesWant {
				t.Errorf("run committed %d pages, want %d", run.Pages, pagesWant)
			}
			h.mu.Lock()
			discards := h.discards
			h.mu.Unlock()
			if discards != discardable {
				t.Errorf("%d pages reported discarded, %d were requested past where their query ended", discards, discardable)
			}
		})
	}
}

// blockingCatalog serves first pages and the pages of query 0; every other page is held
// until its request is cancelled. It counts the requests held.
type blockingCatalog struct {
	cat     catalog
	blocked atomic.Int64
	queries sync.Map // keyword → true for queries with a request held
}

func (b *blockingCatalog) fetch(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
	if req.Page == 1 || req.Query.Keyword == "q00" {
		return b.cat.serve(ctx, req)
	}
	b.blocked.Add(1)
	b.queries.Store(req.Query.Keyword, true)
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b *blockingCatalog) heldQueries() int {
	n := 0
	b.queries.Range(func(any, any) bool { n++; return true })
	return n
}

// An interruption while several queries are fetched ahead: arrived pages of the query
// being landed are landed, every other request is cancelled and waited for, nothing is
// asked afterwards, the cursor stays at the first page not landed, and the next run
// resumes there, landing what an uninterrupted run lands.
func TestPipeline_Interrupt_WhileSeveralQueriesAhead(t *testing.T) {
	const window = 6
	cat, job := shortQueries(8, 3)
	baseline := newHarness(t, cat.serve, withWindow(window)).mustRun(t, job, false)

	before := runtime.NumGoroutine()
	bc := &blockingCatalog{cat: cat}
	var serve atomic.Pointer[func(context.Context, upstream.PageRequest) (*upstream.Page, error)]
	first := bc.fetch
	serve.Store(&first)
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		return (*serve.Load())(ctx, req)
	}, withWindow(window))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Interrupt once query 0 is landed and pages of at least 3 later queries are held.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if len(h.committedPages()) >= 4 && bc.heldQueries() >= 3 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()

	run, err := h.runner.Run(ctx, job, false)

	if !errors.Is(err, context.Canceled) || run.Status != checkpoint.RunInterrupted {
		t.Fatalf("run = %+v, err %v; want interrupted", run, err)
	}
	if n := bc.heldQueries(); n < 3 {
		t.Fatalf("pages of %d later queries were held at the interruption, want 3 or more: the test did not exercise the lookahead", n)
	}
	if n := h.fetcher.inflight.Load(); n != 0 {
		t.Errorf("%d requests still in the fetcher after Run returned", n)
	}
	total := h.fetcher.total()
	// Query 0 and page 1 of query 1 arrived and were landed; page 2 of query 1 never came.
	c := h.record(t, "j").Cursor
	if c == nil || c.Query != 1 || c.Page != 2 || c.Run.Pages != 4 || c.Run.Status != checkpoint.RunInterrupted {
		t.Fatalf("cursor = %+v, want query 1 page 2 after 4 pages, interrupted", c)
	}
	if got := h.committedPages(); !slices.Equal(got, []string{"0/1", "0/2", "0/3", "1/1"}) {
		t.Errorf("committed %v, want query 0 and page 1 of query 1", got)
	}
	for k := range h.fetcher.counts() {
		var kw string
		var p int
		if parseReqKey(k, &kw, &p); p > 3 {
			t.Errorf("%s requested: past its query's end", k)
		}
	}
	time.Sleep(20 * time.Millisecond)
	if h.fetcher.total() != total {
		t.Error("requests made after Run returned")
	}
	checkNoLeak(t, before)

	// The next run resumes at query 1 page 2: nothing landed is fetched again, and the
	// first pages abandoned with the later queries are fetched once more.
	firstRun := h.fetcher.counts()
	plain := cat.serve
	serve.Store(&plain)
	resumed := h.mustRun(t, job, false)
	if resumed.ID != run.ID || resumed.Stats != baseline.Stats {
		t.Errorf("resumed run %s %+v, want run %s with the stats of an uninterrupted run %+v", resumed.ID, resumed.Stats, run.ID, baseline.Stats)
	}
	all := h.fetcher.counts()
	for _, k := range []string{"q00/1", "q00/2", "q00/3", "q01/1"} {
		if all[k] != 1 {
			t.Errorf("%s requested %d times; it was landed by the interrupted run", k, all[k])
		}
	}
	for k, n := range all {
		if again := n - firstRun[k]; again > 1 {
			t.Errorf("%s requested %d times by the resumed run", k, again)
		}
	}
	if got, want := h.committedPages(), everyPage(8, 3); !slices.Equal(got, want) {
		t.Errorf("committed over both runs %v, want every page once, in order: %v", got, want)
	}
}

// A query fetched ahead whose page fails does not fail the run early: the queries before
// it land first, and the run fails at that page, in order, with the cursor there. Pages
// of the queries after it are abandoned, and the next run resumes at the failed page.
func TestPipeline_FailureAhead_SurfacesInOrder(t *testing.T) {
	const window = 4
	cat, job := shortQueries(6, 2)
	before := runtime.NumGoroutine()
	var failing, ahead atomic.Bool
	failing.Store(true)
	var h *harness
	h = newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		switch {
		case req.Query.Keyword == "q02" && req.Page == 2 && failing.Load():
			return nil, errBadSignature
		case req.Query.Keyword == "q00" && req.Page == 2:
			// Query 0 stays the one being landed until query 2's failing page was asked for.
			deadline := time.Now().Add(2 * time.Second)
			for h.fetcher.count("q02", 2) == 0 && time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			ahead.Store(h.fetcher.count("q02", 2) > 0)
		}
		return cat.serve(ctx, req)
	}, withWindow(window))

	run, err := h.runner.Run(context.Background(), job, false)

	if !errors.Is(err, errBadSignature) || run.Status != checkpoint.RunFailed {
		t.Fatalf("run = %+v, err %v; want failed with the fetch error", run, err)
	}
	if !ahead.Load() {
		t.Error("page 2 of query 2 was not requested while query 0 was landed: the test did not exercise the lookahead")
	}
	if !strings.Contains(err.Error(), "fetch page 2 of query 3/6") {
		t.Errorf("error %q does not name page 2 of query 3", err)
	}
	if got := h.committedPages(); !slices.Equal(got, []string{"0/1", "0/2", "1/1", "1/2", "2/1"}) {
		t.Errorf("committed %v, want queries 0 and 1 and page 1 of query 2", got)
	}
	c := h.record(t, "j").Cursor
	if c == nil || c.Query != 2 || c.Page != 2 || c.Run.Pages != 5 {
		t.Fatalf("cursor = %+v, want query 2 page 2 after 5 pages", c)
	}
	if n := h.fetcher.inflight.Load(); n != 0 {
		t.Errorf("%d requests still in the fetcher after Run returned", n)
	}
	checkNoLeak(t, before)

	failing.Store(false)
	firstRun := h.fetcher.counts()
	resumed := h.mustRun(t, job, false)
	if resumed.ID != run.ID || resumed.Pages != 12 || resumed.New != 12 {
		t.Errorf("resumed run %s %+v, want run %s, 12 pages all new", resumed.ID, resumed.Stats, run.ID)
	}
	for k, n := range h.fetcher.counts() {
		var kw string
		var p int
		parseReqKey(k, &kw, &p)
		if q := queryOf(kw); (q < 2 || q == 2 && p == 1) && n != firstRun[k] {
			t.Errorf("%s requested again on resume; it was landed", k)
		}
	}
}
