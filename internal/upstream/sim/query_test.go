package sim

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/upstream"
)

// bruteMatch is the keyword rule of matchKeyword written the slow, obvious way, over
// rebuilt titles.
func bruteMatch(o *offer, words []string, pieces [][]string) bool {
	zh := strings.ToLower(subject(o))
	var en []string
	for _, w := range strings.Fields(strings.ToLower(subjectTrans(o))) {
		en = append(en, w)
		for _, p := range strings.FieldsFunc(w, func(r rune) bool { return r == '-' || r == '\'' }) {
			if len(p) > 1 {
				en = append(en, p)
			}
		}
	}
	for i, w := range words {
		ok := strings.Contains(zh, w) || slices.Contains(en, w)
		if !ok && pieces[i] != nil {
			ok = true
			for _, p := range pieces[i] {
				ok = ok && (strings.Contains(zh, p) || slices.Contains(en, p))
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func TestKeyword_MatchesTitles(t *testing.T) {
	s := New(Options{Offers: 3000}) // small enough that no keyword below hits the cap
	for _, kw := range []string{"T恤", "t恤", "t-shirt", "T-Shirt", "shirt", "cotton", "COTTON t-shirt",
		"纯棉", "纯棉T恤", "男士T恤", "季纯", "men's", "men", "包", "backpack", "waterproof 双肩包", "phone case", "nothing-like-this"} {
		words := strings.Fields(strings.ToLower(kw))
		pieces := make([][]string, len(words))
		for i, w := range words {
			pieces[i] = segment(w)
		}
		var want []string
		for i := range s.cat.offers {
			if o := &s.cat.offers[i]; bruteMatch(o, words, pieces) {
				want = append(want, strconv.FormatUint(o.id, 10))
			}
		}
		got := s.Matches(upstream.Query{Kind: upstream.KindKeyword, Keyword: kw})
		if len(got) >= MaxResults {
			t.Fatalf("%q hits the cap; use a smaller catalog", kw)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("keyword %q: %d matches, brute force finds %d", kw, len(got), len(want))
		}
		if kw != "nothing-like-this" && len(want) == 0 {
			t.Errorf("keyword %q matches nothing; the test wants it to", kw)
		}
	}
}

func TestKeyword_ChineseAndEnglishAgree(t *testing.T) {
	h := newHarness(t, Options{})
	for _, kw := range []string{"T恤", "t-shirt"} {
		p := h.page(upstream.Query{Kind: upstream.KindKeyword, Keyword: kw}, 1, 50)
		for _, it := range p.Data {
			if !strings.Contains(it.Subject, "T恤") || !strings.Contains(strings.ToLower(it.SubjectTrans), "t-shirt") {
				t.Fatalf("%q returned %q / %q", kw, it.Subject, it.SubjectTrans)
			}
		}
	}
	p := h.page(upstream.Query{Kind: upstream.KindKeyword, Keyword: "cotton"}, 1, 50)
	for _, it := range p.Data {
		if !strings.Contains(it.Subject, "纯棉") {
			t.Fatalf("cotton returned %q / %q", it.Subject, it.SubjectTrans)
		}
	}
}

func TestKeyword_PriceRangeAndSort(t *testing.T) {
	h := newHarness(t, Options{})
	base := upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤", PriceStart: "10", PriceEnd: "20.5"}
	for _, tc := range []struct {
		sort string
		ok   func(prev, cur upstream.RawItem) bool
	}{
		{"", func(p, c upstream.RawItem) bool { return monthSold(t, p) >= monthSold(t, c) }},
		{`{"monthSold":"desc"}`, func(p, c upstream.RawItem) bool { return monthSold(t, p) >= monthSold(t, c) }},
		{`{"monthSold":"asc"}`, func(p, c upstream.RawItem) bool { return monthSold(t, p) <= monthSold(t, c) }},
		{`{"price":"asc"}`, func(p, c upstream.RawItem) bool {
			return price(t, p.PriceInfo.Price) <= price(t, c.PriceInfo.Price)
		}},
		{`{"price":"desc"}`, func(p, c upstream.RawItem) bool {
			return price(t, p.PriceInfo.Price) >= price(t, c.PriceInfo.Price)
		}},
	} {
		q := base
		q.Sort = tc.sort
		var items []upstream.RawItem
		for page := 1; page <= 4; page++ {
			items = append(items, h.page(q, page, 50).Data...)
		}
		if len(items) < 100 {
			t.Fatalf("sort %s: only %d items", tc.sort, len(items))
		}
		for i, it := range items {
			if p := price(t, it.PriceInfo.Price); p < 10 || p > 20.5 {
				t.Fatalf("sort %s: price %v outside 10..20.5", tc.sort, p)
			}
			if i > 0 && !tc.ok(items[i-1], it) {
				t.Fatalf("sort %s: item %d out of order", tc.sort, i)
			}
		}
	}
}

func TestStrict_OnlyJxhy(t *testing.T) {
	h := newHarness(t, Options{})
	strict := h.page(upstream.Query{Kind: upstream.KindStrict, Keyword: "包"}, 1, 50)
	global := h.page(upstream.Query{Kind: upstream.KindGlobalStrict, Keyword: "包"}, 1, 50)
	all := h.page(upstream.Query{Kind: upstream.KindKeyword, Keyword: "包"}, 1, 50)
	if !(global.TotalRecords < strict.TotalRecords && strict.TotalRecords < all.TotalRecords) || global.TotalRecords == 0 {
		t.Fatalf("records: global-strict %d, strict %d, keyword %d", global.TotalRecords, strict.TotalRecords, all.TotalRecords)
	}
	for _, it := range strict.Data {
		if string(it.IsJxhy) != "true" {
			t.Fatalf("strict returned isJxhy %s", it.IsJxhy)
		}
	}
	for _, it := range global.Data {
		var rate string
		_ = json.Unmarshal(it.RepurchaseRate, &rate)
		pct, _ := strconv.Atoi(strings.TrimSuffix(rate, "%"))
		if string(it.IsJxhy) != "true" || pct < 30 {
			t.Fatalf("global-strict returned isJxhy %s repurchase %s", it.IsJxhy, rate)
		}
	}
}

func TestCategory_FamilyIncludesSubcategories(t *testing.T) {
	h := newHarness(t, Options{})
	fam := h.page(upstream.Query{Kind: upstream.KindCategory, CategoryID: "1042754"}, 1, 50)
	subs := map[string]bool{"1042755": true, "1042756": true, "1042757": true}
	seen := map[string]bool{}
	for _, it := range fam.Data {
		var cat string
		_ = json.Unmarshal(it.CategoryID, &cat)
		if !subs[cat] {
			t.Fatalf("bags returned category %s", cat)
		}
		seen[cat] = true
	}
	if len(seen) < 2 {
		t.Fatalf("a page of bags covers only %v", seen)
	}
	sub := h.page(upstream.Query{Kind: upstream.KindCategory, CategoryID: "1042756"}, 1, 50)
	for _, it := range sub.Data {
		if string(it.CategoryID) != `"1042756"` || !strings.Contains(it.Subject, "双肩包") {
			t.Fatalf("backpacks returned %s %q", it.CategoryID, it.Subject)
		}
	}
	if none := h.page(upstream.Query{Kind: upstream.KindCategory, CategoryID: "999"}, 1, 50); none.TotalRecords != 0 || len(none.Data) != 0 {
		t.Fatalf("unknown category returned %d records", none.TotalRecords)
	}
}

func TestShop_ReturnsTheSellersOffers(t *testing.T) {
	h := newHarness(t, Options{})
	seller := h.sim.Sellers()[3]
	want := 0
	for i := range h.sim.cat.offers {
		if h.sim.cat.sellers[h.sim.cat.offers[i].seller].openID == seller {
			want++
		}
	}
	q := upstream.Query{Kind: upstream.KindShop, SellerOpenID: seller}
	ids, _ := h.crawl(q, 50)
	if len(ids) != want || want == 0 || want > testOffers/10 {
		t.Fatalf("shop served %d offers, the seller has %d", len(ids), want)
	}
	cats := map[string]bool{}
	for _, id := range ids {
		o, _ := h.sim.Offer(id)
		if o.SellerOpenID != seller {
			t.Fatalf("offer %s belongs to %s", id, o.SellerOpenID)
		}
		cats[families[h.sim.cat.offers[mustIndex(t, h.sim, id)].family].id] = true
	}
	if len(cats) > 2 {
		t.Fatalf("one shop sells in %d families", len(cats))
	}
	q.Keyword = "2024"
	for _, id := range h.sim.Matches(q) {
		if o, _ := h.sim.Offer(id); o.SellerOpenID != seller || !strings.Contains(o.Subject, "2024") {
			t.Fatalf("shop keyword search returned %+v", o)
		}
	}
	if p := h.page(upstream.Query{Kind: upstream.KindShop, SellerOpenID: "BBBnoSuchSeller"}, 1, 20); p.TotalRecords != 0 {
		t.Fatalf("unknown seller has %d records", p.TotalRecords)
	}
}

func mustIndex(t *testing.T, s *Server, id string) int32 {
	t.Helper()
	ix, ok := s.cat.lookupString(id)
	if !ok {
		t.Fatalf("no offer %s", id)
	}
	return ix
}

func TestHotlist_Orders(t *testing.T) {
	h := newHarness(t, Options{})
	get := func(rank string) []upstream.RawItem {
		return h.page(upstream.Query{Kind: upstream.KindHotlist, RankType: rank, CategoryID: "1031910"}, 1, 50).Data
	}
	hot, good, complexRank := get("hot"), get("goodPrice"), get("complex")
	for i := 1; i < len(hot); i++ {
		if monthSold(t, hot[i-1]) < monthSold(t, hot[i]) {
			t.Fatalf("hot: item %d sells more than item %d", i, i-1)
		}
	}
	median := h.sim.cat.medianSold(&selection{catLvl: 1, catIx: 0, seller: -1, family: -1, hi: 1 << 30, exclude: -1})
	for i, it := range good {
		if monthSold(t, it) < int64(median) {
			t.Fatalf("goodPrice: item %d sells %d, below the median %d", i, monthSold(t, it), median)
		}
		if i > 0 && price(t, good[i-1].PriceInfo.Price) > price(t, it.PriceInfo.Price) {
			t.Fatalf("goodPrice: item %d is cheaper than item %d", i, i-1)
		}
	}
	if itemID(t, complexRank[0]) == itemID(t, good[0]) {
		t.Fatal("complex ranks like goodPrice")
	}
	for _, list := range [][]upstream.RawItem{hot, good, complexRank} {
		for _, it := range list {
			if !strings.HasPrefix(string(it.CategoryID), `"103191`) {
				t.Fatalf("T-shirt hot list returned category %s", it.CategoryID)
			}
		}
	}
	all := h.page(upstream.Query{Kind: upstream.KindHotlist, RankType: "hot"}, 1, 50)
	if all.TotalRecords != MaxResults {
		t.Fatalf("hot list without category: %d records", all.TotalRecords)
	}
}

func TestImage_FindsTheSameFamily(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.sim.Matches(upstream.Query{Kind: upstream.KindKeyword, Keyword: "耳机"})[5]
	o, _ := h.sim.Offer(id)
	p := h.page(upstream.Query{Kind: upstream.KindImage, ImageAddress: o.ImageURL}, 1, 50)
	if itemID(t, p.Data[0]) != id {
		t.Fatalf("image search for offer %s's picture starts with %s", id, itemID(t, p.Data[0]))
	}
	for _, it := range p.Data {
		if !strings.Contains(it.Subject, "耳机") {
			t.Fatalf("image search for earphones returned %q", it.Subject)
		}
	}
	foreign := upstream.Query{Kind: upstream.KindImage, ImageAddress: "https://cbu01.alicdn.com/img/ibank/O1CN01Gf8JoQ20i0lN5N8v2_!!2207943566882-0-cib.jpg"}
	a, b := h.sim.Matches(foreign), h.sim.Matches(foreign)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("foreign picture: %d results, stable %v", len(a), slices.Equal(a, b))
	}
	// imageBase64 alone is accepted as the picture.
	env := h.envelope("/v2/alibaba/product/image/query", map[string]any{"imageBase64": "/9j/4AAQSkZJRg", "beginPage": 1, "pageSize": 5})
	if env.Code != upstream.CodeOK {
		t.Fatalf("imageBase64 search: code %d %s", env.Code, env.Msg)
	}
}

func TestRelated_SameCategoryWithoutItself(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.sim.Matches(upstream.Query{Kind: upstream.KindKeyword, Keyword: "dress"})[0]
	self, _ := h.sim.Offer(id)
	ids, _ := h.crawl(upstream.Query{Kind: upstream.KindRelated, OfferID: id}, 50)
	if len(ids) == 0 {
		t.Fatal("no related offers")
	}
	for _, rid := range ids {
		o, _ := h.sim.Offer(rid)
		if rid == id || o.CategoryID != self.CategoryID {
			t.Fatalf("related to %s (%s): %s (%s)", id, self.CategoryID, rid, o.CategoryID)
		}
	}
	if code, msg := h.code(upstream.Query{Kind: upstream.KindRelated, OfferID: "123"}, 1, 10); code != CodeNotFound || !strings.Contains(msg, "offerId") {
		t.Fatalf("unknown offer: code %d %q", code, msg)
	}
}

func TestRecommend_MixesFamilies(t *testing.T) {
	h := newHarness(t, Options{})
	p := h.page(upstream.Query{Kind: upstream.KindRecommend}, 1, 20)
	cats := map[string]bool{}
	for _, it := range p.Data {
		o, _ := h.sim.Offer(itemID(t, it))
		cats[families[h.sim.cat.offers[mustIndex(t, h.sim, o.OfferID)].family].key] = true
	}
	if len(cats) != len(families) {
		t.Fatalf("first recommend page covers %d of %d families", len(cats), len(families))
	}
}

func TestDetailAndCategories(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.sim.Matches(upstream.Query{Kind: upstream.KindKeyword, Keyword: "folder"})[0]
	want, _ := h.sim.Offer(id)
	n, _ := strconv.ParseInt(id, 10, 64)
	for _, offerID := range []any{id, n} {
		env := h.envelope("/v2/alibaba/product/detail/get", map[string]any{"offerId": offerID, "country": "en"})
		var d struct {
			OfferID      json.Number `json:"offerId"`
			Subject      string      `json:"subject"`
			SubjectTrans string      `json:"subjectTrans"`
			CategoryID   json.Number `json:"categoryId"`
			PriceInfo    upstream.RawPriceInfo
		}
		if env.Code != upstream.CodeOK {
			t.Fatalf("detail %v: code %d %s", offerID, env.Code, env.Msg)
		}
		if err := json.Unmarshal(env.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.OfferID.String() != id || d.Subject != want.Subject || d.SubjectTrans != want.SubjectTrans ||
			d.CategoryID.String() != want.CategoryID || price(t, d.PriceInfo.Price) != want.Price {
			t.Fatalf("detail %v = %+v, want %+v", offerID, d, want)
		}
	}
	if env := h.envelope("/v2/alibaba/product/detail/get", map[string]any{"offerId": "600000000001"}); env.Code != CodeNotFound {
		t.Fatalf("unknown offer: code %d", env.Code)
	}
	env := h.envelope("/v2/alibaba/product/category/get", map[string]any{"categoryId": 1042754, "country": "en"})
	var cat Category
	if err := json.Unmarshal(env.Data, &cat); err != nil || env.Code != upstream.CodeOK {
		t.Fatalf("category: code %d err %v", env.Code, err)
	}
	if cat.CategoryName != "包" || cat.CategoryNameTrans != "Bags" || cat.ParentID != "1813" || len(cat.Children) != 3 {
		t.Fatalf("category 1042754 = %+v", cat)
	}
	if env := h.envelope("/v2/alibaba/product/category/get", map[string]any{"categoryId": "42"}); env.Code != CodeNotFound {
		t.Fatalf("unknown category: code %d", env.Code)
	}
}
