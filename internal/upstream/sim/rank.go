package sim

import (
	"math"
	"math/bits"
	"slices"
)

// sortOrder is the order of a query's results.
type sortOrder uint8

const (
	orderDefault    sortOrder = iota // the kind's own order
	orderRelevance                   // monthSold desc: the search engine's "relevance"
	orderPriceAsc                    // {"price":"asc"}
	orderPriceDesc                   // {"price":"desc"}
	orderSoldAsc                     // {"monthSold":"asc"}
	orderSimilarity                  // image search: picture fingerprint distance
	orderGoodPrice                   // hot list goodPrice: price asc
	orderComplex                     // hot list complex: a blend of sales, repurchase, price
)

// ranked is one candidate with its sort key; ties break on the offer id, so every order is
// total and deterministic.
type ranked struct {
	key uint64
	id  uint64
	ix  int32
}

func (a ranked) less(b ranked) bool {
	return a.key < b.key || (a.key == b.key && a.id < b.id)
}

// sortKey maps an offer to a key whose ascending order is the wanted order. ref is the
// query picture's fingerprint for orderSimilarity.
func (c *catalog) sortKey(order sortOrder, o *offer, ref uint64) uint64 {
	switch order {
	case orderPriceAsc, orderGoodPrice:
		return uint64(o.price)
	case orderPriceDesc:
		return uint64(math.MaxInt32 - o.price)
	case orderSoldAsc:
		return uint64(o.monthSold)
	case orderSimilarity:
		d := uint64(bits.OnesCount64(c.fingerprint(o) ^ ref))
		return d<<32 | uint64(math.MaxInt32-o.monthSold)
	case orderComplex:
		score := math.Log1p(float64(o.monthSold)) * (0.6 + float64(o.repurchase)/100)
		if o.jx {
			score *= 1.15
		}
		score /= 1 + 0.1*math.Log1p(float64(o.price)/10000)
		return uint64(1<<40) - uint64(score*1e6)
	}
	return uint64(math.MaxInt32 - o.monthSold) // relevance
}

// topK keeps the k best candidates pushed into it (a max-heap whose root is the worst
// kept), and counts them all.
type topK struct {
	k     int
	h     []ranked
	total int
}

func (t *topK) push(e ranked) {
	t.total++
	if len(t.h) < t.k {
		t.h = append(t.h, e)
		for i := len(t.h) - 1; i > 0; { // sift up
			p := (i - 1) / 2
			if !t.h[p].less(t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if t.k == 0 || !e.less(t.h[0]) {
		return
	}
	t.h[0] = e
	for i := 0; ; { // sift down
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(t.h) && t.h[m].less(t.h[l]) {
			m = l
		}
		if r < len(t.h) && t.h[m].less(t.h[r]) {
			m = r
		}
		if m == i {
			break
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// ids returns the kept candidates in order.
func (t *topK) ids() []int32 {
	slices.SortFunc(t.h, func(a, b ranked) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
	out := make([]int32, len(t.h))
	for i, e := range t.h {
		out[i] = e.ix
	}
	return out
}
