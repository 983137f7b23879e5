package checkpoint

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/syncd/syncd/internal/index"
)

func ptr(f float64) *float64 { return &f }

// codecCases are rows that exercise every field of the encoding, each with its own id.
func codecCases() []Row {
	full := testRow(1)
	full.Doc.OfferID = "c-full"
	full.Doc.Sources = []string{"zeta", "alpha", "mid"} // order is meaningful, not sorted

	return []Row{
		full,
		{Doc: index.Offer{OfferID: "c-zero"}},
		{ // empty, not nil, collections; zero, not nil, optional prices
			Doc: index.Offer{
				OfferID: "c-empty", JxhyPrice: ptr(0), PfJxhyPrice: ptr(math.Copysign(0, -1)),
				Sources: []string{},
			},
			SeenBy: map[string]string{},
		},
		{ // only the second optional price; extremes everywhere
			Doc: index.Offer{
				OfferID: "c-extreme", Subject: "日本語 ünïcödé \x00 nul", SubjectTrans: string(make([]byte, 300)),
				Price: math.MaxFloat64, PfJxhyPrice: ptr(math.SmallestNonzeroFloat64),
				MonthSold: math.MinInt64, RepurchaseRate: math.Inf(1), IsJxhy: true,
				Sources: []string{"", "a"}, FirstSeenAt: math.MaxInt64, UpdatedAt: -1,
			},
			Hash: math.MaxUint64, LastSeenAt: math.MinInt64,
			SeenBy: map[string]string{"": "", "b": "run-2", "a": "run-1"},
		},
		{ // nil Sources with a non-nil SeenBy
			Doc:    index.Offer{OfferID: "c-nil-sources", JxhyPrice: ptr(7.25), MonthSold: 1},
			SeenBy: map[string]string{"only": "r"},
		},
	}
}

func TestRowCodec_Roundtrip(t *testing.T) {
	for _, want := range codecCases() {
		t.Run(want.Doc.OfferID, func(t *testing.T) {
			enc := appendRow(nil, &want)
			if hint := rowSizeHint(&want); len(enc) > hint {
				t.Errorf("encoded %d bytes, size hint %d", len(enc), hint)
			}
			got, err := decodeRow(want.Doc.OfferID, enc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("roundtrip\n got %#v\nwant %#v", got, want)
			}
			// reflect.DeepEqual treats -0 and 0 alike; the bits must survive too.
			if want.Doc.PfJxhyPrice != nil &&
				math.Float64bits(*got.Doc.PfJxhyPrice) != math.Float64bits(*want.Doc.PfJxhyPrice) {
				t.Errorf("PfJxhyPrice bits changed")
			}
			if !bytes.Equal(appendRow(nil, &got), enc) {
				t.Error("re-encoding differs: encoding is not deterministic")
			}
		})
	}
}

func TestRowCodec_NaNSurvives(t *testing.T) {
	nan := math.Float64frombits(0x7ff8000000000bad)
	r := Row{Doc: index.Offer{OfferID: "x", Price: nan, JxhyPrice: &nan}}
	got, err := decodeRow("x", appendRow(nil, &r))
	if err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(got.Doc.Price) != 0x7ff8000000000bad || math.Float64bits(*got.Doc.JxhyPrice) != 0x7ff8000000000bad {
		t.Errorf("NaN payload lost: %x", math.Float64bits(got.Doc.Price))
	}
}

func TestDecodeRow_RejectsCorruption(t *testing.T) {
	full := codecCases()[0]
	enc := appendRow(nil, &full)
	// Every field is mandatory, so every strict prefix is truncated.
	for n := range len(enc) {
		if _, err := decodeRow("x", enc[:n]); err == nil {
			t.Fatalf("decoding %d of %d bytes succeeded", n, len(enc))
		}
	}
	zero := appendRow(nil, &Row{})
	cases := map[string][]byte{
		"trailing bytes": append(append([]byte(nil), enc...), 0),
		"unknown format": append([]byte{rowFormat1 + 1}, enc[1:]...),
		"unknown flag":   append([]byte{rowFormat1, 0x80}, enc[2:]...),
		"huge count":     append(zero[:len(zero)-1:len(zero)-1], 0xff, 0xff, 0xff, 0xff, 0x0f), // SeenBy
		"varint overflow": append([]byte{rowFormat1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
	}
	for name, b := range cases {
		if _, err := decodeRow("x", b); err == nil {
			t.Errorf("%s: decoded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// FuzzDecodeRow: decoding arbitrary bytes never panics, and whatever decodes re-encodes to
// a value that decodes to the same row.
func FuzzDecodeRow(f *testing.F) {
	for _, r := range codecCases() {
		f.Add(appendRow(nil, &r))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRow("id", b)
		if err != nil {
			return
		}
		enc := appendRow(nil, &r)
		r2, err := decodeRow("id", enc)
		if err != nil {
			t.Fatalf("re-encoded row does not decode: %v", err)
		}
		if !bytes.Equal(appendRow(nil, &r2), enc) {
			t.Fatal("row changed across a roundtrip")
		}
	})
}

// BenchmarkRowCodec compares the row encoding with JSON on a typical row, to keep the
// case for a hand-rolled format honest.
func BenchmarkRowCodec(b *testing.B) {
	row := testRow(42)
	bin := appendRow(nil, &row)
	js, err := json.Marshal(row)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("binary/encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, rowSizeHint(&row))
		for b.Loop() {
			buf = appendRow(buf[:0], &row)
		}
		b.ReportMetric(float64(len(bin)), "bytes/row") // after the loop, which resets metrics
	})
	b.Run("binary/decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeRow(row.Doc.OfferID, bin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json/encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(row); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(js)), "bytes/row")
	})
	b.Run("json/decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r Row
			if err := json.Unmarshal(js, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
