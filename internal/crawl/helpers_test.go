package crawl

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

// openStore opens a real checkpoint store in a temporary directory, closed when the test
// ends.
func openStore(t testing.TB) *checkpoint.Store {
	t.Helper()
	// NoSync: these tests kill no process, and fsync per page would dominate their time.
	s, err := checkpoint.Open(filepath.Join(t.TempDir(), "state.db"), &checkpoint.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// testLogger logs to the test output when -v is given, so failures come with the run's
// story, and nowhere otherwise.
func testLogger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

// fakeIndex is an index.Writer that keeps documents in a map. upsert, when set, runs
// first and may fail the call (nothing is applied then).
type fakeIndex struct {
	upsert func(ctx context.Context, docs []index.Offer) error

	mu    sync.Mutex
	docs  map[string]index.Offer
	calls [][]string // ids of every applied Upsert, in order
}

func newFakeIndex() *fakeIndex { return &fakeIndex{docs: make(map[string]index.Offer)} }

func (f *fakeIndex) Upsert(ctx context.Context, docs []index.Offer) error {
	if f.upsert != nil {
		if err := f.upsert(ctx, docs); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, 0, len(docs))
	for _, d := range docs {
		d.Sources = slices.Clone(d.Sources)
		f.docs[d.OfferID] = d
		ids = append(ids, d.OfferID)
	}
	f.calls = append(f.calls, ids)
	return nil
}

func (f *fakeIndex) Delete(ctx context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		delete(f.docs, id)
	}
	return nil
}

func (f *fakeIndex) doc(id string) (index.Offer, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.docs[id]
	return d, ok
}

func (f *fakeIndex) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.docs)
}

// upserts returns the ids of every applied Upsert call, in order.
func (f *fakeIndex) upserts() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// fakeFetcher is a Fetcher that counts requests per query and page and tracks how many
// are in flight; fetch serves them.
type fakeFetcher struct {
	fetch func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error)

	inflight, maxInflight atomic.Int64

	mu       sync.Mutex
	requests map[string]int // "keyword/page" → count
	order    []string       // every request, in the order made
}

func newFakeFetcher(fetch func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error)) *fakeFetcher {
	return &fakeFetcher{fetch: fetch, requests: make(map[string]int)}
}

func reqKey(kw string, page int) string { return fmt.Sprintf("%s/%d", kw, page) }

func (f *fakeFetcher) FetchPage(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		m := f.maxInflight.Load()
		if n <= m || f.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	k := reqKey(req.Query.Keyword, req.Page)
	f.requests[k]++
	f.order = append(f.order, k)
	f.mu.Unlock()
	return f.fetch(ctx, req)
}

// count returns how often page of the query with keyword kw was requested.
func (f *fakeFetcher) count(kw string, page int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[reqKey(kw, page)]
}

// counts returns a copy of all request counts.
func (f *fakeFetcher) counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.requests)
}

// total returns the number of requests made.
func (f *fakeFetcher) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.order)
}

// catalog is a deterministic upstream: per keyword, the pages of a query. A page beyond
// the list is empty; TotalPage is what the page says.
type catalog map[string][]*upstream.Page

// serve answers a request from the catalog with a copy of the page.
func (c catalog) serve(_ context.Context, req upstream.PageRequest) (*upstream.Page, error) {
	pages := c[req.Query.Keyword]
	if req.Page < 1 || req.Page > len(pages) {
		total := 0
		if len(pages) > 0 {
			total = pages[0].TotalPage
		}
		return &upstream.Page{TotalPage: total, CurrentPage: req.Page}, nil
	}
	p := *pages[req.Page-1]
	p.Offers = slices.Clone(p.Offers)
	return &p, nil
}

// pages builds the pages of one query: page i+1 holds offers[i], each says totalPage.
func pages(totalPage int, offers ...[]upstream.Offer) []*upstream.Page {
	out := make([]*upstream.Page, len(offers))
	for i, o := range offers {
		out[i] = &upstream.Page{TotalPage: totalPage, CurrentPage: i + 1, PageSize: len(o), Offers: o}
	}
	return out
}

// offers returns offers with the given ids; an id always yields the same offer.
func offers(ids ...string) []upstream.Offer {
	out := make([]upstream.Offer, len(ids))
	for i, id := range ids {
		price := 10.0
		for _, c := range []byte(id) {
			price += float64(c % 10)
		}
		out[i] = offer(id, price)
	}
	return out
}

func offer(id string, price float64) upstream.Offer {
	return upstream.Offer{
		OfferID:        id,
		Subject:        "标题 " + id,
		SubjectTrans:   "title " + id,
		ImageURL:       "https://img.example/" + id + ".jpg",
		Price:          price,
		MonthSold:      100,
		RepurchaseRate: 0.41,
	}
}

// seqIDs returns n offer ids prefix-0 … prefix-(n-1).
func seqIDs(prefix string, from, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%03d", prefix, from+i)
	}
	return ids
}

// keywordJob is a keyword job with one query per keyword.
func keywordJob(name string, keywords ...string) Job {
	j := Job{Name: name, Kind: upstream.KindKeyword, PageSize: 20}
	for _, kw := range keywords {
		j.Queries = append(j.Queries, upstream.Query{Kind: upstream.KindKeyword, Keyword: kw})
	}
	return j
}

// clock is a settable clock for Options.Now.
type clock struct{ unix atomic.Int64 }

func newClock(unix int64) *clock {
	c := &clock{}
	c.unix.Store(unix)
	return c
}

func (c *clock) now() time.Time          { return time.Unix(c.unix.Load(), 0) }
func (c *clock) advance(d time.Duration) { c.unix.Add(int64(d / time.Second)) }

// harness is a runner over a real store, a fake index and a fake fetcher.
type harness struct {
	store   *checkpoint.Store
	index   *fakeIndex
	fetcher *fakeFetcher
	clock   *clock
	runner  *Runner

	mu       sync.Mutex
	progress []Progress
	pageSt   []PageStats
	discards int
}

// newHarness builds a runner serving fetch. opts, when given, adjusts the options before
// the runner is built.
func newHarness(t testing.TB, fetch func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error), opts ...func(*Options)) *harness {
	t.Helper()
	h := &harness{
		store:   openStore(t),
		index:   newFakeIndex(),
		fetcher: newFakeFetcher(fetch),
		clock:   newClock(1_700_000_000),
	}
	o := Options{
		Store:   h.store,
		Index:   h.index,
		Fetcher: h.fetcher,
		Logger:  testLogger(t),
		Now:     h.clock.now,
		Progress: func(job string, p Progress) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.progress = append(h.progress, p)
		},
		Hooks: Hooks{
			PageCommitted: func(job string, s PageStats) {
				h.mu.Lock()
				defer h.mu.Unlock()
				h.pageSt = append(h.pageSt, s)
			},
			PagesDiscarded: func(job string, n int) {
				h.mu.Lock()
				defer h.mu.Unlock()
				h.discards += n
			},
		},
	}
	for _, f := range opts {
		f(&o)
	}
	h.runner = NewRunner(o)
	return h
}

// record returns the job's record, failing the test on error.
func (h *harness) record(t testing.TB, job string) checkpoint.JobRecord {
	t.Helper()
	rec, err := h.store.Job(job)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// row returns one mirror row, failing the test when it is absent.
func (h *harness) row(t testing.TB, id string) checkpoint.Row {
	t.Helper()
	r, ok, err := h.store.Offer(id)
	if err != nil || !ok {
		t.Fatalf("offer %s: found %v, err %v", id, ok, err)
	}
	return r
}

// mustRun runs the job and fails the test unless the run succeeds.
func (h *harness) mustRun(t testing.TB, job Job, fresh bool) checkpoint.Run {
	t.Helper()
	run, err := h.runner.Run(context.Background(), job, fresh)
	if err != nil {
		t.Fatalf("run %s: %v", job.Name, err)
	}
	if run.Status != checkpoint.RunSucceeded {
		t.Fatalf("run %s: status %q, want succeeded", job.Name, run.Status)
	}
	return run
}

// committedPages returns the pages reported to Progress, as "query/page".
func (h *harness) committedPages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.progress))
	for i, p := range h.progress {
		out[i] = fmt.Sprintf("%d/%d", p.Query, p.Page)
	}
	return out
}
