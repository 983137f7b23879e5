package crawl

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/upstream"
)

// newTestScheduler builds a scheduler over h's runner and stops it when the test ends.
func newTestScheduler(t *testing.T, h *harness, jobs []Job, hooks Hooks) *Scheduler {
	t.Helper()
	s, err := NewScheduler(h.runner, jobs, testLogger(t), hooks)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// gatedFetcher serves cat, but every request first waits for release (or its context).
func gatedFetcher(cat catalog, release <-chan struct{}) func(context.Context, upstream.PageRequest) (*upstream.Page, error) {
	return func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return cat.serve(ctx, req)
	}
}

// waitFinished waits until the job has a last run and returns it.
func waitFinished(t *testing.T, h *harness, job string) checkpoint.Run {
	t.Helper()
	var rec checkpoint.JobRecord
	waitFor(t, func() bool {
		rec = h.record(t, job)
		return rec.LastRun != nil && !h.runner.Running(job)
	})
	return *rec.LastRun
}

func TestScheduler_Trigger(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, gatedFetcher(catalog{"x": pages(1, offers("a"))}, release))
	s := newTestScheduler(t, h, []Job{keywordJob("a", "x")}, Hooks{})

	if err := s.Trigger("a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return h.fetcher.inflight.Load() == 1 })
	if err := s.Trigger("a"); !errors.Is(err, ErrRunning) {
		t.Errorf("Trigger while running: err = %v, want ErrRunning", err)
	}
	if err := s.Trigger("nope"); !errors.Is(err, ErrUnknownJob) {
		t.Errorf("Trigger of an unknown job: err = %v, want ErrUnknownJob", err)
	}
	close(release)
	if run := waitFinished(t, h, "a"); run.Status != checkpoint.RunSucceeded || run.Offers != 1 {
		t.Errorf("triggered run = %+v", run)
	}
	if h.fetcher.total() != 1 {
		t.Errorf("%d requests, want 1", h.fetcher.total())
	}

	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Trigger("a"); !errors.Is(err, ErrStopped) {
		t.Errorf("Trigger after Stop: err = %v, want ErrStopped", err)
	}
}

func TestScheduler_Tick_SkipsWhileRunning(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, gatedFetcher(catalog{"x": pages(1, offers("a"))}, release))
	var skipped atomic.Int64
	job := keywordJob("a", "x")
	job.Schedule = "@every 1h"
	s := newTestScheduler(t, h, []Job{job}, Hooks{TickSkipped: func(name string) {
		if name == "a" {
			skipped.Add(1)
		}
	}})

	s.tick("a")
	waitFor(t, func() bool { return h.fetcher.inflight.Load() == 1 })
	s.tick("a")
	s.tick("a")
	if got := skipped.Load(); got != 2 {
		t.Errorf("skipped %d ticks, want 2", got)
	}
	close(release)
	first := waitFinished(t, h, "a")

	s.tick("a") // the job is idle again: this tick runs
	waitFor(t, func() bool {
		rec := h.record(t, "a")
		return rec.LastRun != nil && rec.LastRun.ID != first.ID && !h.runner.Running("a")
	})
	if skipped.Load() != 2 || h.fetcher.total() != 2 {
		t.Errorf("skipped %d, requests %d; want 2 and 2", skipped.Load(), h.fetcher.total())
	}
}

func TestScheduler_Stop_CancelsAndWaits(t *testing.T) {
	// Requests notice the cancellation late, as a slow upstream call would.
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond)
		return nil, ctx.Err()
	})
	s := newTestScheduler(t, h, []Job{keywordJob("a", "x")}, Hooks{})
	if err := s.Trigger("a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return h.fetcher.inflight.Load() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Stop returned: the run must be over and recorded.
	if h.runner.Running("a") {
		t.Error("run still in progress after Stop returned")
	}
	c := h.record(t, "a").Cursor
	if c == nil || c.Run.Status != checkpoint.RunInterrupted || c.Page != 1 {
		t.Errorf("cursor after Stop = %+v, want the run interrupted at page 1", c)
	}
}

func TestScheduler_Stop_GivesUpAtDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := newHarness(t, func(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error) {
		<-release // ignores cancellation
		return nil, ctx.Err()
	})
	s := newTestScheduler(t, h, []Job{keywordJob("a", "x")}, Hooks{})
	if err := s.Trigger("a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return h.fetcher.inflight.Load() == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop: err = %v, want the deadline", err)
	}
}

func TestScheduler_Next(t *testing.T) {
	hourly := keywordJob("hourly", "x")
	hourly.Schedule = "@every 1h"
	nightly := keywordJob("nightly", "x")
	nightly.Schedule = "30 3 * * *"
	manual := keywordJob("manual", "x")
	h := newHarness(t, catalog{}.serve)
	s := newTestScheduler(t, h, []Job{hourly, nightly, manual}, Hooks{})

	check := func(when string) {
		t.Helper()
		now := time.Now()
		n := s.Next("hourly")
		if n == nil || n.Before(now.Add(59*time.Minute)) || n.After(now.Add(61*time.Minute)) {
			t.Errorf("%s: hourly next = %v, want about an hour from %v", when, n, now)
		}
		n = s.Next("nightly")
		if n == nil || n.Hour() != 3 || n.Minute() != 30 || !n.After(now) || n.After(now.Add(24*time.Hour)) {
			t.Errorf("%s: nightly next = %v, want the next 03:30", when, n)
		}
		if n := s.Next("manual"); n != nil {
			t.Errorf("%s: manual next = %v, want nil", when, n)
		}
		if n := s.Next("unknown"); n != nil {
			t.Errorf("%s: unknown next = %v, want nil", when, n)
		}
	}
	check("before Start")
	s.Start()
	check("after Start")
}

func TestNewScheduler_RejectsBadConfig(t *testing.T) {
	h := newHarness(t, catalog{}.serve)
	bad := keywordJob("tees", "x")
	bad.Schedule = "every hour"
	if _, err := NewScheduler(h.runner, []Job{bad}, nil, Hooks{}); err == nil || !strings.Contains(err.Error(), "job tees") {
		t.Errorf("bad schedule: err = %v, want one naming job tees", err)
	}
	if _, err := NewScheduler(h.runner, []Job{keywordJob("a", "x"), keywordJob("a", "y")}, nil, Hooks{}); err == nil {
		t.Error("duplicate job names accepted")
	}
}

func TestScheduler_ResumeInterrupted(t *testing.T) {
	cat := catalog{"a": pages(1, offers("a1")), "b": pages(1, offers("b1")), "c": pages(1, offers("c1")), "d": pages(1, offers("d1"))}
	h := newHarness(t, cat.serve)
	jobs := []Job{keywordJob("a", "a"), keywordJob("b", "b"), keywordJob("c", "c"), keywordJob("d", "d")}
	save := func(job Job, status, key string) {
		t.Helper()
		c := checkpoint.Cursor{Run: checkpoint.Run{ID: "old-" + job.Name, Job: job.Name, Status: status}, QueryKey: key, Page: 1}
		if err := h.store.SaveCursor(job.Name, c); err != nil {
			t.Fatal(err)
		}
	}
	save(jobs[0], checkpoint.RunInterrupted, QueryKey(jobs[0])) // resumed
	save(jobs[1], checkpoint.RunFailed, QueryKey(jobs[1]))      // failed: waits for its tick
	save(jobs[2], checkpoint.RunRunning, "stale")               // queries changed: not resumed
	s := newTestScheduler(t, h, jobs, Hooks{})

	started, err := s.ResumeInterrupted(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(started, []string{"a"}) {
		t.Errorf("resumed %v, want [a]", started)
	}
	if run := waitFinished(t, h, "a"); run.ID != "old-a" || run.Status != checkpoint.RunSucceeded {
		t.Errorf("resumed run = %+v, want old-a succeeded", run)
	}
	if got := h.fetcher.counts(); !mapsEqual(got, map[string]int{reqKey("a", 1): 1}) {
		t.Errorf("requests = %v, want only job a's", got)
	}
	for _, name := range []string{"b", "c"} {
		if h.record(t, name).Cursor == nil {
			t.Errorf("job %s lost its cursor", name)
		}
	}
}

func TestScheduler_Start_RunsOnSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a real cron tick (about a second)")
	}
	h := newHarness(t, catalog{"x": pages(1, offers("a"))}.serve)
	job := keywordJob("a", "x")
	job.Schedule = "@every 1s"
	s := newTestScheduler(t, h, []Job{job}, Hooks{})
	s.Start()
	if run := waitFinished(t, h, "a"); run.Status != checkpoint.RunSucceeded {
		t.Errorf("scheduled run = %+v", run)
	}
}
