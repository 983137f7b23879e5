package indextest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/syncd/syncd/internal/index"
)

// hasWord reports whether the English title has every word of query, allowing a plural
// "s" on either side (what English stemming gives for these titles).
func hasWords(o index.Offer, query string) bool {
	toks := strings.FieldsFunc(strings.ToLower(o.SubjectTrans), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range strings.Fields(strings.ToLower(query)) {
		if !slices.ContainsFunc(toks, func(t string) bool { return t == w || t+"s" == w || t == w+"s" }) {
			return false
		}
	}
	return true
}

func testEnglish(t *testing.T, ix index.Index) {
	docs := Fixture()
	for _, q := range []string{"shirts", "shirt", "cotton shirt", "women dress", "LED lamp", "running", "Cotton"} {
		r := search(t, ix, index.Query{Text: q, Limit: index.MaxLimit})
		want := expect(docs, func(o index.Offer) bool { return hasWords(o, q) })
		if len(want) == 0 {
			t.Fatalf("fixture has no match for %q", q)
		}
		sameSet(t, fmt.Sprintf("text %q", q), ids(r.Hits), want)
		if r.Total != len(want) {
			t.Errorf("text %q: total %d, want %d", q, r.Total, len(want))
		}
	}
	r := search(t, ix, index.Query{Text: "sweater"})
	sameSet(t, `text "sweater" (in no title)`, ids(r.Hits), nil)
}

func testChinese(t *testing.T, ix index.Index) {
	docs := Fixture()
	for _, c := range []struct{ q, sub string }{
		{"T恤", "T恤"},
		{"t恤", "T恤"},
		{"纯棉", "纯棉"},
		{"连衣裙", "连衣裙"},
		{"衬衫", "衬衫"},
		{"polo衫", "polo衫"},
	} {
		r := search(t, ix, index.Query{Text: c.q, Limit: index.MaxLimit})
		want := expect(docs, func(o index.Offer) bool { return strings.Contains(o.Subject, c.sub) })
		if len(want) == 0 {
			t.Fatalf("fixture has no match for %q", c.q)
		}
		sameSet(t, fmt.Sprintf("text %q", c.q), ids(r.Hits), want)
	}
	r := search(t, ix, index.Query{Text: "大衣"})
	sameSet(t, `text "大衣" (in no title)`, ids(r.Hits), nil)
}

type filterCase struct {
	expr string
	pred func(o index.Offer) bool
}

func filterCases() []filterCase {
	in := func(v string, set ...string) bool { return slices.Contains(set, v) }
	hasSource := func(o index.Offer, s string) bool { return slices.Contains(o.Sources, s) }
	return []filterCase{
		{"price < 20", func(o index.Offer) bool { return o.Price < 20 }},
		{"price <= 22.4", func(o index.Offer) bool { return o.Price <= 22.4 }},
		{"price > 22.4", func(o index.Offer) bool { return o.Price > 22.4 }},
		{"price = 22.4", func(o index.Offer) bool { return o.Price == 22.4 }},
		{"price != 22.4", func(o index.Offer) bool { return o.Price != 22.4 }},
		{"monthSold >= 1000", func(o index.Offer) bool { return o.MonthSold >= 1000 }},
		{"monthSold >= 1226", func(o index.Offer) bool { return o.MonthSold >= 1226 }},
		{"monthSold > 1226", func(o index.Offer) bool { return o.MonthSold > 1226 }},
		{"monthSold = 0", func(o index.Offer) bool { return o.MonthSold == 0 }},
		{"price 10 TO 50", func(o index.Offer) bool { return o.Price >= 10 && o.Price <= 50 }},
		{"price 22.4 TO 30", func(o index.Offer) bool { return o.Price >= 22.4 && o.Price <= 30 }},
		{"repurchaseRate >= 0.25 AND repurchaseRate < 0.4", func(o index.Offer) bool {
			return o.RepurchaseRate >= 0.25 && o.RepurchaseRate < 0.4
		}},
		{"firstSeenAt > 1767300000", func(o index.Offer) bool { return o.FirstSeenAt > 1767300000 }},
		{"updatedAt 1767400000 TO 1767900000", func(o index.Offer) bool {
			return o.UpdatedAt >= 1767400000 && o.UpdatedAt <= 1767900000
		}},
		{"jxhyPrice < 10", func(o index.Offer) bool { return o.JxhyPrice != nil && *o.JxhyPrice < 10 }},
		{"NOT jxhyPrice < 10", func(o index.Offer) bool { return o.JxhyPrice == nil || *o.JxhyPrice >= 10 }},
		{"pfJxhyPrice 5 TO 15", func(o index.Offer) bool {
			return o.PfJxhyPrice != nil && *o.PfJxhyPrice >= 5 && *o.PfJxhyPrice <= 15
		}},
		{`categoryId IN ["1033054", "72"]`, func(o index.Offer) bool { return in(o.CategoryID, "1033054", "72") }},
		{`categoryId NOT IN ["1033054", "72"]`, func(o index.Offer) bool { return !in(o.CategoryID, "1033054", "72") }},
		{`categoryId = "72"`, func(o index.Offer) bool { return o.CategoryID == "72" }},
		{`categoryId = 72`, func(o index.Offer) bool { return o.CategoryID == "72" }},
		{`categoryId != "72"`, func(o index.Offer) bool { return o.CategoryID != "72" }},
		{`sellerOpenId = "seller-03"`, func(o index.Offer) bool { return o.SellerOpenID == "seller-03" }},
		{`offerId = "600000000000"`, func(o index.Offer) bool { return o.OfferID == "600000000000" }},
		{`offerId IN ["600000007919", "600000015838", "1"]`, func(o index.Offer) bool {
			return in(o.OfferID, "600000007919", "600000015838")
		}},
		{"isJxhy = true", func(o index.Offer) bool { return o.IsJxhy }},
		{"NOT isJxhy = true", func(o index.Offer) bool { return !o.IsJxhy }},
		{"isJxhy != true", func(o index.Offer) bool { return !o.IsJxhy }},
		{"isJxhy = false", func(o index.Offer) bool { return !o.IsJxhy }},
		{`sources = "tees"`, func(o index.Offer) bool { return hasSource(o, "tees") }},
		{`sources != "tees"`, func(o index.Offer) bool { return !hasSource(o, "tees") }},
		{`sources IN ["hot", "shop-a"]`, func(o index.Offer) bool { return hasSource(o, "hot") || hasSource(o, "shop-a") }},
		{`NOT (sources = "hot" OR sources = "shop-a")`, func(o index.Offer) bool {
			return !hasSource(o, "hot") && !hasSource(o, "shop-a")
		}},
		{"jxhyPrice EXISTS", func(o index.Offer) bool { return o.JxhyPrice != nil }},
		{"categoryId NOT EXISTS", func(o index.Offer) bool { return o.CategoryID == "" }},
		{"sellerOpenId EXISTS", func(o index.Offer) bool { return o.SellerOpenID != "" }},
		{"price EXISTS", func(o index.Offer) bool { return true }},
		{"price < 20 AND monthSold >= 1000", func(o index.Offer) bool { return o.Price < 20 && o.MonthSold >= 1000 }},
		{"(price < 20 OR monthSold >= 4000) AND isJxhy = false", func(o index.Offer) bool {
			return (o.Price < 20 || o.MonthSold >= 4000) && !o.IsJxhy
		}},
		{`price < 10 OR (categoryId = "72" AND NOT sources = "hot")`, func(o index.Offer) bool {
			return o.Price < 10 || (o.CategoryID == "72" && !hasSource(o, "hot"))
		}},
	}
}

func testFilter(t *testing.T, ix index.Index) {
	docs := Fixture()
	for _, c := range filterCases() {
		t.Run(c.expr, func(t *testing.T) {
			q := index.Query{Filter: c.expr, Limit: index.MaxLimit}
			if err := q.Validate(); err != nil {
				t.Fatalf("Validate(%q): %v", c.expr, err)
			}
			r, err := ix.Search(ctx(t), q)
			if err != nil {
				t.Fatalf("Search(filter %q): %v", c.expr, err)
			}
			want := expect(docs, c.pred)
			sameSet(t, "filter "+c.expr, ids(r.Hits), want)
			if r.Total != len(want) {
				t.Errorf("filter %q: total %d, want %d", c.expr, r.Total, len(want))
			}
		})
	}
}

func testTextAndFilter(t *testing.T, ix index.Index) {
	docs := Fixture()
	r := search(t, ix, index.Query{Text: "T恤", Filter: "price < 30", Limit: index.MaxLimit})
	sameSet(t, `"T恤" with price < 30`, ids(r.Hits), expect(docs, func(o index.Offer) bool {
		return strings.Contains(o.Subject, "T恤") && o.Price < 30
	}))
	r = search(t, ix, index.Query{Text: "shirt", Filter: `sources = "tees" OR isJxhy = true`, Limit: index.MaxLimit})
	sameSet(t, `"shirt" with sources/isJxhy`, ids(r.Hits), expect(docs, func(o index.Offer) bool {
		return hasWords(o, "shirt") && (slices.Contains(o.Sources, "tees") || o.IsJxhy)
	}))
}

// sorted returns the ids of docs ordered by cmpFn, ties broken by nothing (cmpFn must
// order the fixture totally).
func sorted(docs []index.Offer, cmpFn func(a, b index.Offer) int) []string {
	d := slices.Clone(docs)
	slices.SortStableFunc(d, cmpFn)
	return ids(d)
}

func testSort(t *testing.T, ix index.Index) {
	docs := Fixture()
	sortBy := func(text string, fields ...string) []string {
		t.Helper()
		q := index.Query{Text: text, Limit: index.MaxLimit}
		for _, f := range fields {
			sf, err := index.ParseSort(f)
			if err != nil {
				t.Fatalf("ParseSort(%q): %v", f, err)
			}
			q.Sort = append(q.Sort, sf)
		}
		return ids(search(t, ix, q).Hits)
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", what, got, want)
		}
	}
	check("monthSold:desc", sortBy("", "monthSold:desc"), sorted(docs, func(a, b index.Offer) int {
		return cmp.Compare(b.MonthSold, a.MonthSold)
	}))
	check("price:asc", sortBy("", "price:asc"), sorted(docs, func(a, b index.Offer) int {
		return cmp.Compare(a.Price, b.Price)
	}))
	check("price (asc by default)", sortBy("", "price"), sorted(docs, func(a, b index.Offer) int {
		return cmp.Compare(a.Price, b.Price)
	}))
	check("repurchaseRate:desc, price:asc", sortBy("", "repurchaseRate:desc", "price:asc"), sorted(docs, func(a, b index.Offer) int {
		return cmp.Or(cmp.Compare(b.RepurchaseRate, a.RepurchaseRate), cmp.Compare(a.Price, b.Price))
	}))
	tees := expect(docs, func(o index.Offer) bool { return strings.Contains(o.Subject, "T恤") })
	var teeDocs []index.Offer
	for _, o := range docs {
		if slices.Contains(tees, o.OfferID) {
			teeDocs = append(teeDocs, o)
		}
	}
	check(`"T恤" by price:asc`, sortBy("T恤", "price:asc"), sorted(teeDocs, func(a, b index.Offer) int {
		return cmp.Compare(a.Price, b.Price)
	}))

	// Without a sort, best sellers first; ties of a sort go to the better seller.
	bySales := func(a, b index.Offer) int { return cmp.Compare(b.MonthSold, a.MonthSold) }
	check("no sort", sortBy(""), sorted(docs, bySales))
	check(`"T恤", no sort`, sortBy("T恤"), sorted(teeDocs, bySales))
	check("repurchaseRate:asc, ties by sales", sortBy("", "repurchaseRate:asc"), sorted(docs, func(a, b index.Offer) int {
		return cmp.Or(cmp.Compare(a.RepurchaseRate, b.RepurchaseRate), bySales(a, b))
	}))

	// Documents without the sort field come last in both directions.
	for _, dir := range []string{"asc", "desc"} {
		got := sortBy("", "jxhyPrice:"+dir)
		var with, without []index.Offer
		for _, o := range docs {
			if o.JxhyPrice != nil {
				with = append(with, o)
			} else {
				without = append(without, o)
			}
		}
		want := sorted(with, func(a, b index.Offer) int {
			if dir == "desc" {
				a, b = b, a
			}
			return cmp.Compare(*a.JxhyPrice, *b.JxhyPrice)
		})
		if len(got) != len(docs) {
			t.Fatalf("jxhyPrice:%s: %d hits, want %d", dir, len(got), len(docs))
		}
		check("jxhyPrice:"+dir+" (documents with the field)", got[:len(with)], want)
		sameSet(t, "jxhyPrice:"+dir+" (documents without the field, last)", got[len(with):], ids(sortedIDs(without)))
	}
}

func sortedIDs(docs []index.Offer) []index.Offer {
	d := slices.Clone(docs)
	slices.SortFunc(d, func(a, b index.Offer) int { return strings.Compare(a.OfferID, b.OfferID) })
	return d
}
