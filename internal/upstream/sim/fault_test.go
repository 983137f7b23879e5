package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// TestFault_FailNext: each fault reaches a client as its own kind of failure, is counted,
// and the request after it succeeds.
func TestFault_FailNext(t *testing.T) {
	q := upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}
	cases := []struct {
		fault Fault
		check func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{FaultHTTP500, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "500") {
				t.Fatalf("want HTTP 500, got %v %v %s", resp, err, body)
			}
		}},
		{FaultHTTP502, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != http.StatusBadGateway ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<html>") {
				t.Fatalf("want HTTP 502 with HTML, got %v %v %s", resp, err, body)
			}
		}},
		{FaultTruncated, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), `{"requestId"`) {
				t.Fatalf("want HTTP 200 with a JSON start, got %v %v %s", resp, err, body)
			}
			var env upstream.Envelope
			if err := json.Unmarshal(body, &env); err == nil {
				t.Fatal("truncated body decodes as JSON")
			}
		}},
		{FaultReset, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err == nil {
				t.Fatalf("want a transport error, got HTTP %d %s", resp.StatusCode, body)
			}
		}},
		{FaultStall, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("want the client's timeout, got %v", err)
			}
		}},
		{FaultQuota, func(t *testing.T, resp *http.Response, body []byte, err error) {
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("want HTTP 200, got %v %v", resp, err)
			}
			if env := decodeEnvelope(t, body); env.Code != CodeOverQuota || string(env.Data) != "null" {
				t.Fatalf("want code %d, got %d %s", CodeOverQuota, env.Code, env.Msg)
			}
		}},
	}
	h := newHarness(t, Options{}) // StallDuration stays 30s: only the client's timeout ends the stall
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			h := h.on(t)
			h.sim.FailNext(tc.fault, 1)
			path, body := bodyFor(q, 1, 5)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			resp, err := h.client.Do(h.request(path, body).WithContext(ctx))
			var b []byte
			if err == nil {
				b, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			tc.check(t, resp, b, err)
			if p := h.page(q, 1, 5); len(p.Data) != 5 {
				t.Fatalf("the request after the fault got %d items", len(p.Data))
			}
		})
	}
	st := h.sim.Stats()
	for _, tc := range cases {
		if st.Faults[tc.fault] != 1 {
			t.Errorf("Faults[%s] = %d, want 1", tc.fault, st.Faults[tc.fault])
		}
	}
	if st.Served != len(cases) || len(st.Duplicates()) != 1 {
		t.Errorf("Served %d, duplicates %v: only the good requests count as pages", st.Served, st.Duplicates())
	}
}

func TestFault_StallEndsWith504(t *testing.T) {
	h := newHarness(t, Options{StallDuration: 50 * time.Millisecond})
	h.sim.FailNext(FaultStall, 1)
	path, body := bodyFor(upstream.Query{Kind: upstream.KindRecommend}, 1, 5)
	start := time.Now()
	status, b := h.do(h.request(path, body))
	if status != http.StatusGatewayTimeout || time.Since(start) < 50*time.Millisecond || !strings.Contains(string(b), "504") {
		t.Fatalf("HTTP %d after %s: %s", status, time.Since(start), b)
	}
}

func TestFault_RateAndSeed(t *testing.T) {
	run := func() []int {
		h := newHarness(t, Options{FaultRate: 0.5, Faults: []Fault{FaultHTTP500, FaultHTTP502}, FaultSeed: 9})
		path, body := bodyFor(upstream.Query{Kind: upstream.KindRecommend}, 1, 5)
		var statuses []int
		for i := 0; i < 40; i++ {
			status, _ := h.do(h.request(path, body))
			statuses = append(statuses, status)
		}
		h.sim.SetFaultRate(0)
		if status, _ := h.do(h.request(path, body)); status != http.StatusOK {
			t.Fatalf("HTTP %d with the fault rate set to 0", status)
		}
		return statuses
	}
	a, b := run(), run()
	count := map[int]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: HTTP %d vs %d with the same fault seed", i, a[i], b[i])
		}
		count[a[i]]++
	}
	if count[200] < 8 || count[500] < 4 || count[502] < 4 {
		t.Fatalf("statuses %v at fault rate 0.5", count)
	}
}

func TestQuota_BurstGetsOverQuota(t *testing.T) {
	h := newHarness(t, Options{QPS: 5})
	path, body := bodyFor(upstream.Query{Kind: upstream.KindRecommend}, 1, 5)
	reqs := make([]*http.Request, 20)
	for i := range reqs {
		reqs[i] = h.request(path, body)
	}
	codes := make([]int, len(reqs))
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := h.client.Do(reqs[i])
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var env upstream.Envelope
			if err := json.Unmarshal(b, &env); err != nil {
				t.Error(err)
				return
			}
			codes[i] = env.Code
		}()
	}
	wg.Wait()
	over := 0
	for _, c := range codes {
		if c == CodeOverQuota {
			over++
		}
	}
	if over == 0 || over == len(codes) {
		t.Fatalf("%d of %d immediate requests over quota at 5 QPS", over, len(codes))
	}
	if st := h.sim.Stats(); st.Rejected["quota"] != over || st.Served != len(codes)-over {
		t.Fatalf("Rejected[quota] %d, Served %d; want %d and %d", st.Rejected["quota"], st.Served, over, len(codes)-over)
	}
	time.Sleep(300 * time.Millisecond) // a token comes back every 200ms
	if env := h.envelope(path, body); env.Code != upstream.CodeOK {
		t.Fatalf("after a pause: code %d", env.Code)
	}
}

func TestLatency_Added(t *testing.T) {
	h := newHarness(t, Options{Latency: 60 * time.Millisecond, LatencyJitter: 0.1})
	path, body := bodyFor(upstream.Query{Kind: upstream.KindRecommend}, 1, 5)
	start := time.Now()
	h.envelope(path, body)
	if d := time.Since(start); d < 54*time.Millisecond {
		t.Fatalf("answer took %s with 60ms±10%% latency", d)
	}
}
