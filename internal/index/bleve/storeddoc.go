package bleve

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/syncd/syncd/internal/binenc"
	"github.com/syncd/syncd/internal/index"
)

// The stored field "_doc" holds the whole Offer, so that a hit is rebuilt from one stored
// field. It is binary (internal/binenc), not JSON: about 260 bytes for a typical offer
// where compact JSON took 450, because JSON repeats every field name in every document
// and zap compresses each document's stored fields on its own, which does not find the
// repeats. Stored fields are what merges copy most, so this is about a fifth of the index
// on disk. Format 1, in order:
//
//	version        1 byte, docFormat1
//	flags          1 byte, the docFlag* bits below
//	OfferID        string
//	Subject        string
//	SubjectTrans   string
//	ImageURL       string
//	Price          float64
//	JxhyPrice      float64, only if docFlagJxhyPrice
//	PfJxhyPrice    float64, only if docFlagPfJxhyPrice
//	MonthSold      varint
//	RepurchaseRate float64
//	CategoryID     string
//	SellerOpenID   string
//	Sources        uvarint count, then each string, in order
//	FirstSeenAt    varint
//	UpdatedAt      varint
//
// A nil Sources is told apart from an empty one by its flag, as JSON told null from [].
// A change to the layout gets a new version byte and a new schemaVersion (the index is
// then rebuilt from the mirror).
const docFormat1 = 1

const (
	docFlagJxhyPrice   = 1 << iota // JxhyPrice is not nil
	docFlagPfJxhyPrice             // PfJxhyPrice is not nil
	docFlagIsJxhy                  // IsJxhy
	docFlagSources                 // Sources is not nil

	docKnownFlags = docFlagJxhyPrice | docFlagPfJxhyPrice | docFlagIsJxhy | docFlagSources
)

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
	var flags byte
	if o.JxhyPrice != nil {
		flags |= docFlagJxhyPrice
	}
	if o.PfJxhyPrice != nil {
		flags |= docFlagPfJxhyPrice
	}
	if o.IsJxhy {
		flags |= docFlagIsJxhy
	}
	if o.Sources != nil {
		flags |= docFlagSources
	}
	b = append(b, docFormat1, flags)
	b = binenc.AppendString(b, o.OfferID)
	b = binenc.AppendString(b, o.Subject)
	b = binenc.AppendString(b, o.SubjectTrans)
	b = binenc.AppendString(b, o.ImageURL)
	b = binenc.AppendFloat(b, o.Price)
	if o.JxhyPrice != nil {
		b = binenc.AppendFloat(b, *o.JxhyPrice)
	}
	if o.PfJxhyPrice != nil {
		b = binenc.AppendFloat(b, *o.PfJxhyPrice)
	}
	b = binary.AppendVarint(b, o.MonthSold)
	b = binenc.AppendFloat(b, o.RepurchaseRate)
	b = binenc.AppendString(b, o.CategoryID)
	b = binenc.AppendString(b, o.SellerOpenID)
	b = binary.AppendUvarint(b, uint64(len(o.Sources)))
	for _, s := range o.Sources {
		b = binenc.AppendString(b, s)
	}
	b = binary.AppendVarint(b, o.FirstSeenAt)
	b = binary.AppendVarint(b, o.UpdatedAt)
	return b, nil
}

// decodeOffer rebuilds an Offer from its stored _doc value. Its strings share one copy of
// raw.
func decodeOffer(raw []byte) (index.Offer, error) {
	var o index.Offer
	if len(raw) == 0 {
		return o, errors.New("decode stored offer: empty value")
	}
	if raw[0] != docFormat1 {
		return o, fmt.Errorf("decode stored offer: unknown format %d", raw[0])
	}
	d := binenc.NewDecoder(string(raw), 1)
	flags := d.Byte()
	if flags&^docKnownFlags != 0 {
		return o, fmt.Errorf("decode stored offer: unknown flags %#x", flags)
	}
	o.OfferID = d.Text()
	o.Subject = d.Text()
	o.SubjectTrans = d.Text()
	o.ImageURL = d.Text()
	o.Price = d.Float()
	if flags&docFlagJxhyPrice != 0 {
		f := d.Float()
		o.JxhyPrice = &f
	}
	if flags&docFlagPfJxhyPrice != 0 {
		f := d.Float()
		o.PfJxhyPrice = &f
	}
	o.MonthSold = d.Varint()
	o.RepurchaseRate = d.Float()
	o.IsJxhy = flags&docFlagIsJxhy != 0
	o.CategoryID = d.Text()
	o.SellerOpenID = d.Text()
	if n := d.Count(1); n > 0 || flags&docFlagSources != 0 {
		o.Sources = make([]string, n)
		for i := range o.Sources {
			o.Sources[i] = d.Text()
		}
	}
	o.FirstSeenAt = d.Varint()
	o.UpdatedAt = d.Varint()
	if err := d.Finish(); err != nil {
		return index.Offer{}, fmt.Errorf("decode stored offer %s: %w", o.OfferID, err)
	}
	return o, nil
}
