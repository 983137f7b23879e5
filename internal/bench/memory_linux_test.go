//go:build linux

package bench

import (
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func rusage(t *testing.T) (cpu float64, minflt, majflt int64) {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	sec := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	return sec(ru.Utime) + sec(ru.Stime), int64(ru.Minflt), int64(ru.Majflt)
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
	majorFaults(t)
	cpu0, flt0, maj0 := rusage(t)
	cpu, flt, maj := procCPU()
	cpu1, flt1, maj1 := rusage(t)
	if flt < flt0 || flt > flt1 {
		t.Errorf("procCPU: %d minor faults, getrusage %d before and %d after", flt, flt0, flt1)
	}
	if maj < maj0 || maj > maj1 {
		t.Errorf("procCPU: %d major faults, getrusage %d before and %d after", maj, maj0, maj1)
	}
	if maj0 == 0 {
		t.Log("no major fault could be caused here (page cache not droppable): the major-fault check compared zeros")
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

// majorFaults tries to cause major page faults: it writes a file, has the kernel drop it
// from the page cache, and reads it through a mapping. Where the cache cannot be dropped
// (tmpfs) the reads are minor faults.
func majorFaults(t *testing.T) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "majflt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const size = 1 << 20
	if _, err := f.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, size, unix.FADV_DONTNEED); err != nil {
		t.Logf("fadvise: %v", err)
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	sum := 0
	for i := 0; i < size; i += 4096 {
		sum += int(m[i])
	}
	if sum != 0 {
		t.Fatal("the file read back not zero")
	}
}
