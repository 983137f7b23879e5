package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindMemCgroup(t *testing.T) {
	write := func(path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v2 := t.TempDir()
	write(filepath.Join(v2, "cgroup.subtree_control"), "cpuset cpu io memory pids\n")
	v2off := t.TempDir() // the controller exists but is not enabled for children
	write(filepath.Join(v2off, "cgroup.controllers"), "cpu io memory\n")
	write(filepath.Join(v2off, "cgroup.subtree_control"), "cpu io\n")
	v1 := t.TempDir()
	write(filepath.Join(v1, "memory", "memory.limit_in_bytes"), "9223372036854771712\n")

	for _, tc := range []struct {
		root, wantDir string
		wantV2        bool
	}{
		{v2, filepath.Join(v2, "x"), true},
		{v1, filepath.Join(v1, "memory", "x"), false},
		{v2off, "", false},
		{t.TempDir(), "", false},
	} {
		c, err := findMemCgroup(tc.root, "x")
		if tc.wantDir == "" {
			if err == nil || !strings.Contains(err.Error(), "no memory cgroup controller") {
				t.Errorf("%s: %+v, %v; want no memory controller found", tc.root, c, err)
			}
			continue
		}
		if err != nil || c.dir != tc.wantDir || c.v2 != tc.wantV2 {
			t.Errorf("%s: %+v, %v; want dir %s, v2 %v", tc.root, c, err, tc.wantDir, tc.wantV2)
		}
	}
}

// TestMemoryHeld runs Memory's held run with fake children in a real memory cgroup: one
// whose figures are reported beside the unheld run's, and one that outgrows the limit
// and is killed, which is a result, not an error. The cgroup is gone afterwards.
func TestMemoryHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	// Can this process create memory cgroups, and move a child process into one?
	probe, err := newMemCgroup(CgroupRoot, fmt.Sprintf("syncd-test-%d", os.Getpid()), 64<<20)
	if err != nil {
		t.Skipf("no memory cgroup here: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryFakeChild$")
	cmd.Env = append(os.Environ(), joinCgroupEnv+"="+probe.dir, "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	out, joinErr := cmd.CombinedOutput()
	if err := probe.remove(); err != nil {
		t.Fatal(err)
	}
	if joinErr != nil {
		// Only a refusal skips; any other failure of join is a bug.
		for _, refusal := range []string{"permission denied", "operation not permitted", "device or resource busy", "read-only file system", "operation not supported"} {
			if strings.Contains(string(out), refusal) {
				t.Skipf("a memory cgroup can be created here but not joined: %s", out)
			}
		}
		t.Fatalf("join the probe cgroup: %v: %s", joinErr, out)
	}
	for _, tc := range []struct {
		name, held, want string
	}{
		{"completes", "syncd", "completes in 8 s (1.60× unheld); peak RSS 90 MB, cgroup peak "},
		{"killed", "oom", "killed by the OOM killer after "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := map[string]ChildResult{
				"bare/2000":       {Mode: "bare", PeakRSSMB: 36},
				"syncd/2000":      {Mode: "syncd", PeakRSSMB: 300, Seconds: 5, MajorFaults: 3},
				"syncd-held/2000": {Mode: tc.held, PeakRSSMB: 90, Seconds: 8, CPUSeconds: 9, MajorFaults: 700},
			}
			dir := t.TempDir()
			r, err := Memory(t.Context(), MemoryOptions{Offers: []int{2000}, Dir: dir, Command: fakeChild(t, results), Held: true})
			if err != nil {
				t.Fatal(err)
			}
			name := "2000 offers: syncd held to bare + 64 MB (a memory cgroup of 100 MB)"
			var got *Figure
			for i := range r.Figures {
				if r.Figures[i].Name == name {
					got = &r.Figures[i]
				}
			}
			if got == nil {
				t.Fatalf("no figure %q in %+v", name, r.Figures)
			}
			if !strings.Contains(got.Value, tc.want) {
				t.Errorf("value %q, want it to contain %q", got.Value, tc.want)
			}
			if tc.held == "syncd" && !strings.Contains(got.Value, "CPU 9 s; major faults 700 (unheld 3)") {
				t.Errorf("value %q lacks the held run's CPU and faults beside the unheld ones", got.Value)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
				t.Errorf("Memory left %v in its scratch directory", left)
			}
			cgs, _ := filepath.Glob(filepath.Join(filepath.Dir(probe.dir), fmt.Sprintf("syncd-bench-%d-*", os.Getpid())))
			if len(cgs) != 0 {
				t.Errorf("Memory left the cgroups %v", cgs)
			}
		})
	}
}

func TestSwapOn(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, data string
		want       bool
	}{
		{"none", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", false},
		{"one", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swapfile                               file\t\t2097148\t\t0\t\t-2\n", true},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := swapOn(path); got != tc.want {
			t.Errorf("%s: swapOn = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !swapOn(filepath.Join(dir, "missing")) {
		t.Error("an unreadable swaps file must count as swap on")
	}
}

// TestMemoryHeldRefusedFirst: where no memory cgroup can be made, --held fails before
// any child runs, not after the first catalog size's runs were spent.
func TestMemoryHeldRefusedFirst(t *testing.T) {
	var ran []string
	cmd := func(args ...string) *exec.Cmd {
		ran = append(ran, strings.Join(args, " "))
		return exec.Command("false")
	}
	_, err := Memory(t.Context(), MemoryOptions{Offers: []int{2000}, Dir: t.TempDir(), Command: cmd, Held: true, CgroupRoot: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "held run: no memory cgroup controller") {
		t.Fatalf("Memory = %v, want the missing cgroup controller", err)
	}
	if len(ran) != 0 {
		t.Errorf("children ran before the cgroup was found missing: %q", ran)
	}
}
