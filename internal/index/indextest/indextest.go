package indextest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index"
)

// Run runs the conformance suite. open must return a new, empty index each time it is
// called and arrange for it to be closed when t ends (t.Cleanup); the read-only subtests
// under "Search" share one index loaded with Fixture.
func Run(t *testing.T, open func(t *testing.T) index.Index) {
	t.Run("EmptyIndex", func(t *testing.T) { testEmpty(t, open(t)) })
	t.Run("UpsertGet", func(t *testing.T) { testUpsertGet(t, open(t)) })
	t.Run("UpsertIdempotent", func(t *testing.T) { testUpsertIdempotent(t, open(t)) })
	t.Run("UpsertReplaces", func(t *testing.T) { testUpsertReplaces(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("Rebuild", func(t *testing.T) { testRebuild(t, open(t)) })
	t.Run("RebuildError", func(t *testing.T) { testRebuildError(t, open(t)) })
	t.Run("RebuildSearchesSeeOld", func(t *testing.T) { testRebuildSearchesSeeOld(t, open(t)) })

	t.Run("Search", func(t *testing.T) {
		ix := open(t)
		mustUpsert(t, ix, Fixture())
		t.Run("Count", func(t *testing.T) { testCount(t, ix) })
		t.Run("GetUnknown", func(t *testing.T) { testGetUnknown(t, ix) })
		t.Run("MatchAll", func(t *testing.T) { testMatchAll(t, ix) })
		t.Run("English", func(t *testing.T) { testEnglish(t, ix) })
		t.Run("Chinese", func(t *testing.T) { testChinese(t, ix) })
		t.Run("Filter", func(t *testing.T) { testFilter(t, ix) })
		t.Run("TextAndFilter", func(t *testing.T) { testTextAndFilter(t, ix) })
		t.Run("Sort", func(t *testing.T) { testSort(t, ix) })
		t.Run("Paging", func(t *testing.T) { testPaging(t, ix) })
		t.Run("Facets", func(t *testing.T) { testFacets(t, ix) })
		t.Run("Total", func(t *testing.T) { testTotal(t, ix) })
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustUpsert(t *testing.T, ix index.Index, docs []index.Offer) {
	t.Helper()
	if err := ix.Upsert(ctx(t), docs); err != nil {
		t.Fatalf("Upsert(%d docs): %v", len(docs), err)
	}
}

func mustCount(t *testing.T, ix index.Index, want uint64) {
	t.Helper()
	n, err := ix.Count(ctx(t))
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if n != want {
		t.Fatalf("Count = %d, want %d", n, want)
	}
}

// search runs q after validating it, failing the test on error.
func search(t *testing.T, ix index.Index, q index.Query) *index.Result {
	t.Helper()
	if err := q.Validate(); err != nil {
		t.Fatalf("query %+v: Validate: %v", q, err)
	}
	r, err := ix.Search(ctx(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return r
}

func ids(hits []index.Offer) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.OfferID
	}
	return out
}

// expect returns the sorted ids of the fixture offers for which pred holds.
func expect(docs []index.Offer, pred func(o index.Offer) bool) []string {
	var out []string
	for _, o := range docs {
		if pred(o) {
			out = append(out, o.OfferID)
		}
	}
	sort.Strings(out)
	return out
}

// sameSet checks that got (in any order, no duplicates) is exactly want (sorted).
func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := slices.Clone(got)
	sort.Strings(g)
	if len(slices.Compact(slices.Clone(g))) != len(g) {
		t.Errorf("%s: duplicate ids in %v", what, got)
	}
	if !slices.Equal(g, want) {
		t.Errorf("%s: got %d ids %v\nwant %d ids %v\nmissing %v, unexpected %v",
			what, len(g), g, len(want), want, minus(want, g), minus(g, want))
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// normalize makes offers comparable across backends: nil and empty sources are the same.
func normalize(o index.Offer) index.Offer {
	if len(o.Sources) == 0 {
		o.Sources = nil
	}
	return o
}

func sameOffer(t *testing.T, got, want index.Offer) {
	t.Helper()
	if g, w := normalize(got), normalize(want); !reflect.DeepEqual(g, w) {
		t.Errorf("offer %s:\n got %s\nwant %s", want.OfferID, show(g), show(w))
	}
}

func show(o index.Offer) string {
	p := func(f *float64) string {
		if f == nil {
			return "nil"
		}
		return fmt.Sprint(*f)
	}
	return fmt.Sprintf("%+v (jxhyPrice=%s pfJxhyPrice=%s)", o, p(o.JxhyPrice), p(o.PfJxhyPrice))
}

func testEmpty(t *testing.T, ix index.Index) {
	mustCount(t, ix, 0)
	r := search(t, ix, index.Query{Text: "shirt", Facets: []string{"categoryId"}})
	if r.Total != 0 || len(r.Hits) != 0 {
		t.Errorf("text search on empty index: total %d, hits %v", r.Total, ids(r.Hits))
	}
	if n := len(r.Facets["categoryId"]); n != 0 {
		t.Errorf("facets on empty index: %v", r.Facets)
	}
	r = search(t, ix, index.Query{Sort: []index.SortField{{Field: "price"}}})
	if r.Total != 0 || len(r.Hits) != 0 {
		t.Errorf("match-all on empty index: total %d, hits %v", r.Total, ids(r.Hits))
	}
	if _, err := ix.Get(ctx(t), "600000000000"); !errors.Is(err, index.ErrNotFound) {
		t.Errorf("Get on empty index: err = %v, want ErrNotFound", err)
	}
	if err := ix.Upsert(ctx(t), nil); err != nil {
		t.Errorf("Upsert(nil): %v", err)
	}
	if err := ix.Delete(ctx(t), nil); err != nil {
		t.Errorf("Delete(nil): %v", err)
	}
}

func testUpsertGet(t *testing.T, ix index.Index) {
	docs := Fixture()
	mustUpsert(t, ix, docs)
	for _, want := range docs {
		got, err := ix.Get(ctx(t), want.OfferID)
		if err != nil {
			t.Fatalf("Get(%s): %v", want.OfferID, err)
		}
		sameOffer(t, got, want)
	}
}

func testUpsertIdempotent(t *testing.T, ix index.Index) {
	docs := Fixture()
	mustUpsert(t, ix, docs)
	mustUpsert(t, ix, docs)
	mustCount(t, ix, uint64(len(docs)))
	r := search(t, ix, index.Query{Limit: index.MaxLimit})
	if r.Total != len(docs) {
		t.Errorf("total after double upsert = %d, want %d", r.Total, len(docs))
	}
	sameSet(t, "match all after double upsert", ids(r.Hits), expect(docs, func(index.Offer) bool { return true }))
}

func testUpsertReplaces(t *testing.T, ix index.Index) {
	docs := Fixture()
	mustUpsert(t, ix, docs)
	changed := docs[9] // "男士长袖衬衫商务" / "Men's Long Sleeve Business Shirt"
	changed.Subject = "男士羊毛大衣"
	changed.SubjectTrans = "Men's Wool Overcoat"
	changed.Price = 99.5
	changed.JxhyPrice = nil
	changed.CategoryID = ""
	changed.Sources = []string{"coats", "tees"}
	mustUpsert(t, ix, []index.Offer{changed})
	mustCount(t, ix, uint64(len(docs)))

	got, err := ix.Get(ctx(t), changed.OfferID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	sameOffer(t, got, changed)

	r := search(t, ix, index.Query{Text: "overcoat"})
	sameSet(t, `"overcoat" after replace`, ids(r.Hits), []string{changed.OfferID})
	r = search(t, ix, index.Query{Text: "business"})
	sameSet(t, `old word "business" after replace`, ids(r.Hits), nil)
	r = search(t, ix, index.Query{Filter: `sources = "coats"`})
	sameSet(t, `sources = "coats"`, ids(r.Hits), []string{changed.OfferID})
	r = search(t, ix, index.Query{Filter: "price > 90"})
	sameSet(t, "price > 90", ids(r.Hits), []string{changed.OfferID})
}

func testDelete(t *testing.T, ix index.Index) {
	docs := Fixture()
	mustUpsert(t, ix, docs)
	gone := []string{docs[0].OfferID, docs[46].OfferID, "999999999999"}
	if err := ix.Delete(ctx(t), gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustCount(t, ix, uint64(len(docs)-2))
	for _, id := range gone {
		if _, err := ix.Get(ctx(t), id); !errors.Is(err, index.ErrNotFound) {
			t.Errorf("Get(%s) after delete: err = %v, want ErrNotFound", id, err)
		}
	}
	r := search(t, ix, index.Query{Text: "纯棉", Limit: index.MaxLimit})
	sameSet(t, "纯棉 after delete", ids(r.Hits), expect(docs[1:46], func(o index.Offer) bool {
		return strings.Contains(o.Subject, "纯棉")
	}))
	if err := ix.Delete(ctx(t), gone); err != nil {
		t.Errorf("Delete again (absent ids): %v", err)
	}
}

func testCount(t *testing.T, ix index.Index) {
	mustCount(t, ix, uint64(len(Fixture())))
}

func testGetUnknown(t *testing.T, ix index.Index) {
	_, err := ix.Get(ctx(t), "123")
	if !errors.Is(err, index.ErrNotFound) {
		t.Errorf("Get(unknown): err = %v, want ErrNotFound", err)
	}
}

func testMatchAll(t *testing.T, ix index.Index) {
	docs := Fixture()
	r := search(t, ix, index.Query{Limit: index.MaxLimit})
	if r.Total != len(docs) {
		t.Errorf("total = %d, want %d", r.Total, len(docs))
	}
	sameSet(t, "match all", ids(r.Hits), expect(docs, func(index.Offer) bool { return true }))
	byID := map[string]index.Offer{}
	for _, o := range docs {
		byID[o.OfferID] = o
	}
	for _, h := range r.Hits {
		sameOffer(t, h, byID[h.OfferID])
	}
	r = search(t, ix, index.Query{})
	if len(r.Hits) != index.DefaultLimit || r.Total != len(docs) {
		t.Errorf("default limit: %d hits, total %d; want %d hits, total %d", len(r.Hits), r.Total, index.DefaultLimit, len(docs))
	}
}
