package bleve_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/index/indextest"
)

// openTemp opens a new index in a temporary directory, closed when t ends.
func openTemp(t *testing.T, opts *bleve.Options) (*bleve.Index, string) {
	t.Helper()
	dir := t.TempDir() + "/index"
	ix, err := bleve.Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix, dir
}

func TestIndex_Conformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Index {
		// A small batch size makes the suite cross batch boundaries.
		ix, _ := openTemp(t, &bleve.Options{BatchSize: 7})
		return ix
	})
}

func ctxT(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func hitIDs(r *index.Result) []string {
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.OfferID
	}
	sort.Strings(out)
	return out
}

func mustSearch(t *testing.T, ix index.Index, q index.Query) *index.Result {
	t.Helper()
	if err := q.Validate(); err != nil {
		t.Fatalf("Validate(%+v): %v", q, err)
	}
	r, err := ix.Search(ctxT(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return r
}

func offer(id, subject, trans string) index.Offer {
	return index.Offer{OfferID: id, Subject: subject, SubjectTrans: trans, Price: 10, Sources: []string{"tees"}}
}

func TestIndex_ReopenKeepsDocuments(t *testing.T) {
	dir := t.TempDir() + "/index"
	ix, err := bleve.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs := indextest.Fixture()
	if err := ix.Upsert(ctxT(t), docs); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(ctxT(t), []string{docs[0].OfferID}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = bleve.Open(dir, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer ix.Close()
	if n, err := ix.Count(ctxT(t)); err != nil || n != uint64(len(docs)-1) {
		t.Fatalf("Count after reopen = %d, %v; want %d", n, err, len(docs)-1)
	}
	got, err := ix.Get(ctxT(t), docs[5].OfferID)
	if err != nil || !reflect.DeepEqual(got, docs[5]) {
		t.Errorf("Get after reopen = %+v, %v; want %+v", got, err, docs[5])
	}
	r := mustSearch(t, ix, index.Query{Text: "T恤", Filter: "price < 100", Sort: []index.SortField{{Field: "price"}}})
	if r.Total != 7 {
		t.Errorf(`"T恤" after reopen: total %d, want 7`, r.Total)
	}
}

func TestSearch_TextMatching(t *testing.T) {
	ix, _ := openTemp(t, nil)
	docs := []index.Offer{
		offer("1", "纯棉T恤男短袖", "Cotton T-Shirt for Men"),
		offer("2", "女士T恤", "Women's Tee"),
		offer("3", "纯棉袜子", "Cotton Socks"),
		offer("4", "夏季碎花连衣裙", "Summer Floral Dress for Women"),
		offer("5", "半身裙", "Skirt"),
		offer("6", "T型衣架", "T Hanger"),
		offer("7", "恤衫", "Casual Shirt"),
	}
	if err := ix.Upsert(ctxT(t), docs); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text string
		want []string
	}{
		{"T恤", []string{"1", "2"}},
		{"t恤纯棉", []string{"1"}},      // any order of the 2-character words
		{"T恤 cotton", []string{"1"}}, // words may match different fields
		{"纯棉 socks", []string{"3"}},
		{"dress for women", []string{"4"}}, // "for" is an English stop word: ignored
		{"women's", []string{"2", "4"}},
		{"裙", []string{"4", "5"}},  // a single character matches inside words
		{"Ｔ恤", []string{"1", "2"}}, // full-width Latin
		{"恤", []string{"1", "2", "7"}},
		{"T", []string{"1", "2", "6"}},
		{"shirts", []string{"1", "7"}},
		{"for the", []string{"1", "2", "3", "4", "5", "6", "7"}}, // nothing searchable: match all
		{"连衣 dress skirt", nil},
	} {
		r := mustSearch(t, ix, index.Query{Text: c.text, Limit: 100})
		if got := hitIDs(r); !slices.Equal(got, c.want) {
			t.Errorf("text %q: got %v, want %v", c.text, got, c.want)
		}
	}
	// Relevance is sales: the best seller among the matches ranks first, however often
	// the word appears in its title.
	best := offer("8", "纯棉", "Cotton")
	best.MonthSold = 900
	if err := ix.Upsert(ctxT(t), []index.Offer{best, offer("9", "纯棉", "Cotton cotton cotton")}); err != nil {
		t.Fatal(err)
	}
	r := mustSearch(t, ix, index.Query{Text: "cotton"})
	if len(r.Hits) == 0 || r.Hits[0].OfferID != "8" {
		var first []string
		for _, h := range r.Hits {
			first = append(first, h.OfferID)
		}
		t.Errorf("cotton: hits in order %v, want 8 first", first)
	}
}

func TestSearch_QueryErrors(t *testing.T) {
	ix, _ := openTemp(t, nil)
	for _, q := range []index.Query{
		{Filter: "price <"},
		{Filter: "color = red"},
		{Sort: []index.SortField{{Field: "subject"}}},
		{Facets: []string{"price"}},
		{Limit: -1},
	} {
		_, err := ix.Search(ctxT(t), q)
		var qe *index.QueryError
		if !errors.As(err, &qe) {
			t.Errorf("Search(%+v): err = %v, want *index.QueryError", q, err)
		}
	}
}

func TestOpen_Locked(t *testing.T) {
	ix, dir := openTemp(t, nil)
	_ = ix
	_, err := bleve.Open(dir, &bleve.Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, bleve.ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
}

func TestIndex_Closed(t *testing.T) {
	ix, err := bleve.Open(t.TempDir()+"/index", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	for name, err := range map[string]error{
		"Upsert":  ix.Upsert(ctx, []index.Offer{offer("1", "a", "b")}),
		"Delete":  ix.Delete(ctx, []string{"1"}),
		"Get":     second(ix.Get(ctx, "1")),
		"Count":   second(ix.Count(ctx)),
		"Search":  second(ix.Search(ctx, index.Query{})),
		"Rebuild": ix.Rebuild(ctx, func(context.Context, func(index.Offer) error) error { return nil }),
		"Close":   ix.Close(),
	} {
		if !errors.Is(err, bleve.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestUpsert_RejectsEmptyOfferID(t *testing.T) {
	ix, _ := openTemp(t, nil)
	err := ix.Upsert(ctxT(t), []index.Offer{offer("1", "a", "b"), offer("", "c", "d")})
	if err == nil {
		t.Fatal("Upsert with an empty offerId: no error")
	}
	if n, _ := ix.Count(ctxT(t)); n != 0 {
		t.Errorf("Count = %d after a rejected upsert, want 0", n)
	}
}
