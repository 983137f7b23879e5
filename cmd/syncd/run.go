package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/server"
)

// shutdownGrace bounds a graceful stop: a page already fetched gets this long to be indexed
// and committed (its quota is spent; dropping it would spend it twice). Requests still in
// flight are abandoned; cursors stay correct either way.
const shutdownGrace = 8 * time.Second

func newRunCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: scheduled jobs, the HTTP API and the web search page",
		Long: `Run the daemon: jobs run on their schedules (interrupted runs resume at start), and the
HTTP API, web search page and /metrics are served on http.listen. SIGINT or SIGTERM stop it
gracefully; a second signal exits at once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := g.setup()
			if err != nil {
				return err
			}
			a, err := openApp(cmd.Context(), cfg, logger, need{index: true, upstream: true, metrics: true})
			if err != nil {
				return err
			}
			defer a.Close()
			ln, err := net.Listen("tcp", cfg.HTTP.Listen)
			if err != nil {
				return fmt.Errorf("listen on http.listen %s: %w", cfg.HTTP.Listen, err)
			}
			return a.serve(cmd.Context(), ln, nil)
		},
	}
}

// daemonJobs adapts the scheduler and the store to the server's Jobs interface.
type daemonJobs struct {
	a      *app
	runner *crawl.Runner
	sched  *crawl.Scheduler
}

func (d daemonJobs) Status(ctx context.Context) (crawl.Status, error) {
	return d.a.status(ctx, d.runner.Running, func(j crawl.Job) *time.Time { return d.sched.Next(j.Name) })
}

func (d daemonJobs) Trigger(name string) error { return d.sched.Trigger(name) }

// serve runs the daemon on ln until ctx ends: the scheduler, interrupted runs resumed, and
// the HTTP server. ready, if not nil, is called once everything is up. On shutdown runs
// get shutdownGrace to commit their in-flight pages.
func (a *app) serve(ctx context.Context, ln net.Listener, ready func(url string)) error {
	log := a.logger
	var crawlHooks crawl.Hooks
	if a.metrics != nil {
		crawlHooks = a.metrics.CrawlHooks()
	}
	runner := a.newRunner(nil, crawlHooks, nil)
	sched, err := crawl.NewScheduler(runner, a.jobs, log, crawlHooks)
	if err != nil {
		return err
	}
	var searcher index.Searcher = a.index
	if a.metrics != nil {
		searcher = a.metrics.Searches(a.index)
	}
	handler := server.New(server.Options{
		Index: searcher,
		Jobs:  daemonJobs{a: a, runner: runner, sched: sched},
		Token: a.cfg.HTTP.Token,
		Ready: func(ctx context.Context) error {
			_, err := a.index.Count(ctx)
			return err
		},
		Metrics: a.metricsHandler(),
		Logger:  log,
	})
	srv := server.NewHTTPServer(ln.Addr().String(), handler, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	resumed, err := sched.ResumeInterrupted(ctx)
	if err != nil {
		log.Warn("resume interrupted runs", "err", err)
	} else if len(resumed) > 0 {
		log.Info("resuming interrupted runs", "jobs", resumed)
	}
	sched.Start()
	url := "http://" + ln.Addr().String()
	log.Info("syncd running", "url", url, "jobs", len(a.jobs), "index", a.backend)
	if ready != nil {
		ready(url)
	}

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: committing pages already fetched, dropping requests in flight", "grace", shutdownGrace)
	case serveErr = <-errc:
		log.Error("http server stopped", "err", serveErr)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := sched.Stop(stopCtx); err != nil {
		// A page being committed is bounded by the index's own timeouts; closing the index
		// under it would be worse than waiting. A second signal exits at once, which is
		// safe: the cursor stays at the last committed page.
		log.Warn("still committing a page; waiting for it (a second signal exits now, losing nothing)", "err", err)
		_ = sched.Stop(context.Background())
	}
	httpCtx, cancelHTTP := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancelHTTP()
	if err := srv.Shutdown(httpCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	log.Info("stopped")
	return nil
}

func (a *app) metricsHandler() http.Handler {
	if a.metrics == nil {
		return nil
	}
	return a.metrics.Handler()
}
