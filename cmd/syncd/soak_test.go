//go:build soak

package main

import (
	"bufio"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream/sim"
)

// TestSoak_DaemonStaysFlat runs the real daemon with a 1-second schedule for a few minutes
// (SYNCD_SOAK_DURATION, default 3m) and checks that goroutines, memory and the state file
// stay flat: the last third of the samples may not exceed the first third by more than a
// small margin.
//
//	go test -tags soak -run Soak -v -timeout 30m ./cmd/syncd
func TestSoak_DaemonStaysFlat(t *testing.T) {
	dur := 3 * time.Minute
	if s := os.Getenv("SYNCD_SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	bin := buildSyncd(t)
	addr := freeAddr(t)
	jobs := `
jobs:
  - name: tees
    kind: keyword
    keywords: ["T恤", "polo衫"]
    page_size: 50
    max_pages: 10
    schedule: "@every 1s"
  - name: hot
    kind: hotlist
    rank_types: ["hot", "complex"]
    page_size: 50
    max_pages: 5
    schedule: "@every 1s"
`
	e := newTestEnv(t, sim.Options{Offers: 20000}, jobs)
	writeFile(t, e.config, strings.Replace(readFile(t, e.config), "listen: 127.0.0.1:0", "listen: "+addr, 1))
	d := startDaemon(t, bin, e.config, addr, "")

	type sample struct{ goroutines, heap, rss, store float64 }
	var samples []sample
	start := time.Now()
	for time.Since(start) < dur {
		time.Sleep(5 * time.Second)
		m := scrape(t, d.url+"/metrics")
		// Searches alongside the crawling, as users would.
		for _, q := range []string{"t-shirt", "T%E6%81%A4", "polo"} {
			d.call(t, "GET", "/v1/search?q="+q+"&sort=monthSold:desc&facets=sources", nil)
		}
		s := sample{m["go_goroutines"], m["go_memstats_heap_inuse_bytes"], m["process_resident_memory_bytes"], m["syncd_store_data_bytes"]}
		samples = append(samples, s)
		t.Logf("t=%3.0fs goroutines=%3.0f heap=%5.1f MiB rss=%5.1f MiB data=%5.1f MiB runs=%v", time.Since(start).Seconds(),
			s.goroutines, s.heap/(1<<20), s.rss/(1<<20), s.store/(1<<20), m[`syncd_runs_total{job="tees",status="succeeded"}`])
	}
	if len(samples) < 6 {
		t.Fatalf("only %d samples; run longer", len(samples))
	}
	third := len(samples) / 3
	maxOf := func(ss []sample, f func(sample) float64) float64 {
		m := 0.0
		for _, s := range ss {
			m = max(m, f(s))
		}
		return m
	}
	for _, c := range []struct {
		name  string
		f     func(sample) float64
		slack float64
	}{
		{"goroutines", func(s sample) float64 { return s.goroutines }, 1.25},
		{"heap", func(s sample) float64 { return s.heap }, 1.5},
		{"rss", func(s sample) float64 { return s.rss }, 1.5},
		// Every run logs its sightings and folds the previous run's: the live data in the
		// state file stays put (the file itself grows by doublings, too coarse to tell).
		{"store", func(s sample) float64 { return s.store }, 1.5},
	} {
		early, late := maxOf(samples[:third], c.f), maxOf(samples[len(samples)-third:], c.f)
		t.Logf("%s: first third max %.0f, last third max %.0f", c.name, early, late)
		if late > early*c.slack+10 {
			t.Errorf("%s grew: %.0f in the first third, %.0f in the last", c.name, early, late)
		}
	}
}

// scrape reads a Prometheus text exposition into name{labels} → value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}
