package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// childResultsEnv carries, to a fake memory child, what it should report: JSON of
// map["mode/offers"]ChildResult.
const childResultsEnv = "SYNCD_BENCH_TEST_CHILD_RESULTS"

// joinCgroupEnv makes TestMemoryFakeChild only join the memory cgroup it names and exit.
const joinCgroupEnv = "SYNCD_BENCH_TEST_JOIN_CGROUP"

// TestMemoryFakeChild is not a test: TestMemory runs the test binary with it as Memory's
// child process. It checks the arguments Memory gives a child and prints a canned result
// after some other output, as a real child's log lines may precede its JSON.
func TestMemoryFakeChild(t *testing.T) {
	if dir := os.Getenv(joinCgroupEnv); dir != "" { // only join the cgroup (a probe)
		if err := (&memCgroup{dir: dir}).join(os.Getpid()); err != nil {
			fmt.Println(err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	spec := os.Getenv(childResultsEnv)
	if spec == "" {
		return
	}
	fail := func(format string, args ...any) {
		fmt.Printf(format+"\n", args...)
		os.Exit(3)
	}
	args := os.Args[slices.Index(os.Args, "--")+1:]
	flags := map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		flags[args[i]] = args[i+1]
	}
	held := flags["--cgroup"] != ""
	if want := 4 + btoi(held); len(args) != 2*want || len(flags) != want {
		fail("child arguments %q, want --mode, --sim, --plan and --dir (and --cgroup when held) with values", args)
	}
	if held { // as MemoryChild does
		if err := (&memCgroup{dir: flags["--cgroup"]}).join(os.Getpid()); err != nil {
			fail("join the cgroup: %v", err)
		}
	}
	if !strings.HasPrefix(flags["--sim"], "http://127.0.0.1:") {
		fail("--sim %q is not a loopback URL", flags["--sim"])
	}
	if fi, err := os.Stat(flags["--dir"]); err != nil || !fi.IsDir() {
		fail("--dir %q is not a directory: %v", flags["--dir"], err)
	}
	data, err := os.ReadFile(flags["--plan"])
	if err != nil {
		fail("read plan: %v", err)
	}
	var qs []PlannedQuery
	if err := json.Unmarshal(data, &qs); err != nil {
		fail("plan: %v", err)
	}
	planned := 0
	for _, q := range qs {
		planned += q.Offers
	}
	var results map[string]ChildResult
	if err := json.Unmarshal([]byte(spec), &results); err != nil {
		fail("%s: %v", childResultsEnv, err)
	}
	mode := flags["--mode"]
	if held {
		mode += "-held"
	}
	res, ok := results[fmt.Sprintf("%s/%d", mode, planned)]
	if !ok {
		fail("no result for mode %s with %d offers planned", mode, planned)
	}
	if res.Mode == "oom" { // use far more memory than the cgroup allows
		var hold [][]byte
		for {
			b := make([]byte, 16<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			hold = append(hold, b)
			if len(hold) > 256 {
				fail("allocated 4 GB and was not killed")
			}
		}
	}
	fmt.Println("child log line: indexing")
	out, _ := json.Marshal(res)
	fmt.Printf("%s\n\n", out)
	os.Exit(0)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fakeChild runs TestMemoryFakeChild, reporting results.
func fakeChild(t *testing.T, results map[string]ChildResult) func(args ...string) *exec.Cmd {
	spec, err := json.Marshal(results)
	if err != nil {
		t.Fatal(err)
	}
	return func(args ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestMemoryFakeChild$", "--"}, args...)...)
		// Under -race a process sleeps a second before exiting unless told not to.
		cmd.Env = append(os.Environ(), childResultsEnv+"="+string(spec), "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
		return cmd
	}
}

// TestMemory runs Memory with fake children whose results are known: the report's
// arithmetic and targets (syncd ≤ bare + 64 MB; syncd's own heap flat within 16 MB) are
// checked at their boundaries, and the scratch directory is left empty.
func TestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	files := FileRSS{Mirror: 10, Index: 20, IndexDeleted: 5, Other: 12}
	base := map[string]ChildResult{
		"bare/2000":  {Mode: "bare", PeakRSSMB: 100, PeakHeapMB: 40, PeakLiveMB: 20, Seconds: 3, CPUSeconds: 4, MinorFaults: 1000, PeakAnonMB: 70, PeakFileMB: 30},
		"syncd/2000": {Mode: "syncd", PeakRSSMB: 164, PeakHeapMB: 50, PeakLiveMB: 24, Seconds: 5, CPUSeconds: 6, MinorFaults: 2000, PeakAnonMB: 80, PeakFileMB: 84, PeakFiles: files, AtPeakFiles: files},
		"bare/4000":  {Mode: "bare", PeakRSSMB: 200, PeakHeapMB: 80},
		"syncd/4000": {Mode: "syncd", PeakRSSMB: 265},
	}
	for _, tc := range []struct {
		name           string
		syncdHeap4000  float64 // syncd's own heap: this − 80 MB, against +10 MB at 2,000 offers
		wantFlat, want string
	}{
		{"heap flat", 106, "yes", "+10 MB at 2000, +26 MB at 4000"},
		{"heap grows", 107, "no", "+10 MB at 2000, +27 MB at 4000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := map[string]ChildResult{}
			for k, v := range base {
				results[k] = v
			}
			r4 := results["syncd/4000"]
			r4.PeakHeapMB = tc.syncdHeap4000
			results["syncd/4000"] = r4
			dir := t.TempDir()
			r, err := Memory(t.Context(), MemoryOptions{Offers: []int{2000, 4000}, Dir: dir, Command: fakeChild(t, results)})
			if err != nil {
				t.Fatal(err)
			}
			fig := map[string]Figure{}
			for _, f := range r.Figures {
				fig[f.Name] = f
			}
			if len(fig) != 13 {
				t.Errorf("%d figures, want 6 per catalog size and the heap comparison", len(fig))
			}
			check := func(name, value, met string) {
				t.Helper()
				f, ok := fig[name]
				if !ok {
					t.Errorf("no figure %q", name)
					return
				}
				if !strings.Contains(f.Value, value) || f.Met != met {
					t.Errorf("%s: value %q, met %q; want a value with %q, met %q", name, f.Value, f.Met, value, met)
				}
			}
			check("2000 offers: peak RSS", "syncd 164 MB, bare bleve 100 MB (+64 MB)", "yes")
			check("4000 offers: peak RSS", "syncd 265 MB, bare bleve 200 MB (+65 MB)", "no")
			check("2000 offers: CPU time, minor page faults", "syncd 6 s, 2000; bare bleve 4 s, 1000", "")
			check("2000 offers: peak RSS, anonymous / file-backed", "syncd 80 / 84 MB, bare bleve 70 / 30 MB", "")
			check("2000 offers: peak file-backed by file, mirror / index (deleted) / other", "syncd 10 / 20 (5) / 12 MB, bare bleve 0 / 0 (0) / 0 MB", "")
			check("2000 offers: peak Go heap", "syncd 50 MB, bare bleve 40 MB (+10 MB)", "")
			check("syncd's own heap (syncd − bare), small vs large catalog", tc.want, tc.wantFlat)
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("Memory left %v in its scratch directory", left)
			}
		})
	}
}

func TestMemoryChildFails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	t.Parallel()
	dir := t.TempDir()
	// No result for syncd: the fake child exits with status 3 and says why.
	cmd := fakeChild(t, map[string]ChildResult{"bare/2000": {PeakRSSMB: 1}})
	_, err := Memory(t.Context(), MemoryOptions{Offers: []int{2000}, Dir: dir, Command: cmd})
	if err == nil || !strings.Contains(err.Error(), "memory child syncd") || !strings.Contains(err.Error(), "no result for mode syncd") {
		t.Fatalf("Memory = %v, want the syncd child's failure and its output", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Errorf("Memory left %v behind after a child failed", m)
	}
}

func TestLastLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{"log\n{\"a\":1}\n", `{"a":1}`},
		{"log\n{\"a\":1}\n\n  \n", `{"a":1}`},
		{"", ""},
	} {
		if got := string(lastLine([]byte(tc.in))); got != tc.want {
			t.Errorf("lastLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriteHeapProfile(t *testing.T) {
	if err := writeHeapProfile(nil, "end"); err != nil {
		t.Errorf("no profile name: %v, want nothing done", err)
	}
	dir := t.TempDir()
	name := func(when string) string { return filepath.Join(dir, "heap."+when) }
	for _, when := range []string{"peak", "end"} {
		if err := writeHeapProfile(name, when); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(name(when)); err != nil || fi.Size() == 0 {
			t.Errorf("profile %s: %v, want a non-empty file", when, err)
		}
	}
	if err := writeHeapProfile(func(string) string { return filepath.Join(dir, "missing", "heap") }, "end"); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
