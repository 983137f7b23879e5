package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
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
// A string is a uvarint byte length and the bytes; a float64 is its IEEE 754 bits as 8
// bytes little-endian, so every value (including -0 and NaN payloads) survives; varints
// are encoding/binary's zig-zag ones. A nil Sources or SeenBy is told apart from an empty
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
	b = appendString(b, d.Subject)
	b = appendString(b, d.SubjectTrans)
	b = appendString(b, d.ImageURL)
	b = appendFloat(b, d.Price)
	if d.JxhyPrice != nil {
		b = appendFloat(b, *d.JxhyPrice)
	}
	if d.PfJxhyPrice != nil {
		b = appendFloat(b, *d.PfJxhyPrice)
	}
	b = binary.AppendVarint(b, d.MonthSold)
	b = appendFloat(b, d.RepurchaseRate)
	b = appendString(b, d.CategoryID)
	b = appendString(b, d.SellerOpenID)
	b = binary.AppendUvarint(b, uint64(len(d.Sources)))
	for _, s := range d.Sources {
		b = appendString(b, s)
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
			b = appendString(b, k)
			b = appendString(b, r.SeenBy[k])
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// errTruncated reports a value that ends inside a field.
var errTruncated = errors.New("truncated")

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
	d := rowDecoder{s: string(val), off: 1}
	flags := d.byte()
	if flags&^knownFlags != 0 {
		return Row{}, fmt.Errorf("decode offer %s: unknown flags %#x", id, flags)
	}
	var r Row
	r.Doc.OfferID = id
	r.Hash = d.uint64()
	r.LastSeenAt = d.varint()
	r.Doc.Subject = d.string()
	r.Doc.SubjectTrans = d.string()
	r.Doc.ImageURL = d.string()
	r.Doc.Price = d.float()
	if flags&flagJxhyPrice != 0 {
		f := d.float()
		r.Doc.JxhyPrice = &f
	}
	if flags&flagPfJxhyPrice != 0 {
		f := d.float()
		r.Doc.PfJxhyPrice = &f
	}
	r.Doc.MonthSold = d.varint()
	r.Doc.RepurchaseRate = d.float()
	r.Doc.IsJxhy = flags&flagIsJxhy != 0
	r.Doc.CategoryID = d.string()
	r.Doc.SellerOpenID = d.string()
	if n := d.count(1); n > 0 || flags&flagSources != 0 {
		r.Doc.Sources = make([]string, n)
		for i := range r.Doc.Sources {
			r.Doc.Sources[i] = d.string()
		}
	}
	r.Doc.FirstSeenAt = d.varint()
	r.Doc.UpdatedAt = d.varint()
	if n := d.count(2); n > 0 || flags&flagSeenBy != 0 {
		r.SeenBy = make(map[string]string, n)
		for range n {
			k := d.string()
			r.SeenBy[k] = d.string()
		}
	}
	if d.err == nil && d.off != len(d.s) {
		d.err = fmt.Errorf("%d trailing bytes", len(d.s)-d.off)
	}
	if d.err != nil {
		return Row{}, fmt.Errorf("decode offer %s: %w", id, d.err)
	}
	return r, nil
}

// rowDecoder reads the fields of an encoded row. The first error sticks: later reads
// return zero values, and decodeRow reports it once at the end.
type rowDecoder struct {
	s   string
	off int
	err error
}

func (d *rowDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.off = len(d.s)
}

func (d *rowDecoder) byte() byte {
	if d.off >= len(d.s) {
		d.fail(errTruncated)
		return 0
	}
	c := d.s[d.off]
	d.off++
	return c
}

func (d *rowDecoder) uint64() uint64 {
	if len(d.s)-d.off < 8 {
		d.fail(errTruncated)
		return 0
	}
	s := d.s[d.off : d.off+8]
	d.off += 8
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func (d *rowDecoder) float() float64 { return math.Float64frombits(d.uint64()) }

func (d *rowDecoder) uvarint() uint64 {
	var v uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.s) {
			d.fail(errTruncated)
			return 0
		}
		c := d.s[d.off]
		d.off++
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break
			}
			return v | uint64(c)<<(7*i)
		}
		v |= uint64(c&0x7f) << (7 * i)
	}
	d.fail(errors.New("varint overflows 64 bits"))
	return 0
}

func (d *rowDecoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *rowDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.off) {
		d.fail(errTruncated)
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// count reads the length of a list whose elements take at least min bytes each, refusing
// counts the rest of the value cannot hold (so a corrupt value cannot demand a huge
// allocation).
func (d *rowDecoder) count(min int) int {
	n := d.uvarint()
	if n > uint64((len(d.s)-d.off)/min) {
		d.fail(fmt.Errorf("count %d exceeds the value", n))
		return 0
	}
	return int(n)
}
