package bench

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileRSS is the file-backed resident memory of a process split by which file is mapped,
// in MB: Rss minus the private anonymous (copy-on-write) pages of each file mapping, as
// /proc/self/smaps reports it.
type FileRSS struct {
	// Mirror is the bbolt data file(s): files ending in ".db" directly in the state
	// directory.
	Mirror float64 `json:"mirrorMB"`
	// Index is every other file under the state directory (the bleve index directory:
	// scorch's segment files and its root.bolt), IndexDeleted the part of it whose file
	// was already deleted (segments merged away, still mapped by a snapshot in use).
	Index        float64 `json:"indexMB"`
	IndexDeleted float64 `json:"indexDeletedMB"`
	// Other is every other mapped file: the executable, shared libraries, locale files.
	Other float64 `json:"otherMB"`
	// Files is the resident MB of each mapped file under the state directory and Sizes
	// its size in MB when sampled, filled in only when SmapsFilesEnv is set.
	Files map[string]float64 `json:"-"`
	Sizes map[string]float64 `json:"-"`
}

// SmapsFilesEnv names the environment variable that makes a memory child report the
// file-backed resident memory of every file under its state directory at the sample
// where the sum peaked, on stderr.
const SmapsFilesEnv = "SYNCD_BENCH_SMAPS_FILES"

// Total is the file-backed resident memory of every mapped file.
func (f FileRSS) Total() float64 { return f.Mirror + f.Index + f.Other }

// readFileRSS reads /proc/self/smaps and splits the file-backed resident memory by file,
// relative to the state directory dir. ok is false where there is no smaps.
func readFileRSS(dir string) (FileRSS, bool) {
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return FileRSS{}, false
	}
	// smaps names files by their absolute, resolved path: so must dir be.
	if abs, err := filepath.Abs(dir); err == nil && dir != "" {
		dir = abs
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			dir = real
		}
	}
	perFile := os.Getenv(SmapsFilesEnv) != ""
	fr := parseSmaps(data, dir, perFile)
	if perFile {
		fr.Sizes = map[string]float64{}
		for name := range fr.Files {
			if fi, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(name, " (deleted)"))); err == nil {
				fr.Sizes[name] = float64(fi.Size()) / (1 << 20)
			}
		}
	}
	return fr, true
}

// parseSmaps is readFileRSS on the contents of an smaps file; perFile fills Files.
func parseSmaps(data []byte, dir string, perFile bool) FileRSS {
	if dir != "" {
		dir = filepath.Clean(dir) + string(filepath.Separator)
	}
	var (
		res      FileRSS
		class    *float64 // where the current mapping's pages go; nil for anonymous ones
		deleted  bool
		name     string  // the current mapping's path relative to dir, when perFile
		rss, ano float64 // kB of the current mapping
	)
	flush := func() {
		if class != nil {
			mb := max(rss-ano, 0) / 1024
			*class += mb
			if deleted && class == &res.Index {
				res.IndexDeleted += mb
			}
			if name != "" {
				if res.Files == nil {
					res.Files = map[string]float64{}
				}
				res.Files[name] += mb
			}
		}
		class, deleted, name, rss, ano = nil, false, "", 0, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		first, rest, _ := strings.Cut(line, " ")
		if !strings.HasSuffix(first, ":") { // a mapping's header: range perms offset dev inode path
			flush()
			path := headerPath(rest)
			if !strings.HasPrefix(path, "/") { // anonymous, [heap], [stack], [vdso] …
				continue
			}
			path, deleted = strings.CutSuffix(path, " (deleted)")
			if perFile && dir != "" && strings.HasPrefix(path, dir) {
				name = path[len(dir):]
				if deleted {
					name += " (deleted)"
				}
			}
			switch {
			case dir == "" || !strings.HasPrefix(path, dir):
				class = &res.Other
			case !strings.ContainsRune(path[len(dir):], filepath.Separator) && strings.HasSuffix(path, ".db"):
				class = &res.Mirror
			default:
				class = &res.Index
			}
			continue
		}
		switch first {
		case "Rss:":
			rss = kbField(rest)
		case "Anonymous:":
			ano = kbField(rest)
		}
	}
	flush()
	return res
}

// headerPath returns the pathname of an smaps header line after its address range: the
// text after the perms, offset, dev and inode fields (it may contain spaces).
func headerPath(rest string) string {
	s := rest
	for range 4 {
		s = strings.TrimLeft(s, " ")
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return ""
		}
		s = s[i:]
	}
	return strings.TrimLeft(s, " ")
}

// kbField parses the value of an smaps line such as "   1234 kB".
func kbField(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), " kB"), 64)
	return v
}
