package checkpoint

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func testRun(job string, i int) Run {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
	return Run{
		ID:         fmt.Sprintf("run-%03d", i),
		Job:        job,
		StartedAt:  start,
		FinishedAt: start.Add(5 * time.Minute),
		Status:     RunSucceeded,
		Stats:      Stats{Pages: i, Offers: 20 * i, New: i, Changed: 2, Unchanged: 20*i - i - 2},
	}
}

func TestJob_Unknown(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	rec, err := s.Job("nope")
	if err != nil || rec.Cursor != nil || rec.LastRun != nil {
		t.Fatalf("Job(unknown) = %+v, %v; want zero record", rec, err)
	}
	jobs, err := s.Jobs()
	if err != nil || jobs == nil || len(jobs) != 0 {
		t.Fatalf("Jobs() = %v, %v; want empty non-nil map", jobs, err)
	}
	runs, err := s.History("nope", 10)
	if err != nil || len(runs) != 0 {
		t.Fatalf("History(unknown) = %v, %v", runs, err)
	}
}

func TestSaveCursor_FinishRun_Lifecycle(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)

	first := testRun("tees", 1)
	if err := s.FinishRun("tees", first); err != nil {
		t.Fatal(err)
	}
	running := testRun("tees", 2)
	running.Status, running.FinishedAt = RunRunning, time.Time{}
	cur := Cursor{Run: running, QueryKey: "q:abc", Query: 1, Page: 7}
	if err := s.SaveCursor("tees", cur); err != nil {
		t.Fatal(err)
	}

	rec, err := s.Job("tees")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Cursor == nil || !cursorsEqual(*rec.Cursor, cur) {
		t.Errorf("cursor %+v, want %+v", rec.Cursor, cur)
	}
	if rec.LastRun == nil || rec.LastRun.ID != first.ID {
		t.Errorf("SaveCursor lost LastRun: %+v", rec.LastRun)
	}

	done := running
	done.Status, done.FinishedAt = RunFailed, running.StartedAt.Add(time.Minute)
	done.Error = "fetch page 7 of tees: bad signature"
	if err := s.FinishRun("tees", done); err != nil {
		t.Fatal(err)
	}

	// Seen through a fresh handle, from the file.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir)
	jobs, err := s.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	rec, ok := jobs["tees"]
	if !ok || len(jobs) != 1 {
		t.Fatalf("Jobs() = %v, want just tees", jobs)
	}
	if rec.Cursor != nil {
		t.Errorf("FinishRun kept the cursor: %+v", rec.Cursor)
	}
	if rec.LastRun == nil || !runsEqual(*rec.LastRun, done) {
		t.Errorf("LastRun %+v, want %+v", rec.LastRun, done)
	}
	runs, err := s.History("tees", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || !runsEqual(runs[0], done) || !runsEqual(runs[1], first) {
		t.Errorf("History = %+v, want [%s %s]", runs, done.ID, first.ID)
	}
}

func TestHistory_OrderAndTrim(t *testing.T) {
	s := mustOpenOpts(t, filepath.Join(t.TempDir(), "state.db"), &Options{NoSync: true})
	const total = HistoryLimit + 17
	for i := range total {
		if err := s.FinishRun("tees", testRun("tees", i)); err != nil {
			t.Fatal(err)
		}
		// Another job's history must neither interleave nor count against this one.
		if i%10 == 0 {
			if err := s.FinishRun("polo", testRun("polo", i)); err != nil {
				t.Fatal(err)
			}
		}
	}

	runs, err := s.History("tees", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != HistoryLimit {
		t.Fatalf("History kept %d runs, want %d", len(runs), HistoryLimit)
	}
	for i, r := range runs {
		if want := testRun("tees", total-1-i); !runsEqual(r, want) {
			t.Fatalf("runs[%d] = %s, want %s (newest first)", i, r.ID, want.ID)
		}
	}
	if got := storedRuns(t, s, "tees"); got != HistoryLimit {
		t.Errorf("history bucket holds %d runs, want %d", got, HistoryLimit)
	}

	runs, err = s.History("tees", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].ID != "run-116" || runs[2].ID != "run-114" {
		t.Errorf("History(3) = %v", runIDs(runs))
	}
	polo, err := s.History("polo", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(polo) != 12 || polo[0].ID != "run-110" || polo[11].ID != "run-000" {
		t.Errorf("History(polo) = %v", runIDs(polo))
	}
}

func TestDeleteJob(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	row := testRow(1)
	for _, job := range []string{"tees", "polo"} {
		if err := s.FinishRun(job, testRun(job, 1)); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitPage(job, Cursor{Page: 2}, []Row{row}, Sighting{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteJob("tees"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteJob("tees"); err != nil {
		t.Errorf("deleting a deleted job: %v", err)
	}

	jobs, err := s.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := jobs["tees"]; ok || len(jobs) != 1 {
		t.Errorf("Jobs() after delete = %v", jobs)
	}
	if runs, err := s.History("tees", 0); err != nil || len(runs) != 0 {
		t.Errorf("History after delete = %v, %v", runIDs(runs), err)
	}
	if runs, err := s.History("polo", 0); err != nil || len(runs) != 1 {
		t.Errorf("History of the other job = %v, %v", runIDs(runs), err)
	}
	if _, ok, err := s.Offer(row.Doc.OfferID); err != nil || !ok {
		t.Errorf("DeleteJob touched the mirror: ok=%v err=%v", ok, err)
	}

	// A job recreated under the same name starts a fresh history.
	if err := s.FinishRun("tees", testRun("tees", 9)); err != nil {
		t.Fatal(err)
	}
	if runs, err := s.History("tees", 0); err != nil || len(runs) != 1 || runs[0].ID != "run-009" {
		t.Errorf("History of the recreated job = %v, %v", runIDs(runs), err)
	}
}

func TestJobs_EmptyName(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	if err := s.SaveCursor("", Cursor{}); err == nil {
		t.Error("SaveCursor with an empty job name succeeded")
	}
	if err := s.FinishRun("", Run{}); err == nil {
		t.Error("FinishRun with an empty job name succeeded")
	}
	if err := s.CommitPage("", Cursor{}, []Row{testRow(1)}, Sighting{}); err == nil {
		t.Error("CommitPage with an empty job name succeeded")
	}
}

// storedRuns counts the runs actually kept in a job's history bucket and checks that
// their keys are 8-byte sequence numbers.
func storedRuns(t *testing.T, s *Store, job string) int {
	t.Helper()
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRuns).Bucket([]byte(job)).ForEach(func(k, _ []byte) error {
			if len(k) != 8 || binary.BigEndian.Uint64(k) == 0 {
				return fmt.Errorf("history key %x", k)
			}
			n++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// runsEqual compares runs as they survive JSON: times by instant.
func runsEqual(a, b Run) bool {
	return a.ID == b.ID && a.Job == b.Job && a.StartedAt.Equal(b.StartedAt) &&
		a.FinishedAt.Equal(b.FinishedAt) && a.Status == b.Status && a.Stats == b.Stats &&
		a.Error == b.Error
}

func cursorsEqual(a, b Cursor) bool {
	return runsEqual(a.Run, b.Run) && a.QueryKey == b.QueryKey && a.Query == b.Query &&
		a.Page == b.Page
}

func runIDs(runs []Run) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}
