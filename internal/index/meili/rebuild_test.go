package meili

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/meili/meilitest"
)

// sourceOf streams offers; failAfter >= 0 makes it fail after that many.
func sourceOf(offers []index.Offer, failAfter int) index.Source {
	return func(ctx context.Context, emit func(index.Offer) error) error {
		for i, o := range offers {
			if i == failAfter {
				return errors.New("mirror read failed")
			}
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	}
}

// rebuildFixture is an open index holding the "old" offers, and a disjoint "new" set.
func rebuildFixture(t *testing.T, mutate func(*Options)) (*meilitest.Server, *Index, []index.Offer, []index.Offer) {
	t.Helper()
	f := newFake(t)
	ix := openFake(t, f, mutate)
	all := sampleOffers(8)
	old, fresh := all[:3], all[3:]
	if err := ix.Upsert(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	return f, ix, old, fresh
}

func ids(offers []index.Offer) []string {
	var out []string
	for _, o := range offers {
		out = append(out, o.OfferID)
	}
	return out
}

func TestRebuild_SwapsInAndDeletesOld(t *testing.T) {
	f, ix, old, fresh := rebuildFixture(t, func(o *Options) { o.BatchSize = 2 })
	settingsBefore := f.Setting("offers", "filterableAttributes")

	// Searches during the rebuild see the old documents only.
	src := func(ctx context.Context, emit func(index.Offer) error) error {
		for _, o := range fresh {
			if err := emit(o); err != nil {
				return err
			}
			res, err := ix.Search(ctx, index.Query{Limit: 100})
			if err != nil {
				return err
			}
			if got := ids(res.Hits); !reflect.DeepEqual(got, ids(old)) {
				t.Errorf("search during rebuild sees %v, want the old %v", got, ids(old))
			}
		}
		return nil
	}
	if err := ix.Rebuild(context.Background(), src); err != nil {
		t.Fatal(err)
	}

	if got := f.DocumentIDs("offers"); !reflect.DeepEqual(got, ids(fresh)) {
		t.Errorf("documents after rebuild = %v, want exactly %v", got, ids(fresh))
	}
	if uids := f.IndexUIDs(); !reflect.DeepEqual(uids, []string{"offers"}) {
		t.Errorf("indexes after rebuild = %v, want only offers (the old one deleted)", uids)
	}
	swaps := f.Swaps()
	if len(swaps) != 1 || swaps[0][0] != "offers" || !strings.HasPrefix(swaps[0][1], "offers_rebuild_") {
		t.Fatalf("swaps = %v", swaps)
	}
	tmp := swaps[0][1]
	// The temporary index got its settings before its first document.
	settingsAt, docsAt := -1, -1
	for i, c := range f.Calls() {
		if c == "PATCH /indexes/"+tmp+"/settings" && settingsAt < 0 {
			settingsAt = i
		}
		if c == "POST /indexes/"+tmp+"/documents" && docsAt < 0 {
			docsAt = i
		}
	}
	if settingsAt < 0 || docsAt < 0 || settingsAt > docsAt {
		t.Errorf("temporary index: settings at call %d, first documents at call %d", settingsAt, docsAt)
	}
	if got := f.Setting("offers", "filterableAttributes"); string(got) != string(settingsBefore) {
		t.Errorf("filterable attributes changed by the rebuild:\n%s\n%s", got, settingsBefore)
	}
	if _, err := ix.Get(context.Background(), old[0].OfferID); !errors.Is(err, index.ErrNotFound) {
		t.Errorf("old offer still found: %v", err)
	}
	if n, err := ix.Count(context.Background()); err != nil || n != uint64(len(fresh)) {
		t.Errorf("Count = %d, %v, want %d", n, err, len(fresh))
	}
	for _, tk := range f.Tasks("indexSwap") {
		if tk.Final != "succeeded" {
			t.Errorf("swap task is %q", tk.Final)
		}
	}
}

func TestRebuild_Failures_LeaveOriginal(t *testing.T) {
	for _, c := range []struct {
		name   string
		setup  func(f *meilitest.Server)
		src    func(fresh []index.Offer) index.Source
		want   string
		swaps  int
		failed bool
	}{
		{
			name: "source fails",
			src:  func(fresh []index.Offer) index.Source { return sourceOf(fresh, 3) },
			want: "mirror read failed",
		},
		{
			name: "document task fails",
			setup: func(f *meilitest.Server) {
				f.FailTasks("documentAdditionOrUpdate", &meilitest.APIError{Message: "No space left on device.", Code: "no_space_left_on_device", Type: "system"})
			},
			want: "No space left on device",
		},
		{
			name: "swap task fails",
			setup: func(f *meilitest.Server) {
				f.FailTasks("indexSwap", &meilitest.APIError{Message: "Index `offers` not found.", Code: "index_not_found", Type: "invalid_request"})
			},
			want:  "swap",
			swaps: 1,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, ix, old, fresh := rebuildFixture(t, func(o *Options) { o.BatchSize = 2 })
			if c.setup != nil {
				c.setup(f)
			}
			src := sourceOf(fresh, -1)
			if c.src != nil {
				src = c.src(fresh)
			}
			err := ix.Rebuild(context.Background(), src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Rebuild = %v, want an error containing %q", err, c.want)
			}
			if got := f.DocumentIDs("offers"); !reflect.DeepEqual(got, ids(old)) {
				t.Errorf("documents after failed rebuild = %v, want the original %v", got, ids(old))
			}
			if uids := f.IndexUIDs(); !reflect.DeepEqual(uids, []string{"offers"}) {
				t.Errorf("indexes after failed rebuild = %v, want the temporary one deleted", uids)
			}
			if swaps := f.Swaps(); len(swaps) != c.swaps {
				t.Errorf("swaps = %v, want %d", swaps, c.swaps)
			}
		})
	}
}

func TestRebuild_SwapNeverFinishes_KeepsTemporaryIndex(t *testing.T) {
	f, ix, old, fresh := rebuildFixture(t, nil)
	f.StallTasks("indexSwap", true)
	ix.opts.TaskTimeout = 200 * time.Millisecond

	err := ix.Rebuild(context.Background(), sourceOf(fresh, -1))
	if !errors.Is(err, ErrTaskTimeout) || !strings.Contains(err.Error(), "the swap may still happen") {
		t.Fatalf("Rebuild = %v, want a timeout that says the swap may still happen", err)
	}
	// Deleting the temporary index now could delete the new documents once the swap runs.
	if uids := f.IndexUIDs(); len(uids) != 2 {
		t.Errorf("indexes = %v, want offers and the temporary index", uids)
	}
	if got := f.DocumentIDs("offers"); !reflect.DeepEqual(got, ids(old)) {
		t.Errorf("documents = %v, want the original %v until the swap runs", got, ids(old))
	}
}

func TestRebuild_RemovesLeftoversOfInterruptedRebuild(t *testing.T) {
	f, ix, _, fresh := rebuildFixture(t, nil)
	f.PutIndex("offers_rebuild_1700000000", "")
	f.PutIndex("offers_rebuild_notes", "") // not ours: no unix time
	f.PutIndex("other", "")
	if err := ix.Rebuild(context.Background(), sourceOf(fresh, -1)); err != nil {
		t.Fatal(err)
	}
	if uids := f.IndexUIDs(); !reflect.DeepEqual(uids, []string{"offers", "offers_rebuild_notes", "other"}) {
		t.Errorf("indexes = %v", uids)
	}
}

func TestRebuild_Empty(t *testing.T) {
	f, ix, _, _ := rebuildFixture(t, nil)
	if err := ix.Rebuild(context.Background(), sourceOf(nil, -1)); err != nil {
		t.Fatal(err)
	}
	if got := f.DocumentIDs("offers"); len(got) != 0 {
		t.Errorf("documents after rebuilding from nothing = %v", got)
	}
}
