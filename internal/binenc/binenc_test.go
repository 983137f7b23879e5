package binenc

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var b []byte
	b = append(b, 7)
	b = AppendString(b, "T恤")
	b = AppendString(b, "")
	b = AppendFloat(b, math.Copysign(0, -1))
	b = AppendFloat(b, math.Inf(1))
	b = binary.AppendVarint(b, math.MinInt64)
	b = binary.AppendUvarint(b, math.MaxUint64)
	b = binary.AppendUvarint(b, 2) // a count of two strings
	b = AppendString(b, "a")
	b = AppendString(b, "b")

	d := NewDecoder(string(b), 0)
	if got := d.Byte(); got != 7 {
		t.Errorf("Byte = %d", got)
	}
	if got := d.Text(); got != "T恤" {
		t.Errorf("String = %q", got)
	}
	if got := d.Text(); got != "" {
		t.Errorf("empty String = %q", got)
	}
	if got := d.Float(); got != 0 || !math.Signbit(got) {
		t.Errorf("Float = %v, want -0", got)
	}
	if got := d.Float(); !math.IsInf(got, 1) {
		t.Errorf("Float = %v, want +Inf", got)
	}
	if got := d.Varint(); got != math.MinInt64 {
		t.Errorf("Varint = %d", got)
	}
	if got := d.Uvarint(); got != math.MaxUint64 {
		t.Errorf("Uvarint = %d", got)
	}
	if n := d.Count(1); n != 2 || d.Text() != "a" || d.Text() != "b" {
		t.Errorf("Count = %d, or its strings differ", n)
	}
	if err := d.Finish(); err != nil {
		t.Errorf("Finish = %v", err)
	}
}

func TestErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		read func(*Decoder)
		want string
	}{
		"truncated byte":    {"", func(d *Decoder) { d.Byte() }, "truncated"},
		"truncated float":   {"1234567", func(d *Decoder) { d.Float() }, "truncated"},
		"truncated varint":  {"\x80", func(d *Decoder) { d.Varint() }, "truncated"},
		"varint overflow":   {strings.Repeat("\xff", 10) + "\x01", func(d *Decoder) { d.Uvarint() }, "overflows"},
		"string too long":   {"\x05ab", func(d *Decoder) { d.Text() }, "truncated"},
		"count too large":   {"\x03ab", func(d *Decoder) { d.Count(1) }, "exceeds"},
		"trailing bytes":    {"\x01\x02", func(d *Decoder) { d.Byte() }, "1 trailing bytes"},
		"first error stays": {"\x05ab", func(d *Decoder) { d.Text(); d.Count(1); d.Byte() }, "truncated"},
	} {
		d := NewDecoder(tc.in, 0)
		tc.read(d)
		err := d.Finish()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Finish = %v, want %q", name, err, tc.want)
		}
		if tc.want == "truncated" && !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: %v is not ErrTruncated", name, err)
		}
	}
	// After an error every read is a zero value.
	d := NewDecoder("\x05ab", 0)
	d.Text()
	if d.Byte() != 0 || d.Text() != "" || d.Varint() != 0 {
		t.Error("reads after an error returned data")
	}
}
