package main

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// buildSyncd compiles the real binary once per test run.
func buildSyncd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "syncd")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build syncd: %v", err)
	}
	return bin
}

// TestBackfill_SurvivesSIGKILL runs the real `syncd backfill` as a subprocess, kills it
// with SIGKILL at random moments mid-run several times, lets the last run finish, and
// checks the result equals an uninterrupted run: same mirror, same index, every offer
// once. Each kill may cost at most the pages that were in flight (fetched ahead or being
// committed) — re-fetched after the restart — and nothing more.
func TestBackfill_SurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; run without -short")
	}
	bin := buildSyncd(t)
	opts := sim.Options{Offers: 3000, Seed: 3, Latency: 15 * time.Millisecond}

	// The reference: the same catalog mirrored without interruption.
	ref := newTestEnv(t, opts, "")
	ref.mustSyncd(t, "backfill")
	refRows := ref.mirror(t)

	e := newTestEnv(t, opts, "")
	rng := rand.New(rand.NewPCG(42, 42))
	kills := backfillWithKills(t, bin, e, rng, 5, 150*time.Millisecond)
	if kills < 3 {
		t.Fatalf("only %d kills landed mid-run; the test proves little", kills)
	}

	rows := e.mirror(t)
	if len(rows) != len(refRows) {
		t.Fatalf("mirror after %d kills has %d offers, the uninterrupted run %d", kills, len(rows), len(refRows))
	}
	for id, r := range refRows {
		got, ok := rows[id]
		if !ok {
			t.Fatalf("offer %s lost", id)
		}
		if !reflect.DeepEqual(content(got.Doc), content(r.Doc)) {
			t.Errorf("offer %s differs from the uninterrupted run:\n%+v\n%+v", id, got.Doc, r.Doc)
		}
	}
	docs := e.indexDocs(t)
	if len(docs) != len(rows) {
		t.Fatalf("index has %d documents, mirror %d", len(docs), len(rows))
	}
	for id, d := range docs {
		if !reflect.DeepEqual(content(d), content(rows[id].Doc)) {
			t.Errorf("index document %s differs from its mirror row", id)
		}
	}

	// Re-fetched pages: at most what was in flight at each kill, per job.
	refetched := 0
	for _, n := range e.sim.Stats().Pages {
		refetched += n - 1
	}
	jobs := len(ref.expectedJobs(t))
	// A run's automatic window is capped by upstream.concurrency (8 in the test config), and
	// it may have the next query's first page in flight besides.
	const window = 8
	bound := kills * jobs * (window + 1)
	t.Logf("%d kills, %d pages fetched twice (bound %d), %d requests in all vs %d uninterrupted",
		kills, refetched, bound, e.sim.Stats().Total(), ref.sim.Stats().Total())
	if refetched > bound {
		t.Errorf("%d pages fetched twice over %d kills; at most %d were in flight", refetched, kills, bound)
	}
}

// backfillWithKills runs `syncd backfill` in e until a run completes, killing the first
// maxKills attempts with SIGKILL at a random moment (up to maxWait) after it has made a
// few upstream requests. It returns how many kills landed mid-run.
func backfillWithKills(t *testing.T, bin string, e *testEnv, rng *rand.Rand, maxKills int, maxWait time.Duration) int {
	t.Helper()
	kills := 0
	for attempt := 0; ; attempt++ {
		if attempt > 20 {
			t.Fatal("backfill never completed")
		}
		before := e.sim.Stats().Total()
		cmd := exec.Command(bin, "--config", e.config, "--log-level", "warn", "backfill")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if kills < maxKills {
			// Wait until the run is under way, then kill at a random moment.
			deadline := time.Now().Add(20 * time.Second)
			for e.sim.Stats().Total() < before+2+rng.IntN(6) && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(maxWait))))
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		err := <-done
		var exitErr *exec.ExitError
		switch {
		case err == nil:
			t.Logf("run %d completed after %d kills", attempt, kills)
			return kills
		case errors.As(err, &exitErr) && exitErr.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
			kills++
		default:
			t.Fatalf("backfill run %d failed: %v", attempt, err)
		}
	}
}

// lastRuns returns every job's last finished run (the daemon must not run).
func (e *testEnv) lastRuns(t *testing.T) map[string]checkpoint.Run {
	t.Helper()
	st, err := checkpoint.Open(filepath.Join(e.dir, "state", storeFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.Jobs()
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]checkpoint.Run{}
	for name, rec := range recs {
		if rec.LastRun != nil {
			runs[name] = *rec.LastRun
		}
	}
	return runs
}

// TestResync_SurvivesSIGKILL kills re-syncs of an unchanged catalog: nothing but the
// sighting log records what they saw, and the resumed run must still count every offer
// once (the same stats as an uninterrupted re-sync), write nothing to the index, and
// leave the mirror as it was.
func TestResync_SurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; run without -short")
	}
	bin := buildSyncd(t)
	opts := sim.Options{Offers: 3000, Seed: 5, Latency: 15 * time.Millisecond}
	// Queries of one job that share offers: a run meets the same offer again in a later
	// query, possibly after a kill, and must know it counted it already.
	const jobs = `
jobs:
  - name: ranked
    kind: hotlist
    rank_types: [hot, complex, goodPrice]
    page_size: 20
    max_pages: 5
  - name: tees
    kind: keyword
    keywords: ["短袖", "纯棉短袖", "T恤"]
    page_size: 20
    max_pages: 5
`

	ref := newTestEnv(t, opts, jobs)
	ref.mustSyncd(t, "backfill")
	ref.mustSyncd(t, "backfill") // the uninterrupted re-sync
	want := ref.lastRuns(t)

	e := newTestEnv(t, opts, jobs)
	e.mustSyncd(t, "backfill")
	rows := e.mirror(t)
	docs := e.indexDocs(t)
	kills := backfillWithKills(t, bin, e, rand.New(rand.NewPCG(7, 7)), 4, 40*time.Millisecond)
	if kills == 0 {
		t.Fatal("no kill landed mid-run; the test proves nothing")
	}

	got := e.lastRuns(t)
	if len(got) != len(want) {
		t.Fatalf("%d jobs ran, want %d", len(got), len(want))
	}
	for name, w := range want {
		g := got[name]
		if g.Status != checkpoint.RunSucceeded || g.Stats != w.Stats {
			t.Errorf("job %s after %d kills: %s %+v; the uninterrupted re-sync: %+v", name, kills, g.Status, g.Stats, w.Stats)
		}
		if w.New != 0 || w.Changed != 0 || w.Unchanged == 0 {
			t.Errorf("job %s: the reference re-sync saw %+v, want only unchanged offers", name, w.Stats)
		}
	}
	after := e.mirror(t)
	if len(after) != len(rows) {
		t.Fatalf("mirror has %d offers after the re-sync, %d before", len(after), len(rows))
	}
	for id, r := range rows {
		if !reflect.DeepEqual(after[id], r) {
			t.Errorf("offer %s: row rewritten by an unchanged re-sync:\n%+v\n%+v", id, after[id], r)
		}
	}
	afterDocs := e.indexDocs(t)
	for id, d := range docs {
		if !reflect.DeepEqual(afterDocs[id], d) {
			t.Errorf("index document %s changed by an unchanged re-sync", id)
		}
	}
}
