package bleve

import (
	"errors"
	"fmt"
	"math"

	"github.com/syncd/syncd/internal/binenc"
	"github.com/syncd/syncd/internal/index"
)

// The stored field "_doc" holds the whole Offer, so that a hit is rebuilt from one stored
// field. It is binary, not JSON: about 260 bytes for a typical offer where compact JSON
// took 450, because JSON repeats every field name in every document and zap compresses
// each document's stored fields on its own, which does not find the repeats. Stored
// fields are what merges copy most, so this is about a fifth of the index on disk.
// Format 1, in order:
//
//	version        1 byte, docFormat1
//	flags          1 byte, index.BinaryFlags
//	OfferID        string (internal/binenc)
//	               the other fields as index.AppendBinary writes them
//
// A change to the layout gets a new version byte and a new schemaVersion (the index is
// then rebuilt from the mirror).
const docFormat1 = 1

// appendDoc appends the stored form of o to b. Numbers that are not finite are refused:
// no filter or sort could place them.
func appendDoc(b []byte, o *index.Offer) ([]byte, error) {
	for _, f := range []struct {
		name string
		v    *float64
	}{{"price", &o.Price}, {"jxhyPrice", o.JxhyPrice}, {"pfJxhyPrice", o.PfJxhyPrice}, {"repurchaseRate", &o.RepurchaseRate}} {
		if f.v != nil && (math.IsNaN(*f.v) || math.IsInf(*f.v, 0)) {
			return nil, fmt.Errorf("%s is %v, not a finite number", f.name, *f.v)
		}
	}
	b = append(b, docFormat1, index.BinaryFlags(o))
	b = binenc.AppendString(b, o.OfferID)
	return index.AppendBinary(b, o), nil
}

// decodeOffer rebuilds an Offer from its stored _doc value, raw as a string (one copy of
// the stored bytes, which the offer's strings share).
func decodeOffer(raw string) (index.Offer, error) {
	var o index.Offer
	if len(raw) == 0 {
		return o, errors.New("decode stored offer: empty value")
	}
	if raw[0] != docFormat1 {
		return o, fmt.Errorf("decode stored offer: unknown format %d", raw[0])
	}
	d := binenc.NewDecoder(raw, 1)
	flags := d.Byte()
	if flags&^index.BinFlags != 0 {
		return o, fmt.Errorf("decode stored offer: unknown flags %#x", flags)
	}
	o.OfferID = d.Text()
	index.DecodeBinary(d, &o, flags)
	if err := d.Finish(); err != nil {
		return index.Offer{}, fmt.Errorf("decode stored offer %s: %w", o.OfferID, err)
	}
	return o, nil
}
