package checkpoint

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/syncd/syncd/internal/binenc"
)

// Rows are read and written for every offer of every page, so they use a small binary
// encoding rather than JSON (about half the bytes, a fraction of the time; see
// BenchmarkRowCodec). The offer id is the bucket key and is not repeated in the value.
//
// Format 1, in order:
//
//	version        1 byte, rowFormat1
//	flags          1 byte, the flag* bits below
//	Hash           8 bytes little-endian
//	LastSeenAt     varint
//	Subject        string
//	SubjectTrans   string
//	ImageURL       string
//	Price          float64
//	JxhyPrice      float64, only if flagJxhyPrice
//	PfJxhyPrice    float64, only if flagPfJxhyPrice
//	MonthSold      varint
//	RepurchaseRate float64
//	CategoryID     string
//	SellerOpenID   string
//	Sources        uvarint count, then each string, in order
//	FirstSeenAt    varint
//	UpdatedAt      varint
//	SeenBy         uvarint count, then key string and value string per entry, keys sorted
//
// Strings, float64s and varints are encoded as internal/binenc does: a string is a
// uvarint byte length and the bytes; a float64 is its IEEE 754 bits as 8 bytes
// little-endian, so every value (including -0 and NaN payloads) survives; varints are
// encoding/binary's zig-zag ones. A nil Sources or SeenBy is told apart from an empty
// one by its flag. A change to this layout gets a new version byte, and decodeRow keeps
// reading the old ones.
const rowFormat1 = 1

const (
	flagJxhyPrice   = 1 << iota // JxhyPrice is not nil
	flagPfJxhyPrice             // PfJxhyPrice is not nil
	flagIsJxhy                  // IsJxhy
	flagSources                 // Sources is not nil
	flagSeenBy                  // SeenBy is not nil

	knownFlags = flagJxhyPrice | flagPfJxhyPrice | flagIsJxhy | flagSources | flagSeenBy
)

// rowSizeHint is an upper bound of the encoded size of r, to size buffers.
func rowSizeHint(r *Row) int {
	d := &r.Doc
	const fixed = 2 + 8 + 4*8 + 5*binary.MaxVarintLen64
	n := fixed + len(d.Subject) + len(d.SubjectTrans) + len(d.ImageURL) +
		len(d.CategoryID) + len(d.SellerOpenID) + 5*binary.MaxVarintLen64
	for _, s := range d.Sources {
		n += binary.MaxVarintLen64 + len(s)
	}
	for k, v := range r.SeenBy {
		n += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	return n
}

// appendRow appends the encoding of r (without its offer id) to b.
func appendRow(b []byte, r *Row) []byte {
	d := &r.Doc
	var flags byte
	if d.JxhyPrice != nil {
		flags |= flagJxhyPrice
	}
	if d.PfJxhyPrice != nil {
		flags |= flagPfJxhyPrice
	}
	if d.IsJxhy {
		flags |= flagIsJxhy
	}
	if d.Sources != nil {
		flags |= flagSources
	}
	if r.SeenBy != nil {
		flags |= flagSeenBy
	}
	b = append(b, rowFormat1, flags)
	b = binary.LittleEndian.AppendUint64(b, r.Hash)
	b = binary.AppendVarint(b, r.LastSeenAt)
	b = binenc.AppendString(b, d.Subject)
	b = binenc.AppendString(b, d.SubjectTrans)
	b = binenc.AppendString(b, d.ImageURL)
	b = binenc.AppendFloat(b, d.Price)
	if d.JxhyPrice != nil {
		b = binenc.AppendFloat(b, *d.JxhyPrice)
	}
	if d.PfJxhyPrice != nil {
		b = binenc.AppendFloat(b, *d.PfJxhyPrice)
	}
	b = binary.AppendVarint(b, d.MonthSold)
	b = binenc.AppendFloat(b, d.RepurchaseRate)
	b = binenc.AppendString(b, d.CategoryID)
	b = binenc.AppendString(b, d.SellerOpenID)
	b = binary.AppendUvarint(b, uint64(len(d.Sources)))
	for _, s := range d.Sources {
		b = binenc.AppendString(b, s)
	}
	b = binary.AppendVarint(b, d.FirstSeenAt)
	b = binary.AppendVarint(b, d.UpdatedAt)
	b = binary.AppendUvarint(b, uint64(len(r.SeenBy)))
	if len(r.SeenBy) > 0 {
		// Sorted keys make the encoding of a row deterministic. A row is seen by a handful
		// of jobs, so the keys fit the array on the stack.
		var arr [8]string
		keys := arr[:0]
		for k := range r.SeenBy {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = binenc.AppendString(b, k)
			b = binenc.AppendString(b, r.SeenBy[k])
		}
	}
	return b
}

// decodeRow decodes the value of the offer whose id is id. It copies val once (bbolt
// values are valid only inside their transaction) and every string of the row shares that
// copy, so a row costs a handful of allocations.
func decodeRow(id string, val []byte) (Row, error) {
	if len(val) == 0 {
		return Row{}, fmt.Errorf("decode offer %s: empty value", id)
	}
	if val[0] != rowFormat1 {
		return Row{}, fmt.Errorf("decode offer %s: unknown row format %d", id, val[0])
	}
	d := binenc.NewDecoder(string(val), 1)
	flags := d.Byte()
	if flags&^knownFlags != 0 {
		return Row{}, fmt.Errorf("decode offer %s: unknown flags %#x", id, flags)
	}
	var r Row
	r.Doc.OfferID = id
	r.Hash = d.Uint64()
	r.LastSeenAt = d.Varint()
	r.Doc.Subject = d.Text()
	r.Doc.SubjectTrans = d.Text()
	r.Doc.ImageURL = d.Text()
	r.Doc.Price = d.Float()
	if flags&flagJxhyPrice != 0 {
		f := d.Float()
		r.Doc.JxhyPrice = &f
	}
	if flags&flagPfJxhyPrice != 0 {
		f := d.Float()
		r.Doc.PfJxhyPrice = &f
	}
	r.Doc.MonthSold = d.Varint()
	r.Doc.RepurchaseRate = d.Float()
	r.Doc.IsJxhy = flags&flagIsJxhy != 0
	r.Doc.CategoryID = d.Text()
	r.Doc.SellerOpenID = d.Text()
	if n := d.Count(1); n > 0 || flags&flagSources != 0 {
		r.Doc.Sources = make([]string, n)
		for i := range r.Doc.Sources {
			r.Doc.Sources[i] = d.Text()
		}
	}
	r.Doc.FirstSeenAt = d.Varint()
	r.Doc.UpdatedAt = d.Varint()
	if n := d.Count(2); n > 0 || flags&flagSeenBy != 0 {
		r.SeenBy = make(map[string]string, n)
		for range n {
			k := d.Text()
			r.SeenBy[k] = d.Text()
		}
	}
	if err := d.Finish(); err != nil {
		return Row{}, fmt.Errorf("decode offer %s: %w", id, err)
	}
	return r, nil
}
