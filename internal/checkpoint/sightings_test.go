package checkpoint

import (
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// logged returns the ids a run logged, in order.
func logged(t *testing.T, s *Store, job, runID string) []string {
	t.Helper()
	var ids []string
	if bad, err := s.RunSightings(job, runID, func(e Sighting) { ids = append(ids, e.IDs...) }); err != nil || bad != 0 {
		t.Fatalf("RunSightings: %d bad entries, %v", bad, err)
	}
	return ids
}

// lastSeen returns LastSeen(id), failing the test on error or an absent offer.
func lastSeen(t *testing.T, s *Store, id string) int64 {
	t.Helper()
	at, ok, err := s.LastSeen(id)
	if err != nil || !ok {
		t.Fatalf("LastSeen(%s): found %v, err %v", id, ok, err)
	}
	return at
}

func TestCommitPage_Sightings_LoggedPerRunInOrder(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	a, b, c := testRow(1), testRow(2), testRow(3)
	putRows(t, s, []Row{a, b, c})
	id := func(r Row) string { return r.Doc.OfferID }

	old := Cursor{Run: Run{ID: "20260101T000000-aaaa"}, Page: 2}
	cur := Cursor{Run: Run{ID: "20260102T000000-bbbb"}, Page: 2}
	for _, step := range []struct {
		c   Cursor
		ids []string
	}{
		{old, []string{id(a)}},
		{cur, []string{id(b), id(c)}},
		{cur, []string{id(a)}},
	} {
		if err := s.CommitPage("tees", step.c, nil, Sighting{At: 2_000_000_000, IDs: step.ids}); err != nil {
			t.Fatal(err)
		}
	}
	// A run id that is a prefix of another does not pick up the other's entries.
	if err := s.CommitPage("tees", Cursor{Run: Run{ID: "20260102T000000-bbbb2"}}, nil, Sighting{At: 1, IDs: []string{id(c)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir)
	if got, want := logged(t, s, "tees", cur.Run.ID), []string{id(b), id(c), id(a)}; !slices.Equal(got, want) {
		t.Errorf("run %s logged %v, want %v", cur.Run.ID, got, want)
	}
	if got := logged(t, s, "tees", old.Run.ID); !slices.Equal(got, []string{id(a)}) {
		t.Errorf("run %s logged %v, want [%s]", old.Run.ID, got, id(a))
	}
	if got := logged(t, s, "other-job", cur.Run.ID); len(got) != 0 {
		t.Errorf("another job's log holds %v", got)
	}
	// The rows were not rewritten; LastSeen sees the log.
	if r, _, _ := s.Offer(id(b)); r.LastSeenAt != b.LastSeenAt {
		t.Errorf("row b rewritten: lastSeenAt %d", r.LastSeenAt)
	}
	if got := lastSeen(t, s, id(b)); got != 2_000_000_000 {
		t.Errorf("LastSeen(b) = %d, want the sighting's 2000000000", got)
	}
}

func TestCommitPage_SightingsWithoutRunID_CommitsNothing(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	r := testRow(1)
	err := s.CommitPage("tees", Cursor{Page: 2}, []Row{r}, Sighting{At: 5, IDs: []string{"x"}})
	if err == nil || !strings.Contains(err.Error(), "no run id") {
		t.Fatalf("err = %v, want one about the missing run id", err)
	}
	if _, ok, _ := s.Offer(r.Doc.OfferID); ok {
		t.Error("the row was committed although the commit failed")
	}
	if rec, _ := s.Job("tees"); rec.Cursor != nil {
		t.Errorf("cursor = %+v, want none", rec.Cursor)
	}
}

func TestFoldSightings(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	const keep = "20260103T000000-cccc"
	rows := []Row{testRow(1), testRow(2), testRow(3), testRow(4), testRow(5)}
	// Row 4 was rewritten by run keep itself; row 5 already has a later time than the log.
	rows[3].SeenBy = map[string]string{"tees": keep}
	rows[4].LastSeenAt = 2_100_000_000
	putRows(t, s, rows)
	id := func(i int) string { return rows[i].Doc.OfferID }
	commit := func(run string, at int64, ids ...string) {
		t.Helper()
		if err := s.CommitPage("tees", Cursor{Run: Run{ID: run}}, nil, Sighting{At: at, IDs: ids}); err != nil {
			t.Fatal(err)
		}
	}
	commit("20260101T000000-aaaa", 2_000_000_000, id(0), id(1), id(2), id(3), id(4), "gone-from-the-mirror")
	commit("20260102T000000-bbbb", 2_000_000_500, id(0))
	commit(keep, 2_000_001_000, id(1))
	if err := s.CommitPage("polos", Cursor{Run: Run{ID: "20260101T000000-dddd"}}, nil, Sighting{At: 2_000_000_700, IDs: []string{id(2)}}); err != nil {
		t.Fatal(err)
	}

	// keep saw row 1 (in its log) and row 3 (its row): neither is raised.
	seen := func(x string) bool { return x == id(1) }
	for range 2 { // a second fold finds nothing left to do
		if bad, err := s.FoldSightings("tees", keep, seen); err != nil || bad != 0 {
			t.Fatalf("fold: %d bad entries, %v", bad, err)
		}
	}
	want := []int64{
		2_000_000_500,      // the later of the two older runs
		rows[1].LastSeenAt, // keep saw it: its log entry stands for it
		2_000_000_000,
		rows[3].LastSeenAt, // keep rewrote it
		2_100_000_000,      // never lowered
	}
	for i, w := range want {
		if r, _, _ := s.Offer(id(i)); r.LastSeenAt != w {
			t.Errorf("row %d: lastSeenAt %d, want %d", i, r.LastSeenAt, w)
		}
	}
	if _, ok, _ := s.Offer("gone-from-the-mirror"); ok {
		t.Error("folding created a row for an offer the mirror does not have")
	}
	for _, run := range []string{"20260101T000000-aaaa", "20260102T000000-bbbb"} {
		if got := logged(t, s, "tees", run); len(got) != 0 {
			t.Errorf("run %s still logs %v after the fold", run, got)
		}
	}
	if got := logged(t, s, "tees", keep); !slices.Equal(got, []string{id(1)}) {
		t.Errorf("keep's log = %v, want [%s]", got, id(1))
	}
	// Another job's log is its own, and LastSeen reads it.
	if got := logged(t, s, "polos", "20260101T000000-dddd"); len(got) != 1 {
		t.Errorf("the polos log = %v, want its one entry", got)
	}
	if got := lastSeen(t, s, id(1)); got != 2_000_001_000 {
		t.Errorf("LastSeen(row 1) = %d, want keep's 2000001000", got)
	}
	if got := lastSeen(t, s, id(2)); got != 2_000_000_700 {
		t.Errorf("LastSeen(row 2) = %d, want the polos sighting's 2000000700", got)
	}
	if _, ok, err := s.LastSeen("not-there"); ok || err != nil {
		t.Errorf("LastSeen of an absent offer: found %v, err %v", ok, err)
	}
}

func TestDeleteJob_FoldsItsSightings(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	r := testRow(1)
	putRows(t, s, []Row{r})
	if err := s.CommitPage("tees", Cursor{Run: Run{ID: "20260101T000000-aaaa"}}, nil, Sighting{At: 2_000_000_000, IDs: []string{r.Doc.OfferID}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteJob("tees"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Offer(r.Doc.OfferID); got.LastSeenAt != 2_000_000_000 {
		t.Errorf("lastSeenAt %d, want the deleted job's sighting 2000000000", got.LastSeenAt)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSightings).Bucket([]byte("tees")) != nil {
			t.Error("the deleted job's sighting log is still there")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A log entry that cannot be decoded is skipped and counted, never an error: failing would
// stop every later run of the job at its end (the fold) or its start (RunSightings).
func TestSightings_CorruptEntry_IsSkipped(t *testing.T) {
	for name, v := range map[string][]byte{
		"empty":      {},
		"truncated":  {0x02, 0x02, 0x03, 'a'},
		"trailing":   {0x02, 0x01, 0x01, 'a', 0xff},
		"huge count": {0x02, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		t.Run(name, func(t *testing.T) {
			s := mustOpen(t, t.TempDir())
			r := testRow(1)
			putRows(t, s, []Row{r})
			const run = "20260101T000000-aaaa"
			commit := func(at int64) {
				t.Helper()
				if err := s.CommitPage("tees", Cursor{Run: Run{ID: run}}, nil, Sighting{At: at, IDs: []string{r.Doc.OfferID}}); err != nil {
					t.Fatal(err)
				}
			}
			commit(2_000_000_000)
			err := s.db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketSightings).Bucket([]byte("tees")).Put(append(runPrefix(run), u64(1_000)...), v)
			})
			if err != nil {
				t.Fatal(err)
			}
			commit(2_000_000_100)

			var ids []string
			bad, err := s.RunSightings("tees", run, func(e Sighting) { ids = append(ids, e.IDs...) })
			if err != nil || bad != 1 || len(ids) != 2 {
				t.Errorf("RunSightings: ids %v, %d bad, %v; want both good entries and 1 bad", ids, bad, err)
			}
			if got := lastSeen(t, s, r.Doc.OfferID); got != 2_000_000_100 {
				t.Errorf("LastSeen = %d, want 2000000100", got)
			}
			bad, err = s.FoldSightings("tees", "", nil)
			if err != nil || bad != 1 {
				t.Errorf("fold: %d bad, %v; want 1 bad and no error", bad, err)
			}
			if got, _, _ := s.Offer(r.Doc.OfferID); got.LastSeenAt != 2_000_000_100 {
				t.Errorf("row lastSeenAt %d after the fold, want 2000000100", got.LastSeenAt)
			}
			if bad, err := s.RunSightings("tees", run, func(Sighting) {}); bad != 0 || err != nil {
				t.Errorf("after the fold: %d bad entries left, %v", bad, err)
			}
		})
	}
}

func TestFoldSightings_ManyBatches(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	n := foldBatch*2 + 100
	rows := make([]Row, n)
	for i := range rows {
		rows[i] = testRow(i)
	}
	putRows(t, s, rows)
	const old, keep = "20260101T000000-aaaa", "20260102T000000-bbbb"
	// keep's entries sit between two of old's runs' entries: an abandoned run after keep.
	const later = "20260103T000000-cccc"
	for i := 0; i < n; i += 1000 {
		var ids []string
		for j := i; j < min(i+1000, n); j++ {
			ids = append(ids, rows[j].Doc.OfferID)
		}
		run := old
		if i >= n/2 {
			run = later
		}
		if err := s.CommitPage("tees", Cursor{Run: Run{ID: run}}, nil, Sighting{At: 2_000_000_000, IDs: ids}); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitPage("tees", Cursor{Run: Run{ID: keep}}, nil, Sighting{At: 2_000_000_500, IDs: ids[:1]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.FoldSightings("tees", keep, func(string) bool { return false }); err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{old, later} {
		if got := logged(t, s, "tees", run); len(got) != 0 {
			t.Errorf("%d ids of run %s left in the log after the fold", len(got), run)
		}
	}
	if got := logged(t, s, "tees", keep); len(got) != (n+999)/1000 {
		t.Errorf("keep's log holds %d ids, want its %d", len(got), (n+999)/1000)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		if r, _, _ := s.Offer(rows[i].Doc.OfferID); r.LastSeenAt != 2_000_000_000 {
			t.Errorf("row %d: lastSeenAt %d, want it raised to 2000000000", i, r.LastSeenAt)
		}
	}
}

func TestFoldSightings_SkipsCorruptRows(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	good, bad := testRow(1), testRow(2)
	putRows(t, s, []Row{good, bad})
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOffers).Put([]byte(bad.Doc.OfferID), []byte{rowFormat1})
	})
	if err != nil {
		t.Fatal(err)
	}
	const run = "20260101T000000-aaaa"
	if err := s.CommitPage("tees", Cursor{Run: Run{ID: run}}, nil, Sighting{At: 2_000_000_000, IDs: []string{bad.Doc.OfferID, good.Doc.OfferID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FoldSightings("tees", "", nil); err != nil {
		t.Fatalf("fold over a corrupt row: %v", err)
	}
	if r, _, _ := s.Offer(good.Doc.OfferID); r.LastSeenAt != 2_000_000_000 {
		t.Errorf("the good row after the corrupt one: lastSeenAt %d, want 2000000000", r.LastSeenAt)
	}
	if got := logged(t, s, "tees", run); len(got) != 0 {
		t.Errorf("log after the fold = %v, want empty", got)
	}
}
