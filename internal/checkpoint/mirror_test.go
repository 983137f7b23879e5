package checkpoint

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestCommitPage_RowsAndCursorVisibleAfterReopen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	if err := s.FinishRun("tees", testRun("tees", 1)); err != nil {
		t.Fatal(err)
	}
	rows := codecCases()
	cur := Cursor{Run: testRun("tees", 2), QueryKey: "k", Query: 0, Page: 3}
	if err := s.CommitPage("tees", cur, rows, Sighting{}); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		rec, err := s.Job("tees")
		if err != nil {
			t.Fatal(err)
		}
		if rec.Cursor == nil || !cursorsEqual(*rec.Cursor, cur) {
			t.Errorf("cursor %+v, want %+v", rec.Cursor, cur)
		}
		if rec.LastRun == nil || rec.LastRun.ID != "run-001" {
			t.Errorf("CommitPage lost LastRun: %+v", rec.LastRun)
		}
		ids := []string{"absent"}
		for _, r := range rows {
			ids = append(ids, r.Doc.OfferID)
		}
		got, corrupt, err := s.Rows(ids)
		if err != nil || len(corrupt) != 0 {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Errorf("Rows returned %d rows, want %d", len(got), len(rows))
		}
		for _, want := range rows {
			if r := got[want.Doc.OfferID]; !reflect.DeepEqual(r, want) {
				t.Errorf("Rows[%s] =\n%#v\nwant\n%#v", want.Doc.OfferID, r, want)
			}
			r, ok, err := s.Offer(want.Doc.OfferID)
			if err != nil || !ok || !reflect.DeepEqual(r, want) {
				t.Errorf("Offer(%s) = %#v, %v, %v", want.Doc.OfferID, r, ok, err)
			}
		}
		if n, err := s.CountOffers(); err != nil || n != len(rows) {
			t.Errorf("CountOffers() = %d, %v; want %d", n, err, len(rows))
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(mustOpen(t, dir))
}

// A failure inside the transaction, after the rows were put, must leave nothing behind:
// not those rows, not the counter, not the cursor. The job record is read after the rows
// are written, so a corrupt record makes the transaction fail at that point.
func TestCommitPage_Atomic_RollsBackOnFailure(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	if err := s.CommitPage("tees", Cursor{QueryKey: "k", Page: 1}, []Row{testRow(1)}, Sighting{}); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).Put([]byte("broken"), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}

	updated := testRow(1)
	updated.Doc.Price = 99
	err = s.CommitPage("broken", Cursor{Page: 2}, []Row{testRow(2), updated}, Sighting{})
	if err == nil {
		t.Fatal("CommitPage over a corrupt job record succeeded")
	}
	t.Log(err)

	if _, ok, _ := s.Offer(testRow(2).Doc.OfferID); ok {
		t.Error("new row put before the failure survived")
	}
	if r, _, _ := s.Offer(updated.Doc.OfferID); r.Doc.Price != testRow(1).Doc.Price {
		t.Errorf("overwrite put before the failure survived: price %v", r.Doc.Price)
	}
	if n, err := s.CountOffers(); err != nil || n != 1 {
		t.Errorf("CountOffers() = %d, %v; want 1", n, err)
	}
	if rec, err := s.Job("tees"); err != nil || rec.Cursor == nil || rec.Cursor.Page != 1 {
		t.Errorf("other job's cursor: %+v, %v", rec.Cursor, err)
	}
	// Repair the record; the same page then commits.
	if err := s.DeleteJob("broken"); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitPage("broken", Cursor{Page: 2}, []Row{testRow(2), updated}, Sighting{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountOffers(); n != 2 {
		t.Errorf("CountOffers() = %d after the retry, want 2", n)
	}
}

func TestCommitPage_RejectsBadIDs(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	for name, id := range map[string]string{
		"empty":     "",
		"too large": strings.Repeat("9", bolt.MaxKeySize+1),
	} {
		bad := testRow(2)
		bad.Doc.OfferID = id
		err := s.CommitPage("tees", Cursor{Page: 2}, []Row{testRow(1), bad}, Sighting{})
		if err == nil {
			t.Fatalf("%s id: CommitPage succeeded", name)
		}
		if len(err.Error()) > 200 {
			t.Errorf("%s id: error of %d bytes", name, len(err.Error()))
		}
	}
	if rec, _ := s.Job("tees"); rec.Cursor != nil {
		t.Errorf("cursor written: %+v", rec.Cursor)
	}
	if n, _ := s.CountOffers(); n != 0 {
		t.Errorf("%d offers written", n)
	}
}

// A process killed right after CommitPage returned has its pages on disk (rule 1 of
// DESIGN §3), and its death releases the lock.
func TestCommitPage_Durable_AfterProcessKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	c := startChild(t, "commit", path)
	c.expect(t, "ready")
	c.expect(t, "committed")
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()

	s := mustOpenOpts(t, path, nil)
	rec, err := s.Job("child")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Cursor == nil || rec.Cursor.Page != childPages+1 {
		t.Errorf("cursor after crash: %+v, want page %d", rec.Cursor, childPages+1)
	}
	var ids []string
	var want []Row
	for p := 1; p <= childPages; p++ {
		for _, r := range childRows(p) {
			ids = append(ids, r.Doc.OfferID)
			want = append(want, r)
		}
	}
	got, _, err := s.Rows(ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !reflect.DeepEqual(got[w.Doc.OfferID], w) {
			t.Errorf("row %s lost or changed by the crash", w.Doc.OfferID)
		}
	}
	if n, _ := s.CountOffers(); n != len(want) {
		t.Errorf("CountOffers() = %d, want %d", n, len(want))
	}
}

func TestCountOffers_OverwritesAndDuplicates(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	commit := func(ids ...int) {
		t.Helper()
		rows := make([]Row, len(ids))
		for i, id := range ids {
			rows[i] = testRow(id)
		}
		if err := s.CommitPage("tees", Cursor{}, rows, Sighting{}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		ids  []int
		want int
	}{
		{[]int{1, 2, 3}, 3},
		{[]int{2, 3, 4}, 4},    // two overwrites, one new
		{[]int{5, 5, 1}, 5},    // a duplicate within the page counts once
		{[]int{1, 2, 3, 4}, 5}, // nothing new
		{nil, 5},               // cursor only
	}
	for i, st := range steps {
		commit(st.ids...)
		if n, err := s.CountOffers(); err != nil || n != st.want {
			t.Fatalf("step %d: CountOffers() = %d, %v; want %d", i, n, err, st.want)
		}
	}
	// Within a page the last row of an id wins.
	a, b := testRow(7), testRow(7)
	b.Doc.MonthSold = 42
	if err := s.CommitPage("tees", Cursor{}, []Row{a, b}, Sighting{}); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := s.Offer(a.Doc.OfferID); r.Doc.MonthSold != 42 {
		t.Errorf("MonthSold %d, want the later row's 42", r.Doc.MonthSold)
	}
}

func TestRows_EmptyAndMissing(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	putRows(t, s, []Row{testRow(1)})
	got, corrupt, err := s.Rows(nil)
	if err != nil || got == nil || len(got) != 0 || corrupt != nil {
		t.Errorf("Rows(nil) = %v, %v, %v", got, corrupt, err)
	}
	got, corrupt, err = s.Rows([]string{"", "missing", testRow(1).Doc.OfferID, testRow(1).Doc.OfferID})
	if err != nil || len(got) != 1 || corrupt != nil {
		t.Errorf("Rows = %d rows, corrupt %v, %v; want 1", len(got), corrupt, err)
	}
	if _, ok, err := s.Offer("missing"); ok || err != nil {
		t.Errorf("Offer(missing) = %v, %v", ok, err)
	}
}

// fillForEach stores n rows (more than two chunks for n > 2000) and returns their ids in
// byte order.
func fillForEach(t *testing.T, n int) (*Store, []string) {
	t.Helper()
	s := mustOpenOpts(t, filepath.Join(t.TempDir(), "state.db"), &Options{NoSync: true})
	rows := make([]Row, n)
	ids := make([]string, n)
	for i := range rows {
		rows[i] = testRow(n - i) // committed out of order
		ids[i] = rows[i].Doc.OfferID
	}
	putRows(t, s, rows)
	slices.Sort(ids)
	return s, ids
}

func TestForEachOffer_OrderAcrossChunks(t *testing.T) {
	n := 2*forEachChunk + 345
	s, want := fillForEach(t, n)
	var got []string
	err := s.ForEachOffer(context.Background(), func(r Row) error {
		if len(got) > 0 && r.Doc.OfferID <= got[len(got)-1] {
			t.Fatalf("%s after %s: not in id order", r.Doc.OfferID, got[len(got)-1])
		}
		if r.Doc.Subject == "" || len(r.SeenBy) != 2 {
			t.Fatalf("row %s not fully decoded", r.Doc.OfferID)
		}
		// No read transaction is held while fn runs, so fn may take its time or write.
		if open := s.db.Stats().OpenTxN; open != 0 {
			t.Fatalf("%d read transactions open during fn", open)
		}
		got = append(got, r.Doc.OfferID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("visited %d rows, want %d in order", len(got), len(want))
	}
}

func TestForEachOffer_ExactChunk(t *testing.T) {
	s, want := fillForEach(t, forEachChunk)
	n := 0
	if err := s.ForEachOffer(context.Background(), func(Row) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("visited %d rows, want %d", n, len(want))
	}
}

func TestForEachOffer_WritesDuringIteration(t *testing.T) {
	s, want := fillForEach(t, forEachChunk+10)
	visited := map[string]int{}
	err := s.ForEachOffer(context.Background(), func(r Row) error {
		visited[r.Doc.OfferID]++
		r.LastSeenAt++ // rewrite every row as it is visited, as a migration would
		return s.CommitPage("touch", Cursor{}, []Row{r}, Sighting{})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range want {
		if visited[id] != 1 {
			t.Fatalf("row %s visited %d times", id, visited[id])
		}
	}
}

func TestForEachOffer_StopsOnCancel(t *testing.T) {
	s, _ := fillForEach(t, forEachChunk+500)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const stopAfter = forEachChunk + 100 // in the second chunk
	n := 0
	err := s.ForEachOffer(ctx, func(Row) error {
		n++
		if n == stopAfter {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ForEachOffer after cancel: %v, want context.Canceled", err)
	}
	if n != stopAfter {
		t.Errorf("fn called %d times, want %d (none after cancel)", n, stopAfter)
	}

	n = 0
	if err := s.ForEachOffer(ctx, func(Row) error { n++; return nil }); !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("ForEachOffer with a done ctx: %v after %d calls", err, n)
	}
}

func TestForEachOffer_StopsOnFnError(t *testing.T) {
	s, _ := fillForEach(t, 50)
	stop := errors.New("stop")
	n := 0
	err := s.ForEachOffer(context.Background(), func(Row) error {
		n++
		if n == 7 {
			return stop
		}
		return nil
	})
	if err != stop || n != 7 {
		t.Errorf("ForEachOffer = %v after %d calls, want fn's own error after 7", err, n)
	}
}

func TestForEachOffer_Empty(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	if err := s.ForEachOffer(context.Background(), func(Row) error {
		t.Error("fn called on an empty mirror")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A row that cannot be decoded must not wedge every page that lists its offer: Rows names
// it apart, the offer's next commit replaces it, and the offer count stays right.
func TestRows_CorruptRowIsReportedAndReplaced(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	good, bad := testRow(1), testRow(2)
	putRows(t, s, []Row{good, bad})
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOffers).Put([]byte(bad.Doc.OfferID), []byte{rowFormat1, 0xff})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, corrupt, err := s.Rows([]string{good.Doc.OfferID, bad.Doc.OfferID})
	if err != nil || len(got) != 1 || !slices.Equal(corrupt, []string{bad.Doc.OfferID}) {
		t.Fatalf("Rows = %d rows, corrupt %v, %v; want the good row and the bad id", len(got), corrupt, err)
	}
	if err := s.CommitPage("tees", Cursor{}, []Row{bad}, Sighting{}); err != nil {
		t.Fatal(err)
	}
	if r, ok, err := s.Offer(bad.Doc.OfferID); err != nil || !ok || !reflect.DeepEqual(r, bad) {
		t.Errorf("replaced row = %+v, %v, %v", r, ok, err)
	}
	if n, err := s.CountOffers(); err != nil || n != 2 {
		t.Errorf("CountOffers = %d, %v; want 2", n, err)
	}
}
