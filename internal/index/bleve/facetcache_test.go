package bleve_test

import (
	"context"
	"testing"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
)

// Cached facet counts must follow every write.
func TestFacetCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	ix, err := bleve.Open(t.TempDir()+"/index", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	docs := synthOffers(50, 0)
	for i := range docs {
		docs[i].CategoryID = "a"
	}
	if err := ix.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	q := index.Query{Facets: []string{"categoryId"}, Limit: 1}
	count := func() int {
		t.Helper()
		r, err := ix.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return r.Facets["categoryId"]["a"]
	}
	for range 2 { // second time from the cache
		if n := count(); n != 50 {
			t.Fatalf("categoryId a: %d, want 50", n)
		}
	}
	if err := ix.Delete(ctx, []string{docs[0].OfferID}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 49 {
		t.Fatalf("after delete: %d, want 49", n)
	}
	docs[1].CategoryID = "b"
	if err := ix.Upsert(ctx, docs[1:2]); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 48 {
		t.Fatalf("after upsert: %d, want 48", n)
	}
	src := func(ctx context.Context, fn func(index.Offer) error) error {
		for _, o := range docs[:10] {
			if err := fn(o); err != nil {
				return err
			}
		}
		return nil
	}
	if err := ix.Rebuild(ctx, src); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 9 {
		t.Fatalf("after rebuild: %d, want 9", n)
	}
}
