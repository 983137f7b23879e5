package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
)

func newStatusCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show jobs (state, cursor, last and next run) and the index",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := g.setup()
			if err != nil {
				return err
			}
			st, err := readStatus(cmd.Context(), cfg, logger)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g.stdout, st)
			}
			printStatus(g.stdout, st)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// readStatus reads the store directly, or asks the running daemon when it holds the lock
// (only the daemon knows next run times and what is running).
func readStatus(ctx context.Context, cfg *config.Config, logger *slog.Logger) (crawl.Status, error) {
	a, err := openApp(ctx, cfg, logger, need{index: true})
	if errors.Is(err, checkpoint.ErrLocked) {
		var st crawl.Status
		if derr := newDaemonClient(cfg, defaultDaemonTimeout).get(ctx, "/v1/jobs", &st); derr != nil {
			return st, fmt.Errorf("%w; and the running daemon could not answer: %v", err, derr)
		}
		return st, nil
	}
	if err != nil {
		return crawl.Status{}, err
	}
	defer a.Close()
	return a.status(ctx, func(string) bool { return false }, func(crawl.Job) *time.Time { return nil })
}

// status assembles the contract status from the store and the index.
func (a *app) status(ctx context.Context, running func(string) bool, next func(crawl.Job) *time.Time) (crawl.Status, error) {
	nextByName := make(map[string]*time.Time, len(a.jobs))
	for _, j := range a.jobs {
		nextByName[j.Name] = next(j)
	}
	jobs, err := crawl.JobStatuses(a.store, a.jobs, running, func(name string) *time.Time { return nextByName[name] })
	if err != nil {
		return crawl.Status{}, fmt.Errorf("read job states: %w", err)
	}
	st := crawl.Status{Jobs: jobs, Index: crawl.IndexStatus{Backend: a.backend}}
	if a.index != nil {
		n, err := a.index.Count(ctx)
		if err != nil {
			return st, fmt.Errorf("count index documents: %w", err)
		}
		st.Index.Documents = n
	}
	return st, nil
}

func printStatus(w io.Writer, st crawl.Status) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tKIND\tSCHEDULE\tSTATE\tPROGRESS\tLAST RUN\tNEXT RUN")
	for _, j := range st.Jobs {
		progress := "-"
		if c := j.Cursor; c != nil {
			progress = fmt.Sprintf("query %d/%d page %d, %d offers", c.Query+1, c.Queries, c.Page, c.Offers)
		}
		last := "never"
		if r := j.LastRun; r != nil {
			last = fmt.Sprintf("%s %s: %d pages, %d offers (%d new, %d changed)", r.Status,
				humanTime(r.FinishedAt), r.Pages, r.Offers, r.New, r.Changed)
			if r.Capped > 0 {
				last += fmt.Sprintf(", %d queries at upstream's %d-offer cap", r.Capped, crawl.MaxResultsPerQuery)
			}
			if r.Error != "" {
				last += ": " + truncate(r.Error, 60)
			}
		}
		next := "-"
		if j.NextRunAt != nil {
			next = humanTime(*j.NextRunAt)
		}
		sched := j.Schedule
		if sched == "" {
			sched = "manual"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.Name, j.Kind, sched, j.State, progress, last, next)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nindex: %s, %d documents\n", st.Index.Backend, st.Index.Documents)
}

func humanTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}
