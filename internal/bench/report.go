package bench

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"
)

// Figure is one measured number and the target it is held against.
type Figure struct {
	Name   string
	Value  string
	Target string
	// Met is "yes", "no" or "" (a reference figure with no target).
	Met  string
	Note string
}

// Report is the figures of one measurement.
type Report struct {
	Title   string
	Figures []Figure
}

func (r *Report) add(name, value, target string, met *bool, note string) {
	f := Figure{Name: name, Value: value, Target: target, Note: note}
	if met != nil {
		f.Met = "no"
		if *met {
			f.Met = "yes"
		}
	}
	r.Figures = append(r.Figures, f)
}

func ref(b bool) *bool { return &b }

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "== %s (%s/%s, %d CPUs, %s)\n", r.Title, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().Format(time.DateOnly))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVALUE\tTARGET\tMET\tNOTE")
	for _, f := range r.Figures {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Name, f.Value, f.Target, f.Met, f.Note)
	}
	tw.Flush()
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }
