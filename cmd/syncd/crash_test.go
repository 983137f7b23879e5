package main

import (
	"bufio"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
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
	kills, midRun := backfillWithKills(t, bin, e, rng, 5, ref.sim.Stats().Served)
	if kills < 3 || midRun == 0 {
		t.Fatalf("%d kills, %d of them after pages were committed; the test proves little", kills, midRun)
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

// backfillWithKills runs `syncd backfill` in e until a run completes, killing attempts
// with SIGKILL right after they committed a random number of pages (counted from the
// debug log), drawn from the first half of the pages an uninterrupted backfill commits
// (span), then from the first quarter, and so on: kills land anywhere in the run, some
// work is always left for the next attempt, and a refetched page only adds to it. It
// kills the first kills attempts, and more (up to 12 in all) until one kill left a run
// with pages committed. After every attempt it checks that each run a kill left
// unfinished was resumed, never started over: the job's cursor still holds that run, or
// its last finished run is that run. It returns how many kills landed, and how many of
// them left pages committed.
func backfillWithKills(t *testing.T, bin string, e *testEnv, rng *rand.Rand, kills, span int) (landed, midRun int) {
	t.Helper()
	unfinished := map[string]string{} // job → run a kill left unfinished
	for attempt := 0; ; attempt++ {
		if attempt > 20 {
			t.Fatal("backfill never completed")
		}
		cmd := exec.Command(bin, "--config", e.config, "--log-level", "debug", "backfill")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var committed atomic.Int64
		eof := make(chan struct{})
		go func() {
			defer close(eof)
			sc := bufio.NewScanner(stderr)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "page committed") {
					committed.Add(1)
				}
			}
		}()
		if landed < kills || (midRun == 0 && landed < 12) {
			at := int64(1 + rng.IntN(max(span>>(landed+1), 1)))
		wait:
			for committed.Load() < at {
				select {
				case <-eof: // finished before
					break wait
				case <-time.After(500 * time.Microsecond):
				}
			}
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		<-eof // every read from the pipe is done before Wait
		err = cmd.Wait()
		var exitErr *exec.ExitError
		killed := errors.As(err, &exitErr) && exitErr.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
		if err != nil && !killed {
			t.Fatalf("backfill run %d failed: %v", attempt, err)
		}

		cursors, last := e.jobState(t)
		for job, run := range unfinished {
			if c := cursors[job]; (c == nil || c.Run.ID != run) && last[job].ID != run {
				t.Errorf("attempt %d: job %s started over instead of resuming run %s", attempt, job, run)
			}
		}
		clear(unfinished)
		for job, c := range cursors {
			unfinished[job] = c.Run.ID
		}
		if !killed {
			t.Logf("run %d completed after %d kills, %d of them mid-run", attempt, landed, midRun)
			return landed, midRun
		}
		landed++
		for _, c := range cursors {
			if c.Run.Pages > 0 {
				midRun++
				break
			}
		}
	}
}

// jobState returns every job's cursor (unfinished run) and last finished run, read from
// the store (the daemon must not run).
func (e *testEnv) jobState(t *testing.T) (map[string]*checkpoint.Cursor, map[string]checkpoint.Run) {
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
	cursors, runs := map[string]*checkpoint.Cursor{}, map[string]checkpoint.Run{}
	for name, rec := range recs {
		if rec.Cursor != nil {
			cursors[name] = rec.Cursor
		}
		if rec.LastRun != nil {
			runs[name] = *rec.LastRun
		}
	}
	return cursors, runs
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
	first := ref.sim.Stats().Served
	ref.mustSyncd(t, "backfill") // the uninterrupted re-sync
	span := ref.sim.Stats().Served - first
	_, want := ref.jobState(t)

	e := newTestEnv(t, opts, jobs)
	e.mustSyncd(t, "backfill")
	rows := e.mirror(t)
	docs := e.indexDocs(t)
	kills, midRun := backfillWithKills(t, bin, e, rand.New(rand.NewPCG(7, 7)), 4, span)
	if midRun == 0 {
		t.Fatalf("none of %d kills landed after pages were committed; the test proves nothing", kills)
	}

	_, got := e.jobState(t)
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
