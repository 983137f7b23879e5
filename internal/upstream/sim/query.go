package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/syncd/syncd/internal/upstream"
)

// spec is a validated listing query: what the server evaluates and caches.
type spec struct {
	kind   upstream.Kind // category queries are keyword queries: KindKeyword
	words  []string      // keyword, lower-cased, split at white space
	cat    string
	seller string
	image  string // imageAddress, or "base64:" and a hash of imageBase64
	offer  string
	rank   string
	lo, hi int32 // price range in fen, inclusive
	order  sortOrder
}

// key identifies the query's result list in the cache.
func (sp *spec) key() string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%d",
		sp.kind, strings.Join(sp.words, " "), sp.cat, sp.seller, sp.image, sp.offer, sp.rank, sp.lo, sp.hi, sp.order)
}

// newSpec validates the parameters of a listing query of kind k; get returns a parameter
// as text ("" when absent). The error names the offending field.
func newSpec(k upstream.Kind, get func(upstream.Param) string) (*spec, *apiError) {
	sp := &spec{kind: k, lo: 0, hi: math.MaxInt32}
	if k == upstream.KindCategory {
		sp.kind = upstream.KindKeyword
	}
	sp.words = keywordWords(get(upstream.ParamKeyword))
	sp.cat = strings.TrimSpace(get(upstream.ParamCategoryID))
	sp.seller = get(upstream.ParamSellerOpenID)
	sp.image = get(upstream.ParamImageAddress)
	sp.offer = get(upstream.ParamOfferID)
	sp.rank = get(upstream.ParamRankType)
	var err *apiError
	if sp.lo, err = parsePrice(upstream.ParamPriceStart, get(upstream.ParamPriceStart), 0); err != nil {
		return nil, err
	}
	if sp.hi, err = parsePrice(upstream.ParamPriceEnd, get(upstream.ParamPriceEnd), math.MaxInt32); err != nil {
		return nil, err
	}
	if sp.order, err = parseSort(get(upstream.ParamSort)); err != nil {
		return nil, err
	}
	if k == upstream.KindHotlist && !slices.Contains(upstream.RankTypes, sp.rank) {
		return nil, badParam("rankType: must be one of %s, got %q", strings.Join(upstream.RankTypes, ", "), sp.rank)
	}
	return sp, nil
}

func parsePrice(p upstream.Param, s string, unset int32) (int32, *apiError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return unset, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1e7 || math.IsNaN(v) {
		return 0, badParam("%s: must be a decimal amount in yuan, got %q", p, s)
	}
	return int32(math.Round(v * 100)), nil
}

// parseSort reads the sort parameter: a JSON object with one key, price or monthSold, and
// the value asc or desc (API.md §1.8). Empty means the default order.
func parseSort(s string) (sortOrder, *apiError) {
	if strings.TrimSpace(s) == "" {
		return orderDefault, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return 0, badParam("sort: must be a JSON object such as {\"price\":\"asc\"}, got %q", s)
	}
	if len(m) == 0 {
		return orderDefault, nil
	}
	if len(m) > 1 {
		return 0, badParam("sort: one key expected, got %d", len(m))
	}
	for k, v := range m {
		switch {
		case k == "price" && v == "asc":
			return orderPriceAsc, nil
		case k == "price" && v == "desc":
			return orderPriceDesc, nil
		case k == "monthSold" && v == "asc":
			return orderSoldAsc, nil
		case k == "monthSold" && v == "desc":
			return orderRelevance, nil
		case k == "price" || k == "monthSold":
			return 0, badParam("sort: %s must be \"asc\" or \"desc\", got %q", k, v)
		default:
			return 0, badParam("sort: unsupported key %q (price, monthSold)", k)
		}
	}
	return orderDefault, nil
}

// result is a query's answer: the offers in served order, at most MaxResults, and how many
// matched before the cap.
type result struct {
	ids   []int32
	total int
}

// selection is the set of offers a query considers: a candidate list (or every offer) and
// the predicates each candidate must pass.
type selection struct {
	list    []int32 // candidates in ascending order; nil means all offers (or words, if set)
	words   bitset
	catLvl  int // -1 when there is no category filter
	catIx   int
	seller  int32 // -1 when any
	family  int   // -1 when any
	jxOnly  bool
	minRep  uint8
	lo, hi  int32
	minSold int32
	exclude int32 // -1 when none
}

func newSelection(lo, hi int32) selection {
	return selection{catLvl: -1, seller: -1, family: -1, lo: lo, hi: hi, exclude: -1}
}

func (s *selection) match(ix int32, o *offer) bool {
	if o.price < s.lo || o.price > s.hi || o.monthSold < s.minSold || o.repurchase < s.minRep ||
		(s.jxOnly && !o.jx) || ix == s.exclude ||
		(s.seller >= 0 && o.seller != s.seller) || (s.family >= 0 && int(o.family) != s.family) {
		return false
	}
	switch s.catLvl {
	case 0:
		if families[o.family].industry != s.catIx {
			return false
		}
	case 1:
		if int(o.family) != s.catIx {
			return false
		}
	case 2:
		if subIndex(o) != s.catIx {
			return false
		}
	}
	return s.words == nil || s.words.has(ix)
}

// each calls fn for every offer of the selection, in index order.
func (c *catalog) each(s *selection, fn func(ix int32, o *offer)) {
	visit := func(ix int32) {
		if o := &c.offers[ix]; s.match(ix, o) {
			fn(ix, o)
		}
	}
	switch {
	case s.list != nil:
		for _, ix := range s.list {
			visit(ix)
		}
	case s.words != nil:
		s.words.each(visit)
	default:
		for ix := range c.offers {
			visit(int32(ix))
		}
	}
}

// narrow restricts the candidates to list when it is shorter than the current ones.
func (s *selection) narrow(list []int32) {
	if s.list == nil || len(list) < len(s.list) {
		s.list = list
	}
}

// setCategory adds a category filter; it reports false for an unknown category id, which
// matches nothing.
func (c *catalog) setCategory(s *selection, id string) bool {
	if id == "" {
		return true
	}
	ref, ok := categories[id]
	if !ok {
		return false
	}
	s.catLvl, s.catIx = ref.level, ref.index
	switch ref.level {
	case 1:
		s.narrow(c.famPost[ref.index])
	case 2:
		s.narrow(c.subPost[ref.index])
	}
	return true
}

// evaluate runs a listing query. The caller holds Server.mu for reading (prices).
// errNotFound is returned when the query names an offer that does not exist.
func (c *catalog) evaluate(sp *spec) (result, error) {
	sel := newSelection(sp.lo, sp.hi)
	order, ref := sp.order, uint64(0)
	if !c.setCategory(&sel, sp.cat) {
		return result{}, nil
	}
	switch sp.kind {
	case upstream.KindStrict:
		sel.jxOnly = true
	case upstream.KindGlobalStrict:
		sel.jxOnly, sel.minRep = true, 30
	case upstream.KindShop:
		s, ok := c.sellerIdx[sp.seller]
		if !ok {
			return result{}, nil
		}
		sel.seller = s
		sel.narrow(c.sellerPost[s])
	case upstream.KindImage:
		fam, fp := c.imageQuery(sp.image)
		sel.family = fam
		sel.narrow(c.famPost[fam])
		if order == orderDefault {
			order, ref = orderSimilarity, fp
		}
	case upstream.KindRelated:
		ix, ok := c.lookupString(sp.offer)
		if !ok {
			return result{}, errNotFound
		}
		sub := subIndex(&c.offers[ix])
		sel.catLvl, sel.catIx, sel.exclude = 2, sub, ix
		sel.narrow(c.subPost[sub])
	case upstream.KindRecommend:
		return c.recommend(&sel), nil
	case upstream.KindHotlist:
		switch sp.rank {
		case "complex":
			order = orderComplex
		case "goodPrice":
			order = orderGoodPrice
			sel.minSold = c.medianSold(&sel)
		default:
			order = orderRelevance
		}
	}
	if len(sp.words) > 0 {
		sel.words = c.matchKeyword(sp.words)
	}
	t := topK{k: MaxResults}
	c.each(&sel, func(ix int32, o *offer) {
		t.push(ranked{key: c.sortKey(order, o, ref), id: o.id, ix: ix})
	})
	return result{ids: t.ids(), total: t.total}, nil
}

// imageQuery maps a picture to a family and a fingerprint: the offer's own when the picture
// is one of ours, else derived from a hash of the address.
func (c *catalog) imageQuery(image string) (int, uint64) {
	if ix, ok := c.offerOfImage(image, ""); ok {
		o := &c.offers[ix]
		return int(o.family), c.fingerprint(o)
	}
	h := hashString(image)
	return int(h % uint64(len(families))), mix64(h)
}

// medianSold is the median monthSold of the selection (0 when empty).
func (c *catalog) medianSold(sel *selection) int32 {
	var sold []int32
	c.each(sel, func(_ int32, o *offer) { sold = append(sold, o.monthSold) })
	if len(sold) == 0 {
		return 0
	}
	slices.Sort(sold)
	return sold[len(sold)/2]
}

// recommend is the "popular" mix: the best sellers of each family, taken in turn family by
// family.
func (c *catalog) recommend(sel *selection) result {
	per := make([]topK, len(families))
	total := 0
	for f := range families {
		per[f].k = MaxResults
		s := *sel
		s.family = f
		s.narrow(c.famPost[f])
		c.each(&s, func(ix int32, o *offer) {
			per[f].push(ranked{key: c.sortKey(orderRelevance, o, 0), id: o.id, ix: ix})
		})
		total += per[f].total
	}
	lists := make([][]int32, len(per))
	for f := range per {
		lists[f] = per[f].ids()
	}
	var ids []int32
	for j := 0; len(ids) < MaxResults; j++ {
		added := false
		for f := range lists {
			if j < len(lists[f]) && len(ids) < MaxResults {
				ids = append(ids, lists[f][j])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return result{ids: ids, total: total}
}
