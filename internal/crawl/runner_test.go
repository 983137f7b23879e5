package crawl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

func TestRunner_Run_StopRules(t *testing.T) {
	ten := make([][]upstream.Offer, 10)
	for i := range ten {
		ten[i] = offers(seqIDs("m", 2*i, 2)...)
	}
	noTotal := pages(0, offers("n1", "n2"), offers("n3"), offers("n4"))

	tests := []struct {
		name          string
		pages         []*upstream.Page
		maxPages      int
		window        int
		wantRequested []int // pages requested, each exactly once
		mayRequest    []int // pages that may also be requested, at most once, and discarded
		wantPages     int   // pages committed
		wantOffers    int
		wantDiscarded int
		wantMaxFlight int64 // at most
	}{
		{
			// Upstream has a 4th page, but totalPage says 3: it must not be asked for.
			name:          "at totalPage",
			pages:         pages(3, offers("a1", "a2"), offers("a3", "a4"), offers("a5", "a6"), offers("a7")),
			window:        4,
			wantRequested: []int{1, 2, 3},
			wantPages:     3, wantOffers: 6, wantMaxFlight: 2,
		},
		{
			// Window 2: after page 1, pages 2–3 are in flight; after page 2, page 4 — unless
			// pages 2 and 3 had both arrived and landed together (group commit). Page 3 is
			// empty, so page 4, if asked for, is wasted, and pages 5–6 are never asked for.
			name:          "at an empty page before totalPage",
			pages:         pages(6, offers("e1"), offers("e2"), nil, offers("e4"), offers("e5"), offers("e6")),
			window:        2,
			wantRequested: []int{1, 2, 3},
			mayRequest:    []int{4},
			wantPages:     3, wantOffers: 2, wantDiscarded: 1, wantMaxFlight: 2,
		},
		{
			name:          "at max_pages",
			pages:         pages(10, ten...),
			maxPages:      2,
			window:        4,
			wantRequested: []int{1, 2},
			wantPages:     2, wantOffers: 4, wantMaxFlight: 1,
		},
		{
			// Page 2 reports a smaller total than page 1 did: the query ends at page 2 and
			// the pages fetched ahead on page 1's word are discarded.
			name: "at a totalPage that shrank",
			pages: func() []*upstream.Page {
				ps := pages(5, offers("s1"), offers("s2"), offers("s3"), offers("s4"), offers("s5"))
				ps[1].TotalPage = 2
				return ps
			}(),
			window:        4,
			wantRequested: []int{1, 2, 3, 4, 5},
			wantPages:     2, wantOffers: 2, wantDiscarded: 3, wantMaxFlight: 4,
		},
		{
			// No total reported: one page at a time until an empty page.
			name:          "without a totalPage, at an empty page",
			pages:         noTotal,
			window:        4,
			wantRequested: []int{1, 2, 3, 4},
			wantPages:     4, wantOffers: 4, wantMaxFlight: 1,
		},
		{
			name:          "at an empty first page",
			pages:         pages(0, nil),
			window:        4,
			wantRequested: []int{1},
			wantPages:     1, wantOffers: 0, wantMaxFlight: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat := catalog{"kw": tt.pages}
			h := newHarness(t, cat.serve, func(o *Options) { o.Window = tt.window })
			job := keywordJob("j", "kw")
			job.MaxPages = tt.maxPages

			run := h.mustRun(t, job, false)

			want := make(map[string]int)
			for _, p := range tt.wantRequested {
				want[reqKey("kw", p)] = 1
			}
			got := h.fetcher.counts()
			optional := 0
			for _, p := range tt.mayRequest {
				if got[reqKey("kw", p)] == 1 {
					want[reqKey("kw", p)] = 1
					optional++
				}
			}
			if !mapsEqual(got, want) {
				t.Errorf("requests = %v, want %v", got, want)
			}
			if run.Pages != tt.wantPages || run.Offers != tt.wantOffers || run.New != tt.wantOffers {
				t.Errorf("stats = %+v, want %d pages, %d offers all new", run.Stats, tt.wantPages, tt.wantOffers)
			}
			if got := h.index.count(); got != tt.wantOffers {
				t.Errorf("index holds %d documents, want %d", got, tt.wantOffers)
			}
			if tt.mayRequest != nil {
				tt.wantDiscarded = optional
			}
			if h.discards != tt.wantDiscarded {
				t.Errorf("discarded %d pages, want %d", h.discards, tt.wantDiscarded)
			}
			if got := h.fetcher.maxInflight.Load(); got > tt.wantMaxFlight {
				t.Errorf("%d requests were in flight at once, want at most %d", got, tt.wantMaxFlight)
			}
			rec := h.record(t, "j")
			if rec.Cursor != nil || rec.LastRun == nil || rec.LastRun.Status != checkpoint.RunSucceeded || rec.LastRun.Stats != run.Stats {
				t.Errorf("record = cursor %+v, last run %+v; want no cursor and the succeeded run", rec.Cursor, rec.LastRun)
			}
		})
	}
}

func TestRunner_Run_PrefetchWindow_ProcessesInPageOrder(t *testing.T) {
	const total, window = 12, 3
	var ps [][]upstream.Offer
	for i := range total {
		ps = append(ps, offers(seqIDs("w", 2*i, 2)...))
	}
	cat := catalog{"kw": pages(total, ps...)}

	// Page 2 is answered only after pages 3 and 4 were, so results arrive out of order.
	answered := map[int]chan struct{}{3: make(chan struct{}), 4: make(chan struct{})}
	var mu sync.Mutex
	var arrivals []int
	fetch := func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if req.Page == 2 {
			for _, ch := range answered {
				select {
				case <-ch:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
		}
		time.Sleep(time.Millisecond) // let the window fill
		p, err := cat.serve(ctx, req)
		mu.Lock()
		arrivals = append(arrivals, req.Page)
		mu.Unlock()
		if ch, ok := answered[req.Page]; ok {
			close(ch)
		}
		return p, err
	}
	h := newHarness(t, fetch, func(o *Options) { o.Window = window })

	run := h.mustRun(t, keywordJob("j", "kw"), false)

	if got := h.fetcher.maxInflight.Load(); got != window {
		t.Errorf("max requests in flight = %d, want exactly the window, %d", got, window)
	}
	if i2, i3 := slices.Index(arrivals, 2), slices.Index(arrivals, 3); i2 < i3 {
		t.Fatalf("arrivals %v: page 2 arrived before page 3; the test did not reorder", arrivals)
	}
	var want []string
	for p := 1; p <= total; p++ {
		want = append(want, fmt.Sprintf("0/%d", p))
	}
	if got := h.committedPages(); !slices.Equal(got, want) {
		t.Errorf("committed pages %v, want %v", got, want)
	}
	if run.Pages != total || run.New != 2*total {
		t.Errorf("stats = %+v", run.Stats)
	}
	for p := 1; p <= total; p++ {
		if n := h.fetcher.count("kw", p); n != 1 {
			t.Errorf("page %d requested %d times", p, n)
		}
	}
}

func TestRunner_Run_DedupesWithinRun(t *testing.T) {
	// B is on both pages (rankings drift), A twice on page 1.
	cat := catalog{"kw": pages(2, offers("A", "B", "A"), offers("B", "C"))}
	h := newHarness(t, cat.serve)

	run := h.mustRun(t, keywordJob("j", "kw"), false)

	want := checkpoint.Stats{Pages: 2, Offers: 3, New: 3}
	if run.Stats != want {
		t.Errorf("stats = %+v, want %+v", run.Stats, want)
	}
	if got, want := h.index.upserts(), [][]string{{"A", "B"}, {"C"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("upserts = %v, want %v (B unchanged and already counted on page 2)", got, want)
	}
	if st := h.pageSt[1]; st.Repeated != 1 || st.New != 1 || st.Offers != 2 {
		t.Errorf("page 2 stats = %+v, want 1 new and 1 repeated of 2", st)
	}
}

func TestRunner_Run_SecondRunUnchanged_NoIndexWrites(t *testing.T) {
	cat := catalog{"kw": pages(3, offers("a", "b"), offers("c", "d"), offers("e"))}
	h := newHarness(t, cat.serve)
	job := keywordJob("j", "kw")
	first := h.mustRun(t, job, false)
	t0 := h.clock.now().Unix()
	writes := len(h.index.upserts())

	h.clock.advance(time.Hour)
	second := h.mustRun(t, job, false)

	if second.ID == first.ID {
		t.Fatalf("second run reused id %s", first.ID)
	}
	want := checkpoint.Stats{Pages: 3, Offers: 5, Unchanged: 5}
	if second.Stats != want {
		t.Errorf("second run stats = %+v, want %+v", second.Stats, want)
	}
	if got := len(h.index.upserts()); got != writes {
		t.Errorf("second run made %d Upsert calls, want 0", got-writes)
	}
	// The rows stay as the first run wrote them; the sighting log records the second run.
	r := h.row(t, "c")
	if r.LastSeenAt != t0 || r.SeenBy["j"] != first.ID {
		t.Errorf("row c: lastSeenAt %d seenBy %v, want it untouched (%d, run %s)", r.LastSeenAt, r.SeenBy, t0, first.ID)
	}
	if at, ok, err := h.store.LastSeen("c"); err != nil || !ok || at != h.clock.now().Unix() {
		t.Errorf("LastSeen(c) = %d, %v, %v; want %d", at, ok, err, h.clock.now().Unix())
	}
	if r.Doc.FirstSeenAt != t0 || r.Doc.UpdatedAt != t0 {
		t.Errorf("row c: firstSeenAt %d updatedAt %d, want both %d", r.Doc.FirstSeenAt, r.Doc.UpdatedAt, t0)
	}
}

func TestRunner_Run_ContentChange_IndexesExactlyTheChanged(t *testing.T) {
	cat := catalog{"kw": pages(2, offers("a", "b", "c"), offers("d", "e"))}
	h := newHarness(t, cat.serve)
	job := keywordJob("j", "kw")
	h.mustRun(t, job, false)
	t0 := h.clock.now().Unix()
	writes := len(h.index.upserts())

	cat["kw"][0].Offers[1].Price = 99.5                 // b
	cat["kw"][1].Offers[1].SubjectTrans = "a new title" // e
	h.clock.advance(time.Hour)
	run := h.mustRun(t, job, false)

	want := checkpoint.Stats{Pages: 2, Offers: 5, Changed: 2, Unchanged: 3}
	if run.Stats != want {
		t.Errorf("stats = %+v, want %+v", run.Stats, want)
	}
	var sent []string
	for _, ids := range h.index.upserts()[writes:] {
		sent = append(sent, ids...)
	}
	if !slices.Equal(sent, []string{"b", "e"}) {
		t.Errorf("second run sent %v to the index, want [b e]", sent)
	}
	b, _ := h.index.doc("b")
	if b.Price != 99.5 || b.UpdatedAt != h.clock.now().Unix() || b.FirstSeenAt != t0 {
		t.Errorf("doc b = price %v updatedAt %d firstSeenAt %d; want 99.5, %d, %d", b.Price, b.UpdatedAt, b.FirstSeenAt, h.clock.now().Unix(), t0)
	}
	if r := h.row(t, "a"); r.Doc.UpdatedAt != t0 {
		t.Errorf("unchanged row a: updatedAt %d, want %d", r.Doc.UpdatedAt, t0)
	}
}

func TestRunner_Run_TwoJobsSameOffer_OneDocBothSources(t *testing.T) {
	cat := catalog{
		"x": pages(1, offers("shared", "onlyA")),
		"y": pages(1, offers("onlyB", "shared")),
	}
	h := newHarness(t, cat.serve)
	a, b := keywordJob("a", "x"), keywordJob("b", "y")
	runA := h.mustRun(t, a, false)
	runB := h.mustRun(t, b, false)

	if runB.Stats != (checkpoint.Stats{Pages: 1, Offers: 2, New: 1, Unchanged: 1}) {
		t.Errorf("job b stats = %+v, want 1 new (onlyB) and 1 unchanged (shared)", runB.Stats)
	}
	if got := h.index.upserts(); !slices.Equal(got[len(got)-1], []string{"onlyB", "shared"}) {
		t.Errorf("job b upserted %v; the shared offer gained a source and must be sent", got[len(got)-1])
	}
	doc, _ := h.index.doc("shared")
	if !slices.Equal(doc.Sources, []string{"a", "b"}) {
		t.Errorf("indexed sources = %v, want [a b]", doc.Sources)
	}
	r := h.row(t, "shared")
	if !slices.Equal(r.Doc.Sources, []string{"a", "b"}) || r.SeenBy["a"] != runA.ID || r.SeenBy["b"] != runB.ID {
		t.Errorf("row = sources %v seenBy %v", r.Doc.Sources, r.SeenBy)
	}
	if h.index.count() != 3 {
		t.Errorf("index holds %d documents, want 3", h.index.count())
	}

	// Nothing new for a: no index write at all.
	writes := len(h.index.upserts())
	h.mustRun(t, a, false)
	if got := len(h.index.upserts()); got != writes {
		t.Errorf("rerun of a wrote to the index %d times", got-writes)
	}
}

func TestRunner_Run_ConcurrentJobs_NeverLoseSources(t *testing.T) {
	// Both jobs page through the same 300 offers in opposite orders, 4 pages ahead each,
	// so that they keep writing the same rows at the same time.
	const perPage, nPages = 10, 30
	ids := seqIDs("o", 0, perPage*nPages)
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	split := func(ids []string) [][]upstream.Offer {
		var out [][]upstream.Offer
		for i := 0; i < len(ids); i += perPage {
			out = append(out, offers(ids[i:i+perPage]...))
		}
		return out
	}
	cat := catalog{"x": pages(nPages, split(ids)...), "y": pages(nPages, split(rev)...)}
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		time.Sleep(50 * time.Microsecond)
		return cat.serve(ctx, req)
	})

	var wg sync.WaitGroup
	for _, job := range []Job{keywordJob("a", "x"), keywordJob("b", "y")} {
		wg.Go(func() {
			if _, err := h.runner.Run(context.Background(), job, false); err != nil {
				t.Errorf("run %s: %v", job.Name, err)
			}
		})
	}
	wg.Wait()

	for _, id := range ids {
		doc, ok := h.index.doc(id)
		if !ok || !slices.Equal(doc.Sources, []string{"a", "b"}) {
			t.Fatalf("indexed %s: present %v, sources %v; want [a b]", id, ok, doc.Sources)
		}
		if r := h.row(t, id); !slices.Equal(r.Doc.Sources, []string{"a", "b"}) || len(r.SeenBy) != 2 {
			t.Fatalf("row %s: sources %v seenBy %v", id, r.Doc.Sources, r.SeenBy)
		}
	}
}

func TestRunner_Run_CountsInvalidItems(t *testing.T) {
	p := pages(1, append(offers("a", "b"), upstream.Offer{Subject: "no id"}))
	p[0].Invalid = []upstream.ItemError{
		{Index: 3, OfferID: "x", Err: errors.New("bad price")},
		{Index: 4, Err: errors.New("no offerMapId")},
	}
	h := newHarness(t, catalog{"kw": p}.serve)
	run := h.mustRun(t, keywordJob("j", "kw"), false)
	if want := (checkpoint.Stats{Pages: 1, Offers: 2, New: 2, Invalid: 3}); run.Stats != want {
		t.Errorf("stats = %+v, want %+v", run.Stats, want)
	}
}

func TestRunner_Run_AllInvalidPageIsNotEmpty(t *testing.T) {
	ps := pages(2, nil, offers("b"))
	ps[0].Invalid = []upstream.ItemError{{Index: 0, Err: errors.New("bad")}}
	h := newHarness(t, catalog{"kw": ps}.serve)
	run := h.mustRun(t, keywordJob("j", "kw"), false)
	if want := (checkpoint.Stats{Pages: 2, Offers: 1, New: 1, Invalid: 1}); run.Stats != want {
		t.Errorf("stats = %+v, want %+v: a page of invalid items is not the end", run.Stats, want)
	}
}

func TestRunner_Run_MultipleQueriesProgress(t *testing.T) {
	cat := catalog{"x": pages(2, offers("a"), offers("b")), "y": pages(1, offers("c"))}
	h := newHarness(t, cat.serve)
	h.mustRun(t, keywordJob("j", "x", "y"), false)
	if got, want := h.committedPages(), []string{"0/1", "0/2", "1/1"}; !slices.Equal(got, want) {
		t.Errorf("progress %v, want %v", got, want)
	}
	last := h.progress[len(h.progress)-1]
	if last.Queries != 2 || last.Pages != 1 || last.Stats.Offers != 3 {
		t.Errorf("last progress = %+v", last)
	}
}

// waitFor polls cond until it holds or a few seconds passed.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestPageLimit_CapsUnlimitedJobsAtTheResultCap(t *testing.T) {
	for _, c := range []struct {
		job  Job
		want int
	}{
		{Job{MaxPages: 7, PageSize: 20}, 7},
		{Job{PageSize: 5}, 401}, // the documented 2000 records / 401 pages at size 5
		{Job{PageSize: 50}, 41},
		{Job{PageSize: 0}, 2001},
	} {
		if got := pageLimit(c.job); got != c.want {
			t.Errorf("pageLimit(%+v) = %d, want %d", c.job, got, c.want)
		}
	}
}

// A query whose first page reports upstream's result cap cannot be mirrored whole: the run
// counts it and says so, unless the job's max_pages asked for less than the cap anyway.
func TestRunner_Run_CountsQueriesAtTheResultCap(t *testing.T) {
	capped := pages(2, offers("a"), offers("b"))
	capped[0].TotalRecords = MaxResultsPerQuery
	small := pages(1, offers("c"))
	small[0].TotalRecords = 1
	cat := catalog{"big": capped, "small": small}

	h := newHarness(t, cat.serve)
	run := h.mustRun(t, keywordJob("j", "big", "small"), false)
	if run.Capped != 1 {
		t.Errorf("capped = %d, want 1 (the big query)", run.Capped)
	}
	var flagged []int
	for _, st := range h.pageSt {
		if st.Capped {
			flagged = append(flagged, st.Query*100+st.Page)
		}
	}
	if !slices.Equal(flagged, []int{1}) {
		t.Errorf("pages flagged capped (query*100+page) = %v, want only the big query's first page [1]", flagged)
	}

	// max_pages at the cap counts; one page short of it, the job asked for the head of
	// the results only.
	limited := keywordJob("k", "big")
	limited.PageSize, limited.MaxPages = 50, 40
	if run := h.mustRun(t, limited, false); run.Capped != 1 {
		t.Errorf("50 × 40 pages: capped = %d, want 1", run.Capped)
	}
	limited.MaxPages = 39
	if run := h.mustRun(t, limited, false); run.Capped != 0 {
		t.Errorf("50 × 39 pages: capped = %d, want 0", run.Capped)
	}
}

// A run that fails after a capped query's first page, and resumes, counts it once: the
// count rides in the cursor, and page 1 is not fetched again.
func TestRunner_Run_CappedCountSurvivesResume(t *testing.T) {
	big := pages(3, offers("a"), offers("b"), offers("c"))
	big[0].TotalRecords = MaxResultsPerQuery
	big2 := pages(1, offers("z"))
	big2[0].TotalRecords = 5000
	cat := catalog{"big": big, "big2": big2}
	h := newHarness(t, cat.serve, func(o *Options) { o.Window = 1 })
	var failing atomic.Bool
	failing.Store(true)
	h.index.upsert = func(_ context.Context, docs []index.Offer) error {
		if failing.Load() && docs[0].OfferID == "b" {
			return errIndexDown
		}
		return nil
	}
	job := keywordJob("j", "big", "big2")
	if run, err := h.runner.Run(context.Background(), job, false); err == nil || run.Capped != 1 {
		t.Fatalf("first run: capped %d, err %v; want a failure after big's first page", run.Capped, err)
	}
	failing.Store(false)
	if run := h.mustRun(t, job, false); run.Capped != 2 {
		t.Errorf("resumed run: capped = %d, want 2 (big once, big2)", run.Capped)
	}
	flagged := 0
	for _, st := range h.pageSt {
		if st.Capped {
			flagged++
		}
	}
	if flagged != 2 {
		t.Errorf("%d pages flagged capped, want 2", flagged)
	}
}
