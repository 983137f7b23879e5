package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// These tests run the client against the simulator over real loopback HTTP.

const simOffers = 20_000

func newSim(t testing.TB, opts sim.Options) (*sim.Server, string) {
	t.Helper()
	if opts.Offers == 0 {
		opts.Offers = simOffers
	}
	s := sim.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// simOptions are client options for the simulator's default credentials, unlimited and
// with millisecond backoff so retries cost no test time.
func simOptions(url string) upstream.Options {
	return upstream.Options{
		BaseURL: url, AccessKey: "sim-access-key", SecretKey: "sim-secret-key", UserID: "2100007341207",
		QPS: -1, Concurrency: 8, Timeout: 2 * time.Second, MaxAttempts: 5,
		BackoffBase: time.Millisecond, BackoffMax: 50 * time.Millisecond,
	}
}

func newSimClient(t testing.TB, opts upstream.Options) *upstream.Client {
	t.Helper()
	c, err := upstream.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// simQueries returns one non-empty query per listing kind of the simulated catalog.
func simQueries(t *testing.T, s *sim.Server) map[upstream.Kind]upstream.Query {
	t.Helper()
	some := s.Matches(upstream.Query{Kind: upstream.KindKeyword, Keyword: "backpack"})
	if len(some) == 0 {
		t.Fatal("the catalog has no backpacks")
	}
	o, _ := s.Offer(some[0])
	qs := map[upstream.Kind]upstream.Query{
		upstream.KindKeyword:      {Kind: upstream.KindKeyword, Keyword: "T恤"},
		upstream.KindCategory:     {Kind: upstream.KindCategory, CategoryID: o.CategoryID},
		upstream.KindShop:         {Kind: upstream.KindShop, SellerOpenID: s.Sellers()[0]},
		upstream.KindImage:        {Kind: upstream.KindImage, ImageAddress: o.ImageURL},
		upstream.KindRelated:      {Kind: upstream.KindRelated, OfferID: o.OfferID},
		upstream.KindRecommend:    {Kind: upstream.KindRecommend},
		upstream.KindStrict:       {Kind: upstream.KindStrict, Keyword: "cotton"},
		upstream.KindGlobalStrict: {Kind: upstream.KindGlobalStrict, Keyword: "包"},
		upstream.KindHotlist:      {Kind: upstream.KindHotlist, RankType: "hot", CategoryID: sim.CategoryIDs()[0]},
	}
	for _, k := range upstream.ListingKinds() {
		if _, ok := qs[k]; !ok {
			t.Fatalf("no test query for listing kind %s", k)
		}
	}
	return qs
}

// crawl pages q to its end the way a job does and returns the offer ids in order and the
// number of pages fetched.
func crawl(t *testing.T, c *upstream.Client, q upstream.Query, size int) (ids []string, pages int) {
	t.Helper()
	for page := 1; ; page++ {
		if page > sim.MaxResults/size+2 {
			t.Fatalf("still paging at page %d", page)
		}
		p, err := c.FetchPage(context.Background(), upstream.PageRequest{Query: q, Page: page, PageSize: size})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		pages++
		if len(p.Invalid) > 0 {
			t.Errorf("page %d: invalid items %v", page, p.Invalid)
		}
		if p.CurrentPage != page || p.PageSize != size {
			t.Errorf("page %d: currentPage %d pageSize %d", page, p.CurrentPage, p.PageSize)
		}
		for _, o := range p.Offers {
			ids = append(ids, o.OfferID)
		}
		if p.Last(page) {
			return ids, pages
		}
	}
}

func TestClientSim_EveryListingKindPagesToTheEnd(t *testing.T) {
	s, url := newSim(t, sim.Options{Seed: 7})
	c := newSimClient(t, simOptions(url))
	const size = 50
	for kind, q := range simQueries(t, s) {
		t.Run(string(kind), func(t *testing.T) {
			s.ResetStats()
			want := s.Matches(q)
			if len(want) == 0 {
				t.Fatal("the query matches nothing; the test needs one that does")
			}
			ids, pages := crawl(t, c, q, size)
			if !slices.Equal(ids, want) {
				t.Fatalf("paged %d ids, Matches has %d (or the order differs)", len(ids), len(want))
			}
			// The last page holding results, plus at most one empty page (the capped
			// totalPage quirk) — never more.
			full := (len(want) + size - 1) / size
			if pages < full || pages > full+1 {
				t.Errorf("fetched %d pages for %d results", pages, len(want))
			}
			st := s.Stats()
			if st.Served != pages || len(st.Rejected) != 0 || len(st.Duplicates()) != 0 {
				t.Errorf("stats: served %d of %d pages, rejected %v, duplicates %v", st.Served, pages, st.Rejected, st.Duplicates())
			}
			path := c.Endpoint(kind).Path
			if st.Requests[path] != pages {
				t.Errorf("%d requests to %s, want %d", st.Requests[path], path, pages)
			}
		})
	}
}

func TestClientSim_OffersMatchGroundTruth(t *testing.T) {
	s, url := newSim(t, sim.Options{Seed: 3})
	c := newSimClient(t, simOptions(url))
	q := upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}
	p, err := c.FetchPage(context.Background(), upstream.PageRequest{Query: q, Page: 2, PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Offers) != 50 {
		t.Fatalf("%d offers", len(p.Offers))
	}
	optional := 0
	for _, got := range p.Offers {
		want, ok := s.Offer(got.OfferID)
		if !ok {
			t.Fatalf("offer %s is not in the catalog", got.OfferID)
		}
		if show(got) != show(want) {
			t.Errorf("offer %s:\n got %s\nwant %s", got.OfferID, show(got), show(want))
		}
		if got.JxhyPrice != nil {
			optional++
		}
	}
	t.Logf("%d of 50 offers have a jxhyPrice", optional)

	id := p.Offers[0].OfferID
	d, err := c.Detail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := s.Offer(id); d.OfferID != want.OfferID || d.Price != want.Price || d.CategoryID != want.CategoryID ||
		d.RepurchaseRate != want.RepurchaseRate || d.Subject != want.Subject {
		t.Errorf("detail %+v\nwant %+v", d, want)
	}
	var ae *upstream.APIError
	if _, err := c.Detail(context.Background(), "no-such-offer"); !errors.As(err, &ae) || ae.Code != sim.CodeNotFound || !upstream.IsPermanent(err) {
		t.Errorf("detail of an unknown offer: %v", err)
	}
}

// show prints every field of o, optional prices by value.
func show(o upstream.Offer) string {
	deref := func(f *float64) any {
		if f == nil {
			return nil
		}
		return *f
	}
	j, pf := deref(o.JxhyPrice), deref(o.PfJxhyPrice)
	o.JxhyPrice, o.PfJxhyPrice = nil, nil
	return fmt.Sprintf("%+v jxhy=%v pfJxhy=%v", o, j, pf)
}

func TestClientSim_EveryFaultIsRetried(t *testing.T) {
	// The simulator holds a stalled request for StallDuration even after the client gave up
	// on it, and the server's Close waits for it: keep it short.
	s, url := newSim(t, sim.Options{Seed: 1, StallDuration: time.Second})
	reasons := map[sim.Fault]string{
		sim.FaultHTTP500: "http_5xx", sim.FaultHTTP502: "http_5xx", sim.FaultTruncated: "body",
		sim.FaultReset: "network", sim.FaultStall: "timeout", sim.FaultQuota: "code_429",
	}
	if len(reasons) != len(sim.AllFaults()) {
		t.Fatalf("the test covers %d faults, the simulator has %d", len(reasons), len(sim.AllFaults()))
	}
	q := upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}
	for _, f := range sim.AllFaults() {
		t.Run(string(f), func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			opts := simOptions(url)
			opts.Timeout = 300 * time.Millisecond
			opts.Hooks.Retry = func(k upstream.Kind, reason string) { mu.Lock(); got = append(got, reason); mu.Unlock() }
			c := newSimClient(t, opts)
			path := c.Endpoint(upstream.KindKeyword).Path
			s.ResetStats()
			s.FailNext(f, 2)
			p, err := c.FetchPage(context.Background(), upstream.PageRequest{Query: q, Page: 1, PageSize: 20})
			if err != nil {
				t.Fatalf("after two %s faults: %v", f, err)
			}
			if len(p.Offers) != 20 {
				t.Errorf("%d offers", len(p.Offers))
			}
			st := s.Stats()
			if st.Requests[path] != 3 || st.Faults[f] != 2 || st.Served != 1 {
				t.Errorf("requests %v faults %v served %d, want 3 requests, 2 faults, 1 served", st.Requests, st.Faults, st.Served)
			}
			mu.Lock()
			defer mu.Unlock()
			if want := []string{reasons[f], reasons[f]}; !slices.Equal(got, want) {
				t.Errorf("retry reasons %v, want %v", got, want)
			}
		})
	}
}

func TestClientSim_RandomFaultsStillCrawl(t *testing.T) {
	s, url := newSim(t, sim.Options{Seed: 5, FaultRate: 0.25, FaultSeed: 9, StallDuration: time.Second})
	opts := simOptions(url)
	opts.Timeout, opts.MaxAttempts = 300*time.Millisecond, 10
	c := newSimClient(t, opts)
	q := upstream.Query{Kind: upstream.KindStrict, Keyword: "cotton"}
	ids, pages := crawl(t, c, q, 50)
	if want := s.Matches(q); !slices.Equal(ids, want) {
		t.Fatalf("paged %d ids, Matches has %d", len(ids), len(want))
	}
	st := s.Stats()
	faults := 0
	for _, n := range st.Faults {
		faults += n
	}
	if faults == 0 || st.Served != pages || len(st.Duplicates()) != 0 {
		t.Errorf("faults %v served %d of %d pages, duplicates %v", st.Faults, st.Served, pages, st.Duplicates())
	}
}

func TestClientSim_WrongSecretFailsAtOnce(t *testing.T) {
	s, url := newSim(t, sim.Options{})
	opts := simOptions(url)
	opts.SecretKey = "not-the-secret"
	c := newSimClient(t, opts)
	_, err := c.FetchPage(context.Background(), upstream.PageRequest{Query: upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}, Page: 1, PageSize: 20})
	var ae *upstream.APIError
	if !errors.As(err, &ae) || ae.Code != sim.CodeBadSignature || !upstream.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent APIError %d", err, sim.CodeBadSignature)
	}
	for _, want := range []string{"signature", "upstream.secret_key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "not-the-secret") {
		t.Errorf("error %q holds the secret", err)
	}
	st := s.Stats()
	if total := st.Total(); total != 1 || st.Rejected["signature"] != 1 {
		t.Errorf("requests %v rejected %v, want exactly one, rejected for its signature", st.Requests, st.Rejected)
	}
}

func TestClientSim_SkewedClockNamesTheClock(t *testing.T) {
	_, url := newSim(t, sim.Options{Now: func() time.Time { return time.Now().Add(time.Hour) }})
	c := newSimClient(t, simOptions(url))
	_, err := c.FetchPage(context.Background(), upstream.PageRequest{Query: upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}, Page: 1, PageSize: 20})
	if !upstream.IsPermanent(err) || !strings.Contains(err.Error(), "clock") {
		t.Fatalf("err = %v, want a permanent error about the clock", err)
	}
}

func TestClientSim_LimiterSharedAcrossCallers(t *testing.T) {
	s, url := newSim(t, sim.Options{})
	opts := simOptions(url)
	opts.QPS, opts.Burst, opts.Concurrency = 20, 1, 8
	c := newSimClient(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := range 8 {
		wg.Go(func() {
			q := upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}
			for page := i*40 + 1; ctx.Err() == nil; page++ {
				if _, err := c.FetchPage(ctx, upstream.PageRequest{Query: q, Page: page%40 + 1, PageSize: 10}); err == nil {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	n := s.Stats().Total()
	// One bucket of 20/s with a burst of 1 for all eight callers admits at most 1 + 20*elapsed
	// requests (one more for rounding); eight private limiters would admit eight times that.
	if limit := 2 + 20*elapsed; float64(n) > limit {
		t.Errorf("%d requests in %.2fs at 20 qps, want at most %.0f", n, elapsed, limit)
	}
	if floor := 0.3 * 20 * elapsed; float64(n) < floor || ok.Load() == 0 {
		t.Errorf("%d requests (%d pages) in %.2fs at 20 qps, want at least %.0f", n, ok.Load(), elapsed, floor)
	}
	t.Logf("%d requests in %.2fs at 20 qps from 8 callers", n, elapsed)
}

func TestClientSim_CancelStopsWaitingAtOnce(t *testing.T) {
	q := upstream.PageRequest{Query: upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}, Page: 1, PageSize: 20}
	run := func(t *testing.T, c *upstream.Client, started func() bool) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, q); done <- err }()
		deadline := time.Now().Add(5 * time.Second)
		for !started() {
			if time.Now().After(deadline) {
				t.Fatal("the request never started")
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(30 * time.Millisecond)
		cancel()
		at := time.Now()
		select {
		case err := <-done:
			if err != context.Canceled {
				t.Errorf("err = %v, want context.Canceled itself", err)
			}
			// The waits canceled here last 1s to 1000s; 2s leaves room for a loaded machine.
			if took := time.Since(at); took > 2*time.Second {
				t.Errorf("returned %v after cancel", took)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("still waiting 5s after cancel")
		}
	}
	requests := func(s *sim.Server) func() bool {
		return func() bool {
			for _, n := range s.Stats().Requests {
				if n > 0 {
					return true
				}
			}
			return false
		}
	}
	t.Run("stalled request", func(t *testing.T) {
		s, url := newSim(t, sim.Options{StallDuration: time.Second})
		s.FailNext(sim.FaultStall, 100) // every retry stalls too, however slow the machine

		opts := simOptions(url)
		opts.Timeout = 10 * time.Second
		run(t, newSimClient(t, opts), requests(s))
	})
	t.Run("backoff", func(t *testing.T) {
		s, url := newSim(t, sim.Options{})
		s.FailNext(sim.FaultQuota, 100) // answers Retry-After: 1
		opts := simOptions(url)
		opts.BackoffMax = time.Minute
		run(t, newSimClient(t, opts), requests(s))
	})
	t.Run("limiter", func(t *testing.T) {
		s, url := newSim(t, sim.Options{})
		opts := simOptions(url)
		opts.QPS = 0.001
		c := newSimClient(t, opts)
		if _, err := c.FetchPage(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		run(t, c, requests(s)) // the first request spent the token for the next 1000s
	})
}

// BenchmarkFetchPage measures one page (50 offers) through the client and the simulator
// over loopback: signing, the HTTP round trip, encoding and decoding.
func BenchmarkFetchPage(b *testing.B) {
	_, url := newSim(b, sim.Options{Seed: 1})
	c := newSimClient(b, simOptions(url))
	q := upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}
	ctx := context.Background()
	b.ReportAllocs()
	page := 0
	for b.Loop() {
		page = page%40 + 1
		p, err := c.FetchPage(ctx, upstream.PageRequest{Query: q, Page: page, PageSize: 50})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Offers) != 50 {
			b.Fatalf("page %d: %d offers", page, len(p.Offers))
		}
	}
}
