package sim

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/upstream"
)

// listingQueries returns one realistic query per listing kind for the harness's catalog.
func listingQueries(t *testing.T, h *harness) map[upstream.Kind]upstream.Query {
	t.Helper()
	some := h.sim.Matches(upstream.Query{Kind: upstream.KindKeyword, Keyword: "backpack"})
	if len(some) == 0 {
		t.Fatal("no backpacks")
	}
	o, _ := h.sim.Offer(some[0])
	qs := map[upstream.Kind]upstream.Query{
		upstream.KindKeyword:      {Kind: upstream.KindKeyword, Keyword: "T恤"},
		upstream.KindCategory:     {Kind: upstream.KindCategory, CategoryID: "1042754"},
		upstream.KindShop:         {Kind: upstream.KindShop, SellerOpenID: h.sim.Sellers()[0]},
		upstream.KindImage:        {Kind: upstream.KindImage, ImageAddress: o.ImageURL},
		upstream.KindRelated:      {Kind: upstream.KindRelated, OfferID: o.OfferID},
		upstream.KindRecommend:    {Kind: upstream.KindRecommend},
		upstream.KindStrict:       {Kind: upstream.KindStrict, Keyword: "cotton"},
		upstream.KindGlobalStrict: {Kind: upstream.KindGlobalStrict, Keyword: "包"},
		upstream.KindHotlist:      {Kind: upstream.KindHotlist, RankType: "hot", CategoryID: "1031910"},
	}
	for _, k := range upstream.ListingKinds() {
		if _, ok := qs[k]; !ok {
			t.Fatalf("no test query for listing kind %s", k)
		}
	}
	return qs
}

// TestListing_EveryKindPagesToEnd pages every listing kind to its end: the pages hold what
// Matches says, in that order, without repeats; the page after the last is empty; the
// paging fields are consistent.
func TestListing_EveryKindPagesToEnd(t *testing.T) {
	h := newHarness(t, Options{})
	for kind, q := range listingQueries(t, h) {
		t.Run(string(kind), func(t *testing.T) {
			h := h.on(t)
			const size = 50
			ids, pages := h.crawl(q, size)
			want := h.sim.Matches(q)
			if len(want) == 0 {
				t.Fatal("query matches nothing; the test needs a non-empty one")
			}
			if !slices.Equal(ids, want) {
				t.Fatalf("paged ids (%d) differ from Matches (%d)", len(ids), len(want))
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("offer %s served twice", id)
				}
				seen[id] = true
			}
			last := pages[len(pages)-1]
			if len(last.Data) != 0 || last.CurrentPage != len(pages) {
				t.Fatalf("last page %d has %d items", last.CurrentPage, len(last.Data))
			}
			first := pages[0]
			if first.TotalRecords != min(len(ids), MaxResults) && len(ids) < MaxResults {
				t.Fatalf("totalRecords %d, served %d", first.TotalRecords, len(ids))
			}
			if full := (len(ids) + size - 1) / size; first.TotalPage != full && first.TotalPage != full+1 {
				t.Fatalf("totalPage %d for %d results of page size %d", first.TotalPage, len(ids), size)
			}
			for i, p := range pages {
				if p.CurrentPage != i+1 || p.PageSize != size {
					t.Fatalf("page %d echoes currentPage %d pageSize %d", i+1, p.CurrentPage, p.PageSize)
				}
			}
		})
	}
}

// TestListing_CapAndTotalPageQuirk: a query with more than MaxResults matches reports
// totalRecords 2000 and one page more than the results fill (the documented 2000/401
// example), and that extra page is empty. Below the cap totalPage is exact.
func TestListing_CapAndTotalPageQuirk(t *testing.T) {
	h := newHarness(t, Options{})
	big := upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}
	if n := len(h.sim.Matches(big)); n != MaxResults {
		t.Fatalf("T恤 matches %d offers, want the cap", n)
	}
	for _, size := range []int{5, 7, 50} {
		p1 := h.page(big, 1, size)
		full := (MaxResults + size - 1) / size
		if p1.TotalRecords != MaxResults || p1.TotalPage != full+1 {
			t.Fatalf("size %d: totalRecords %d totalPage %d, want %d and %d", size, p1.TotalRecords, p1.TotalPage, MaxResults, full+1)
		}
		if last := h.page(big, full, size); len(last.Data) != MaxResults-(full-1)*size {
			t.Fatalf("size %d: last full page has %d items", size, len(last.Data))
		}
		for _, p := range []int{full + 1, full + 2, 10_000} {
			if extra := h.page(big, p, size); len(extra.Data) != 0 {
				t.Fatalf("size %d: page %d past the cap has %d items", size, p, len(extra.Data))
			}
		}
	}
	shop := upstream.Query{Kind: upstream.KindShop, SellerOpenID: h.sim.Sellers()[0]}
	n := len(h.sim.Matches(shop))
	if n >= MaxResults || n < 6 {
		t.Fatalf("shop has %d offers; the test wants a few, under the cap", n)
	}
	if p := h.page(shop, 1, 5); p.TotalRecords != n || p.TotalPage != (n+4)/5 {
		t.Fatalf("shop: totalRecords %d totalPage %d, want %d and %d", p.TotalRecords, p.TotalPage, n, (n+4)/5)
	}
}

// TestListing_BadParams: every malformed body is refused with CodeBadRequest and a message
// naming the field, and counted as rejected for "params".
func TestListing_BadParams(t *testing.T) {
	h := newHarness(t, Options{})
	kw := "/v2/alibaba/product/keywords/query"
	related := "/v2/alibaba/product/productRelatedRecommendQuery"
	hot := "/v2/alibaba/product/hotlist/query"
	cases := []struct {
		name, path string
		body       any
		field      string
	}{
		{"page size over 50", kw, map[string]any{"keyword": "T恤", "beginPage": 1, "pageSize": 51}, "pageSize"},
		{"page size 0", kw, map[string]any{"keyword": "T恤", "beginPage": 1, "pageSize": 0}, "pageSize"},
		{"page 0", kw, map[string]any{"keyword": "T恤", "beginPage": 0, "pageSize": 10}, "beginPage"},
		{"pageNo 0", related, map[string]any{"offerId": "1", "pageNo": 0, "pageSize": 10}, "pageNo"},
		{"page size as text", kw, map[string]any{"keyword": "T恤", "beginPage": 1, "pageSize": "20"}, "pageSize"},
		{"malformed JSON", kw, []byte(`{"keyword":"T恤",`), "body"},
		{"not an object", kw, []byte(`[1,2]`), "body"},
		{"no keyword nor category", kw, map[string]any{"beginPage": 1, "pageSize": 10}, "keyword"},
		{"keyword not a string", kw, map[string]any{"keyword": 5, "beginPage": 1, "pageSize": 10}, "keyword"},
		{"bad price", kw, map[string]any{"keyword": "T恤", "priceStart": "ten"}, "priceStart"},
		{"bad sort JSON", kw, map[string]any{"keyword": "T恤", "sort": "price asc"}, "sort"},
		{"unknown sort key", kw, map[string]any{"keyword": "T恤", "sort": `{"rating":"desc"}`}, "sort"},
		{"missing offerId", related, map[string]any{"pageNo": 1, "pageSize": 10}, "offerId"},
		{"unknown rankType", hot, map[string]any{"rankType": "newest", "beginPage": 1, "pageSize": 10}, "rankType"},
		{"missing rankType", hot, map[string]any{"beginPage": 1, "pageSize": 10}, "rankType"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := h.on(t)
			env := h.envelope(tc.path, tc.body)
			if env.Code != CodeBadRequest || !strings.Contains(env.Msg, tc.field) || string(env.Data) != "null" {
				t.Fatalf("code %d msg %q data %s; want %d naming %s, data null", env.Code, env.Msg, env.Data, CodeBadRequest, tc.field)
			}
		})
	}
	if got := h.sim.Stats().Rejected["params"]; got != len(cases) {
		t.Fatalf("Rejected[params] = %d, want %d", got, len(cases))
	}
}

// TestListing_CategoryIDAsStringOrInteger: shop and image searches send categoryId as an
// integer, keyword search as a string; both mean the same.
func TestListing_CategoryIDAsStringOrInteger(t *testing.T) {
	h := newHarness(t, Options{})
	path := "/v2/alibaba/product/keywords/query"
	var got [2]upstream.PageData
	for i, cat := range []any{"1031911", 1031911} {
		env := h.envelope(path, map[string]any{"keyword": "", "categoryId": cat, "beginPage": 1, "pageSize": 20, "country": "en"})
		if env.Code != upstream.CodeOK {
			t.Fatalf("categoryId %#v: code %d %s", cat, env.Code, env.Msg)
		}
		if err := json.Unmarshal(env.Data, &got[i]); err != nil {
			t.Fatal(err)
		}
	}
	if len(got[0].Data) != 20 || got[0].TotalRecords != got[1].TotalRecords || itemID(t, got[0].Data[0]) != itemID(t, got[1].Data[0]) {
		t.Fatalf("string and integer categoryId answer differently: %d vs %d records", got[0].TotalRecords, got[1].TotalRecords)
	}
}
