package index

import (
	"encoding/binary"

	"github.com/syncd/syncd/internal/binenc"
)

// The binary form of an Offer's fields, shared by the mirror's rows (internal/checkpoint)
// and the bleve backend's stored offers. The caller writes the offer id and the flags
// where it likes; AppendBinary writes the rest, in order:
//
//	Subject        string
//	SubjectTrans   string
//	ImageURL       string
//	Price          float64
//	JxhyPrice      float64, only if BinJxhyPrice
//	PfJxhyPrice    float64, only if BinPfJxhyPrice
//	MonthSold      varint
//	RepurchaseRate float64
//	CategoryID     string
//	SellerOpenID   string
//	Sources        uvarint count, then each string, in order
//	FirstSeenAt    varint
//	UpdatedAt      varint
//
// in internal/binenc's encodings. The layout is part of the mirror's format 1: it never
// changes; a different one needs new format versions where it is stored.

// Flag bits of BinaryFlags. A nil Sources is told apart from an empty one by its flag.
const (
	BinJxhyPrice   = 1 << iota // JxhyPrice is not nil
	BinPfJxhyPrice             // PfJxhyPrice is not nil
	BinIsJxhy                  // IsJxhy
	BinSources                 // Sources is not nil

	BinFlags = BinJxhyPrice | BinPfJxhyPrice | BinIsJxhy | BinSources
)

// BinaryFlags returns o's flag bits, which DecodeBinary needs to read AppendBinary's output.
func BinaryFlags(o *Offer) byte {
	var flags byte
	if o.JxhyPrice != nil {
		flags |= BinJxhyPrice
	}
	if o.PfJxhyPrice != nil {
		flags |= BinPfJxhyPrice
	}
	if o.IsJxhy {
		flags |= BinIsJxhy
	}
	if o.Sources != nil {
		flags |= BinSources
	}
	return flags
}

// AppendBinary appends o's fields but OfferID to b, in the order above.
func AppendBinary(b []byte, o *Offer) []byte {
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
	return binary.AppendVarint(b, o.UpdatedAt)
}

// DecodeBinary reads what AppendBinary wrote into o (all but OfferID), given the flags
// BinaryFlags returned. Errors stay in d.
func DecodeBinary(d *binenc.Decoder, o *Offer, flags byte) {
	o.Subject = d.Text()
	o.SubjectTrans = d.Text()
	o.ImageURL = d.Text()
	o.Price = d.Float()
	o.JxhyPrice, o.PfJxhyPrice = nil, nil
	if flags&BinJxhyPrice != 0 {
		f := d.Float()
		o.JxhyPrice = &f
	}
	if flags&BinPfJxhyPrice != 0 {
		f := d.Float()
		o.PfJxhyPrice = &f
	}
	o.MonthSold = d.Varint()
	o.RepurchaseRate = d.Float()
	o.IsJxhy = flags&BinIsJxhy != 0
	o.CategoryID = d.Text()
	o.SellerOpenID = d.Text()
	o.Sources = nil
	if n := d.Count(1); n > 0 || flags&BinSources != 0 {
		o.Sources = make([]string, n)
		for i := range o.Sources {
			o.Sources[i] = d.Text()
		}
	}
	o.FirstSeenAt = d.Varint()
	o.UpdatedAt = d.Varint()
}
