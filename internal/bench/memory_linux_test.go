//go:build linux

package bench

import (
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func rusage(t *testing.T) (cpu float64, minflt int64) {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	sec := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	return sec(ru.Utime) + sec(ru.Stime), int64(ru.Minflt)
}

// TestProcCPU holds procCPU's reading of /proc/self/stat against getrusage taken just
// before and after: the kernel's own count of the same process's CPU time and faults.
func TestProcCPU(t *testing.T) {
	// Burn some CPU and fault some pages so that neither figure is zero.
	b := make([]byte, 8<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	x := 0.0
	for i := range 20_000_000 {
		x += math.Sqrt(float64(i))
	}
	cpu0, flt0 := rusage(t)
	cpu, flt := procCPU()
	cpu1, flt1 := rusage(t)
	if flt < flt0 || flt > flt1 {
		t.Errorf("procCPU: %d minor faults, getrusage %d before and %d after", flt, flt0, flt1)
	}
	// /proc counts whole ticks of 10 ms, in user and system time apart.
	if cpu < cpu0-0.025 || cpu > cpu1+0.005 || cpu <= 0 {
		t.Errorf("procCPU: %.3f s of CPU, getrusage %.3f s before and %.3f s after (x %g)", cpu, cpu0, cpu1, x)
	}
}

func TestProcStatusMB(t *testing.T) {
	rss := procStatusMB("VmRSS:")
	hwm := peakRSSMB()
	// Not exact: the runtime may return pages between the two reads.
	if rss <= 1 || hwm < 0.9*rss {
		t.Errorf("VmRSS %g MB, VmHWM %g MB; want a few MB resident and the peak at least that", rss, hwm)
	}
	// The resident set is its anonymous, file-backed and shared-memory parts.
	anon, file := rssParts()
	if shmem := procStatusMB("RssShmem:"); math.Abs(anon+file+shmem-rss) > 4 {
		t.Errorf("RssAnon %g + RssFile %g + RssShmem %g MB, VmRSS %g MB", anon, file, shmem, rss)
	}
	// /proc/self/statm counts the same resident pages: procStatusMB must read a value
	// between statm's before and after it (reading allocates, so the count may move).
	statmMB := func() float64 {
		data, err := os.ReadFile("/proc/self/statm")
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(data))
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("statm %q: %v", data, err)
		}
		return float64(n*int64(os.Getpagesize())) / (1 << 20)
	}
	var lo, mb, hi float64
	for range 20 {
		lo = statmMB()
		mb = procStatusMB("VmRSS:")
		hi = statmMB()
		lo, hi = min(lo, hi), max(lo, hi)
		if lo <= mb && mb <= hi {
			break
		}
	}
	if mb < lo || mb > hi {
		t.Errorf("VmRSS reads %g MB, statm %g..%g MB", mb, lo, hi)
	}
	if got := procStatusMB("NoSuchField:"); got != 0 {
		t.Errorf("an absent field reads %g, want 0", got)
	}
}
