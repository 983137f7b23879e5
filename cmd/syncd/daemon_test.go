package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// daemon is a running `syncd run` subprocess.
type daemon struct {
	cmd    *exec.Cmd
	url    string
	token  string
	mu     sync.Mutex
	stderr strings.Builder
	done   chan error
}

func startDaemon(t *testing.T, bin, config, addr, token string) *daemon {
	t.Helper()
	d := &daemon{url: "http://" + addr, token: token, done: make(chan error, 1)}
	d.cmd = exec.Command(bin, "--config", config, "run")
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.mu.Lock()
			d.stderr.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
		}
		d.done <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Kill()
		}
	})
	// Ready when /healthz answers.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(d.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not come up: %v\n%s", err, d.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *daemon) logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

// call makes an API request and decodes a JSON answer into out (if not nil).
func (d *daemon) call(t *testing.T, method, path string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, d.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil && resp.StatusCode < 300 {
			t.Fatalf("%s %s: %v\n%s", method, path, err, body)
		}
	}
	return resp.StatusCode
}

// TestDaemon_ScheduleSearchMetricsTriggerShutdown starts the real daemon against the
// simulator with a seconds-level schedule and exercises it as a user would.
func TestDaemon_ScheduleSearchMetricsTriggerShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary; run without -short")
	}
	bin := buildSyncd(t)
	addr := freeAddr(t)
	jobs := `
jobs:
  - name: tees
    kind: keyword
    keywords: ["T恤"]
    page_size: 50
    max_pages: 4
    schedule: "@every 2s"
  - name: dresses
    kind: category
    category_ids: ["127204011"]
    page_size: 50
    max_pages: 2
`
	e := newTestEnv(t, sim.Options{}, jobs)
	cfg := strings.Replace(readFile(t, e.config), "listen: 127.0.0.1:0", "listen: "+addr+"\n  token: s3cret", 1)
	writeFile(t, e.config, cfg)
	d := startDaemon(t, bin, e.config, addr, "s3cret")

	// A scheduled run succeeds and shows up in /v1/jobs, with a next run time.
	var st crawl.Status
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code := d.call(t, "GET", "/v1/jobs", &st); code != http.StatusOK {
			t.Fatalf("/v1/jobs: %d", code)
		}
		if j := st.Jobs[0]; j.LastRun != nil && j.LastRun.Status == "succeeded" {
			if j.NextRunAt == nil {
				t.Errorf("scheduled job has no nextRunAt")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled run succeeded: %+v\n%s", st, d.logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st.Jobs[1].NextRunAt != nil || st.Jobs[1].LastRun != nil {
		t.Errorf("manual job dresses ran or has a next run: %+v", st.Jobs[1])
	}

	// Search.
	var res index.Response
	if code := d.call(t, "GET", "/v1/search?q=T%E6%81%A4&filter=price%20%3C%2030&sort=monthSold:desc&facets=sources", &res); code != http.StatusOK {
		t.Fatalf("search: %d", code)
	}
	if res.Total == 0 || res.Facets["sources"]["tees"] == 0 {
		t.Fatalf("search found nothing: %+v", res)
	}
	for _, h := range res.Hits {
		if h.Price >= 30 {
			t.Errorf("hit %s price %v, filter price < 30", h.OfferID, h.Price)
		}
	}
	// A bad filter is a 400 naming the problem.
	var e400 struct{ Error string }
	if code := d.call(t, "GET", "/v1/search?q=x&filter=price%20%3C", &e400); code != http.StatusBadRequest || !strings.Contains(e400.Error, "position") {
		t.Errorf("bad filter: %d %q", code, e400.Error)
	}
	// One offer; an absent one is 404.
	if code := d.call(t, "GET", "/v1/offers/"+res.Hits[0].OfferID, nil); code != http.StatusOK {
		t.Errorf("get offer: %d", code)
	}
	if code := d.call(t, "GET", "/v1/offers/nope", nil); code != http.StatusNotFound {
		t.Errorf("absent offer: %d", code)
	}
	// The token is required.
	resp, err := http.Get(d.url + "/v1/jobs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", resp.StatusCode)
	}

	// Trigger the manual job; a second trigger while it runs is a 409 or it already
	// finished (it is small), never an error.
	if code := d.call(t, "POST", "/v1/jobs/dresses/run", nil); code != http.StatusAccepted {
		t.Fatalf("trigger: %d", code)
	}
	if code := d.call(t, "POST", "/v1/jobs/nope/run", nil); code != http.StatusNotFound {
		t.Errorf("trigger unknown job: %d", code)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		d.call(t, "GET", "/v1/jobs", &st)
		if r := st.Jobs[1].LastRun; r != nil && r.Status == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("triggered run did not finish: %+v", st.Jobs[1])
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Metrics.
	req, _ := http.NewRequest("GET", d.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{
		`syncd_upstream_requests_total{kind="keyword",outcome="ok"}`,
		`syncd_pages_total{job="tees"}`,
		`syncd_offers_total{job="tees",result="new"}`,
		`syncd_runs_total{job="dresses",status="succeeded"}`,
		`syncd_index_documents `,
		`syncd_last_checkpoint_timestamp_seconds{job="tees"}`,
		`syncd_upstream_limiter_wait_seconds_count`,
		`syncd_index_write_duration_seconds_count`,
		`syncd_search_duration_seconds_count{outcome="ok"}`,
		`syncd_search_path_total{path="bleve"}`,
		`syncd_store_file_bytes `,
		`syncd_store_data_bytes `,
		`syncd_mirror_offers `,
	} {
		if !strings.Contains(string(body), m) {
			t.Errorf("metrics lack %s", m)
		}
	}
	// The searches above have no sort: the embedded index collects them from bitmaps.
	if m := regexp.MustCompile(`syncd_search_path_total\{path="bitmaps"\} (\S+)`).FindSubmatch(body); m == nil || string(m[1]) == "0" {
		t.Errorf("syncd_search_path_total{path=\"bitmaps\"} = %q, want the searches made", m)
	}
	if strings.Contains(string(body), "sim-secret-key") || strings.Contains(d.logs(), "sim-secret-key") {
		t.Error("the secret key appears in metrics or logs")
	}

	// A second daemon on the same state directory fails fast, naming the problem.
	start := time.Now()
	out, err := exec.Command(bin, "--config", e.config, "run").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Errorf("second daemon: err %v, output %s", err, out)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("second daemon took %s to give up", took)
	}
	// While the daemon runs, the CLI asks it.
	code, so, se := e.syncd(t, "search", "--json", "T恤")
	if code != 0 || !strings.Contains(so, `"total"`) {
		t.Errorf("search through the daemon: exit %d\n%s\n%s", code, so, se)
	}

	// SIGTERM: clean exit 0 within 10 s.
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("daemon exit after SIGTERM: %v\n%s", err, d.logs())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("daemon still running 10 s after SIGTERM\n%s", d.logs())
	}
	if !regexp.MustCompile(`stopped`).MatchString(d.logs()) {
		t.Errorf("no clean stop in the logs:\n%s", d.logs())
	}
}
