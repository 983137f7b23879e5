package sim

import (
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"strconv"
)

const (
	maxMods = 4
	noMod   = 0xff
	// Offer ids are 12-digit numbers: idBase plus a seeded permutation of [0, idSpace).
	idBase  = 600_000_000_000
	idSpace = 100_000_000_000
)

// offer is one catalog entry, kept small so a million of them fit in about 40 MB. Titles are
// not stored: they are rebuilt from family, noun and mods. Prices are in fen (cents); the
// three price fields change under Mutate and are guarded by Server.mu.
type offer struct {
	id         uint64
	price      int32 // fen
	jxhy       int32 // fen, -1 for null
	pfJxhy     int32 // fen, -1 for null
	monthSold  int32
	seller     int32
	repurchase uint8 // percent, 0..80
	family     uint8
	noun       uint8 // index in the family's nouns, which is also its subcategory
	jx         bool  // isJxhy
	mods       [maxMods]uint8
}

// seller is one shop of the catalog.
type seller struct {
	openID string // sellerOpenId, e.g. BBBgGWh2O6JFI6v1aQuZVgRIA
	member string // 13-digit member number, as alicdn image names carry it
}

// catalog is the generated offer set and its posting lists. Everything but offer prices is
// immutable after newCatalog returns.
type catalog struct {
	seed      int64
	offers    []offer
	idMul     uint64 // id permutation: (i*idMul + idAdd) mod idSpace
	idAdd     uint64
	idInv     uint64 // inverse of idMul mod idSpace
	imgMul    uint64 // picture names: (id*imgMul + imgMask) mod 62^8
	imgInv    uint64 // inverse of imgMul mod 62^8
	imgMask   uint64
	sellers   []seller
	sellerIdx map[string]int32
	// Posting lists: offer indexes in ascending order.
	tokenPost  [][]int32 // per vocabulary token
	subPost    [][]int32 // per global subcategory
	famPost    [][]int32 // per family
	sellerPost [][]int32 // per seller
}

// newCatalog generates n offers from seed. The same (n, seed) always yields the same
// catalog.
func newCatalog(n int, seed int64) *catalog {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed_cafe_f00d_d00d))
	c := &catalog{seed: seed, offers: make([]offer, n)}
	c.idMul = 10_000_000_000 + r.Uint64N(80_000_000_000)
	for c.idMul%2 == 0 || c.idMul%5 == 0 {
		c.idMul++
	}
	c.idAdd = r.Uint64N(idSpace)
	inv := new(big.Int).ModInverse(new(big.Int).SetUint64(c.idMul), big.NewInt(idSpace))
	c.idInv = inv.Uint64()
	c.imgMask = r.Uint64N(base62Max)
	c.imgMul = 1 + 2*r.Uint64N(base62Max/2)
	for c.imgMul%31 == 0 {
		c.imgMul += 2
	}
	c.imgInv = new(big.Int).ModInverse(new(big.Int).SetUint64(c.imgMul), big.NewInt(base62Max)).Uint64()

	famSellers := c.makeSellers(r, max(10, n/20))
	cum := make([]int, len(families))
	total := 0
	for f, fam := range families {
		total += fam.weight
		cum[f] = total
	}
	for i := range c.offers {
		o := &c.offers[i]
		o.id = idBase + (uint64(i)*c.idMul+c.idAdd)%idSpace
		w := r.IntN(total)
		f := 0
		for cum[f] <= w {
			f++
		}
		fam := &families[f]
		o.family = uint8(f)
		o.noun = uint8(r.IntN(len(fam.nouns)))
		pickMods(r, f, &o.mods)
		price := fam.priceMedian * math.Exp(fam.priceSigma*r.NormFloat64())
		if r.Float64() < 0.02 { // premium and bulk-lot offers: the tail to a few thousand
			price *= 5 + 45*r.Float64()
		}
		o.price = int32(math.Round(min(max(price, 0.3), 50_000) * 100))
		o.jx = r.Float64() < 0.2
		o.jxhy, o.pfJxhy = -1, -1
		if o.jx || r.Float64() < 0.25 {
			o.jxhy = max(1, int32(float64(o.price)*(0.88+0.1*r.Float64())))
			o.pfJxhy = max(1, int32(float64(o.jxhy)*(0.95+0.05*r.Float64())))
		}
		// Pareto with a small shape: most offers sell under 100 a month, a few sell tens of
		// thousands.
		sold := math.Pow(1-r.Float64(), -1/0.65) - 1
		o.monthSold = int32(min(sold, 2_000_000))
		o.repurchase = uint8(min(80, math.Pow(r.Float64(), 1.5)*81))
		ss := famSellers[f]
		u := r.Float64()
		o.seller = ss[int(float64(len(ss))*u*u)]
	}
	c.buildPostings()
	return c
}

// makeSellers creates the shops, each selling in one or two families, and returns the
// sellers of each family, largest first.
func (c *catalog) makeSellers(r *rand.Rand, n int) [][]int32 {
	c.sellers = make([]seller, n)
	c.sellerIdx = make(map[string]int32, n)
	famSellers := make([][]int32, len(families))
	for s := range c.sellers {
		var openID string
		for {
			openID = "BBB" + randomBase62(r, 22)
			if _, dup := c.sellerIdx[openID]; !dup {
				break
			}
		}
		c.sellers[s] = seller{openID: openID, member: "22" + strconv.FormatUint(10_000_000_000+r.Uint64N(90_000_000_000), 10)}
		c.sellerIdx[openID] = int32(s)
		var primary int
		if s < len(families) {
			primary = s // every family gets at least one seller
		} else {
			primary = weightedFamily(r)
		}
		famSellers[primary] = append(famSellers[primary], int32(s))
		if s >= len(families) && r.Float64() < 0.3 {
			if second := weightedFamily(r); second != primary {
				famSellers[second] = append(famSellers[second], int32(s))
			}
		}
	}
	for f := n; f < len(families); f++ { // fewer sellers than families
		famSellers[f] = append(famSellers[f], int32(f-n))
	}
	return famSellers
}

func weightedFamily(r *rand.Rand) int {
	w := r.IntN(vocab.totalW)
	for f, fam := range families {
		if w < fam.weight {
			return f
		}
		w -= fam.weight
	}
	return len(families) - 1
}

// pickMods chooses two to four modifiers of family f, at most one per group, in title
// order.
func pickMods(r *rand.Rand, f int, out *[maxMods]uint8) {
	groups := vocab.famGroups[f]
	var order [numGroups]modGroup
	copy(order[:], groups)
	k := min(2+r.IntN(3), len(groups))
	for j := 0; j < k; j++ { // partial Fisher-Yates
		x := j + r.IntN(len(groups)-j)
		order[j], order[x] = order[x], order[j]
	}
	var chosen [maxMods]uint8
	for j := 0; j < k; j++ {
		ms := vocab.famByGroup[f][order[j]]
		chosen[j] = uint8(ms[r.IntN(len(ms))])
	}
	for j := 1; j < k; j++ { // insertion sort: modifier index order is title order
		for x := j; x > 0 && chosen[x] < chosen[x-1]; x-- {
			chosen[x], chosen[x-1] = chosen[x-1], chosen[x]
		}
	}
	for j := range out {
		if j < k {
			out[j] = chosen[j]
		} else {
			out[j] = noMod
		}
	}
}

// buildPostings fills the posting lists in two passes (count, then fill) so each kind of
// list is one exactly sized allocation.
func (c *catalog) buildPostings() {
	nTok, nSub := len(vocab.tokens), len(vocab.subs)
	tokCount := make([]int, nTok)
	subCount := make([]int, nSub)
	famCount := make([]int, len(families))
	selCount := make([]int, len(c.sellers))
	for i := range c.offers {
		o := &c.offers[i]
		for _, m := range o.mods {
			if m != noMod {
				tokCount[m]++
			}
		}
		sub := vocab.nounBase[o.family] - len(modifiers) + int(o.noun)
		tokCount[len(modifiers)+sub]++
		subCount[sub]++
		famCount[o.family]++
		selCount[o.seller]++
	}
	c.tokenPost = carve(tokCount)
	c.subPost = carve(subCount)
	c.famPost = carve(famCount)
	c.sellerPost = carve(selCount)
	for i := range c.offers {
		o := &c.offers[i]
		ix := int32(i)
		for _, m := range o.mods {
			if m != noMod {
				c.tokenPost[m] = append(c.tokenPost[m], ix)
			}
		}
		sub := vocab.nounBase[o.family] - len(modifiers) + int(o.noun)
		c.tokenPost[len(modifiers)+sub] = append(c.tokenPost[len(modifiers)+sub], ix)
		c.subPost[sub] = append(c.subPost[sub], ix)
		c.famPost[o.family] = append(c.famPost[o.family], ix)
		c.sellerPost[o.seller] = append(c.sellerPost[o.seller], ix)
	}
}

// carve returns empty slices with the given capacities, all cut from one array.
func carve(counts []int) [][]int32 {
	total := 0
	for _, n := range counts {
		total += n
	}
	backing := make([]int32, total)
	out := make([][]int32, len(counts))
	at := 0
	for i, n := range counts {
		out[i] = backing[at : at : at+n]
		at += n
	}
	return out
}

// subIndex returns the global subcategory index of o.
func subIndex(o *offer) int {
	return vocab.nounBase[o.family] - len(modifiers) + int(o.noun)
}

// nounToken returns the vocabulary token id of o's noun.
func nounToken(o *offer) int {
	return vocab.nounBase[o.family] + int(o.noun)
}

// lookup returns the index of the offer with the given 12-digit id.
func (c *catalog) lookup(id uint64) (int32, bool) {
	if id < idBase || id >= idBase+idSpace {
		return 0, false
	}
	x := (id - idBase + idSpace - c.idAdd) % idSpace
	hi, lo := bits.Mul64(x, c.idInv)
	i := bits.Rem64(hi, lo, idSpace)
	if i >= uint64(len(c.offers)) {
		return 0, false
	}
	return int32(i), true
}

// lookupString is lookup for an offer id as text.
func (c *catalog) lookupString(s string) (int32, bool) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return c.lookup(id)
}

// titleTokens returns the vocabulary tokens of o's title in reading order: the modifiers,
// the noun, then trade terms (批发, 厂家直销...), which 1688 titles put last.
func titleTokens(o *offer) (ids [maxMods + 1]int, n int) {
	for _, m := range o.mods {
		if m != noMod && modifiers[m].group != groupTrade {
			ids[n] = int(m)
			n++
		}
	}
	ids[n] = nounToken(o)
	n++
	for _, m := range o.mods {
		if m != noMod && modifiers[m].group == groupTrade {
			ids[n] = int(m)
			n++
		}
	}
	return ids, n
}

// appendSubject appends o's Chinese title, JSON-escaped.
func appendSubject(b []byte, o *offer) []byte {
	ids, n := titleTokens(o)
	for _, id := range ids[:n] {
		b = append(b, vocab.tokens[id].zhJSON...)
	}
	return b
}

// appendSubjectTrans appends o's English title, JSON-escaped.
func appendSubjectTrans(b []byte, o *offer) []byte {
	ids, n := titleTokens(o)
	for i, id := range ids[:n] {
		if i == 0 {
			b = append(b, vocab.tokens[id].enCapJ...)
			continue
		}
		b = append(b, ' ')
		b = append(b, vocab.tokens[id].enJSON...)
	}
	return b
}

// subjectLower returns o's Chinese title lower-cased, for substring matching.
func subjectLower(o *offer) string {
	ids, n := titleTokens(o)
	var buf [96]byte
	b := buf[:0]
	for _, id := range ids[:n] {
		b = append(b, vocab.tokens[id].zhLower...)
	}
	return string(b)
}

// subject and subjectTrans return o's titles as strings. The vocabulary has nothing JSON
// would escape, so the escaped and plain forms are the same (TestVocab_NeedsNoEscaping).
func subject(o *offer) string      { return string(appendSubject(nil, o)) }
func subjectTrans(o *offer) string { return string(appendSubjectTrans(nil, o)) }
