package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/upstream/sim"
)

func newSimulateCmd(g *globals) *cobra.Command {
	var (
		listen string
		opts   sim.Options
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Serve a simulated PandaPon API from a deterministic generated catalog",
		Long: `Serve a simulated PandaPon API: every endpoint syncd uses, signed requests checked,
a quota, latency and fault injection, from a deterministic catalog. Point upstream.base_url
at it to try syncd, or to test against a misbehaving upstream. GET /_sim/stats shows what it
served.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := g.logger()
			if err != nil {
				return err
			}
			if opts.Offers < 1 {
				return usagef("--offers: must be at least 1")
			}
			if opts.FaultRate < 0 || opts.FaultRate > 1 {
				return usagef("--fault-rate: %v is outside 0..1", opts.FaultRate)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usagef("--listen: %v", err)
			}
			base := "http://" + ln.Addr().String()
			opts.ImageBaseURL = base + "/img"
			opts.Logger = logger
			start := time.Now()
			s := sim.New(opts)
			fmt.Fprintf(g.stdout, "simulated PandaPon API at %s (%d offers, seed %d, built in %s)\n",
				base, opts.Offers, opts.Seed, time.Since(start).Round(time.Millisecond))
			fmt.Fprintf(g.stdout, "credentials: access_key %q secret_key %q; stats at %s/_sim/stats\n",
				opts.AccessKey, opts.SecretKey, base)
			return serveUntilDone(cmd.Context(), ln, s, logger)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8791", "address to listen on")
	f.IntVar(&opts.Offers, "offers", 20000, "catalog size")
	f.Int64Var(&opts.Seed, "seed", 1, "catalog seed (same seed and size, same catalog)")
	f.Float64Var(&opts.QPS, "qps", 0, "quota in requests/second, answered with code 429 beyond it (0: none)")
	f.DurationVar(&opts.Latency, "latency", 0, "latency added to every answer (±20% jitter)")
	f.Float64Var(&opts.FaultRate, "fault-rate", 0, "fraction of requests that fail (500, 502, truncated, reset, stall, over quota)")
	f.StringVar(&opts.AccessKey, "access-key", "sim-access-key", "access key the simulator accepts")
	f.StringVar(&opts.SecretKey, "secret-key", "sim-secret-key", "secret key the simulator signs with")
	return cmd
}

// serveUntilDone serves h on ln until ctx ends, then shuts down within a few seconds.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
