package sim

import (
	"math/bits"
	"strconv"
	"strings"
)

// Offer pictures have one of two URL forms. With Options.ImageBaseURL set, an offer's
// picture is ImageBaseURL/{offerId}.svg, served by this simulator (GET /img/...). Otherwise
// it is an alicdn-style URL that carries the offer id, scrambled, in its file name, so image
// search can tell which offer a URL belongs to without a lookup table:
//
//	https://cbu01.alicdn.com/img/ibank/O1CN01{8 chars: id}{9 chars: filler}_!!{member}-0-cib.jpg
const (
	alicdnPrefix = "https://cbu01.alicdn.com/img/ibank/O1CN01"
	alicdnSuffix = "-0-cib.jpg"
)

// appendImageURL appends the picture URL of o, JSON-safe as it is (no characters to
// escape).
func (c *catalog) appendImageURL(b []byte, o *offer, base string) []byte {
	if base != "" {
		b = append(b, base...)
		b = append(b, '/')
		b = strconv.AppendUint(b, o.id, 10)
		return append(b, ".svg"...)
	}
	b = append(b, alicdnPrefix...)
	b = appendBase62(b, (mulMod(o.id, c.imgMul, base62Max)+c.imgMask)%base62Max, 8)
	b = appendBase62(b, mix64(uint64(c.seed)^o.id)%base62Max, 8)
	b = append(b, base62[mix64(o.id)%62])
	b = append(b, "_!!"...)
	b = append(b, c.sellers[o.seller].member...)
	return append(b, alicdnSuffix...)
}

// imageURL is appendImageURL as a string.
func (c *catalog) imageURL(o *offer, base string) string {
	return string(c.appendImageURL(nil, o, base))
}

// offerOfImage returns the offer whose picture URL is u, if u is one of ours (either form).
func (c *catalog) offerOfImage(u, base string) (int32, bool) {
	if strings.HasSuffix(u, ".svg") {
		i := strings.LastIndexByte(u, '/')
		if i < 0 {
			return 0, false
		}
		ix, ok := c.lookupString(u[i+1 : len(u)-len(".svg")])
		if !ok || (base != "" && u != c.imageURL(&c.offers[ix], base)) {
			return 0, false
		}
		return ix, true
	}
	if !strings.HasPrefix(u, alicdnPrefix) || len(u) < len(alicdnPrefix)+8 {
		return 0, false
	}
	v, ok := parseBase62(u[len(alicdnPrefix) : len(alicdnPrefix)+8])
	if !ok {
		return 0, false
	}
	ix, ok := c.lookup(mulMod((v+base62Max-c.imgMask)%base62Max, c.imgInv, base62Max))
	if !ok || u != c.imageURL(&c.offers[ix], "") {
		return 0, false
	}
	return ix, true
}

// mulMod returns a*b mod m without overflow.
func mulMod(a, b, m uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return bits.Rem64(hi, lo, m)
}

// fingerprint is a 64-bit stand-in for the visual features of o's picture: image search
// ranks a family's offers by the Hamming distance between fingerprints.
func (c *catalog) fingerprint(o *offer) uint64 {
	return mix64(uint64(c.seed)*0x9e3779b97f4a7c15 ^ o.id)
}
