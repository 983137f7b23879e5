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
	kills := 0
	const maxKills = 5
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
			time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		err := <-done
		var exitErr *exec.ExitError
		switch {
		case err == nil:
			t.Logf("run %d completed after %d kills", attempt, kills)
		case errors.As(err, &exitErr) && exitErr.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
			kills++
			continue
		default:
			t.Fatalf("backfill run %d failed: %v", attempt, err)
		}
		break
	}
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
