package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/upstream"
)

func TestStats_CountsAndDuplicates(t *testing.T) {
	h := newHarness(t, Options{})
	q := upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}
	h.sim.Matches(q) // not counted
	h.page(q, 1, 20)
	h.page(q, 2, 20)
	h.page(q, 2, 20) // the same page again: a duplicate
	h.page(q, 2, 10) // another page size is another page
	h.code(upstream.Query{Kind: upstream.KindHotlist, RankType: "nope"}, 1, 10)
	h.sim.FailNext(FaultHTTP500, 1)
	path, body := bodyFor(q, 3, 20)
	h.do(h.request(path, body))

	st := h.sim.Stats()
	kw, hot := "/v2/alibaba/product/keywords/query", "/v2/alibaba/product/hotlist/query"
	if st.Requests[kw] != 5 || st.Requests[hot] != 1 || len(st.Requests) != 2 {
		t.Fatalf("Requests = %v", st.Requests)
	}
	if st.Served != 4 || st.Rejected["params"] != 1 || st.Faults[FaultHTTP500] != 1 {
		t.Fatalf("Served %d Rejected %v Faults %v", st.Served, st.Rejected, st.Faults)
	}
	dup := kw + "?keyword=T恤&page=2&pageSize=20"
	if d := st.Duplicates(); !slices.Equal(d, []string{dup}) {
		t.Fatalf("Duplicates = %v, want [%s]", d, dup)
	}
	if len(st.Pages) != 3 || st.Pages[dup] != 2 {
		t.Fatalf("Pages = %v", st.Pages)
	}
	// Stats is a copy.
	st.Pages[dup] = 99
	if h.sim.Stats().Pages[dup] != 2 {
		t.Fatal("Stats shares its maps with the server")
	}
	h.sim.ResetStats()
	if st := h.sim.Stats(); st.Served != 0 || len(st.Requests) != 0 || len(st.Duplicates()) != 0 {
		t.Fatalf("after ResetStats: %+v", st)
	}
}

// TestMutate_ChangesExactlyTheReturnedOffers checks every offer's price before and after,
// and that later answers, cached ones included, show the new prices.
func TestMutate_ChangesExactlyTheReturnedOffers(t *testing.T) {
	h := newHarness(t, Options{Offers: 5000})
	byPrice := upstream.Query{Kind: upstream.KindKeyword, Keyword: "包", Sort: `{"price":"asc"}`}
	before := h.sim.Matches(byPrice) // cached now
	prices := map[string]float64{}
	for i := range h.sim.cat.offers {
		id := idOf(h.sim, i)
		o, _ := h.sim.Offer(id)
		prices[id] = o.Price
	}
	ids := h.sim.Mutate(0.1, 42)
	if len(ids) != 500 || !slices.IsSorted(ids) {
		t.Fatalf("Mutate(0.1) on 5000 offers returned %d ids (sorted %v)", len(ids), slices.IsSorted(ids))
	}
	changed := map[string]bool{}
	for _, id := range ids {
		changed[id] = true
	}
	for id, p := range prices {
		o, _ := h.sim.Offer(id)
		if (o.Price != p) != changed[id] {
			t.Fatalf("offer %s: price %v → %v, in the returned ids: %v", id, p, o.Price, changed[id])
		}
	}
	after := h.sim.Matches(byPrice)
	if slices.Equal(before, after) {
		t.Fatal("a price-sorted result did not change after 10% of prices did")
	}
	items, _ := h.crawl(byPrice, 50)
	if !slices.Equal(items, after) {
		t.Fatal("served pages differ from Matches after Mutate")
	}
	last := -1.0
	for _, id := range after {
		o, _ := h.sim.Offer(id)
		if o.Price < last {
			t.Fatal("price order broken after Mutate: a stale cached list was served")
		}
		last = o.Price
	}
	other := New(Options{Offers: 5000})
	if again := other.Mutate(0.1, 42); !slices.Equal(again, ids) {
		t.Fatal("the same seed chose different offers")
	}
	if none := other.Mutate(0, 1); len(none) != 0 {
		t.Fatalf("Mutate(0) changed %d offers", len(none))
	}
}

func idOf(s *Server, i int) string { return strconv.FormatUint(s.cat.offers[i].id, 10) }

// TestServer_ConcurrentUse pages, mutates and reads stats at once; run with -race.
func TestServer_ConcurrentUse(t *testing.T) {
	h := newHarness(t, Options{Offers: 5000})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := upstream.Query{Kind: upstream.KindKeyword, Keyword: "shirt", Sort: `{"price":"desc"}`}
			for p := 1; p <= 10; p++ {
				path, body := bodyFor(q, p, 20)
				resp, err := h.client.Do(h.request(path, body))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	for m := 0; m < 5; m++ {
		h.sim.Mutate(0.05, int64(m))
		h.sim.Stats()
	}
	wg.Wait()
	if st := h.sim.Stats(); st.Served != 40 {
		t.Fatalf("Served %d, want 40", st.Served)
	}
}

func TestRoutes(t *testing.T) {
	h := newHarness(t, Options{ImageBaseURL: "http://sim.local/img"})
	get := func(method, path string) (*http.Response, string) {
		req, _ := http.NewRequest(method, h.srv.URL+path, nil)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	if resp, body := get("GET", "/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	p := h.page(upstream.Query{Kind: upstream.KindKeyword, Keyword: "水杯"}, 1, 1)
	img := p.Data[0].ImageURL
	id := itemID(t, p.Data[0])
	if img != "http://sim.local/img/"+id+".svg" {
		t.Fatalf("imageUrl %s with ImageBaseURL set", img)
	}
	resp, svg := get("GET", "/img/"+id+".svg")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "max-age") || !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "water cup") {
		t.Fatalf("picture: %d %v %.80s", resp.StatusCode, resp.Header, svg)
	}
	if resp, _ := get("GET", "/img/123.svg"); resp.StatusCode != 404 {
		t.Fatalf("unknown picture: %d", resp.StatusCode)
	}
	// The picture URL of an offer finds it by image search, in the ImageBaseURL form too.
	if ids := h.sim.Matches(upstream.Query{Kind: upstream.KindImage, ImageAddress: img}); len(ids) == 0 || ids[0] != id {
		t.Fatalf("image search for %s starts with %v", img, ids[:1])
	}
	resp, body := get("GET", "/_sim/stats")
	var st struct {
		Served     int      `json:"served"`
		Duplicates []string `json:"duplicates"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || resp.StatusCode != 200 || st.Served != 1 || st.Duplicates == nil {
		t.Fatalf("stats: %d %s", resp.StatusCode, body)
	}
	resp, body = get("POST", "/_sim/mutate?fraction=0.01&seed=3")
	var ids []string
	if err := json.Unmarshal([]byte(body), &ids); err != nil || resp.StatusCode != 200 || len(ids) != testOffers/100 {
		t.Fatalf("mutate: %d %.100s", resp.StatusCode, body)
	}
	if resp, _ := get("GET", "/_sim/mutate?fraction=0.01"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET mutate: %d", resp.StatusCode)
	}
	if resp, _ := get("POST", "/_sim/mutate?fraction=2"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("mutate fraction 2: %d", resp.StatusCode)
	}
	if resp, body := get("POST", "/_sim/fail?fault=http502&n=1"); resp.StatusCode != 200 {
		t.Fatalf("fail: %d %s", resp.StatusCode, body)
	}
	path, reqBody := bodyFor(upstream.Query{Kind: upstream.KindRecommend}, 1, 5)
	if status, _ := h.do(h.request(path, reqBody)); status != http.StatusBadGateway {
		t.Fatalf("after /_sim/fail: HTTP %d", status)
	}
	if resp, body := get("POST", "/_sim/stats/reset"); resp.StatusCode != 200 || h.sim.Stats().Served != 0 {
		t.Fatalf("reset: %d %s", resp.StatusCode, body)
	}
	resp, body = get("POST", "/no/such/path")
	if resp.StatusCode != 404 || decodeEnvelope(t, []byte(body)).Code != CodeNotFound {
		t.Fatalf("unknown path: %d %s", resp.StatusCode, body)
	}
	if st := h.sim.Stats(); len(st.Requests) != 0 {
		t.Fatalf("non-API routes counted: %v", st.Requests)
	}
}

func TestStats_TotalSumsRequestsOfEveryPath(t *testing.T) {
	st := Stats{Requests: map[string]int{"/a": 3, "/b": 4}}
	if got := st.Total(); got != 7 {
		t.Errorf("Total() = %d, want 7", got)
	}
	if got := (Stats{}).Total(); got != 0 {
		t.Errorf("Total() of no requests = %d", got)
	}
}
