package bleve

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/syncd/syncd/internal/index"
)

func TestSortKey_OrdersLikeNumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []float64{0, math.Copysign(0, -1), -1, 1, -0.001, 0.001, 1e-300, -1e300, 1e300, 19.9, 20, 1767225600}
	for range 1000 {
		vals = append(vals, (r.Float64()-0.5)*math.Pow(10, float64(r.IntN(12))))
	}
	sort.Float64s(vals)
	for i := 1; i < len(vals); i++ {
		a, b := sortKey(vals[i-1]), sortKey(vals[i])
		if c := bytes.Compare(a, b); c > 0 || (c == 0 && vals[i-1] != vals[i]) {
			t.Fatalf("sortKey(%v) = %x, sortKey(%v) = %x: out of order", vals[i-1], a, vals[i], b)
		}
		if bytes.IndexByte(b, bleveindex.DocValueTermSeparator) >= 0 {
			t.Fatalf("sortKey(%v) = %x contains the doc-values separator", vals[i], b)
		}
	}
}

func TestMapping_FieldsOfTheTable(t *testing.T) {
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range index.Fields {
		if f.Name == "offerId" || f.Name == "imageUrl" {
			continue
		}
		fm := m.FieldMappingForPath(f.Name)
		if fm.Name == "" && fm.Type == "" {
			t.Errorf("field %s has no mapping", f.Name)
			continue
		}
		if fm.Store || fm.IncludeInAll || fm.IncludeTermVectors {
			t.Errorf("field %s: store %v, include in all %v, term vectors %v; want none", f.Name, fm.Store, fm.IncludeInAll, fm.IncludeTermVectors)
		}
		if f.Type == index.TypeNumber && fm.DocValues {
			t.Errorf("number field %s has doc values; its sort key should carry them", f.Name)
		}
		if f.Facet && !fm.DocValues {
			t.Errorf("facet field %s has no doc values", f.Name)
		}
		if f.Sortable && !m.FieldMappingForPath(sortPrefix+f.Name).DocValues {
			t.Errorf("sortable field %s has no sort key with doc values", f.Name)
		}
	}
	if got := m.FieldMappingForPath("subject").Analyzer; got != subjectAnalyzer {
		t.Errorf("subject analyzer %q", got)
	}
	if got := m.FieldMappingForPath("subjectTrans").Analyzer; got != "en" {
		t.Errorf("subjectTrans analyzer %q", got)
	}
}

// What a document costs in stored fields and which fields carry doc values: the layout
// decisions of mapping.go, checked on a real index.
func TestIndex_DocumentLayout(t *testing.T) {
	ix, err := Open(t.TempDir()+"/index", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	jp := 9.5
	o := index.Offer{OfferID: "1", Subject: "纯棉T恤", SubjectTrans: "Cotton T-Shirt", Price: 10, JxhyPrice: &jp,
		MonthSold: 5, CategoryID: "72", Sources: []string{"b", "a"}, ImageURL: "https://x/y.jpg"}
	if err := ix.Upsert(context.Background(), []index.Offer{o}); err != nil {
		t.Fatal(err)
	}
	doc, err := ix.idx.Document("1")
	if err != nil || doc == nil {
		t.Fatalf("Document: %v, %v", doc, err)
	}
	var stored []string
	doc.VisitFields(func(f bleveindex.Field) { stored = append(stored, f.Name()) })
	if !slices.Equal(stored, []string{docField}) {
		t.Errorf("stored fields %v, want only %s", stored, docField)
	}
	fields, err := ix.idx.Fields()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"subject", "subjectTrans", "price", "s:price", "jxhyPrice", "has", "categoryId", "sources", "isJxhy"} {
		if !slices.Contains(fields, want) {
			t.Errorf("indexed fields %v lack %s", fields, want)
		}
	}
	for _, unwanted := range []string{"imageUrl", "offerId", "sellerOpenId", "pfJxhyPrice", "_all"} {
		if slices.Contains(fields, unwanted) {
			t.Errorf("indexed fields %v include %s", fields, unwanted)
		}
	}
}

func TestOpen_SchemaMismatch(t *testing.T) {
	dir := t.TempDir() + "/index"
	ix, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.idx.SetInternal([]byte(schemaKey), []byte("0")); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if _, err := Open(dir, nil); !errors.Is(err, ErrSchemaMismatch) {
		t.Fatalf("Open of an index with another schema: err = %v, want ErrSchemaMismatch", err)
	}
}
