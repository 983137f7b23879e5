//go:build linux

package bench

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

const pageSize = 4096

// mapFile creates a file of size bytes (every byte 1) and maps it; it is unmapped when
// the test ends.
func mapFile(t *testing.T, path string, size, prot, flags int) []byte {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	for i := range data {
		data[i] = 1
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path) // read-only: a private mapping may still be written
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, size, prot, flags)
	if err != nil {
		t.Fatalf("mmap %s: %v", path, err)
	}
	t.Cleanup(func() { syscall.Munmap(m) })
	return m
}

// readPages faults in every page of m by reading it.
func readPages(t *testing.T, m []byte) {
	t.Helper()
	sum := 0
	for i := 0; i < len(m); i += pageSize {
		sum += int(m[i])
	}
	if sum != len(m)/pageSize {
		t.Fatalf("read %d from the mapping, want %d", sum, len(m)/pageSize)
	}
}

// TestReadFileRSSRealMappings maps files into this process and reads the kernel's own
// smaps: the layout the synthetic tests assume, and Rss minus Anonymous per mapping.
func TestReadFileRSSRealMappings(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps"); err != nil {
		t.Skip("no /proc/self/smaps")
	}
	// smaps prints resolved paths; readFileRSS compares them with dir as given.
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const size = 1 << 20
	mirror := mapFile(t, filepath.Join(dir, "mirror.db"), size, syscall.PROT_READ, syscall.MAP_SHARED)
	readPages(t, mirror)

	seg := filepath.Join(dir, "index.bleve", "store", "000000000001.zap")
	readPages(t, mapFile(t, seg, size, syscall.PROT_READ, syscall.MAP_SHARED))
	if err := os.Remove(seg); err != nil { // merged away, still mapped
		t.Fatal(err)
	}

	// Written through a private mapping, every page becomes an anonymous copy: resident,
	// but not file-backed memory.
	cow := mapFile(t, filepath.Join(dir, "index.bleve", "store", "cow.zap"), size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	for i := 0; i < len(cow); i += pageSize {
		cow[i] = 2
	}

	t.Setenv(SmapsFilesEnv, "1")
	fr, ok := readFileRSS(dir)
	if !ok {
		t.Fatal("readFileRSS found no smaps")
	}
	// Each mapping is 1 MB, all of it touched; allow for pages the kernel reclaimed since.
	inMB := func(name string, v, lo, hi float64) {
		t.Helper()
		if v < lo || v > hi {
			t.Errorf("%s = %g MB, want %g..%g", name, v, lo, hi)
		}
	}
	inMB("Mirror", fr.Mirror, 0.5, 1)
	inMB("Index", fr.Index, 0.5, 1)
	inMB("IndexDeleted", fr.IndexDeleted, 0.5, 1)
	if fr.IndexDeleted != fr.Index {
		t.Errorf("Index %g MB, IndexDeleted %g MB: the copied-on-write mapping should add nothing", fr.Index, fr.IndexDeleted)
	}
	if fr.Other <= 0 {
		t.Errorf("Other = %g MB; the test binary itself is a mapped file", fr.Other)
	}

	deletedName := "index.bleve/store/000000000001.zap (deleted)"
	if len(fr.Files) != 3 {
		t.Errorf("Files = %v, want mirror.db, cow.zap and the deleted segment", fr.Files)
	}
	inMB("Files[mirror.db]", fr.Files["mirror.db"], 0.5, 1)
	inMB("Files[deleted segment]", fr.Files[deletedName], 0.5, 1)
	if v, ok := fr.Files["index.bleve/store/cow.zap"]; !ok || v != 0 {
		t.Errorf("Files[cow.zap] = %g, %v; want 0, present", v, ok)
	}
	// Sizes are what stat says now: the deleted segment has none.
	if fr.Sizes["mirror.db"] != 1 || fr.Sizes["index.bleve/store/cow.zap"] != 1 {
		t.Errorf("Sizes = %v, want 1 MB for mirror.db and cow.zap", fr.Sizes)
	}
	if _, ok := fr.Sizes[deletedName]; ok {
		t.Errorf("Sizes has the deleted segment: %v", fr.Sizes)
	}

	// Without the environment variable there is no per-file split.
	t.Setenv(SmapsFilesEnv, "")
	if fr, _ := readFileRSS(dir); fr.Files != nil || fr.Sizes != nil {
		t.Errorf("without %s: Files %v, Sizes %v; want neither", SmapsFilesEnv, fr.Files, fr.Sizes)
	}

	// sampleMemory takes a sample at its start and one when stopped; both see the mappings.
	p := sampleMemory(dir, nil)()
	inMB("sampled peak Mirror", p.files.Mirror, 0.5, 1)
	inMB("sampled peak IndexDeleted", p.files.IndexDeleted, 0.5, 1)
	inMB("Mirror at the sampled peak", p.atPeakFiles.Mirror, 0.5, 1)
	if p.atPeakFiles.Total() > p.files.Total() {
		t.Errorf("split at the peak %v exceeds the parts' own peaks %v", p.atPeakFiles, p.files)
	}
	if p.heap <= 0 || p.anon <= 0 || p.file <= 0 {
		t.Errorf("sampled peaks: heap %g, anonymous %g, file-backed %g MB; want all above 0", p.heap, p.anon, p.file)
	}
}

// `syncd bench memory --dir ./scratch` hands the children a relative state directory, and
// a temporary directory may sit behind a symlink: smaps names files by their absolute,
// resolved path, so readFileRSS must resolve dir first.
func TestReadFileRSSRelativeOrSymlinkedDir(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps"); err != nil {
		t.Skip("no /proc/self/smaps")
	}
	parent := t.TempDir()
	real := filepath.Join(parent, "state")
	readPages(t, mapFile(t, filepath.Join(real, "mirror.db"), 1<<20, syscall.PROT_READ, syscall.MAP_SHARED))
	link := filepath.Join(parent, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	t.Chdir(parent)
	for _, dir := range []string{"state", "./state/", link} {
		fr, ok := readFileRSS(dir)
		if !ok || fr.Mirror < 0.9 {
			t.Errorf("readFileRSS(%q): mirror %.2f MB, want the 1 MB mapped", dir, fr.Mirror)
		}
	}
}
