// Package binenc holds the primitives of syncd's small binary encodings (the mirror's
// rows and sighting log in internal/checkpoint, the bleve backend's stored offers): strings
// as a uvarint length and the bytes, float64s as their IEEE 754 bits (8 bytes, little
// endian, so every value survives, -0 and NaN payloads included), integers as
// encoding/binary varints, and a Decoder whose first error sticks.
package binenc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// AppendString appends s as a uvarint byte length and the bytes.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendFloat appends f's IEEE 754 bits, 8 bytes little endian.
func AppendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// ErrTruncated reports a value that ends inside a field.
var ErrTruncated = errors.New("truncated")

// Decoder reads the fields of an encoded value from a string (one copy of the value that
// every decoded string shares). The first error sticks: later reads return zero values,
// and Finish reports it once at the end.
type Decoder struct {
	s   string
	off int
	err error
}

// NewDecoder returns a Decoder of s from byte off.
func NewDecoder(s string, off int) *Decoder {
	return &Decoder{s: s, off: off}
}

// Finish returns the first error, or one for bytes left after the last field.
func (d *Decoder) Finish() error {
	if d.err == nil && d.off != len(d.s) {
		d.err = fmt.Errorf("%d trailing bytes", len(d.s)-d.off)
	}
	return d.err
}

func (d *Decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.off = len(d.s)
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if d.off >= len(d.s) {
		d.fail(ErrTruncated)
		return 0
	}
	c := d.s[d.off]
	d.off++
	return c
}

// Uint64 reads 8 bytes little endian.
func (d *Decoder) Uint64() uint64 {
	if len(d.s)-d.off < 8 {
		d.fail(ErrTruncated)
		return 0
	}
	s := d.s[d.off : d.off+8]
	d.off += 8
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// Float reads what AppendFloat wrote.
func (d *Decoder) Float() float64 { return math.Float64frombits(d.Uint64()) }

// Uvarint reads an encoding/binary uvarint.
func (d *Decoder) Uvarint() uint64 {
	var v uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.s) {
			d.fail(ErrTruncated)
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

// Varint reads an encoding/binary (zig-zag) varint.
func (d *Decoder) Varint() int64 {
	u := d.Uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// Text reads what AppendString wrote, sharing the decoder's copy of the value.
func (d *Decoder) Text() string {
	n := d.Uvarint()
	if n > uint64(len(d.s)-d.off) {
		d.fail(ErrTruncated)
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// Count reads the length of a list whose elements take at least min bytes each, refusing
// counts the rest of the value cannot hold (so a corrupt value cannot demand a huge
// allocation).
func (d *Decoder) Count(min int) int {
	n := d.Uvarint()
	if n > uint64((len(d.s)-d.off)/min) {
		d.fail(fmt.Errorf("count %d exceeds the value", n))
		return 0
	}
	return int(n)
}
