package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CgroupRoot is where the cgroup file systems are mounted.
const CgroupRoot = "/sys/fs/cgroup"

// memCgroup is a memory cgroup that a memory child runs in, limited so that the kernel
// has to reclaim what the child keeps resident beyond the limit: page cache of mapped
// files first (read again from disk when touched again), and an OOM kill when what cannot
// be reclaimed (anonymous memory, as there is no swap to spill it to) does not fit.
//
// Both cgroup versions are supported: v2 where the unified hierarchy at the root has the
// memory controller enabled for its children, v1 where the memory controller is mounted
// at root/memory. Creating one needs the right to create cgroups there (usually root).
type memCgroup struct {
	dir string
	v2  bool
}

// newMemCgroup creates the memory cgroup name under root, limited to limit bytes with no
// swap beyond it, and returns it. Where the kernel does not account swap per cgroup, it
// refuses if swap is on: the limit would not hold anonymous memory.
func newMemCgroup(root, name string, limit int64) (*memCgroup, error) {
	c, err := findMemCgroup(root, name)
	if err != nil {
		return nil, err
	}
	if err := os.Mkdir(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create memory cgroup: %w", err)
	}
	limitFile, swapFile := "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
	if c.v2 {
		limitFile, swapFile = "memory.max", "memory.swap.max"
	}
	if err := c.write(limitFile, strconv.FormatInt(limit, 10)); err != nil {
		c.remove()
		return nil, err
	}
	// Swap would let anonymous memory leave the limit. The file is absent when the kernel
	// does not account swap per cgroup; that is fine only with no swap at all.
	swap := strconv.FormatInt(limit, 10) // v1 limits memory + swap together
	if c.v2 {
		swap = "0"
	}
	if err := c.write(swapFile, swap); err != nil {
		if !errors.Is(err, os.ErrNotExist) || swapOn(swapsFile) {
			c.remove()
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("memory cgroup: swap is on and the kernel does not limit it per cgroup (no %s)", swapFile)
			}
			return nil, err
		}
	}
	return c, nil
}

// swapsFile lists the active swap areas.
const swapsFile = "/proc/swaps"

// swapOn reports whether the swaps file (/proc/swaps: a header line, then one line per
// active area) lists any area. An unreadable file counts as swap on.
func swapOn(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return true
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return len(lines) > 1
}

// findMemCgroup tells which cgroup version holds the memory controller under root and
// where name would go.
func findMemCgroup(root, name string) (*memCgroup, error) {
	if hasWord(filepath.Join(root, "cgroup.subtree_control"), "memory") {
		return &memCgroup{dir: filepath.Join(root, name), v2: true}, nil
	}
	if _, err := os.Stat(filepath.Join(root, "memory", "memory.limit_in_bytes")); err == nil {
		return &memCgroup{dir: filepath.Join(root, "memory", name)}, nil
	}
	return nil, fmt.Errorf("no memory cgroup controller under %s: neither cgroup v2 with memory in cgroup.subtree_control nor v1's memory/", root)
}

// hasWord reports whether the file's words include w.
func hasWord(path, w string) bool {
	data, err := os.ReadFile(path)
	return err == nil && slices.Contains(strings.Fields(string(data)), w)
}

// join moves the process pid into the cgroup. What it allocated before stays charged
// where it was, so a process joins itself first thing.
func (c *memCgroup) join(pid int) error {
	return c.write("cgroup.procs", strconv.Itoa(pid))
}

// peak is the most memory the cgroup was charged at once, in bytes (page cache
// included).
func (c *memCgroup) peak() (int64, error) {
	name := "memory.max_usage_in_bytes"
	if c.v2 {
		name = "memory.peak" // Linux 5.19 and later
	}
	data, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		return 0, fmt.Errorf("read memory cgroup peak: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read memory cgroup peak: %w", err)
	}
	return n, nil
}

// oomKills is how many processes of the cgroup the OOM killer killed (v1 reports it since
// Linux 4.13); -1 when the kernel does not say.
func (c *memCgroup) oomKills() int64 {
	name := "memory.oom_control"
	if c.v2 {
		name = "memory.events"
	}
	f, err := os.Open(filepath.Join(c.dir, name))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("oom_kill ")); ok {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

// remove deletes the cgroup, which must have no process left.
func (c *memCgroup) remove() error {
	if err := os.Remove(c.dir); err != nil {
		return fmt.Errorf("remove memory cgroup: %w", err)
	}
	return nil
}

func (c *memCgroup) write(name, value string) error {
	// O_WRONLY without O_CREATE: a control file the kernel does not have is an error.
	f, err := os.OpenFile(filepath.Join(c.dir, name), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("memory cgroup: %w", err)
	}
	if _, err := f.WriteString(value); err != nil {
		f.Close()
		return fmt.Errorf("memory cgroup: write %s to %s: %w", value, name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("memory cgroup: write %s: %w", name, err)
	}
	return nil
}
