package upstream

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestSign_Vector(t *testing.T) {
	// API.md §1.3: the hypothesis formula with a made-up secret.
	got := Sign("58c0201dfdf148eca63cbf6bb5e7cf03", "1715669977082", "nonce-str", "test-secret")
	if got != "47CB965C3AB252BDF9ED348A90C6B66D" {
		t.Errorf("Sign = %s, want 47CB965C3AB252BDF9ED348A90C6B66D", got)
	}
}

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n := NewNonce()
		if len(n) != 32 || strings.Trim(n, nonceAlphabet) != "" || seen[n] {
			t.Fatalf("nonce %q: want 32 new characters of [A-Za-z0-9]", n)
		}
		seen[n] = true
	}
}

func TestAppendBody(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		q    Query
		page int
		want string
	}{
		{"keyword", KindKeyword, Query{Keyword: "T恤", PriceStart: "5", PriceEnd: "", Sort: `{"price":"desc"}`}, 2,
			`{"beginPage":2,"pageSize":20,"country":"en","keyword":"T恤","priceStart":"5","sort":"{\"price\":\"desc\"}"}`},
		{"category sends categoryId as a string", KindCategory, Query{CategoryID: "1033054"}, 1,
			`{"beginPage":1,"pageSize":20,"country":"en","categoryId":"1033054"}`},
		{"image sends categoryId as an integer", KindImage, Query{ImageAddress: "https://x/a.jpg", CategoryID: "72"}, 1,
			`{"beginPage":1,"pageSize":20,"country":"en","imageAddress":"https://x/a.jpg","categoryId":72}`},
		{"shop", KindShop, Query{SellerOpenID: "BBBgGWh2O6JFI6v1aQuZVgRIA", Keyword: "包"}, 3,
			`{"beginPage":3,"pageSize":20,"country":"en","sellerOpenId":"BBBgGWh2O6JFI6v1aQuZVgRIA","keyword":"包"}`},
		{"related pages with pageNo and language", KindRelated, Query{OfferID: "f6vE-dfY1NV37oG_fz9WSA", Keyword: "ignored"}, 1,
			`{"pageNo":1,"pageSize":20,"language":"en","offerId":"f6vE-dfY1NV37oG_fz9WSA"}`},
		{"recommend takes nothing else", KindRecommend, Query{Keyword: "ignored", CategoryID: "9"}, 1,
			`{"beginPage":1,"pageSize":20,"country":"en"}`},
		{"hotlist", KindHotlist, Query{RankType: "hot", CategoryID: "5"}, 1,
			`{"beginPage":1,"pageSize":20,"country":"en","categoryId":"5","rankType":"hot"}`},
		{"detail is not paged", KindDetail, Query{OfferID: "706627393257"}, 0,
			`{"country":"en","offerId":"706627393257"}`},
		{"escapes", KindKeyword, Query{Keyword: "a\"b\\c\n\x00\xff"}, 1,
			`{"beginPage":1,"pageSize":20,"country":"en","keyword":"a\"b\\c\n\u0000\ufffd"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, _ := Lookup(tt.kind)
			got := string(appendBody(nil, ep, "en", tt.q, tt.page, 20))
			if got != tt.want {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("body is not valid JSON: %s", got)
			}
		})
	}
}

func TestValidatePage(t *testing.T) {
	ok := PageRequest{Query: Query{Kind: KindKeyword, Keyword: "x"}, Page: 1, PageSize: 50}
	if err := ValidatePage(ok); err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
	tests := []struct {
		name string
		req  PageRequest
		want string
	}{
		{"unknown kind", PageRequest{Query: Query{Kind: "nope"}, Page: 1, PageSize: 1}, `unknown kind "nope"`},
		{"not a listing", PageRequest{Query: Query{Kind: KindDetail, OfferID: "1"}, Page: 1, PageSize: 1}, "not a listing"},
		{"page 0", PageRequest{Query: Query{Kind: KindKeyword, Keyword: "x"}, Page: 0, PageSize: 1}, "pages start at 1"},
		{"page size 0", PageRequest{Query: Query{Kind: KindKeyword, Keyword: "x"}, Page: 1, PageSize: 0}, "want 1..50"},
		{"page size 51", PageRequest{Query: Query{Kind: KindKeyword, Keyword: "x"}, Page: 1, PageSize: 51}, "want 1..50"},
		{"missing keyword", PageRequest{Query: Query{Kind: KindKeyword}, Page: 1, PageSize: 1}, "needs keyword"},
		{"missing seller", PageRequest{Query: Query{Kind: KindShop, Keyword: "x"}, Page: 1, PageSize: 1}, "needs sellerOpenId"},
		{"bad rank type", PageRequest{Query: Query{Kind: KindHotlist, RankType: "best"}, Page: 1, PageSize: 1}, `rankType "best"`},
		{"non-numeric int category", PageRequest{Query: Query{Kind: KindImage, ImageAddress: "u", CategoryID: "7a"}, Page: 1, PageSize: 1}, "as an integer"},
		{"negative int category", PageRequest{Query: Query{Kind: KindShop, SellerOpenID: "s", CategoryID: "-1"}, Page: 1, PageSize: 1}, "as an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePage(tt.req)
			if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), tt.want) || !IsPermanent(err) {
				t.Errorf("err = %v, want a permanent ErrInvalidRequest containing %q", err, tt.want)
			}
		})
	}
}

func TestValidatePage_EveryListingKind(t *testing.T) {
	// The queries the integration tests use must pass; a row without parameters must too.
	for _, k := range ListingKinds() {
		if err := ValidatePage(PageRequest{Query: sampleQuery(k), Page: 1, PageSize: 20}); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// sampleQuery returns a query of kind k with its required parameters set.
func sampleQuery(k Kind) Query {
	q := Query{Kind: k}
	ep, _ := Lookup(k)
	for _, p := range ep.Required {
		switch p {
		case ParamKeyword:
			q.Keyword = "T恤"
		case ParamCategoryID:
			q.CategoryID = "1033054"
		case ParamSellerOpenID:
			q.SellerOpenID = "BBBgGWh2O6JFI6v1aQuZVgRIA"
		case ParamImageAddress:
			q.ImageAddress = "https://cbu01.alicdn.com/img/ibank/x.jpg"
		case ParamOfferID:
			q.OfferID = "wmNAp5CyEQ2fatKAZGGMWQ"
		case ParamRankType:
			q.RankType = "hot"
		}
	}
	return q
}

func TestPage_Last(t *testing.T) {
	items := func(n int) []Offer { return make([]Offer, n) }
	tests := []struct {
		p    Page
		page int
		last bool
	}{
		{Page{TotalPage: 401, Offers: items(5)}, 1, false},
		{Page{TotalPage: 401, Offers: items(5)}, 401, true},
		{Page{TotalPage: 401, Offers: items(5)}, 402, true},
		{Page{TotalPage: 401}, 7, true},                                                 // empty before totalPage
		{Page{TotalPage: 401, Invalid: []ItemError{{}}}, 7, false},                      // all invalid is not empty
		{Page{TotalPage: 0, Offers: items(5)}, 9, false},                                // no totalPage: wait for an empty page
		{Page{TotalRecords: 10, PageSize: 5, TotalPage: 3, Offers: items(5)}, 2, false}, // totalPage is trusted over ceil(10/5)
	}
	for i, tt := range tests {
		if got := tt.p.Last(tt.page); got != tt.last {
			t.Errorf("case %d: Last(%d) = %v, want %v", i, tt.page, got, tt.last)
		}
	}
}
