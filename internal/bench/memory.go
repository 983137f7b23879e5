package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
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
	// Held runs syncd a second time per size, in a memory cgroup limited to bare bleve's
	// peak RSS + 64 MB (see memCgroup; Linux, and the right to create cgroups): how fast
	// it mirrors when its mapped files may keep no more resident than that.
	Held bool
	// CgroupRoot is where the cgroup file systems are mounted; default CgroupRoot.
	CgroupRoot string
}

// ChildResult is what one child process measured about itself.
type ChildResult struct {
	Mode       string  `json:"mode"`
	Offers     int     `json:"offers"`
	Seconds    float64 `json:"seconds"`
	PeakRSSMB  float64 `json:"peakRssMB"`
	PeakHeapMB float64 `json:"peakHeapMB"`
	// PeakLiveMB is the peak of the heap marked live by a GC (/gc/heap/live:bytes);
	// PeakHeapMB also counts garbage not yet swept, so it is up to about twice this.
	PeakLiveMB float64 `json:"peakLiveMB"`
	// Peaks of the anonymous and the file-backed part of the resident set (RssAnon,
	// RssFile: mapped files such as bbolt's data file and scorch's segments), sampled
	// every 50 ms; they need not peak at the same moment as VmHWM.
	PeakAnonMB float64 `json:"peakAnonMB"`
	PeakFileMB float64 `json:"peakFileMB"`
	// PeakFiles is the peak of each part of the file-backed resident set by file (mirror,
	// index, other), and AtPeakFiles the split at the sample where their sum peaked; both
	// read from /proc/self/smaps every 500 ms.
	PeakFiles   FileRSS `json:"peakFiles"`
	AtPeakFiles FileRSS `json:"atPeakFiles"`
	// CPUSeconds (user + system), MinorFaults and MajorFaults are the process's totals
	// from /proc/self/stat: page faults are what releasing mapped pages costs, major ones
	// (read from disk) when the kernel had to drop them from the page cache.
	CPUSeconds  float64 `json:"cpuSeconds"`
	MinorFaults int64   `json:"minorFaults"`
	MajorFaults int64   `json:"majorFaults"`
}

// Memory measures, per catalog size, the peak RSS and peak Go heap of two child processes
// fed by this process's simulator over loopback HTTP: bleve alone indexing the offers
// (baseline mapping, batches of 1,000) and syncd mirroring them. Children keep the
// simulator's own memory out of both figures. Beside VmHWM each child reports the peaks
// of its anonymous and file-backed resident memory, the file-backed part split into the
// mirror, the index and other files (smaps), and its CPU time and page faults. With Held,
// syncd then mirrors the same offers once more in a memory cgroup of bare's peak + 64 MB.
func Memory(ctx context.Context, o MemoryOptions) (*Report, error) {
	r := &Report{Title: "memory: peak RSS and Go heap while mirroring, separate processes"}
	if o.Held { // find out now, not after the first size's children ran
		probe, err := newMemCgroup(o.cgroupRoot(), fmt.Sprintf("syncd-bench-%d-probe", os.Getpid()), 64<<20)
		if err != nil {
			return nil, fmt.Errorf("held run: %w", err)
		}
		if err := probe.remove(); err != nil {
			return nil, err
		}
	}
	var syncdHeaps []ChildResult
	for _, n := range o.Offers {
		s := StartSim(sim.Options{Offers: n, Seed: 7, LatencyJitter: -1})
		plan, err := Plan(s.Server)
		if err != nil {
			s.Close()
			return nil, err
		}
		qs, total := Take(plan, 0)
		planFile := filepath.Join(o.Dir, fmt.Sprintf("plan-%d.json", n))
		data, _ := json.Marshal(qs)
		if err := os.WriteFile(planFile, data, 0o600); err != nil {
			s.Close()
			return nil, err
		}
		defer os.Remove(planFile) // also when a child fails
		var res [2]ChildResult
		for i, mode := range []string{"bare", "syncd"} {
			if res[i], err = o.runChild(mode, s.URL, planFile, ""); err != nil {
				s.Close()
				return nil, err
			}
		}
		bare, sy := res[0], res[1]
		r.add(fmt.Sprintf("%d offers: peak RSS", total), fmt.Sprintf("syncd %.0f MB, bare bleve %.0f MB (%+.0f MB)", sy.PeakRSSMB, bare.PeakRSSMB, sy.PeakRSSMB-bare.PeakRSSMB),
			"≤ bare + 64 MB", ref(sy.PeakRSSMB <= bare.PeakRSSMB+64),
			fmt.Sprintf("syncd %.0fs, bare %.0fs", sy.Seconds, bare.Seconds))
		r.add(fmt.Sprintf("%d offers: CPU time, minor page faults", total),
			fmt.Sprintf("syncd %.0f s, %d; bare bleve %.0f s, %d", sy.CPUSeconds, sy.MinorFaults, bare.CPUSeconds, bare.MinorFaults), "", nil,
			"whole child process, user + system")
		r.add(fmt.Sprintf("%d offers: peak RSS, anonymous / file-backed", total),
			fmt.Sprintf("syncd %.0f / %.0f MB, bare bleve %.0f / %.0f MB", sy.PeakAnonMB, sy.PeakFileMB, bare.PeakAnonMB, bare.PeakFileMB), "", nil,
			"sampled every 50 ms; file-backed = mapped files (bbolt, segments)")
		r.add(fmt.Sprintf("%d offers: peak file-backed by file, mirror / index (deleted) / other", total),
			fmt.Sprintf("syncd %s, bare bleve %s", sy.PeakFiles, bare.PeakFiles), "", nil,
			"each part's own peak, /proc/self/smaps every 500 ms")
		r.add(fmt.Sprintf("%d offers: file-backed at its peak, mirror / index (deleted) / other", total),
			fmt.Sprintf("syncd %s, bare bleve %s", sy.AtPeakFiles, bare.AtPeakFiles), "", nil,
			"the split at the sample where the sum peaked")
		r.add(fmt.Sprintf("%d offers: peak Go heap", total), fmt.Sprintf("syncd %.0f MB, bare bleve %.0f MB (%+.0f MB)", sy.PeakHeapMB, bare.PeakHeapMB, sy.PeakHeapMB-bare.PeakHeapMB), "", nil,
			fmt.Sprintf("heap live after a GC: syncd %.0f MB, bare %.0f MB", sy.PeakLiveMB, bare.PeakLiveMB))
		if o.Held {
			if err := o.held(r, s.URL, planFile, total, bare, sy); err != nil {
				s.Close()
				return nil, err
			}
		}
		s.Close()
		syncdHeaps = append(syncdHeaps, ChildResult{Offers: total, PeakHeapMB: sy.PeakHeapMB - bare.PeakHeapMB})
	}
	if len(syncdHeaps) >= 2 {
		a, b := syncdHeaps[0], syncdHeaps[len(syncdHeaps)-1]
		r.add("syncd's own heap (syncd − bare), small vs large catalog", fmt.Sprintf("%+.0f MB at %d, %+.0f MB at %d", a.PeakHeapMB, a.Offers, b.PeakHeapMB, b.Offers),
			"flat in catalog size (within 16 MB)", ref(b.PeakHeapMB-a.PeakHeapMB <= 16), "")
	}
	return r, nil
}

// held runs the syncd child once more in a memory cgroup limited to bare's peak RSS + 64
// MB and adds its figures to r. An OOM kill is a result, not an error.
func (o MemoryOptions) held(r *Report, simURL, planFile string, total int, bare, unheld ChildResult) error {
	limitMB := bare.PeakRSSMB + 64
	cg, err := newMemCgroup(o.cgroupRoot(), fmt.Sprintf("syncd-bench-%d-%d", os.Getpid(), total), int64(limitMB*(1<<20)))
	if err != nil {
		return fmt.Errorf("held run: %w", err)
	}
	start := time.Now()
	res, runErr := o.runChild("syncd", simURL, planFile, cg.dir)
	took := time.Since(start)
	cgPeak := "n/a" // memory.peak is Linux 5.19 and later on cgroup v2
	if peak, err := cg.peak(); err == nil {
		cgPeak = fmt.Sprintf("%.0f MB", float64(peak)/(1<<20))
	}
	kills := cg.oomKills()
	if err := cg.remove(); err != nil {
		return err
	}
	name := fmt.Sprintf("%d offers: syncd held to bare + 64 MB (a memory cgroup of %.0f MB)", total, limitMB)
	if runErr != nil {
		if kills > 0 {
			r.add(name, fmt.Sprintf("killed by the OOM killer after %.0f s", took.Seconds()), "", nil,
				"cgroup peak "+cgPeak)
			return nil
		}
		return fmt.Errorf("held run: %w", runErr)
	}
	slower := "n/a"
	if unheld.Seconds > 0 {
		slower = fmt.Sprintf("%.2f×", res.Seconds/unheld.Seconds)
	}
	r.add(name, fmt.Sprintf("completes in %.0f s (%s unheld); peak RSS %.0f MB, cgroup peak %s; CPU %.0f s; major faults %d (unheld %d)",
		res.Seconds, slower, res.PeakRSSMB, cgPeak, res.CPUSeconds, res.MajorFaults, unheld.MajorFaults), "", nil,
		"what the mapped files keep beyond the limit is reclaimed and read again from disk when touched")
	return nil
}

// runChild runs one memory child of mode in a new state directory under o.Dir, in the
// memory cgroup directory cgroup unless that is empty, and returns what it reported.
func (o MemoryOptions) runChild(mode, simURL, planFile, cgroup string) (ChildResult, error) {
	var res ChildResult
	dir, err := os.MkdirTemp(o.Dir, "memory-"+mode+"-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	args := []string{"--mode", mode, "--sim", simURL, "--plan", planFile, "--dir", dir}
	if cgroup != "" {
		args = append(args, "--cgroup", cgroup)
	}
	cmd := o.Command(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("memory child %s: %w: %s", mode, err, out.String())
	}
	if err := json.Unmarshal(lastLine(out.Bytes()), &res); err != nil {
		return res, fmt.Errorf("memory child %s: %w: %s", mode, err, out.String())
	}
	return res, nil
}

func (o MemoryOptions) cgroupRoot() string {
	if o.CgroupRoot == "" {
		return CgroupRoot
	}
	return o.CgroupRoot
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// MemoryChild is one side of Memory, run in its own process: mode "bare" indexes the
// planned queries' offers with bleve alone, "syncd" mirrors them through open's System.
// It returns what it measured about its own process.
func MemoryChild(ctx context.Context, open Opener, mode, simURL, planFile, dir, cgroup string) (ChildResult, error) {
	if cgroup != "" { // first, so that everything it allocates is charged to the cgroup
		if err := (&memCgroup{dir: cgroup}).join(os.Getpid()); err != nil {
			return ChildResult{}, err
		}
	}
	data, err := os.ReadFile(planFile)
	if err != nil {
		return ChildResult{}, err
	}
	var qs []PlannedQuery
	if err := json.Unmarshal(data, &qs); err != nil {
		return ChildResult{}, err
	}
	planned := 0
	for _, q := range qs {
		planned += q.Offers
	}
	var profile func(string) string
	if path := os.Getenv(HeapProfileEnv); path != "" {
		profile = func(when string) string { return fmt.Sprintf("%s.%s-%d-%s", path, mode, planned, when) }
	}
	stop := sampleMemory(dir, profile)
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
		if err := writeHeapProfile(profile, "end"); err != nil {
			sys.Close()
			return res, err
		}
		if err := sys.Close(); err != nil {
			return res, err
		}
	case "bare":
		if res.Offers, err = bareOverHTTP(ctx, simURL, qs, dir); err != nil {
			return res, err
		}
		if err := writeHeapProfile(profile, "end"); err != nil {
			return res, err
		}
	default:
		return res, fmt.Errorf("unknown mode %q", mode)
	}
	res.Seconds = time.Since(start).Seconds()
	p := stop()
	res.PeakHeapMB, res.PeakLiveMB, res.PeakAnonMB, res.PeakFileMB = p.heap, p.live, p.anon, p.file
	res.PeakFiles, res.AtPeakFiles = p.files, p.atPeakFiles
	if files := res.AtPeakFiles.Files; len(files) > 0 {
		res.AtPeakFiles.Files = nil
		names := slices.Sorted(maps.Keys(files))
		fmt.Fprintf(os.Stderr, "%s child: file-backed resident MB by file at the peak:\n", mode)
		for _, name := range names {
			fmt.Fprintf(os.Stderr, "  %-40s %7.1f of %7.1f MB\n", name, files[name], res.AtPeakFiles.Sizes[name])
		}
	}
	res.PeakRSSMB = peakRSSMB()
	res.CPUSeconds, res.MinorFaults, res.MajorFaults = procCPU()
	return res, nil
}

// procCPU reads the process's CPU time (user + system, s) and its minor and major page
// faults from /proc/self/stat; zeros where there is none.
func procCPU() (cpu float64, minflt, majflt int64) {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces: state is
	// field 3, minflt 10, majflt 12, utime 14 and stime 15 (clock ticks of 1/100 s on
	// Linux).
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, 0, 0
	}
	minflt, _ = strconv.ParseInt(f[7], 10, 64)
	majflt, _ = strconv.ParseInt(f[9], 10, 64)
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100, minflt, majflt
}

// HeapProfileEnv names the environment variable that makes a memory child write heap
// profiles (pprof format) to its value plus ".<mode>-<offers>-peak", rewritten whenever
// the heap marked live by a GC reached a new peak (at least 1 MB above the previous
// profile's), and "-end", after a forced GC once the work is done and before the child
// closes what it opened.
const HeapProfileEnv = "SYNCD_BENCH_HEAPPROFILE"

// writeHeapProfile writes a heap profile to name(when); nothing when name is nil. The end
// profile is taken after a GC, the others as of the last one.
func writeHeapProfile(name func(string) string, when string) error {
	if name == nil {
		return nil
	}
	f, err := os.Create(name(when))
	if err != nil {
		return err
	}
	if when == "end" {
		runtime.GC()
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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

// memoryPeaks is what sampleMemory found: the largest samples, in MB.
type memoryPeaks struct {
	heap, live         float64
	anon, file         float64
	files, atPeakFiles FileRSS
}

// String formats a split as "mirror / index (deleted) / other MB".
func (f FileRSS) String() string {
	return fmt.Sprintf("%.0f / %.0f (%.0f) / %.0f MB", f.Mirror, f.Index, f.IndexDeleted, f.Other)
}

// sampleMemory samples the live Go heap and the anonymous and file-backed resident set
// every 50 ms, and the file-backed resident set by file (relative to the state directory
// dir) every 500 ms, until the returned function is called, which returns the peaks.
// Reading smaps walks the page tables of every mapping, so it is sampled less often.
// With profile set, it writes the "peak" heap profile (see HeapProfileEnv).
func sampleMemory(dir string, profile func(string) string) func() memoryPeaks {
	done := make(chan struct{})
	result := make(chan memoryPeaks)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		var heap, live, profiled uint64
		var p memoryPeaks
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for tick := 0; ; tick++ {
			metrics.Read(s)
			heap = max(heap, s[0].Value.Uint64())
			if l := s[1].Value.Uint64(); l > live {
				live = l
				if profile != nil && l >= profiled+1<<20 {
					profiled = l
					_ = writeHeapProfile(profile, "peak")
				}
			}
			a, f := rssParts()
			p.anon, p.file = max(p.anon, a), max(p.file, f)
			final := false
			select {
			case <-done:
				final = true
			default:
			}
			if tick%10 == 0 || final {
				if fr, ok := readFileRSS(dir); ok {
					p.files.Mirror = max(p.files.Mirror, fr.Mirror)
					p.files.Index = max(p.files.Index, fr.Index)
					p.files.IndexDeleted = max(p.files.IndexDeleted, fr.IndexDeleted)
					p.files.Other = max(p.files.Other, fr.Other)
					if fr.Total() > p.atPeakFiles.Total() {
						p.atPeakFiles = fr
					}
				}
			}
			if final {
				p.heap, p.live = float64(heap)/(1<<20), float64(live)/(1<<20)
				result <- p
				return
			}
			select {
			case <-done:
			case <-t.C:
			}
		}
	}()
	return func() memoryPeaks {
		close(done)
		return <-result
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
