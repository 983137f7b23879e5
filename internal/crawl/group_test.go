package crawl

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

// Tests of group commit (arrived pages land together), the fetch-ahead window and the
// lookahead into the next query, against the rules of DESIGN §3 and §4.

// holdFirstUpsert makes the first index upsert wait until cond holds (and a little longer,
// so that results already returned by the fetcher reach the prefetcher): pages fetched
// meanwhile have arrived when the runner next takes one, and land as one group.
func holdFirstUpsert(t *testing.T, h *harness, cond func() bool) {
	t.Helper()
	var first atomic.Bool
	h.index.upsert = func(ctx context.Context, docs []index.Offer) error {
		if first.CompareAndSwap(false, true) {
			deadline := time.Now().Add(5 * time.Second)
			for !cond() && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}
}

// served counts the fetches that have returned, per request key.
type served struct {
	mu sync.Mutex
	n  map[string]int
}

func (s *served) wrap(fetch func(context.Context, upstream.PageRequest) (*upstream.Page, error)) func(context.Context, upstream.PageRequest) (*upstream.Page, error) {
	s.n = make(map[string]int)
	return func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		pg, err := fetch(ctx, req)
		s.mu.Lock()
		s.n[reqKey(req.Query.Keyword, req.Page)]++
		s.mu.Unlock()
		return pg, err
	}
}

func (s *served) has(keys ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if s.n[k] == 0 {
			return false
		}
	}
	return true
}

// withWindow sets Options.Window.
func withWindow(w int) func(*Options) { return func(o *Options) { o.Window = w } }

// upsertSizes returns how many documents each applied upsert carried.
func upsertSizes(f *fakeIndex) []int {
	var out []int
	for _, c := range f.upserts() {
		out = append(out, len(c))
	}
	return out
}

// checkNoLeak fails when goroutines started during the test outlive it.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after the run, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestGroupCommit_RepeatedOffers_CountedOnceLatestVersionWins(t *testing.T) {
	x2 := offer("x", 50)
	cat := catalog{"kw": pages(3,
		offers("a", "b"),
		append(offers("c", "a", "x"), offers("c")...),        // a: seen on committed page 1; c twice on the page
		[]upstream.Offer{offers("d")[0], offers("c")[0], x2}, // c, x: seen on page 2 of the same group; x changed
	)}
	var sv served
	h := newHarness(t, sv.wrap(cat.serve), withWindow(4))
	holdFirstUpsert(t, h, func() bool { return sv.has("kw/2", "kw/3") })

	run := h.mustRun(t, keywordJob("j", "kw"), false)

	if got := upsertSizes(h.index); !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("upserts carried %v documents, want [2 3] (page 1, then pages 2–3 as one group)", got)
	}
	// Distinct offers a b c x d; every one new; repeats not counted again.
	if run.Pages != 3 || run.Offers != 5 || run.New != 5 || run.Changed != 0 || run.Unchanged != 0 {
		t.Errorf("run = %+v, want 3 pages, 5 offers, all new", run.Stats)
	}
	h.mu.Lock()
	st := slices.Clone(h.pageSt)
	prog := slices.Clone(h.progress)
	h.mu.Unlock()
	type counts struct{ page, offers, new, repeated int }
	var got []counts
	indexed := 0
	for _, s := range st {
		got = append(got, counts{s.Page, s.Offers, s.New, s.Repeated})
		indexed += s.Indexed
	}
	want := []counts{{1, 2, 2, 0}, {2, 3, 2, 1}, {3, 3, 1, 2}}
	if !slices.Equal(got, want) {
		t.Errorf("page stats (page, offers, new, repeated) = %v, want %v", got, want)
	}
	if indexed != 5 {
		t.Errorf("pages say %d documents indexed, the index received 5", indexed)
	}
	// Progress: one report per page, in order, with the run's totals as of that page.
	var pp []string
	var totals []int
	for _, p := range prog {
		pp = append(pp, strings.Join([]string{string(rune('0' + p.Query)), string(rune('0' + p.Page))}, "/"))
		totals = append(totals, p.Stats.Offers)
		if p.Pages != 3 || p.RunID != run.ID || p.Stats.Pages != p.Page {
			t.Errorf("progress %+v: want Pages 3, run %s, Stats.Pages = Page", p, run.ID)
		}
	}
	if !slices.Equal(pp, []string{"0/1", "0/2", "0/3"}) || !slices.Equal(totals, []int{2, 4, 5}) {
		t.Errorf("progress pages %v offers %v, want [0/1 0/2 0/3] [2 4 5]", pp, totals)
	}
	// The later sighting's content wins in both index and mirror.
	if d, _ := h.index.doc("x"); d.Price != 50 {
		t.Errorf("indexed x has price %v, want 50 (page 3's version)", d.Price)
	}
	if r := h.row(t, "x"); r.Hash != contentHash(x2) || r.Doc.Price != 50 || !slices.Equal(r.Doc.Sources, []string{"j"}) {
		t.Errorf("row x = hash %x price %v sources %v, want page 3's version, sources [j]", r.Hash, r.Doc.Price, r.Doc.Sources)
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		r := h.row(t, id)
		if r.Hash != contentHash(offers(id)[0]) || !slices.Equal(r.Doc.Sources, []string{"j"}) || r.SeenBy["j"] != run.ID {
			t.Errorf("row %s = %+v, want its hash, sources [j], seen by run %s", id, r, run.ID)
		}
	}
	if n, err := h.store.CountOffers(); err != nil || n != 5 {
		t.Errorf("store counts %d offers (err %v), want 5", n, err)
	}
}

func TestGroupCommit_FailureCommitsNothingOfTheGroup(t *testing.T) {
	huge := offer(strings.Repeat("z", 40_000), 1) // over bbolt's key limit: the commit fails
	for _, tc := range []struct {
		name   string
		page4  []upstream.Offer
		upsert error
	}{
		{name: "upsert fails", page4: offers("p4"), upsert: errors.New("index down")},
		{name: "commit fails", page4: append(offers("p4"), huge)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := catalog{"kw": pages(5, offers("p1"), offers("p2"), offers("p3"), tc.page4, offers("p5"))}
			var sv served
			h := newHarness(t, sv.wrap(cat.serve), withWindow(4))
			var calls atomic.Int64
			h.index.upsert = func(ctx context.Context, docs []index.Offer) error {
				if calls.Add(1) == 1 {
					deadline := time.Now().Add(5 * time.Second)
					for !sv.has("kw/2", "kw/3", "kw/4", "kw/5") && time.Now().Before(deadline) {
						time.Sleep(time.Millisecond)
					}
					time.Sleep(20 * time.Millisecond)
					return nil
				}
				return tc.upsert
			}
			job := keywordJob("j", "kw")
			run, err := h.runner.Run(context.Background(), job, false)
			if err == nil || run.Status != checkpoint.RunFailed {
				t.Fatalf("run = %+v, err %v; want failed", run, err)
			}
			if !strings.Contains(err.Error(), "page 2 of query 1/1") {
				t.Errorf("error %q does not name the group's first page", err)
			}
			rec := h.record(t, "j")
			if rec.Cursor == nil || rec.Cursor.Query != 0 || rec.Cursor.Page != 2 || rec.Cursor.Run.Pages != 1 || rec.Cursor.Run.Offers != 1 {
				t.Fatalf("cursor = %+v, want query 0 page 2 after 1 page, 1 offer", rec.Cursor)
			}
			for _, id := range []string{"p2", "p3", "p4", "p5"} {
				if _, ok, _ := h.store.Offer(id); ok {
					t.Errorf("offer %s of the failed group is in the mirror", id)
				}
			}
			if got := h.committedPages(); !slices.Equal(got, []string{"0/1"}) {
				t.Errorf("progress reported %v, want only 0/1", got)
			}
			if n, _ := h.store.CountOffers(); n != 1 {
				t.Errorf("store counts %d offers, want 1", n)
			}

			// The next run resumes at page 2 and does not ask for page 1 again.
			h.index.upsert = nil
			if tc.page4[len(tc.page4)-1].OfferID == huge.OfferID {
				cat["kw"][3] = &upstream.Page{TotalPage: 5, Offers: offers("p4")}
			}
			run = h.mustRun(t, job, false)
			if run.Pages != 5 || run.Offers != 5 || run.New != 5 {
				t.Errorf("resumed run = %+v, want 5 pages, 5 new offers", run.Stats)
			}
			if n := h.fetcher.count("kw", 1); n != 1 {
				t.Errorf("page 1 requested %d times, want 1", n)
			}
		})
	}
}

func TestGroupCommit_StopRulesInsideAGroup(t *testing.T) {
	ids := func(n int) [][]upstream.Offer {
		out := make([][]upstream.Offer, n)
		for i := range out {
			out[i] = offers(seqIDs("o", i*10, 2)...)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		build     func() []*upstream.Page
		maxPages  int
		window    int
		hold      []string // pages that must have arrived before page 1 lands
		wantPages int
		maxReq    int // no page past it is requested
	}{
		{
			name: "empty page", window: 6, wantPages: 3, maxReq: 7,
			build: func() []*upstream.Page {
				p := pages(9, ids(9)...)
				p[2] = &upstream.Page{TotalPage: 9}
				return p
			},
			hold: []string{"kw/2", "kw/3", "kw/4", "kw/5"},
		},
		{
			name: "totalPage shrinks", window: 6, wantPages: 3, maxReq: 7,
			build: func() []*upstream.Page {
				p := pages(9, ids(9)...)
				p[2].TotalPage = 3
				return p
			},
			hold: []string{"kw/2", "kw/3", "kw/4", "kw/5"},
		},
		{
			name: "max_pages", window: 6, maxPages: 3, wantPages: 3, maxReq: 3,
			build: func() []*upstream.Page { return pages(9, ids(9)...) },
			hold:  []string{"kw/2", "kw/3"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := catalog{"kw": tc.build()}
			var sv served
			h := newHarness(t, sv.wrap(cat.serve), withWindow(tc.window))
			holdFirstUpsert(t, h, func() bool { return sv.has(tc.hold...) })
			job := keywordJob("j", "kw")
			job.MaxPages = tc.maxPages
			run := h.mustRun(t, job, false)

			if got := len(h.index.upserts()); got != 2 {
				t.Fatalf("%d upserts, want 2 (page 1, then the rest as one group)", got)
			}
			if run.Pages != tc.wantPages {
				t.Errorf("run committed %d pages, want %d", run.Pages, tc.wantPages)
			}
			for k, n := range h.fetcher.counts() {
				var kw string
				var p int
				if parseReqKey(k, &kw, &p); p > tc.maxReq || n != 1 {
					t.Errorf("request %s made %d times; want each page at most once, none past page %d", k, n, tc.maxReq)
				}
			}
			// Nothing of the pages after the end landed.
			for i := tc.wantPages; i < 9; i++ {
				for _, id := range seqIDs("o", i*10, 2) {
					if _, ok := h.index.doc(id); ok {
						t.Errorf("offer %s of page %d, past the end, was indexed", id, i+1)
					}
					if _, ok, _ := h.store.Offer(id); ok {
						t.Errorf("offer %s of page %d, past the end, is in the mirror", id, i+1)
					}
				}
			}
			if got := h.committedPages(); len(got) != tc.wantPages {
				t.Errorf("progress reported %v, want %d pages", got, tc.wantPages)
			}
		})
	}
}

// parseReqKey splits a reqKey into keyword and page.
func parseReqKey(k string, kw *string, page *int) {
	i := strings.LastIndexByte(k, '/')
	*kw = k[:i]
	n := 0
	for _, c := range k[i+1:] {
		n = n*10 + int(c-'0')
	}
	*page = n
}

// TestLookahead_WindowPlusOne_EvenWhenTotalGrows: advance fills the next query's pages into
// the room the current query leaves; when the current query then learns it goes further,
// the two together must still hold at most the window plus one request.
func TestLookahead_WindowPlusOne_EvenWhenTotalGrows(t *testing.T) {
	const window = 4
	cat := catalog{
		"kw1": pages(3, offers("a1"), offers("a2"), offers("a3"), offers("a4"), offers("a5"), offers("a6"), offers("a7"), offers("a8")),
		"kw2": pages(6, offers("b1"), offers("b2"), offers("b3"), offers("b4"), offers("b5"), offers("b6")),
	}
	for _, pg := range cat["kw1"][2:] {
		pg.TotalPage = 8 // from page 3 on, upstream reports a larger total than page 1 did
	}
	var sv served
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	defer open()
	var h *harness
	fetch := sv.wrap(func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		kw, p := req.Query.Keyword, req.Page
		wait := func(cond func() bool) {
			deadline := time.Now().Add(3 * time.Second)
			for !cond() && time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
		}
		switch {
		case kw == "kw1" && p == 2:
			wait(func() bool { return sv.has("kw2/1") }) // the lookahead's page 1 has arrived
			time.Sleep(10 * time.Millisecond)
		case kw == "kw1" && p == 3:
			wait(func() bool { return h.fetcher.count("kw2", 2) > 0 }) // advance filled kw2
		case (kw == "kw1" && p >= 4) || (kw == "kw2" && p >= 2):
			select { // held in flight until the test has seen the peak
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return cat.serve(ctx, req)
	})
	h = newHarness(t, fetch, withWindow(window))
	go func() {
		// Release once kw1's pages past the old total have been asked for, or time out.
		deadline := time.Now().Add(3 * time.Second)
		for h.fetcher.count("kw1", 5) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond)
		open()
	}()
	run := h.mustRun(t, keywordJob("j", "kw1", "kw2"), false)
	if run.Pages != 14 || run.Offers != 14 {
		t.Errorf("run = %+v, want 14 pages and offers", run.Stats)
	}
	if h.fetcher.count("kw2", 2) == 0 {
		t.Fatal("the next query was never fetched ahead: the test did not exercise advance")
	}
	if got := h.fetcher.maxInflight.Load(); got > window+1 {
		t.Errorf("%d requests in flight at once, want at most the window + 1 (%d)", got, window+1)
	}
	for k, n := range h.fetcher.counts() {
		if n != 1 {
			t.Errorf("%s requested %d times, want once", k, n)
		}
	}
}

// TestLookahead_CancelOrFailure_CancelsAndWaits: lookahead requests blocked in the fetcher
// are cancelled and waited for when the run fails or is interrupted; Run neither hangs nor
// leaves a request or goroutine behind, and asks for nothing once the run is over.
func TestLookahead_CancelOrFailure_CancelsAndWaits(t *testing.T) {
	for _, how := range []string{"cancel", "fail"} {
		t.Run(how, func(t *testing.T) {
			before := runtime.NumGoroutine()
			cat := catalog{
				"kw1": pages(4, offers("a1"), offers("a2"), offers("a3"), offers("a4")),
				"kw2": pages(4, offers("b1"), offers("b2"), offers("b3"), offers("b4")),
				"kw3": pages(1, offers("c1")),
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var blocked atomic.Int64
			var h *harness
			h = newHarness(t, func(rctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
				switch {
				case req.Query.Keyword == "kw2": // the lookahead never returns on its own
					blocked.Add(1)
					<-rctx.Done()
					return nil, rctx.Err()
				case req.Query.Keyword == "kw1" && req.Page == 4:
					deadline := time.Now().Add(3 * time.Second)
					for blocked.Load() == 0 && time.Now().Before(deadline) {
						time.Sleep(time.Millisecond)
					}
					if how == "fail" {
						return nil, errors.New("bad parameters")
					}
					cancel()
					<-rctx.Done()
					return nil, rctx.Err()
				}
				return cat.serve(rctx, req)
			}, withWindow(2))
			done := make(chan struct{})
			var run checkpoint.Run
			var err error
			go func() {
				defer close(done)
				run, err = h.runner.Run(ctx, keywordJob("j", "kw1", "kw2", "kw3"), false)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return with a lookahead request blocked in the fetcher")
			}
			if err == nil || run.Status == checkpoint.RunSucceeded {
				t.Fatalf("run = %+v, err %v; want it stopped", run, err)
			}
			if blocked.Load() == 0 {
				t.Fatal("the next query's first page was never requested: the test did not exercise lookahead")
			}
			if n := h.fetcher.inflight.Load(); n != 0 {
				t.Errorf("%d requests still in the fetcher after Run returned", n)
			}
			total := h.fetcher.total()
			rec := h.record(t, "j")
			// A failure surfaces in page order, after page 3 landed; a cancel may come
			// before page 3 arrived.
			if c := rec.Cursor; c == nil || c.Query != 0 || c.Page != 4 && (how == "fail" || c.Page != 3) || c.Run.Pages != c.Page-1 {
				t.Errorf("cursor = %+v, want query 0 page 4 (or 3 when cancelled)", rec.Cursor)
			}
			// kw2's first page never arrived, so nothing tells how far kw2 goes; kw3 has one
			// page. (kw3's first page may have been asked for: the run looks ahead several
			// queries.)
			for _, k := range []string{"kw2/2", "kw3/2"} {
				if n := h.fetcher.counts()[k]; n != 0 {
					t.Errorf("%s requested %d times: past what its query was known to hold", k, n)
				}
			}
			time.Sleep(20 * time.Millisecond)
			if h.fetcher.total() != total {
				t.Error("requests made after Run returned")
			}
			checkNoLeak(t, before)
		})
	}
}

// TestRunner_Cancel_RequestsNothingNew: after the run's context is done, arrived pages are
// still landed, but nothing new is asked of the fetcher, not even the next query's first
// page.
func TestRunner_Cancel_RequestsNothingNew(t *testing.T) {
	cat := catalog{
		"kw1": pages(6, offers("a1"), offers("a2"), offers("a3"), offers("a4"), offers("a5"), offers("a6")),
		"kw2": pages(2, offers("b1"), offers("b2")),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var dead atomic.Int64
	var sv served
	h := newHarness(t, sv.wrap(func(rctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if rctx.Err() != nil {
			dead.Add(1)
			return nil, rctx.Err()
		}
		return cat.serve(rctx, req)
	}), withWindow(2))
	holdFirstUpsert(t, h, func() bool { return sv.has("kw1/2", "kw1/3") })
	h.runner.progress = func(string, Progress) { cancel() } // shutdown begins after page 1
	run, err := h.runner.Run(ctx, keywordJob("j", "kw1", "kw2"), false)
	if !errors.Is(err, context.Canceled) || run.Status != checkpoint.RunInterrupted {
		t.Fatalf("run = %+v, err %v; want interrupted", run, err)
	}
	if run.Pages != 3 {
		t.Errorf("%d pages committed, want 3 (page 1, then the arrived pages 2–3)", run.Pages)
	}
	if n := dead.Load(); n != 0 {
		t.Errorf("%d requests made with the run's context already done (%v)", n, h.fetcher.counts())
	}
	rec := h.record(t, "j")
	if rec.Cursor == nil || rec.Cursor.Page != 4 || rec.Cursor.Query != 0 {
		t.Errorf("cursor = %+v, want query 0 page 4", rec.Cursor)
	}
}

// TestLookahead_ResumeMidSecondQuery_RefetchesNothingOfTheFirst and a max_pages smaller
// than the window: the lookahead never asks for a page past max_pages.
func TestLookahead_MaxPagesBelowWindow_AndResume(t *testing.T) {
	cat := catalog{
		"kw1": pages(9, offers("a1"), offers("a2"), offers("a3"), offers("a4")),
		"kw2": pages(9, offers("b1"), offers("b2"), offers("b3"), offers("b4")),
		"kw3": pages(9, offers("c1"), offers("c2"), offers("c3"), offers("c4")),
	}
	var failOnce atomic.Bool
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if req.Query.Keyword == "kw2" && req.Page == 2 && failOnce.CompareAndSwap(false, true) {
			return nil, errors.New("bad parameters")
		}
		time.Sleep(time.Millisecond)
		return cat.serve(ctx, req)
	}, withWindow(8))
	job := keywordJob("j", "kw1", "kw2", "kw3")
	job.MaxPages = 2
	if _, err := h.runner.Run(context.Background(), job, false); err == nil {
		t.Fatal("first run succeeded, want it to fail at query 2 page 2")
	}
	if rec := h.record(t, "j"); rec.Cursor == nil || rec.Cursor.Query != 1 || rec.Cursor.Page != 2 {
		t.Fatalf("cursor = %+v, want query 1 page 2", rec.Cursor)
	}
	firstRun := h.fetcher.counts()
	run := h.mustRun(t, job, false)
	if run.Pages != 6 || run.Offers != 6 {
		t.Errorf("run = %+v, want 6 pages and offers", run.Stats)
	}
	got := h.fetcher.counts()
	for k, n := range got {
		var kw string
		var p int
		parseReqKey(k, &kw, &p)
		if p > 2 {
			t.Errorf("%s requested: past max_pages 2", k)
		}
		if kw == "kw1" && n != firstRun[k] {
			t.Errorf("%s requested again on resume (%d → %d)", k, firstRun[k], n)
		}
		// The resumed run asks for each page of query 2 from page 2 on, and of query 3, once;
		// query 3's first page may also have been in flight (lookahead) when run 1 failed.
		if again := n - firstRun[k]; kw != "kw1" && !(kw == "kw2" && p == 1) && again != 1 ||
			kw == "kw2" && p == 1 && again != 0 {
			t.Errorf("%s requested %d times by the resumed run", k, again)
		}
	}
}

// TestGroupCommit_ConcurrentJobs_KeepBothSources: two jobs over the same offers, each
// landing groups of pages (a slow index makes pages pile up), never lose a source.
func TestGroupCommit_ConcurrentJobs_KeepBothSources(t *testing.T) {
	var all [][]upstream.Offer
	for i := range 12 {
		all = append(all, offers(seqIDs("s", i*5, 5)...))
	}
	cat := catalog{"kwA": pages(12, all...), "kwB": pages(12, all...)}
	h := newHarness(t, cat.serve, withWindow(6))
	var sizes sync.Map
	var n atomic.Int64
	h.index.upsert = func(ctx context.Context, docs []index.Offer) error {
		sizes.Store(n.Add(1), len(docs))
		time.Sleep(5 * time.Millisecond)
		return nil
	}
	jobA, jobB := keywordJob("A", "kwA"), keywordJob("B", "kwB")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, j := range []Job{jobA, jobB} {
		wg.Go(func() { _, errs[i] = h.runner.Run(context.Background(), j, false) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	grouped := false
	sizes.Range(func(_, v any) bool { grouped = grouped || v.(int) > 5; return true })
	if !grouped {
		t.Log("no upsert carried more than one page: groups were not exercised this time")
	}
	for i := range 60 {
		id := seqIDs("s", i, 1)[0]
		d, ok := h.index.doc(id)
		if !ok || !slices.Equal(d.Sources, []string{"A", "B"}) {
			t.Errorf("doc %s: found %v, sources %v, want [A B]", id, ok, d.Sources)
		}
		if r := h.row(t, id); !slices.Equal(r.Doc.Sources, []string{"A", "B"}) || len(r.SeenBy) != 2 {
			t.Errorf("row %s: sources %v seenBy %v, want both jobs", id, r.Doc.Sources, r.SeenBy)
		}
	}
	if a, b := h.record(t, "A").LastRun, h.record(t, "B").LastRun; a == nil || b == nil || a.Offers != 60 || b.Offers != 60 {
		t.Errorf("runs A %+v B %+v, want 60 offers each", a, b)
	}
}
