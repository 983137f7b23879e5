package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"

	"github.com/syncd/syncd/internal/upstream"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// MemoryOptions configures Memory.
type MemoryOptions struct {
	Offers []int  // catalog sizes, e.g. 100,000 and 1,000,000
	Dir    string // scratch directory
	// Command runs a child: it is called with the child's arguments and must start this
	// program so that it calls MemoryChild with them.
	Command func(args ...string) *exec.Cmd
}

// ChildResult is what one child process measured about itself.
type ChildResult struct {
	Mode       string  `json:"mode"`
	Offers     int     `json:"offers"`
	Seconds    float64 `json:"seconds"`
	PeakRSSMB  float64 `json:"peakRssMB"`
	PeakHeapMB float64 `json:"peakHeapMB"`
	// Peaks of the anonymous and the file-backed part of the resident set (RssAnon,
	// RssFile: mapped files such as bbolt's data file and scorch's segments), sampled
	// every 50 ms; they need not peak at the same moment as VmHWM.
	PeakAnonMB float64 `json:"peakAnonMB"`
	PeakFileMB float64 `json:"peakFileMB"`
}

// Memory measures, per catalog size, the peak RSS and peak Go heap of two child processes
// fed by this process's simulator over loopback HTTP: bleve alone indexing the offers
// (baseline mapping, batches of 1,000) and syncd mirroring them. Children keep the
// simulator's own memory out of both figures.
func Memory(ctx context.Context, o MemoryOptions) (*Report, error) {
	r := &Report{Title: "memory: peak RSS and Go heap while mirroring, separate processes"}
	var syncdHeaps []ChildResult
	for _, n := range o.Offers {
		s := StartSim(sim.Options{Offers: n, Seed: 7, LatencyJitter: -1})
		qs, total := Take(Plan(s.Server), 0)
		planFile := filepath.Join(o.Dir, fmt.Sprintf("plan-%d.json", n))
		data, _ := json.Marshal(qs)
		if err := os.WriteFile(planFile, data, 0o600); err != nil {
			s.Close()
			return nil, err
		}
		var res [2]ChildResult
		for i, mode := range []string{"bare", "syncd"} {
			dir, err := os.MkdirTemp(o.Dir, "memory-"+mode+"-")
			if err != nil {
				s.Close()
				return nil, err
			}
			cmd := o.Command("--mode", mode, "--sim", s.URL, "--plan", planFile, "--dir", dir)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, os.Stderr
			err = cmd.Run()
			os.RemoveAll(dir)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("memory child %s: %w: %s", mode, err, out.String())
			}
			if err := json.Unmarshal(lastLine(out.Bytes()), &res[i]); err != nil {
				s.Close()
				return nil, fmt.Errorf("memory child %s: %w: %s", mode, err, out.String())
			}
		}
		s.Close()
		os.Remove(planFile)
		bare, sy := res[0], res[1]
		r.add(fmt.Sprintf("%d offers: peak RSS", total), fmt.Sprintf("syncd %.0f MB, bare bleve %.0f MB (%+.0f MB)", sy.PeakRSSMB, bare.PeakRSSMB, sy.PeakRSSMB-bare.PeakRSSMB),
			"≤ bare + 64 MB", ref(sy.PeakRSSMB <= bare.PeakRSSMB+64),
			fmt.Sprintf("syncd %.0fs, bare %.0fs", sy.Seconds, bare.Seconds))
		r.add(fmt.Sprintf("%d offers: peak RSS, anonymous / file-backed", total),
			fmt.Sprintf("syncd %.0f / %.0f MB, bare bleve %.0f / %.0f MB", sy.PeakAnonMB, sy.PeakFileMB, bare.PeakAnonMB, bare.PeakFileMB), "", nil,
			"sampled every 50 ms; file-backed = mapped files (bbolt, segments)")
		r.add(fmt.Sprintf("%d offers: peak Go heap", total), fmt.Sprintf("syncd %.0f MB, bare bleve %.0f MB (%+.0f MB)", sy.PeakHeapMB, bare.PeakHeapMB, sy.PeakHeapMB-bare.PeakHeapMB), "", nil, "")
		syncdHeaps = append(syncdHeaps, ChildResult{Offers: total, PeakHeapMB: sy.PeakHeapMB - bare.PeakHeapMB})
	}
	if len(syncdHeaps) >= 2 {
		a, b := syncdHeaps[0], syncdHeaps[len(syncdHeaps)-1]
		r.add("syncd's own heap (syncd − bare), small vs large catalog", fmt.Sprintf("%+.0f MB at %d, %+.0f MB at %d", a.PeakHeapMB, a.Offers, b.PeakHeapMB, b.Offers),
			"flat in catalog size (within 16 MB)", ref(b.PeakHeapMB-a.PeakHeapMB <= 16), "")
	}
	return r, nil
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// MemoryChild is one side of Memory, run in its own process: mode "bare" indexes the
// planned queries' offers with bleve alone, "syncd" mirrors them through open's System.
// It returns what it measured about its own process.
func MemoryChild(ctx context.Context, open Opener, mode, simURL, planFile, dir string) (ChildResult, error) {
	data, err := os.ReadFile(planFile)
	if err != nil {
		return ChildResult{}, err
	}
	var qs []PlannedQuery
	if err := json.Unmarshal(data, &qs); err != nil {
		return ChildResult{}, err
	}
	stop := sampleHeap()
	start := time.Now()
	res := ChildResult{Mode: mode}
	switch mode {
	case "syncd":
		sys, err := open(ctx, SystemConfig{StateDir: dir, BaseURL: simURL})
		if err != nil {
			return res, err
		}
		if err := sys.Backfill(ctx, Jobs(qs, 1), true); err != nil {
			sys.Close()
			return res, err
		}
		res.Offers = int(sys.IndexedDocs())
		if err := sys.Close(); err != nil {
			return res, err
		}
	case "bare":
		if res.Offers, err = bareOverHTTP(ctx, simURL, qs, dir); err != nil {
			return res, err
		}
	default:
		return res, fmt.Errorf("unknown mode %q", mode)
	}
	res.Seconds = time.Since(start).Seconds()
	res.PeakHeapMB, res.PeakAnonMB, res.PeakFileMB = stop()
	res.PeakRSSMB = peakRSSMB()
	return res, nil
}

// bareOverHTTP pages through qs with the upstream client and indexes every offer with
// bleve alone, in batches of 1,000.
func bareOverHTTP(ctx context.Context, simURL string, qs []PlannedQuery, dir string) (int, error) {
	c, err := upstream.New(upstream.Options{BaseURL: simURL, AccessKey: "sim-access-key", SecretKey: "sim-secret-key", UserID: "bench", QPS: -1})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	idx, err := blevesearch.NewUsing(filepath.Join(dir, "bare.bleve"), bareMapping(), "scorch", "scorch", map[string]interface{}{"unsafe_batch": false})
	if err != nil {
		return 0, err
	}
	defer idx.Close()
	now := float64(time.Now().Unix())
	b := idx.NewBatch()
	n := 0
	for _, q := range qs {
		for page := 1; ; page++ {
			pg, err := c.FetchPage(ctx, upstream.PageRequest{Query: q.Query, Page: page, PageSize: 50})
			if err != nil {
				return n, err
			}
			for _, o := range pg.Offers {
				d := bareDoc{Subject: o.Subject, SubjectTrans: o.SubjectTrans, ImageURL: o.ImageURL, Price: o.Price,
					MonthSold: float64(o.MonthSold), RepurchaseRate: o.RepurchaseRate, LastSeen: now,
					CategoryID: o.CategoryID, IsJxhy: o.IsJxhy}
				if err := b.Index(o.OfferID, d); err != nil {
					return n, err
				}
				n++
				if b.Size() >= 1000 {
					if err := idx.Batch(b); err != nil {
						return n, err
					}
					b.Reset()
				}
			}
			if len(pg.Offers) == 0 || page >= pg.TotalPage {
				break
			}
		}
	}
	if b.Size() > 0 {
		if err := idx.Batch(b); err != nil {
			return n, err
		}
	}
	return n, nil
}

// sampleHeap samples the live Go heap and the anonymous and file-backed resident set every
// 50 ms until the returned function is called, which returns the largest samples in MB.
func sampleHeap() func() (heap, anon, file float64) {
	done := make(chan struct{})
	result := make(chan [3]float64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		peak := uint64(0)
		var anon, file float64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			a, f := rssParts()
			anon, file = max(anon, a), max(file, f)
			select {
			case <-done:
				result <- [3]float64{float64(peak) / (1 << 20), anon, file}
				return
			case <-t.C:
			}
		}
	}()
	return func() (float64, float64, float64) {
		close(done)
		r := <-result
		return r[0], r[1], r[2]
	}
}

// rssParts reads RssAnon and RssFile (MB) from /proc; zeros where there is none.
func rssParts() (anon, file float64) {
	return procStatusMB("RssAnon:"), procStatusMB("RssFile:")
}

// peakRSSMB reads the process's peak resident set (VmHWM) from /proc; 0 where there is none.
func peakRSSMB() float64 { return procStatusMB("VmHWM:") }

// procStatusMB reads one kB field of /proc/self/status in MB; 0 where there is none.
func procStatusMB(key string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
