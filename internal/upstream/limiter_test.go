package upstream

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// assertCanceledPromptly cancels and fails unless the call returns context.Canceled at once.
func assertCanceledPromptly(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("err = %v (%T), want context.Canceled itself", err, err)
		}
		// The waits canceled here last 30s or more; 2s leaves room for a loaded machine.
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("returned %v after cancel", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting 5s after cancel")
	}
}

func TestClient_Cancel(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(503)
		})
		opts := testOptions(f.url)
		opts.BackoffMax = time.Minute
		c := newClient(t, opts)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, keywordPage); done <- err }()
		waitFor(t, func() bool { return f.n.Load() == 1 })
		time.Sleep(20 * time.Millisecond) // into the backoff
		assertCanceledPromptly(t, cancel, done)
		if n := f.n.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("waiting for the limiter", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { writePage(w) })
		opts := testOptions(f.url)
		opts.QPS, opts.Burst = 0.001, 1
		c := newClient(t, opts)
		if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
			t.Fatal(err) // spends the only token for 1000s
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, keywordPage); done <- err }()
		time.Sleep(50 * time.Millisecond)
		assertCanceledPromptly(t, cancel, done)
		if n := f.n.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("waiting for a slot", func(t *testing.T) {
		release := make(chan struct{})
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
			<-release
			writePage(w)
		})
		opts := testOptions(f.url)
		opts.Concurrency = 1
		c := newClient(t, opts)
		first := make(chan error, 1)
		go func() { _, err := c.FetchPage(context.Background(), keywordPage); first <- err }()
		waitFor(t, func() bool { return f.n.Load() == 1 })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, keywordPage); done <- err }()
		time.Sleep(50 * time.Millisecond)
		assertCanceledPromptly(t, cancel, done)
		close(release)
		if err := <-first; err != nil {
			t.Errorf("the request in flight failed: %v", err)
		}
	})
	t.Run("in flight", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { <-r.Context().Done() })
		var canceled atomic.Int64
		opts := testOptions(f.url)
		opts.Hooks.Request = func(k Kind, outcome string, d time.Duration) {
			if outcome == OutcomeCanceled {
				canceled.Add(1)
			}
		}
		c := newClient(t, opts)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, keywordPage); done <- err }()
		waitFor(t, func() bool { return f.n.Load() == 1 })
		assertCanceledPromptly(t, cancel, done)
		if canceled.Load() != 1 {
			t.Errorf("Hooks.Request saw %d canceled attempts, want 1", canceled.Load())
		}
	})
	t.Run("before the call", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { writePage(w) })
		c := newClient(t, testOptions(f.url))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.FetchPage(ctx, keywordPage); err != context.Canceled {
			t.Errorf("err = %v", err)
		}
		if f.n.Load() != 0 {
			t.Error("a canceled call sent a request")
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestClient_ConcurrencyCap(t *testing.T) {
	var inFlight, peak atomic.Int64
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		inFlight.Add(-1)
		writePage(w)
	})
	opts := testOptions(f.url)
	opts.Concurrency = 3
	c := newClient(t, opts)
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak requests in flight = %d, want 3 (cap 3)", p)
	}
}

func TestClient_LimiterSharedAcrossCallers(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { writePage(w) })
	var waits atomic.Int64
	opts := testOptions(f.url)
	opts.QPS, opts.Burst, opts.Concurrency = 40, 1, 8
	opts.Hooks.LimiterWait = func(time.Duration) { waits.Add(1) }
	c := newClient(t, opts)
	const callers, each = 8, 3
	start := time.Now()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range each {
				if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	// One token bucket of 40/s with a burst of 1 for all callers: 24 requests take at least
	// 23/40 s. Eight private limiters would take 2/40 s.
	if min := time.Duration(float64(callers*each-1) / 40 * float64(time.Second)); elapsed < min*95/100 {
		t.Errorf("%d requests took %v at 40 qps, want at least %v", callers*each, elapsed, min)
	}
	if n := f.n.Load(); n != callers*each || waits.Load() != n {
		t.Errorf("%d requests, %d limiter waits, want %d of each", n, waits.Load(), callers*each)
	}
}

func TestClient_RetriesSpendQuota(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n <= 2 {
			w.WriteHeader(503)
			return
		}
		writePage(w)
	})
	var waits atomic.Int64
	opts := testOptions(f.url)
	opts.QPS, opts.Burst = 10, 1
	opts.Hooks.LimiterWait = func(time.Duration) { waits.Add(1) }
	c := newClient(t, opts)
	start := time.Now()
	if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
		t.Fatal(err)
	}
	// Three attempts through a bucket of 10/s with a burst of 1: at least 2/10 s, whatever
	// the (millisecond) backoff.
	if took := time.Since(start); took < 190*time.Millisecond {
		t.Errorf("three attempts took %v, want at least 200ms at 10 qps", took)
	}
	if waits.Load() != 3 {
		t.Errorf("%d limiter waits for 3 attempts", waits.Load())
	}
}
