package indextest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/index"
)

// sliceSource streams docs.
func sliceSource(docs []index.Offer) index.Source {
	return func(ctx context.Context, emit func(index.Offer) error) error {
		for _, o := range docs {
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	}
}

// rebuildSet is what testRebuild rebuilds to: offers 10..29 of the fixture with changed
// prices, plus five offers that were not indexed before.
func rebuildSet() []index.Offer {
	docs := Fixture()
	var out []index.Offer
	for _, o := range docs[10:30] {
		o.Price += 100
		out = append(out, o)
	}
	for i := range 5 {
		out = append(out, index.Offer{
			OfferID:      fmt.Sprintf("70000000000%d", i),
			Subject:      fmt.Sprintf("新款渔夫帽%d号", i),
			SubjectTrans: "Bucket Hat",
			Price:        float64(10 + i),
			MonthSold:    int64(100 * i),
			Sources:      []string{"hats"},
			FirstSeenAt:  1767225600,
			UpdatedAt:    1767225600,
		})
	}
	return out
}

func testRebuild(t *testing.T, ix index.Index) {
	old := Fixture()
	mustUpsert(t, ix, old)
	next := rebuildSet()
	if err := ix.Rebuild(ctx(t), sliceSource(next)); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	mustCount(t, ix, uint64(len(next)))
	for _, o := range old[:10] {
		if _, err := ix.Get(ctx(t), o.OfferID); !errors.Is(err, index.ErrNotFound) {
			t.Errorf("Get(%s) of an offer not in the rebuild: err = %v, want ErrNotFound", o.OfferID, err)
		}
	}
	for _, want := range next {
		got, err := ix.Get(ctx(t), want.OfferID)
		if err != nil {
			t.Fatalf("Get(%s) after rebuild: %v", want.OfferID, err)
		}
		sameOffer(t, got, want)
	}
	r := search(t, ix, index.Query{Limit: index.MaxLimit})
	sameSet(t, "match all after rebuild", ids(r.Hits), expect(next, func(index.Offer) bool { return true }))
	r = search(t, ix, index.Query{Text: "bucket hat", Filter: "price < 13", Limit: index.MaxLimit})
	sameSet(t, `"bucket hat" with price < 13 after rebuild`, ids(r.Hits), expect(next, func(o index.Offer) bool {
		return o.SubjectTrans == "Bucket Hat" && o.Price < 13
	}))
	r = search(t, ix, index.Query{Text: "渔夫帽", Facets: []string{"sources"}})
	if r.Total != 5 || r.Facets["sources"]["hats"] != 5 {
		t.Errorf(`"渔夫帽" after rebuild: total %d, facets %v; want 5 and hats:5`, r.Total, r.Facets)
	}
	r = search(t, ix, index.Query{Text: "T恤", Limit: index.MaxLimit})
	sameSet(t, `"T恤" after rebuild`, ids(r.Hits), expect(next, func(o index.Offer) bool {
		return strings.Contains(o.Subject, "T恤")
	}))

	// The rebuilt index takes writes like the old one did.
	mustUpsert(t, ix, old[:1])
	mustCount(t, ix, uint64(len(next)+1))
	if err := ix.Delete(ctx(t), []string{next[0].OfferID}); err != nil {
		t.Fatalf("Delete after rebuild: %v", err)
	}
	mustCount(t, ix, uint64(len(next)))
}

func testRebuildError(t *testing.T, ix index.Index) {
	old := Fixture()
	mustUpsert(t, ix, old)
	boom := errors.New("source failed")
	src := func(ctx context.Context, emit func(index.Offer) error) error {
		for _, o := range rebuildSet()[:5] {
			if err := emit(o); err != nil {
				return err
			}
		}
		return boom
	}
	if err := ix.Rebuild(ctx(t), src); err == nil {
		t.Fatal("Rebuild with a failing source returned nil")
	}
	mustCount(t, ix, uint64(len(old)))
	r := search(t, ix, index.Query{Text: "T恤", Limit: index.MaxLimit})
	sameSet(t, `"T恤" after a failed rebuild`, ids(r.Hits), expect(old, func(o index.Offer) bool {
		return strings.Contains(o.Subject, "T恤")
	}))
	sameOffer(t, mustGet(t, ix, old[12].OfferID), old[12])
}

func testRebuildSearchesSeeOld(t *testing.T, ix index.Index) {
	old := Fixture()
	mustUpsert(t, ix, old)
	next := rebuildSet()
	halfway := make(chan struct{})
	proceed := make(chan struct{})
	src := func(ctx context.Context, emit func(index.Offer) error) error {
		for i, o := range next {
			if i == len(next)/2 {
				close(halfway)
				select {
				case <-proceed:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- ix.Rebuild(ctx(t), src) }()
	select {
	case <-halfway:
	case err := <-done:
		t.Fatalf("Rebuild returned before the source finished: %v", err)
	}
	mustCount(t, ix, uint64(len(old)))
	r := search(t, ix, index.Query{Text: "纯棉", Limit: index.MaxLimit})
	sameSet(t, `"纯棉" during rebuild`, ids(r.Hits), expect(old, func(o index.Offer) bool {
		return strings.Contains(o.Subject, "纯棉")
	}))
	sameOffer(t, mustGet(t, ix, old[0].OfferID), old[0])
	close(proceed)
	if err := <-done; err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	mustCount(t, ix, uint64(len(next)))
}

func mustGet(t *testing.T, ix index.Index, id string) index.Offer {
	t.Helper()
	o, err := ix.Get(ctx(t), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return o
}
