package bench

import (
	"fmt"
	"maps"
	"math"
	"strings"
	"testing"
)

// smapsEntry is one mapping of a synthetic /proc/self/smaps.
type smapsEntry struct {
	path          string // as the kernel prints it: "" for anonymous, "[heap]", "/x (deleted)"
	rssKB, anonKB int
}

// smapsText renders mappings in the kernel's layout: a header line (range, perms, offset,
// device, inode, padded path), then "Key: value" lines, some of which are not in kB.
func smapsText(entries ...smapsEntry) string {
	var b strings.Builder
	addr := 0x7f0000000000
	for i, e := range entries {
		inode := 1000 + i
		if e.path == "" || strings.HasPrefix(e.path, "[") {
			inode = 0
		}
		header := fmt.Sprintf("%x-%x r--s 00000000 fd:01 %d", addr, addr+0x400000, inode)
		if e.path == "" {
			header += " " // the kernel leaves a trailing blank after an anonymous mapping's inode
		} else {
			header = fmt.Sprintf("%-73s%s", header, e.path)
		}
		addr += 0x400000
		fmt.Fprintf(&b, "%s\n", header)
		fmt.Fprintf(&b, "Size:               %6d kB\n", 4096)
		fmt.Fprintf(&b, "KernelPageSize:        4 kB\n")
		fmt.Fprintf(&b, "Rss:                %6d kB\n", e.rssKB)
		fmt.Fprintf(&b, "Pss:                %6d kB\n", e.rssKB/2)
		fmt.Fprintf(&b, "Private_Dirty:      %6d kB\n", e.anonKB)
		fmt.Fprintf(&b, "Anonymous:          %6d kB\n", e.anonKB)
		fmt.Fprintf(&b, "AnonHugePages:      %6d kB\n", 2048)
		fmt.Fprintf(&b, "Swap:                  0 kB\n")
		fmt.Fprintf(&b, "THPeligible:           0\n")
		fmt.Fprintf(&b, "VmFlags: rd sh mr mw me ms \n")
	}
	return b.String()
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestParseSmaps(t *testing.T) {
	const dir = "/var/lib/syncd"
	data := []byte(smapsText(
		smapsEntry{"/usr/local/bin/syncd", 10240, 0},
		smapsEntry{"/var/lib/syncd/mirror.db", 2048, 0},
		smapsEntry{"", 500_000, 500_000}, // the Go heap: not file-backed
		smapsEntry{"[heap]", 4096, 4096},
		smapsEntry{"/var/lib/syncd/mirror.db", 1024, 0}, // bbolt remapped the grown file
		smapsEntry{"/var/lib/syncd/index.bleve/store/000000000001.zap", 4096, 1024},
		smapsEntry{"/var/lib/syncd/index.bleve/store/000000000002.zap (deleted)", 512, 0},
		smapsEntry{"/var/lib/syncd/index.bleve/store/root.bolt", 256, 0},
		smapsEntry{"/var/lib/syncd/index.bleve/store/copy.db", 1024, 0}, // a .db below the state directory is index
		smapsEntry{"/var/lib/syncd/old mirror.db (deleted)", 3072, 0},   // deleted mirror: not index
		smapsEntry{"/var/lib/syncd-old/mirror.db", 5120, 0},             // a sibling directory, not the state directory
		smapsEntry{"/usr/lib/locale/C.utf8/LC_CTYPE", 512, 0},
		smapsEntry{"[vdso]", 8, 0},
		smapsEntry{"/usr/lib/x86_64-linux-gnu/libc.so.6", 2048, 2048}, // copied-on-write pages only
		smapsEntry{"[stack]", 132, 132},
		smapsEntry{"/var/lib/syncd/index.bleve/store/000000000003.zap", 2048, 0}, // the last mapping counts too
	))

	wantFiles := map[string]float64{
		"mirror.db":                                    3,
		"index.bleve/store/000000000001.zap":           3,
		"index.bleve/store/000000000002.zap (deleted)": 0.5,
		"index.bleve/store/root.bolt":                  0.25,
		"index.bleve/store/copy.db":                    1,
		"old mirror.db (deleted)":                      3,
		"index.bleve/store/000000000003.zap":           2,
	}
	for _, tc := range []struct {
		dir     string
		perFile bool
		want    FileRSS
	}{
		{dir, false, FileRSS{Mirror: 6, Index: 6.75, IndexDeleted: 0.5, Other: 10 + 5 + 0.5}},
		{dir + "/", false, FileRSS{Mirror: 6, Index: 6.75, IndexDeleted: 0.5, Other: 10 + 5 + 0.5}},
		{dir, true, FileRSS{Mirror: 6, Index: 6.75, IndexDeleted: 0.5, Other: 10 + 5 + 0.5, Files: wantFiles}},
		// No state directory: every mapped file is other.
		{"", true, FileRSS{Other: 10 + 6 + 6.75 + 5 + 0.5}},
	} {
		got := parseSmaps(data, tc.dir, tc.perFile)
		if !near(got.Mirror, tc.want.Mirror) || !near(got.Index, tc.want.Index) ||
			!near(got.IndexDeleted, tc.want.IndexDeleted) || !near(got.Other, tc.want.Other) {
			t.Errorf("parseSmaps(dir %q) = mirror %g, index %g (deleted %g), other %g MB; want %g, %g (%g), %g",
				tc.dir, got.Mirror, got.Index, got.IndexDeleted, got.Other, tc.want.Mirror, tc.want.Index, tc.want.IndexDeleted, tc.want.Other)
		}
		if !maps.EqualFunc(got.Files, tc.want.Files, near) {
			t.Errorf("parseSmaps(dir %q, perFile %v).Files = %v, want %v", tc.dir, tc.perFile, got.Files, tc.want.Files)
		}
		if got.Sizes != nil {
			t.Errorf("parseSmaps(dir %q) filled Sizes, which only readFileRSS stats", tc.dir)
		}
		if !near(got.Total(), got.Mirror+got.Index+got.Other) {
			t.Errorf("Total() = %g, want mirror + index + other = %g", got.Total(), got.Mirror+got.Index+got.Other)
		}
	}
}

func TestParseSmapsEmpty(t *testing.T) {
	for _, data := range []string{"", "\n", smapsText(smapsEntry{"", 100, 100}, smapsEntry{"[heap]", 100, 100})} {
		if got := parseSmaps([]byte(data), "/state", true); got.Total() != 0 || got.IndexDeleted != 0 || got.Files != nil {
			t.Errorf("parseSmaps(%q) = %+v, want nothing", data, got)
		}
	}
}

func TestHeaderPath(t *testing.T) {
	for _, tc := range []struct{ rest, want string }{
		{"r--s 00000000 fd:01 1835023                    /state/mirror.db", "/state/mirror.db"},
		{"r--s 00000000 fd:01 1835023 /dir with spaces/a b.zap (deleted)", "/dir with spaces/a b.zap (deleted)"},
		{"rw-p 00000000 00:00 0                          [stack]", "[stack]"},
		{"rw-p 00000000 00:00 0 ", ""},
		{"rw-p 00000000 00:00 0", ""},
		{"", ""},
	} {
		if got := headerPath(tc.rest); got != tc.want {
			t.Errorf("headerPath(%q) = %q, want %q", tc.rest, got, tc.want)
		}
	}
}

func TestKBField(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"               1234 kB", 1234},
		{"0 kB", 0},
		{"  7", 7},
		{"", 0},
		{"rd mr mw me", 0},
	} {
		if got := kbField(tc.in); got != tc.want {
			t.Errorf("kbField(%q) = %g, want %g", tc.in, got, tc.want)
		}
	}
}

func TestFileRSSString(t *testing.T) {
	f := FileRSS{Mirror: 12.4, Index: 300.6, IndexDeleted: 41, Other: 9}
	if got, want := f.String(), "12 / 301 (41) / 9 MB"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := f.Total(), 12.4+300.6+9; !near(got, want) {
		t.Errorf("Total() = %g, want %g (the deleted part is inside Index, not added)", got, want)
	}
}
