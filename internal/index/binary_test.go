package index

import (
	"reflect"
	"testing"

	"github.com/syncd/syncd/internal/binenc"
)

// everyFieldSet returns an Offer with every field set to a value other than its zero
// value, by reflection, so that a field added to Offer is covered without editing this
// test — or fails it, if its kind is new.
func everyFieldSet(t *testing.T) Offer {
	t.Helper()
	var o Offer
	v := reflect.ValueOf(&o).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.String:
			f.SetString("v-" + name)
		case reflect.Float64:
			f.SetFloat(float64(i) + 0.25)
		case reflect.Int64:
			f.SetInt(int64(1000 + i))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Pointer: // *float64
			p := reflect.New(f.Type().Elem())
			p.Elem().SetFloat(float64(i) + 0.5)
			f.Set(p)
		case reflect.Slice: // []string
			f.Set(reflect.ValueOf([]string{"a-" + name, "b-" + name}))
		default:
			t.Fatalf("Offer.%s is a %s: teach everyFieldSet, AppendBinary and DecodeBinary about it", name, f.Kind())
		}
		if f.IsZero() {
			t.Fatalf("Offer.%s is still zero", name)
		}
	}
	return o
}

// AppendBinary and DecodeBinary carry every field of Offer but OfferID: a field added to
// Offer and not to them would be lost in the mirror and in the bleve index without this.
func TestBinary_CarriesEveryField(t *testing.T) {
	o := everyFieldSet(t)
	b := AppendBinary(nil, &o)
	got := Offer{OfferID: o.OfferID}
	d := binenc.NewDecoder(string(b), 0)
	DecodeBinary(d, &got, BinaryFlags(&o))
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, o) {
		t.Errorf("round trip lost a field:\n got %+v\nwant %+v", got, o)
	}
	if BinaryFlags(&o) != BinFlags {
		t.Errorf("flags = %#x for an offer with every field set, want %#x", BinaryFlags(&o), BinFlags)
	}
}

// Decoding over a used Offer leaves nothing of it behind.
func TestBinary_DecodeResetsOptionalFields(t *testing.T) {
	empty := Offer{}
	b := AppendBinary(nil, &empty)
	got := everyFieldSet(t)
	got.OfferID = ""
	d := binenc.NewDecoder(string(b), 0)
	DecodeBinary(d, &got, BinaryFlags(&empty))
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, empty) {
		t.Errorf("decoded over a used offer: %+v, want the zero offer", got)
	}
}
