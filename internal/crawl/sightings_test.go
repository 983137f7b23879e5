package crawl

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/upstream"
)

// runSightings returns the offer ids the sighting log holds for one run, in order.
func runSightings(t *testing.T, h *harness, job, runID string) []string {
	t.Helper()
	var ids []string
	if bad, err := h.store.RunSightings(job, runID, func(e checkpoint.Sighting) { ids = append(ids, e.IDs...) }); err != nil || bad != 0 {
		t.Fatalf("RunSightings: %d bad entries, %v", bad, err)
	}
	return ids
}

func TestRunner_Run_OfferLeavesResults_KeepsWhenLastSeen(t *testing.T) {
	cat := catalog{"kw": pages(2, offers("a", "b"), offers("c"))}
	h := newHarness(t, cat.serve)
	job := keywordJob("j", "kw")
	h.mustRun(t, job, false) // writes every row
	h.clock.advance(time.Hour)
	t1 := h.clock.now().Unix()
	second := h.mustRun(t, job, false) // unchanged: the log records all three
	if got := runSightings(t, h, "j", second.ID); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("second run logged %v, want [a b c]", got)
	}

	cat["kw"] = pages(1, offers("a", "b")) // c leaves the results
	h.clock.advance(time.Hour)
	t2 := h.clock.now().Unix()
	third := h.mustRun(t, job, false)

	// c's row now says when the second run saw it: folded from that run's log, which is
	// gone; a and b are in the third run's log.
	if r := h.row(t, "c"); r.LastSeenAt != t1 {
		t.Errorf("row c: lastSeenAt %d, want %d (the last run that saw it)", r.LastSeenAt, t1)
	}
	if got := runSightings(t, h, "j", second.ID); len(got) != 0 {
		t.Errorf("the second run's log still holds %v after a later run finished", got)
	}
	if got := runSightings(t, h, "j", third.ID); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("third run logged %v, want [a b]", got)
	}
	for id, want := range map[string]int64{"a": t2, "b": t2, "c": t1} {
		if at, ok, err := h.store.LastSeen(id); err != nil || !ok || at != want {
			t.Errorf("LastSeen(%s) = %d, %v, %v; want %d", id, at, ok, err, want)
		}
	}
	// a's row was not rewritten by the fold: the third run saw it.
	if r := h.row(t, "a"); r.LastSeenAt == t1 {
		t.Errorf("row a: lastSeenAt raised to %d by the fold, though the third run saw it", r.LastSeenAt)
	}
}

func TestRunner_Run_ResumedResync_CountsOffersSeenBeforeTheStop(t *testing.T) {
	// Page 3 repeats a, first seen on page 1: the resumed run must know it counted a
	// already, although nothing but the sighting log says so (a's row is unchanged).
	cat := catalog{"kw": pages(3, offers("a", "b"), offers("c", "d"), offers("a", "e"))}
	fail := false
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		if fail && req.Page == 3 {
			return nil, errBadSignature
		}
		return cat.serve(ctx, req)
	}, func(o *Options) { o.Window = 1 })
	job := keywordJob("j", "kw")
	h.mustRun(t, job, false)
	h.clock.advance(time.Hour)
	baseline := h.mustRun(t, job, false)
	if want := (checkpoint.Stats{Pages: 3, Offers: 5, Unchanged: 5}); baseline.Stats != want {
		t.Fatalf("uninterrupted re-sync: %+v, want %+v", baseline.Stats, want)
	}

	h.clock.advance(time.Hour)
	fail = true
	if _, err := h.runner.Run(context.Background(), job, false); !errors.Is(err, errBadSignature) {
		t.Fatalf("err = %v, want the fetch error at page 3", err)
	}
	fail = false
	// A new Runner, as after a restart: what the run saw comes from the store.
	r2 := NewRunner(Options{Store: h.store, Index: h.index, Fetcher: h.fetcher, Now: h.clock.now, Logger: testLogger(t)})
	resumed, err := r2.Run(context.Background(), job, false)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Stats != baseline.Stats {
		t.Errorf("resumed re-sync: %+v, want %+v (a counted once)", resumed.Stats, baseline.Stats)
	}
}

// An unchanged offer repeated on a later page of the same group is counted and logged once.
func TestRunner_Run_RepeatInOneGroup_CountedAndLoggedOnce(t *testing.T) {
	cat := catalog{"kw": pages(2, offers("a", "b"), offers("a", "c"))}
	h := newHarness(t, cat.serve)
	job := keywordJob("j", "kw")
	h.mustRun(t, job, false) // writes every row

	cur := checkpoint.Cursor{Run: checkpoint.Run{ID: "20990101T000000.000000000Z-000000000001", Job: "j"}, Page: 1}
	group := []landing{
		{page: 1, res: fetchResult{page: cat["kw"][0]}, next: checkpoint.Cursor{Page: 2}},
		{page: 2, res: fetchResult{page: cat["kw"][1]}, next: checkpoint.Cursor{Query: 1, Page: 1}},
	}
	seen := newRunSeen()
	_, stats, err := h.runner.applyPages(context.Background(), "j", cur, group, seen)
	if err != nil {
		t.Fatal(err)
	}
	if stats[0].Unchanged != 2 || stats[1].Unchanged != 1 || stats[1].Repeated != 1 {
		t.Errorf("stats = %+v / %+v, want a counted once (page 2: 1 unchanged, 1 repeated)", stats[0], stats[1])
	}
	if got := runSightings(t, h, "j", cur.Run.ID); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("logged %v, want [a b c]", got)
	}
	if !seen.has("a") || !seen.has("c") || seen.len() != 3 {
		t.Errorf("the run's set holds %d offers, want a, b and c", seen.len())
	}
}
