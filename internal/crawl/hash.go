package crawl

import (
	"encoding/binary"
	"math"

	"github.com/cespare/xxhash/v2"

	"github.com/syncd/syncd/internal/upstream"
)

// contentHashVersion is hashed first into every content hash. Changing which fields are
// hashed, or how, makes every offer read as changed once (and be sent to the index once):
// bump the version when that is the intent, and only then.
const contentHashVersion = "offer-content/v1"

// contentHash returns the hash of what upstream says about an offer: every field of the
// document that comes from upstream, in a fixed order, each length-prefixed or fixed-width
// so that no two different offers encode alike. Sources and timestamps are syncd's own
// and are not part of it, so a sighting by another job or at another time is not a change.
func contentHash(o upstream.Offer) uint64 {
	h := hasher{d: xxhash.New()}
	h.str(contentHashVersion)
	h.str(o.OfferID)
	h.str(o.Subject)
	h.str(o.SubjectTrans)
	h.str(o.ImageURL)
	h.f64(o.Price)
	h.optF64(o.JxhyPrice)
	h.optF64(o.PfJxhyPrice)
	h.u64(uint64(o.MonthSold))
	h.f64(o.RepurchaseRate)
	h.flag(o.IsJxhy)
	h.str(o.CategoryID)
	h.str(o.SellerOpenID)
	return h.d.Sum64()
}

// hasher writes typed values into a digest unambiguously.
type hasher struct {
	d   *xxhash.Digest
	buf [binary.MaxVarintLen64]byte
}

func (h *hasher) str(s string) {
	n := binary.PutUvarint(h.buf[:], uint64(len(s)))
	h.d.Write(h.buf[:n])
	h.d.WriteString(s)
}

func (h *hasher) u64(v uint64) {
	binary.LittleEndian.PutUint64(h.buf[:8], v)
	h.d.Write(h.buf[:8])
}

func (h *hasher) f64(v float64) {
	if v == 0 {
		v = 0 // -0 and +0 are the same price
	}
	h.u64(math.Float64bits(v))
}

func (h *hasher) optF64(v *float64) {
	if v == nil {
		h.flag(false)
		return
	}
	h.flag(true)
	h.f64(*v)
}

func (h *hasher) flag(b bool) {
	h.buf[0] = 0
	if b {
		h.buf[0] = 1
	}
	h.d.Write(h.buf[:1])
}
