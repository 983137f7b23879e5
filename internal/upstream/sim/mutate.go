package sim

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/syncd/syncd/internal/upstream"
)

// Mutate changes the price of round(fraction × offers) offers, chosen by seed alone (the
// same fraction and seed pick the same offers of the same catalog), and returns their ids
// sorted. Each chosen price moves by -20%..+25% and always by at least one fen; jxhyPrice and
// pfJxhyPrice, when set, move in proportion. Answers after Mutate returns show the new
// prices, and cached result lists are dropped since price orders and price filters may
// change. Nothing else about an offer changes.
func (s *Server) Mutate(fraction float64, seed int64) []string {
	n := len(s.cat.offers)
	k := int(math.Round(clamp01(fraction) * float64(n)))
	r := rand.New(rand.NewPCG(uint64(seed), 0x3a7e_c4a9))
	// Floyd's sampling: k distinct indexes without an n-sized permutation.
	chosen := make(map[int32]struct{}, k)
	picked := make([]int32, 0, k)
	for j := n - k; j < n; j++ {
		t := int32(r.IntN(j + 1))
		if _, dup := chosen[t]; dup {
			t = int32(j)
		}
		chosen[t] = struct{}{}
		picked = append(picked, t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ix := range picked {
		o := &s.cat.offers[ix]
		f := 0.8 + 0.45*r.Float64()
		p := int32(math.Round(float64(o.price) * f))
		if p == o.price {
			p++
		}
		o.price = max(1, p)
		if o.jxhy >= 0 {
			o.jxhy = max(1, int32(math.Round(float64(o.jxhy)*f)))
		}
		if o.pfJxhy >= 0 {
			o.pfJxhy = max(1, int32(math.Round(float64(o.pfJxhy)*f)))
		}
	}
	s.cache.clear()
	ids := make([]string, len(picked))
	for i, ix := range picked {
		ids[i] = strconv.FormatUint(s.cat.offers[ix].id, 10)
	}
	slices.Sort(ids)
	return ids
}

// Offer returns the offer with the given id as a client would normalise it, with its
// current prices: the ground truth for checking a mirror.
func (s *Server) Offer(id string) (upstream.Offer, bool) {
	ix, ok := s.cat.lookupString(id)
	if !ok {
		return upstream.Offer{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := &s.cat.offers[ix]
	out := upstream.Offer{
		OfferID:        strconv.FormatUint(o.id, 10),
		Subject:        subject(o),
		SubjectTrans:   subjectTrans(o),
		ImageURL:       s.cat.imageURL(o, s.opts.ImageBaseURL),
		Price:          float64(o.price) / 100,
		MonthSold:      int64(o.monthSold),
		RepurchaseRate: float64(o.repurchase) / 100,
		IsJxhy:         o.jx,
		CategoryID:     families[o.family].nouns[o.noun].subID,
		SellerOpenID:   s.cat.sellers[o.seller].openID,
	}
	if o.jxhy >= 0 {
		v := float64(o.jxhy) / 100
		out.JxhyPrice = &v
	}
	if o.pfJxhy >= 0 {
		v := float64(o.pfJxhy) / 100
		out.PfJxhyPrice = &v
	}
	return out, true
}

// Sellers returns the sellerOpenIds of the catalog, the shops with the most offers first
// (ties by id), so the first few make good shop queries.
func (s *Server) Sellers() []string {
	type shop struct {
		id string
		n  int
	}
	shops := make([]shop, len(s.cat.sellers))
	for i, sl := range s.cat.sellers {
		shops[i] = shop{sl.openID, len(s.cat.sellerPost[i])}
	}
	slices.SortFunc(shops, func(a, b shop) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.id, b.id))
	})
	ids := make([]string, len(shops))
	for i, sh := range shops {
		ids[i] = sh.id
	}
	return ids
}
