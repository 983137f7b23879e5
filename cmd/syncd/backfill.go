package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
)

func newBackfillCmd(g *globals) *cobra.Command {
	var fresh bool
	cmd := &cobra.Command{
		Use:   "backfill [--fresh] [JOB...]",
		Short: "Run jobs (default: all) to completion now, resuming interrupted runs",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, logger, err := g.setup()
			if err != nil {
				return err
			}
			a, err := openApp(cmd.Context(), cfg, logger, need{index: true, upstream: true})
			if errors.Is(err, checkpoint.ErrLocked) {
				return fmt.Errorf("%w\nwhile the daemon runs, start a job through it: curl -X POST http://%s/v1/jobs/NAME/run", err, cfg.HTTP.Listen)
			}
			if err != nil {
				return err
			}
			defer a.Close()
			jobs, err := selectJobs(a.jobs, args)
			if err != nil {
				return err
			}
			return a.backfill(cmd.Context(), jobs, fresh, g.stdout, g.stderr)
		},
	}
	cmd.Flags().BoolVar(&fresh, "fresh", false, "start every run over instead of resuming an interrupted one")
	return cmd
}

// backfill runs jobs concurrently (they share the one rate limit) and reports progress: a
// bar on a terminal, a log line every few seconds otherwise. It returns an error if any job
// failed, after every job has finished.
func (a *app) backfill(ctx context.Context, jobs []crawl.Job, fresh bool, stdout, stderr io.Writer) error {
	rep := newReporter(stderr, a.logger, jobs)
	var runLog *slog.Logger
	if rep.tty && !a.logger.Enabled(ctx, slog.LevelDebug) {
		// The bar says what the info lines would; keep warnings and errors.
		runLog = slog.New(atLeast{a.logger.Handler(), slog.LevelWarn})
	}
	runner := a.newRunner(rep.update, crawl.Hooks{}, runLog)
	stop := rep.start()

	type result struct {
		job crawl.Job
		run checkpoint.Run
		err error
	}
	results := make([]result, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := runner.Run(ctx, j, fresh)
			results[i] = result{j, run, err}
		}()
	}
	wg.Wait()
	stop()

	var failed []string
	for _, r := range results {
		s := r.run.Stats
		status := r.run.Status
		if r.err != nil && status == "" {
			status = checkpoint.RunFailed
		}
		fmt.Fprintf(stdout, "%-20s %-11s %5d pages %7d offers (%d new, %d changed, %d unchanged, %d invalid)\n",
			r.job.Name, status, s.Pages, s.Offers, s.New, s.Changed, s.Unchanged, s.Invalid)
		if s.Capped > 0 {
			fmt.Fprintf(stdout, "%-20s %d of its queries reach upstream's %d-offer cap: narrow them (a price range, categories) to mirror every offer\n",
				"", s.Capped, crawl.MaxResultsPerQuery)
		}
		if r.err != nil {
			if errors.Is(r.err, context.Canceled) {
				fmt.Fprintf(stdout, "%-20s interrupted: run `syncd backfill %s` to resume\n", "", r.job.Name)
			} else {
				fmt.Fprintf(stdout, "%-20s error: %v\n", "", r.err)
			}
			failed = append(failed, r.job.Name)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted; progress is saved, run backfill again to resume")
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d jobs failed: %v", len(failed), len(jobs), failed)
	}
	return nil
}

// reporter renders crawl progress for backfill.
type reporter struct {
	mu     sync.Mutex
	w      io.Writer
	log    *slog.Logger
	tty    bool
	bar    *progressbar.ProgressBar
	byJob  map[string]crawl.Progress
	order  []string
	ticker *time.Ticker
	done   chan struct{}
}

func newReporter(w io.Writer, log *slog.Logger, jobs []crawl.Job) *reporter {
	r := &reporter{w: w, log: log, tty: isTerminal(w), byJob: map[string]crawl.Progress{}, done: make(chan struct{})}
	for _, j := range jobs {
		r.order = append(r.order, j.Name)
	}
	return r
}

func (r *reporter) start() (stop func()) {
	if r.tty {
		r.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(r.w),
			progressbar.OptionSetDescription("backfill"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("pages"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionSetRenderBlankState(true),
		)
		return func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			_ = r.bar.Finish()
			fmt.Fprintln(r.w)
		}
	}
	r.ticker = time.NewTicker(5 * time.Second)
	go func() {
		for {
			select {
			case <-r.done:
				return
			case <-r.ticker.C:
				r.logLines()
			}
		}
	}()
	return func() {
		r.ticker.Stop()
		close(r.done)
		r.logLines()
	}
}

func (r *reporter) update(job string, p crawl.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byJob[job] = p
	if r.bar == nil {
		return
	}
	var pages, est, offers, news, changed int
	for _, p := range r.byJob {
		pages += p.Stats.Pages
		est += estimatePages(p)
		offers += p.Stats.Offers
		news += p.Stats.New
		changed += p.Stats.Changed
	}
	if est > 0 {
		r.bar.ChangeMax(est)
	}
	_ = r.bar.Set(pages)
	r.bar.Describe(fmt.Sprintf("%d jobs: %d offers (%d new, %d changed)", len(r.order), offers, news, changed))
}

func (r *reporter) logLines() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, name := range r.order {
		p, ok := r.byJob[name]
		if !ok {
			continue
		}
		r.log.Info("backfill progress", "job", name, "query", p.Query+1, "queries", p.Queries,
			"pages", p.Stats.Pages, "estimated_pages", estimatePages(p), "offers", p.Stats.Offers,
			"new", p.Stats.New, "changed", p.Stats.Changed, "unchanged", p.Stats.Unchanged)
	}
}

// estimatePages guesses a run's total pages from where it stands: the rest of the current
// query as upstream reports it, and as many pages again for every query still to come.
func estimatePages(p crawl.Progress) int {
	rest := max(p.Pages-p.Page, 0) + (p.Queries-p.Query-1)*max(p.Pages, 1)
	return p.Stats.Pages + rest
}

// atLeast is a handler that drops records below a level.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(as), h.min}
}
func (h atLeast) WithGroup(g string) slog.Handler { return atLeast{h.Handler.WithGroup(g), h.min} }
