package bleve

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/index"
)

// TestTopK_MatchesOracle checks searches, whose pages are collected from blocks of the
// first sort field (topk.go) or by bleve, against the order computed here from the
// documents: every match, by the sorts, then best sellers first, then offerId. Sales are
// heavy-tailed with many ties; one word ("clearance") is frequent only among offers that
// sell little, so that the walk sometimes goes deep.
func TestTopK_MatchesOracle(t *testing.T) {
	ix, err := Open(t.TempDir()+"/index", &Options{BatchSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()

	rng := rand.New(rand.NewPCG(7, 11))
	words := []string{"cotton", "summer", "linen", "wool", "silk", "denim", "velvet", "satin"}
	var docs []index.Offer
	for i := range 4000 {
		// Heavy-tailed sales with many ties: most offers sell little, a few sell a lot.
		sold := int64(rng.ExpFloat64() * rng.ExpFloat64() * 300)
		if i%10 == 0 {
			sold = int64(rng.IntN(5)) // ties at the bottom
		}
		var title []string
		for j, w := range words {
			if rng.IntN(1+j*2) == 0 {
				title = append(title, w)
			}
		}
		var jxhy *float64
		if rng.IntN(2) == 0 {
			p := float64(rng.IntN(50))
			jxhy = &p
		}
		if sold < 20 && rng.IntN(3) == 0 {
			title = append(title, "clearance")
		}
		title = append(title, "shirt")
		docs = append(docs, index.Offer{
			OfferID:        fmt.Sprintf("o%04d", (i*7919)%4000), // a permutation: ids unique, not in sales order
			Subject:        "衬衫",
			SubjectTrans:   strings.Join(title, " "),
			Price:          float64(1+rng.IntN(1000)) / 10,
			JxhyPrice:      jxhy,
			RepurchaseRate: float64(rng.IntN(20)) / 20,
			MonthSold:      sold,
			Sources:        []string{"tees"},
		})
	}
	if err := ix.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}

	key := func(o index.Offer, field string) (float64, bool) {
		switch field {
		case "price":
			return o.Price, true
		case "monthSold":
			return float64(o.MonthSold), true
		case "repurchaseRate":
			return o.RepurchaseRate, true
		case "jxhyPrice":
			if o.JxhyPrice == nil {
				return 0, false
			}
			return *o.JxhyPrice, true
		}
		t.Fatalf("oracle: no field %s", field)
		return 0, false
	}
	oracle := func(word string, maxPrice float64, sort []index.SortField) []index.Offer {
		var out []index.Offer
		for _, d := range docs {
			if (word == "" || slices.Contains(strings.Fields(d.SubjectTrans), word)) && (maxPrice == 0 || d.Price <= maxPrice) {
				out = append(out, d)
			}
		}
		order := append(slices.Clone(sort), index.SortField{Field: "monthSold", Desc: true})
		slices.SortFunc(out, func(a, b index.Offer) int {
			for _, k := range order {
				va, oka := key(a, k.Field)
				vb, okb := key(b, k.Field)
				switch {
				case !oka && !okb:
					continue
				case !oka:
					return 1
				case !okb:
					return -1
				case va == vb:
					continue
				case (va < vb) != k.Desc:
					return -1
				default:
					return 1
				}
			}
			return strings.Compare(a.OfferID, b.OfferID)
		})
		return out
	}
	ids := func(os []index.Offer) []string {
		out := make([]string, len(os))
		for i, o := range os {
			out[i] = o.OfferID
		}
		return out
	}

	sorts := [][]index.SortField{
		nil,
		{{Field: "monthSold", Desc: true}},
		{{Field: "monthSold"}},
		{{Field: "price"}},
		{{Field: "price", Desc: true}, {Field: "repurchaseRate"}},
		{{Field: "repurchaseRate", Desc: true}},
		{{Field: "repurchaseRate"}, {Field: "jxhyPrice", Desc: true}}, // missing last
		{{Field: "price"}, {Field: "price", Desc: true}},              // a repeat changes nothing
		{{Field: "jxhyPrice"}},                                        // some offers lack it: bleve's way
	}
	for _, word := range append([]string{"", "clearance"}, words...) {
		for _, maxPrice := range []float64{0, 30} {
			for _, sort := range sorts {
				want := oracle(word, maxPrice, sort)
				for _, page := range []struct{ offset, limit int }{{0, 20}, {0, 1}, {40, 20}, {0, 200}, {len(want) - 5, 20}, {len(want) + 3, 5}} {
					if page.offset < 0 {
						continue
					}
					q := index.Query{Text: word, Sort: sort, Limit: page.limit, Offset: page.offset}
					if maxPrice > 0 {
						q.Filter = fmt.Sprintf("price <= %v", maxPrice)
					}
					r, err := ix.Search(ctx, q)
					if err != nil {
						t.Fatalf("%+v: %v", q, err)
					}
					if r.Total != len(want) {
						t.Errorf("%+v: total %d, want %d", q, r.Total, len(want))
					}
					end := min(page.offset+page.limit, len(want))
					if got, exp := ids(r.Hits), ids(want[min(page.offset, end):end]); !slices.Equal(got, exp) {
						t.Errorf("%+v:\n got %v\nwant %v", q, got, exp)
					}
				}
			}
		}
	}
	if ix.topkSearches.Load() == 0 || ix.bleveSearches.Load() == 0 {
		t.Errorf("pages collected from blocks %d, by bleve %d: both ways must have run", ix.topkSearches.Load(), ix.bleveSearches.Load())
	}
	t.Logf("pages collected from blocks %d, by bleve %d", ix.topkSearches.Load(), ix.bleveSearches.Load())
}

// TestTopK_SearchesDuringWrites runs sorted, faceted searches while documents are written
// and merged: every answer must be internally consistent (its hits in order, no more hits
// than its total, facet counts not above the total), which holds only if total, hits and
// facets come from one snapshot and the block cache follows segment changes.
func TestTopK_SearchesDuringWrites(t *testing.T) {
	ix, err := Open(t.TempDir()+"/index", &Options{BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		defer close(done)
		for b := range 40 {
			var docs []index.Offer
			for i := range 50 {
				n := b*50 + i
				docs = append(docs, index.Offer{
					OfferID: fmt.Sprintf("w%05d", n), Subject: "衬衫", SubjectTrans: "cotton shirt",
					Price: float64(n%97) + 0.5, MonthSold: int64((n * 7919) % 3001), CategoryID: fmt.Sprint(n % 5),
				})
			}
			if err := ix.Upsert(ctx, docs); err != nil {
				done <- err
				return
			}
		}
	}()
	searches := 0
	for running := true; running; searches++ {
		select {
		case err, ok := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = ok
		default:
		}
		for _, q := range []index.Query{
			{Text: "cotton", Limit: 30, Facets: []string{"categoryId"}},
			{Sort: []index.SortField{{Field: "price"}}, Limit: 30, Offset: 10},
		} {
			r, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Hits) > r.Total {
				t.Fatalf("%d hits, total %d", len(r.Hits), r.Total)
			}
			for i := 1; i < len(r.Hits); i++ {
				a, b := r.Hits[i-1], r.Hits[i]
				if q.Sort == nil && a.MonthSold < b.MonthSold || q.Sort != nil && a.Price > b.Price {
					t.Fatalf("hits out of order at %d: %+v then %+v", i, a, b)
				}
			}
			sum := 0
			for _, c := range r.Facets["categoryId"] {
				sum += c
			}
			if sum > r.Total {
				t.Fatalf("facet counts sum to %d, total %d", sum, r.Total)
			}
		}
	}
	r, err := ix.Search(ctx, index.Query{Text: "cotton", Facets: []string{"categoryId"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 2000 || r.Facets["categoryId"]["3"] != 400 {
		t.Errorf("after the writes: total %d, category 3: %d; want 2000, 400", r.Total, r.Facets["categoryId"]["3"])
	}
	t.Logf("%d rounds of searches during the writes", searches)
}
