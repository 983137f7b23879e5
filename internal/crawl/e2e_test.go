package crawl

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/upstream"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// countingWriter counts the documents a run sends to the index.
type countingWriter struct {
	index.Writer
	calls, docs atomic.Int64
}

func (w *countingWriter) Upsert(ctx context.Context, docs []index.Offer) error {
	w.calls.Add(1)
	w.docs.Add(int64(len(docs)))
	return w.Writer.Upsert(ctx, docs)
}

// e2e is the whole crawl path with nothing faked: the simulator over HTTP, the signed,
// retrying client, the embedded index and the bbolt store.
type e2e struct {
	sim    *sim.Server
	index  *bleve.Index
	writer *countingWriter
	store  *checkpoint.Store
	runner *Runner
}

// newE2E wires the real components; the client signs with secret ("" for the right one).
func newE2E(t *testing.T, window int, secret string) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end against the simulator and the embedded index; run without -short")
	}
	s := sim.New(sim.Options{Offers: 3000, Seed: 7, Faults: []sim.Fault{sim.FaultHTTP500, sim.FaultHTTP502, sim.FaultTruncated, sim.FaultReset}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	if secret == "" {
		secret = "sim-secret-key"
	}
	client, err := upstream.New(upstream.Options{
		BaseURL: srv.URL, AccessKey: "sim-access-key", SecretKey: secret, UserID: "2100007341207",
		QPS: -1, Concurrency: 8, MaxAttempts: 10, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bleve.Open(filepath.Join(t.TempDir(), "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	e := &e2e{sim: s, index: ix, writer: &countingWriter{Writer: ix}, store: openStore(t)}
	e.runner = NewRunner(Options{Store: e.store, Index: e.writer, Fetcher: client, Window: window, Logger: testLogger(t)})
	return e
}

// expect returns the distinct offer ids paging every query of job yields.
func (e *e2e) expect(job Job) map[string]bool {
	ids := make(map[string]bool)
	for _, q := range job.Queries {
		for _, id := range e.sim.Matches(q) {
			ids[id] = true
		}
	}
	return ids
}

func (e *e2e) mustRun(t *testing.T, job Job, fresh bool) checkpoint.Run {
	t.Helper()
	run, err := e.runner.Run(context.Background(), job, fresh)
	if err != nil {
		t.Fatalf("run %s: %v", job.Name, err)
	}
	return run
}

func TestEndToEnd_TwoJobs_RerunAndChanges(t *testing.T) {
	e := newE2E(t, 4, "")
	cotton := keywordJob("cotton", "纯棉", "冰丝")
	mens := keywordJob("mens", "男士")
	cotton.PageSize, mens.PageSize = 50, 50 // each page is one durable index batch: keep them few
	wantCotton, wantMens := e.expect(cotton), e.expect(mens)
	all := make(map[string]bool)
	var shared []string
	for id := range wantCotton {
		all[id] = true
		if wantMens[id] {
			shared = append(shared, id)
		}
	}
	for id := range wantMens {
		all[id] = true
	}
	if len(wantCotton) < 100 || len(wantMens) < 100 || len(shared) == 0 {
		t.Fatalf("catalog too small for the test: %d, %d offers, %d shared", len(wantCotton), len(wantMens), len(shared))
	}

	// Both jobs at once, as the scheduler would run them.
	var wg sync.WaitGroup
	runs := make(map[string]checkpoint.Run)
	var mu sync.Mutex
	for _, job := range []Job{cotton, mens} {
		wg.Go(func() {
			run, err := e.runner.Run(context.Background(), job, false)
			if err != nil {
				t.Errorf("run %s: %v", job.Name, err)
			}
			mu.Lock()
			runs[job.Name] = run
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if r := runs["cotton"]; r.Offers != len(wantCotton) || r.Status != checkpoint.RunSucceeded {
		t.Errorf("cotton run = %+v, want %d offers", r, len(wantCotton))
	}
	if r := runs["mens"]; r.Offers != len(wantMens) {
		t.Errorf("mens run = %+v, want %d offers", r, len(wantMens))
	}
	if dup := e.sim.Stats().Duplicates(); len(dup) > 0 {
		t.Errorf("pages fetched twice: %v", dup)
	}
	if n, err := e.index.Count(context.Background()); err != nil || n != uint64(len(all)) {
		t.Errorf("index holds %d documents (err %v), want %d", n, err, len(all))
	}
	if n, err := e.store.CountOffers(); err != nil || n != len(all) {
		t.Errorf("mirror holds %d offers (err %v), want %d", n, err, len(all))
	}
	for _, id := range shared[:min(len(shared), 20)] {
		doc, err := e.index.Get(context.Background(), id)
		if err != nil || !slices.Equal(doc.Sources, []string{"cotton", "mens"}) {
			t.Errorf("offer %s: sources %v (err %v), want [cotton mens]", id, doc.Sources, err)
		}
	}

	// Nothing changed upstream: a rerun sends nothing to the index.
	before := e.writer.calls.Load()
	again := e.mustRun(t, cotton, false)
	if again.Unchanged != len(wantCotton) || again.New+again.Changed != 0 {
		t.Errorf("rerun = %+v, want all %d unchanged", again.Stats, len(wantCotton))
	}
	if n := e.writer.calls.Load() - before; n != 0 {
		t.Errorf("rerun made %d index writes, want none", n)
	}

	// Prices move: exactly the moved offers the job sees are re-indexed, with the new price.
	var moved []string
	for _, id := range e.sim.Mutate(0.05, 42) {
		if wantCotton[id] {
			moved = append(moved, id)
		}
	}
	if len(moved) == 0 {
		t.Fatal("no mutated offer is in the cotton job")
	}
	docsBefore := e.writer.docs.Load()
	changed := e.mustRun(t, cotton, false)
	if changed.Changed != len(moved) || changed.New != 0 {
		t.Errorf("after mutation: %+v, want %d changed", changed.Stats, len(moved))
	}
	if n := e.writer.docs.Load() - docsBefore; n != int64(len(moved)) {
		t.Errorf("after mutation %d documents indexed, want %d", n, len(moved))
	}
	want, _ := e.sim.Offer(moved[0])
	if doc, err := e.index.Get(context.Background(), moved[0]); err != nil || doc.Price != want.Price {
		t.Errorf("offer %s: indexed price %v (err %v), upstream %v", moved[0], doc.Price, err, want.Price)
	}
}

func TestEndToEnd_InterruptAndFaults_ResumeLosesNothing(t *testing.T) {
	const window = 4
	e := newE2E(t, window, "")
	job := keywordJob("tees", "纯棉", "男士")
	job.PageSize = 40
	want := e.expect(job)
	e.sim.SetFaultRate(0.15) // retried by the client; the run must not notice

	// Interrupt once a few pages are committed, as a shutdown would (early: the run fetches
	// ahead across queries, and pages that have arrived are still landed).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var pages atomic.Int64
	e.runner.progress = func(string, Progress) {
		if pages.Add(1) == 2 {
			cancel()
		}
	}
	run, err := e.runner.Run(ctx, job, false)
	if !errors.Is(err, context.Canceled) || run.Status != checkpoint.RunInterrupted {
		t.Fatalf("run = %+v, err = %v; want interrupted", run, err)
	}
	e.runner.progress = nil

	resumed := e.mustRun(t, job, false)
	if resumed.ID != run.ID || resumed.Offers != len(want) || resumed.New != len(want) {
		t.Errorf("resumed run = %+v, want run %s with all %d offers new", resumed, run.ID, len(want))
	}
	// Only pages in flight at the interruption may have been served twice: the window, and
	// the next query's first page fetched ahead of it.
	if dup := e.sim.Stats().Duplicates(); len(dup) > window+1 {
		t.Errorf("%d pages fetched twice, want at most the window and one (%d): %v", len(dup), window+1, dup)
	}
	if n, err := e.index.Count(context.Background()); err != nil || n != uint64(len(want)) {
		t.Errorf("index holds %d documents (err %v), want %d", n, err, len(want))
	}
	if st := e.sim.Stats(); len(st.Faults) == 0 {
		t.Error("no fault was injected; the test proves nothing about retries")
	}
}

func TestEndToEnd_BadSignature_FailsAtOnce(t *testing.T) {
	e := newE2E(t, 4, "not-the-secret")
	run, err := e.runner.Run(context.Background(), keywordJob("tees", "纯棉"), false)
	if err == nil || !upstream.IsPermanent(err) || run.Status != checkpoint.RunFailed {
		t.Fatalf("run = %+v, err = %v; want a failed run with a permanent error", run, err)
	}
	st := e.sim.Stats()
	if n := st.Rejected["signature"]; n != 1 || st.Served != 0 {
		t.Errorf("simulator saw %d rejected and %d served requests; want exactly one refused request", n, st.Served)
	}
	rec, err := e.store.Job("tees")
	if err != nil {
		t.Fatal(err)
	}
	if c := rec.Cursor; c == nil || c.Query != 0 || c.Page != 1 || c.Run.Status != checkpoint.RunFailed || c.Run.Error == "" {
		t.Errorf("cursor = %+v, want it kept at page 1 with the failure recorded", c)
	}
}
