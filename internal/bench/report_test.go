package bench

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestReportAdd(t *testing.T) {
	var r Report
	r.add("a", "1", "≥ 2", ref(false), "n")
	r.add("b", "3", "≥ 2", ref(true), "")
	r.add("c", "4", "", nil, "reference")
	want := []Figure{
		{Name: "a", Value: "1", Target: "≥ 2", Met: "no", Note: "n"},
		{Name: "b", Value: "3", Target: "≥ 2", Met: "yes"},
		{Name: "c", Value: "4", Met: "", Note: "reference"},
	}
	if !slices.Equal(r.Figures, want) {
		t.Errorf("figures = %+v\nwant      %+v", r.Figures, want)
	}
}

func TestReportPrint(t *testing.T) {
	r := &Report{Title: "pipeline: 100 offers"}
	r.add("syncd mirror", "9000 offers/s (90.0% of bare)", "≥ 80% of bare bleve", ref(true), "100 offers in 11ms")
	r.add("re-sync of unchanged catalog: docs written", "3", "0", ref(false), "two re-syncs")
	r.add("bare bleve", "10000 offers/s", "", nil, "")
	var buf bytes.Buffer
	r.Print(&buf)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("printed %d lines, want title, header and 3 figures:\n%s", len(lines), buf.String())
	}
	head := fmt.Sprintf("== pipeline: 100 offers (%s/%s, %d CPUs, ", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	if !strings.HasPrefix(lines[0], head) || !strings.HasSuffix(lines[0], ")") {
		t.Errorf("title line %q, want it to start %q", lines[0], head)
	}
	// A table: every column starts at the same offset on every line (tabwriter counts
	// runes, and "≥" is one), and each cell is the figure's field.
	header := []rune(lines[1])
	cols := []string{"FIGURE", "VALUE", "TARGET", "MET", "NOTE"}
	starts := make([]int, len(cols)+1)
	for i, c := range cols {
		starts[i] = strings.Index(string(header), c)
		if starts[i] < 0 || (i > 0 && starts[i] <= starts[i-1]) {
			t.Fatalf("header %q lacks column %s in order", lines[1], c)
		}
		starts[i] = len([]rune(string(header)[:starts[i]]))
	}
	for i, f := range r.Figures {
		line := []rune(lines[2+i])
		starts[len(cols)] = len(line)
		for c, want := range []string{f.Name, f.Value, f.Target, f.Met, f.Note} {
			from, to := min(starts[c], len(line)), min(starts[c+1], len(line))
			if got := strings.TrimSpace(string(line[from:to])); got != want {
				t.Errorf("figure %d, column %s: %q, want %q\n%s", i, cols[c], got, want, buf.String())
			}
		}
	}
}

func TestPct(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0, "0.0%"},
		{0.97, "97.0%"},
		{1, "100.0%"},
		{1.234, "123.4%"},
		{0.00004, "0.0%"},
		{-0.5, "-50.0%"},
	} {
		if got := pct(tc.x); got != tc.want {
			t.Errorf("pct(%g) = %q, want %q", tc.x, got, tc.want)
		}
	}
}
