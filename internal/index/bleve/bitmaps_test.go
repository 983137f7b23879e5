package bleve

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"

	blevesearch "github.com/blevesearch/bleve/v2"

	"github.com/syncd/syncd/internal/index"
)

// bitmapFixture indexes offers in several segments, with replaced and deleted documents,
// and returns the index.
func bitmapFixture(t *testing.T) *Index {
	t.Helper()
	ix, err := Open(t.TempDir()+"/index", &Options{BatchSize: 97})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 5))
	words := []string{"cotton", "linen", "summer", "winter", "shirt", "dress"}
	zh := []string{"纯棉", "亚麻", "夏季", "冬季", "衬衫", "连衣裙"}
	mk := func(i int) index.Offer {
		o := index.Offer{
			OfferID:        fmt.Sprintf("id-%04d", i),
			Price:          float64(rng.IntN(10000)) / 100,
			MonthSold:      int64(rng.IntN(5000)),
			RepurchaseRate: float64(rng.IntN(100)) / 100,
			FirstSeenAt:    1_700_000_000 + int64(rng.IntN(1_000_000)),
			UpdatedAt:      1_700_000_000 + int64(rng.IntN(1_000_000)),
			IsJxhy:         rng.IntN(3) == 0,
			Sources:        []string{[]string{"tees", "dresses", "hot"}[rng.IntN(3)]},
		}
		a, b := rng.IntN(len(words)), rng.IntN(len(words))
		o.Subject = zh[a] + zh[b]
		o.SubjectTrans = words[a] + " " + words[b]
		if rng.IntN(4) > 0 {
			o.CategoryID = fmt.Sprint(100 + rng.IntN(12))
		}
		if rng.IntN(2) == 0 {
			o.SellerOpenID = fmt.Sprintf("seller-%d", rng.IntN(40))
		}
		if rng.IntN(3) == 0 {
			p := o.Price * 0.9
			o.JxhyPrice = &p
		}
		return o
	}
	var docs []index.Offer
	for i := range 1500 {
		docs = append(docs, mk(i))
	}
	if err := ix.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	// Replace some (their old versions become deleted documents of older segments) and
	// delete others.
	var again []index.Offer
	for i := 0; i < 1500; i += 7 {
		again = append(again, mk(i))
	}
	if err := ix.Upsert(ctx, again); err != nil {
		t.Fatal(err)
	}
	var gone []string
	for i := 3; i < 1500; i += 11 {
		gone = append(gone, fmt.Sprintf("id-%04d", i))
	}
	if err := ix.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestBitmaps_SameMatchesAsBleve computes the matches of text and filters with bitmaps
// and compares them, document by document, with what bleve's own searchers find.
func TestBitmaps_SameMatchesAsBleve(t *testing.T) {
	ix := bitmapFixture(t)
	ctx := context.Background()
	texts := []string{"", "cotton", "cotton shirt", "纯棉", "夏季衬衫", "shirts", "nothingmatches"}
	filters := []string{"",
		"price 10 TO 50", "price > 12.5", "price >= 99.99", "price < 0.5", "price = 10", "price != 10",
		"monthSold >= 1000 AND monthSold < 2000", "repurchaseRate > 0.5", "firstSeenAt < 1700500000",
		"updatedAt 1700100000 TO 1700200000", "jxhyPrice <= 30",
		`categoryId = "105"`, `categoryId IN ["101", "102", "111"]`, `categoryId != "105"`,
		"sellerOpenId EXISTS", "NOT sellerOpenId EXISTS", "jxhyPrice EXISTS", "price EXISTS",
		"isJxhy = true", "NOT isJxhy = true", "sources = hot",
		`offerId = "id-0010"`, `offerId IN ["id-0001", "id-0002", "id-0003", "nope"]`,
		`(categoryId = "101" OR isJxhy = false) AND NOT (price > 50 OR sources = tees)`,
		`categoryId IN []`,
	}
	n := 0
	for _, text := range texts {
		for _, filter := range filters {
			q := index.Query{Text: text, Filter: filter}
			qq, err := ix.compile(q)
			if err != nil {
				t.Fatalf("%q / %q: %v", text, filter, err)
			}
			snap, release, err := ix.snapshot()
			if err != nil {
				t.Fatal(err)
			}
			m, err := newEvaluator(ctx, snap, &ix.terms).matches(qq)
			if err != nil {
				t.Fatalf("%q / %q: bitmaps: %v", text, filter, err)
			}
			got := map[string]bool{} // document numbers are the snapshot's: resolve them in it
			for s, bm := range m {
				if bm == nil {
					continue
				}
				it := bm.Iterator()
				for it.HasNext() {
					id, err := snap.Segments()[s].Segment().DocID(uint64(it.Next()))
					if err != nil {
						t.Fatal(err)
					}
					got[string(id)] = true
				}
			}
			release()

			req := blevesearch.NewSearchRequestOptions(qq, 10000, 0, false)
			req.Score = "none"
			res, err := ix.idx.SearchInContext(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, h := range res.Hits {
				want[h.ID] = true
			}
			if !maps.Equal(got, want) || m.count() != len(want) {
				t.Errorf("%q / %q: bitmaps found %d (count %d), bleve %d", text, filter, len(got), m.count(), len(want))
			}
			n += len(want)
		}
	}
	if n == 0 {
		t.Fatal("no query matched anything: the comparison proves nothing")
	}
}

// TestBitmaps_FacetsSameAsBleve counts facets both ways.
func TestBitmaps_FacetsSameAsBleve(t *testing.T) {
	ix := bitmapFixture(t)
	ctx := context.Background()
	facets := []string{"categoryId", "sellerOpenId", "isJxhy", "sources"}
	for _, q := range []index.Query{
		{Facets: facets},
		{Text: "cotton", Facets: facets},
		{Filter: "price < 20", Facets: facets, Sort: []index.SortField{{Field: "price"}}},
		{Text: "linen", Filter: "isJxhy = true", Facets: facets},
	} {
		var got []map[string]map[string]int
		for _, perMatch := range []int{0, 1 << 30} { // 0: always bitmaps; huge: always bleve
			old := facetTermsPerMatch
			facetTermsPerMatch = perMatch
			ix.facets.invalidate()
			r, err := ix.Search(ctx, q)
			facetTermsPerMatch = old
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r.Facets)
		}
		if !reflect.DeepEqual(got[0], got[1]) {
			t.Errorf("%q / %q: bitmaps %v\n bleve %v", q.Text, q.Filter, got[0], got[1])
		}
		if len(got[1]["categoryId"]) == 0 || len(got[1]["isJxhy"]) == 0 {
			t.Errorf("%q / %q: facets %v: the comparison proves little", q.Text, q.Filter, got[1])
		}
	}
}

// TestBitmaps_FacetLimit keeps the most frequent values, ties in term order, as bleve.
func TestBitmaps_FacetLimit(t *testing.T) {
	ix := bitmapFixture(t)
	ix.opts.MaxFacetValues = 3
	ctx := context.Background()
	var got []map[string]int
	for _, perMatch := range []int{0, 1 << 30} {
		old := facetTermsPerMatch
		facetTermsPerMatch = perMatch
		ix.facets.invalidate()
		r, err := ix.Search(ctx, index.Query{Facets: []string{"sellerOpenId"}})
		facetTermsPerMatch = old
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Facets["sellerOpenId"])
	}
	if len(got[0]) != 3 || !maps.Equal(got[0], got[1]) {
		t.Errorf("top 3 sellers: bitmaps %v, bleve %v", got[0], got[1])
	}
}
