package crawl

import (
	"testing"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/upstream"
)

func price(v float64) *float64 { return &v }

func hashBase() upstream.Offer {
	return upstream.Offer{
		OfferID: "610947572360", Subject: "纯棉T恤", SubjectTrans: "cotton tee",
		ImageURL: "https://cbu01.alicdn.com/img/a.jpg", Price: 12.5, JxhyPrice: price(11),
		PfJxhyPrice: nil, MonthSold: 3200, RepurchaseRate: 0.41, IsJxhy: true,
		CategoryID: "1033054", SellerOpenID: "BBBx",
	}
}

// TestContentHash_Golden pins the hash: if it changes, every offer of every mirror reads
// as changed once and is re-sent to the index. Change it only on purpose, with
// contentHashVersion.
func TestContentHash_Golden(t *testing.T) {
	const want = uint64(0x21ab85ad59f7bac6)
	if got := contentHash(hashBase()); got != want {
		t.Errorf("contentHash = %#x, want %#x", got, want)
	}
}

func TestContentHash_EveryFieldCounts(t *testing.T) {
	mutations := map[string]func(*upstream.Offer){
		"offerId":          func(o *upstream.Offer) { o.OfferID += "1" },
		"subject":          func(o *upstream.Offer) { o.Subject += "!" },
		"subjectTrans":     func(o *upstream.Offer) { o.SubjectTrans += "!" },
		"imageUrl":         func(o *upstream.Offer) { o.ImageURL += "?x" },
		"price":            func(o *upstream.Offer) { o.Price += 0.01 },
		"jxhyPrice":        func(o *upstream.Offer) { o.JxhyPrice = price(11.01) },
		"jxhyPrice null":   func(o *upstream.Offer) { o.JxhyPrice = nil },
		"pfJxhyPrice zero": func(o *upstream.Offer) { o.PfJxhyPrice = price(0) },
		"monthSold":        func(o *upstream.Offer) { o.MonthSold++ },
		"repurchaseRate":   func(o *upstream.Offer) { o.RepurchaseRate = 0.42 },
		"isJxhy":           func(o *upstream.Offer) { o.IsJxhy = false },
		"categoryId":       func(o *upstream.Offer) { o.CategoryID = "" },
		"sellerOpenId":     func(o *upstream.Offer) { o.SellerOpenID = "BBBy" },
		// Moving text across a field boundary is a change, not the same bytes.
		"boundary": func(o *upstream.Offer) { o.Subject, o.SubjectTrans = o.Subject+"c", o.SubjectTrans[1:] },
	}
	base := contentHash(hashBase())
	for name, mutate := range mutations {
		o := hashBase()
		mutate(&o)
		if contentHash(o) == base {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
}

func TestContentHash_SameContentSameHash(t *testing.T) {
	a, b := hashBase(), hashBase()
	b.JxhyPrice = price(*a.JxhyPrice) // a different pointer to the same price
	if contentHash(a) != contentHash(b) {
		t.Error("equal offers hash differently")
	}
	negZero := 0.0
	negZero = -negZero // a constant -0.0 would be +0
	a.Price, b.Price = 0, negZero
	if contentHash(a) != contentHash(b) {
		t.Error("prices 0 and -0 hash differently")
	}
}

func TestQueryKey(t *testing.T) {
	base := keywordJob("j", "T恤", "polo衫")
	key := QueryKey(base)
	if key != QueryKey(keywordJob("j", "T恤", "polo衫")) {
		t.Fatal("QueryKey is not stable")
	}
	same := map[string]func(*Job){
		"name":      func(j *Job) { j.Name = "other" },
		"schedule":  func(j *Job) { j.Schedule = "@every 1h" },
		"max pages": func(j *Job) { j.MaxPages = 7 },
	}
	for name, change := range same {
		j := keywordJob("j", "T恤", "polo衫")
		change(&j)
		if QueryKey(j) != key {
			t.Errorf("changing the %s changed the query key", name)
		}
	}
	different := map[string]func(*Job){
		"keyword":     func(j *Job) { j.Queries[1].Keyword = "polo" },
		"query order": func(j *Job) { j.Queries[0], j.Queries[1] = j.Queries[1], j.Queries[0] },
		"page size":   func(j *Job) { j.PageSize = 50 },
		"price range": func(j *Job) { j.Queries[0].PriceStart = "5" },
		"more":        func(j *Job) { j.Queries = append(j.Queries, j.Queries[0]) },
		"kind":        func(j *Job) { j.Kind = upstream.KindStrict },
	}
	for name, change := range different {
		j := keywordJob("j", "T恤", "polo衫")
		change(&j)
		if QueryKey(j) == key {
			t.Errorf("changing the %s kept the query key", name)
		}
	}
}

func TestResumable(t *testing.T) {
	old := keywordJob("j", "a", "b", "c")
	at := func(qi, page int) checkpoint.Cursor {
		return checkpoint.Cursor{Query: qi, Page: page, QueryKey: cursorKey(old, qi, page)}
	}
	legacy := func(qi, page int) checkpoint.Cursor { // the key of the whole list
		return checkpoint.Cursor{Query: qi, Page: page, QueryKey: QueryKey(old)}
	}
	pageSize := keywordJob("j", "a", "b", "c")
	pageSize.PageSize = 50
	for _, tt := range []struct {
		name string
		c    checkpoint.Cursor
		job  Job
		want bool
	}{
		{"unchanged", at(1, 3), old, true},
		{"unchanged, at the start", at(0, 1), old, true},
		{"unchanged, every query done", at(3, 1), old, true},
		{"appended", at(1, 3), keywordJob("j", "a", "b", "c", "d"), true},
		{"appended after every query was done", at(3, 1), keywordJob("j", "a", "b", "c", "d"), true},
		{"later query changed", at(1, 3), keywordJob("j", "a", "b", "x"), true},
		{"later queries dropped", at(1, 3), keywordJob("j", "a", "b"), true},
		{"next query changed before its first page", at(1, 1), keywordJob("j", "a", "x", "c"), true},
		{"current query changed", at(1, 3), keywordJob("j", "a", "x", "c"), false},
		{"done query changed", at(1, 3), keywordJob("j", "x", "b", "c"), false},
		{"current query dropped", at(1, 3), keywordJob("j", "a"), false},
		{"page size changed", at(1, 3), pageSize, false},
		{"kind changed", at(1, 3), func() Job { j := keywordJob("j", "a", "b", "c"); j.Kind = upstream.KindStrict; return j }(), false},
		{"every query done, fewer queries now", at(3, 1), keywordJob("j", "a", "b"), false},
		{"every query done, the same queries now", at(3, 1), keywordJob("j", "a", "b", "c"), true},
		{"legacy key, unchanged", legacy(1, 3), old, true},
		{"legacy key, appended", legacy(1, 3), keywordJob("j", "a", "b", "c", "d"), false},
	} {
		if got := Resumable(tt.job, tt.c); got != tt.want {
			t.Errorf("%s: Resumable = %v, want %v", tt.name, got, tt.want)
		}
	}
}
