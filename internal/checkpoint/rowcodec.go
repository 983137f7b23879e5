package checkpoint

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/syncd/syncd/internal/binenc"
	"github.com/syncd/syncd/internal/index"
)

// Rows are read and written for every offer of every page, so they use a small binary
// encoding rather than JSON (about half the bytes, a fraction of the time; see
// BenchmarkRowCodec). The offer id is the bucket key and is not repeated in the value.
//
// Format 1, in order:
//
//	version        1 byte, rowFormat1
//	flags          1 byte: index.BinaryFlags of Doc, and flagSeenBy
//	Hash           8 bytes little-endian
//	LastSeenAt     varint
//	               Doc's fields as index.AppendBinary writes them (all but OfferID):
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
	// The offer's flags are index.BinaryFlags (bits 0–3); this is the row's own.
	flagSeenBy = 1 << 4 // SeenBy is not nil

	knownFlags = index.BinFlags | flagSeenBy
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
	flags := index.BinaryFlags(&r.Doc)
	if r.SeenBy != nil {
		flags |= flagSeenBy
	}
	b = append(b, rowFormat1, flags)
	b = binary.LittleEndian.AppendUint64(b, r.Hash)
	b = binary.AppendVarint(b, r.LastSeenAt)
	b = index.AppendBinary(b, &r.Doc)
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
	index.DecodeBinary(d, &r.Doc, flags)
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
