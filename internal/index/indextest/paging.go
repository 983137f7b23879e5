package indextest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/index"
)

func testPaging(t *testing.T, ix index.Index) {
	docs := Fixture()
	for _, c := range []struct {
		name  string
		q     index.Query
		limit int
	}{
		{"price:asc", index.Query{Sort: []index.SortField{{Field: "price"}}}, 7},
		{"relevance", index.Query{Text: "shirt"}, 2},
		{"match all", index.Query{}, 9},
		{"repurchaseRate:desc with filter", index.Query{Sort: []index.SortField{{Field: "repurchaseRate", Desc: true}}, Filter: "price > 10"}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			full := c.q
			full.Limit = index.MaxLimit
			all := search(t, ix, full)
			if len(all.Hits) < 2*c.limit {
				t.Fatalf("only %d hits; the case needs more pages", len(all.Hits))
			}
			var got []string
			for off := 0; off < all.Total+c.limit; off += c.limit {
				q := c.q
				q.Limit, q.Offset = c.limit, off
				r := search(t, ix, q)
				if r.Total != all.Total {
					t.Errorf("offset %d: total %d, want %d", off, r.Total, all.Total)
				}
				if want := min(c.limit, max(0, all.Total-off)); len(r.Hits) != want {
					t.Errorf("offset %d: %d hits, want %d", off, len(r.Hits), want)
				}
				got = append(got, ids(r.Hits)...)
			}
			if !slices.Equal(got, ids(all.Hits)) {
				t.Errorf("pages concatenated differ from one query:\npages %v\n  one %v", got, ids(all.Hits))
			}
		})
	}
	r := search(t, ix, index.Query{Offset: len(docs) + 5})
	if len(r.Hits) != 0 || r.Total != len(docs) {
		t.Errorf("offset past the end: %d hits, total %d; want 0 hits, total %d", len(r.Hits), r.Total, len(docs))
	}
}

// facetCounts counts the facet values of docs the way a backend must report them.
func facetCounts(docs []index.Offer, field string) map[string]int {
	m := map[string]int{}
	for _, o := range docs {
		switch field {
		case "categoryId":
			if o.CategoryID != "" {
				m[o.CategoryID]++
			}
		case "sellerOpenId":
			if o.SellerOpenID != "" {
				m[o.SellerOpenID]++
			}
		case "isJxhy":
			m[fmt.Sprint(o.IsJxhy)]++
		case "sources":
			for _, s := range o.Sources {
				m[s]++
			}
		}
	}
	return m
}

func testFacets(t *testing.T, ix index.Index) {
	docs := Fixture()
	fields := []string{"categoryId", "isJxhy", "sources", "sellerOpenId"}
	for _, c := range []struct {
		name string
		q    index.Query
		pred func(index.Offer) bool
	}{
		{"match all", index.Query{}, func(index.Offer) bool { return true }},
		{"text and filter", index.Query{Text: "T恤", Filter: "price < 30"}, func(o index.Offer) bool {
			return strings.Contains(o.Subject, "T恤") && o.Price < 30
		}},
		{"filter", index.Query{Filter: `sources = "hot"`}, func(o index.Offer) bool { return slices.Contains(o.Sources, "hot") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			q.Facets = fields
			q.Limit = 1 // facets count every match, not just the page
			r := search(t, ix, q)
			var matched []index.Offer
			for _, o := range docs {
				if c.pred(o) {
					matched = append(matched, o)
				}
			}
			if r.Total != len(matched) {
				t.Errorf("total %d, want %d", r.Total, len(matched))
			}
			for _, f := range fields {
				if want := facetCounts(matched, f); !maps.Equal(r.Facets[f], want) {
					t.Errorf("facet %s: got %v, want %v", f, r.Facets[f], want)
				}
			}
		})
	}
	r := search(t, ix, index.Query{Text: "大衣", Facets: fields})
	for _, f := range fields {
		if len(r.Facets[f]) != 0 {
			t.Errorf("facet %s with no match: %v", f, r.Facets[f])
		}
	}
}

func testTotal(t *testing.T, ix index.Index) {
	docs := Fixture()
	for _, c := range []struct {
		q    index.Query
		want int
	}{
		{index.Query{Text: "纯棉", Limit: 1}, len(expect(docs, func(o index.Offer) bool { return strings.Contains(o.Subject, "纯棉") }))},
		{index.Query{Filter: "price < 20", Limit: 3}, len(expect(docs, func(o index.Offer) bool { return o.Price < 20 }))},
		{index.Query{Limit: 1, Offset: 10}, len(docs)},
	} {
		r := search(t, ix, c.q)
		if r.Total != c.want {
			t.Errorf("query %+v: total %d, want %d", c.q, r.Total, c.want)
		}
		if len(r.Hits) > c.q.Limit {
			t.Errorf("query %+v: %d hits, more than the limit", c.q, len(r.Hits))
		}
	}
}
