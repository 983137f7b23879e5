package bleve

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/index"
)

func TestStoredDoc_RoundTrip(t *testing.T) {
	price := func(v float64) *float64 { return &v }
	negZero := math.Copysign(0, -1)
	for name, o := range map[string]index.Offer{
		"zero": {},
		"full": {
			OfferID: "612345678901", Subject: "2026夏季新款纯棉短袖T恤男", SubjectTrans: "2026 summer cotton t-shirt",
			ImageURL: "https://cbu01.alicdn.com/img/ibank/O1CN01a.jpg", Price: 12.8, JxhyPrice: price(11.5),
			PfJxhyPrice: price(10.8), MonthSold: 97822, RepurchaseRate: 0.41, IsJxhy: true, CategoryID: "1033054",
			SellerOpenID: "b2b-2215678901234a5f3c", Sources: []string{"dresses", "tees"}, FirstSeenAt: 1767225600,
			UpdatedAt: 1767312000,
		},
		"empty sources, no optional prices": {OfferID: "x", Sources: []string{}, Price: 3},
		"extremes": {
			OfferID: "y", Price: math.MaxFloat64, JxhyPrice: price(negZero), PfJxhyPrice: price(math.SmallestNonzeroFloat64),
			MonthSold: math.MinInt64, RepurchaseRate: 1, FirstSeenAt: math.MaxInt64, UpdatedAt: -1,
			Subject: strings.Repeat("长", 300), Sources: []string{""},
		},
	} {
		b, err := appendDoc(nil, &o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := decodeOffer(string(b))
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		if !reflect.DeepEqual(got, o) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, got, o)
		}
		if o.JxhyPrice != nil && math.Signbit(*got.JxhyPrice) != math.Signbit(*o.JxhyPrice) {
			t.Errorf("%s: the sign of -0 was lost", name)
		}
	}
}

func TestStoredDoc_RefusesNonFiniteNumbers(t *testing.T) {
	inf := math.Inf(1)
	for name, o := range map[string]index.Offer{
		"price NaN":            {OfferID: "a", Price: math.NaN()},
		"jxhyPrice +Inf":       {OfferID: "a", JxhyPrice: &inf},
		"repurchaseRate -Inf":  {OfferID: "a", RepurchaseRate: math.Inf(-1)},
		"pfJxhyPrice NaN bits": {OfferID: "a", PfJxhyPrice: func() *float64 { v := math.NaN(); return &v }()},
	} {
		if _, err := appendDoc(nil, &o); err == nil || !strings.Contains(err.Error(), "not a finite number") {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		}
	}
}

// A stored value that is not what appendDoc wrote is an error, never a panic or a made-up
// offer.
func TestStoredDoc_CorruptValues(t *testing.T) {
	good, err := appendDoc(nil, &index.Offer{OfferID: "612345678901", Subject: "T恤", Sources: []string{"tees"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":          nil,
		"json":           []byte(`{"offerId":"1"}`),
		"unknown flags":  append([]byte{docFormat1, 0x80}, good[2:]...),
		"trailing bytes": append(append([]byte(nil), good...), 0),
	}
	// Sources is the last list: its count is the byte before the two one-byte times.
	empty, err := appendDoc(nil, &index.Offer{Sources: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	n := len(empty) - 3
	cases["huge count"] = append(append(empty[:n:n], 0xff, 0xff, 0xff, 0xff, 0x0f), empty[n+1:]...)
	for i := 1; i < len(good); i++ {
		cases[fmt.Sprintf("truncated to %d bytes", i)] = good[:i]
	}
	for name, raw := range cases {
		if o, err := decodeOffer(string(raw)); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, o)
		}
	}
}
