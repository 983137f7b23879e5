package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/bench"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
)

// newBenchCmd is `syncd bench`: the measurements of docs/PERFORMANCE.md, each against the
// in-process simulator over loopback HTTP and syncd's own wiring (openApp).
func newBenchCmd(g *globals) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure syncd against its limits (upstream quota, bleve alone); see docs/PERFORMANCE.md",
	}
	cmd.PersistentFlags().StringVar(&dir, "dir", os.TempDir(), "scratch directory (state, indexes)")
	var cpuProfile string
	cmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole measurement to this file (go tool pprof)")
	var stopProfile func()
	cmd.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	cmd.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
	}
	print := func(r *bench.Report, err error) error {
		if err != nil {
			return err
		}
		r.Print(g.stdout)
		return nil
	}

	var qo bench.QuotaOptions
	quota := &cobra.Command{
		Use:   "quota",
		Short: "Quota use: answered requests/s against the simulator's quota, and answers over quota",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			qo.Dir = dir
			return print(bench.Quota(cmd.Context(), openBenchSystem, qo))
		},
	}
	quota.Flags().DurationVar(&qo.Latency, "latency", 300*time.Millisecond, "simulator latency (±20%)")
	quota.Flags().Float64Var(&qo.QPS, "qps", 10, "simulator quota and upstream.qps")
	quota.Flags().IntVar(&qo.Pages, "pages", 300, "pages to backfill (about)")

	var po bench.PipelineOptions
	pipeline := func(use, short string, resync, reindex bool) *cobra.Command {
		c := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				o := po
				o.Dir, o.Resync, o.Reindex = dir, resync, reindex
				return print(bench.Pipeline(cmd.Context(), openBenchSystem, o))
			},
		}
		c.Flags().IntVar(&po.Offers, "offers", 100_000, "catalog size (every offer is mirrored)")
		c.Flags().IntVar(&po.Jobs, "jobs", 1, "jobs the queries are dealt to (run concurrently)")
		c.Flags().StringVar(&po.Keep, "keep", "", "leave the state directory here (for bench search --state)")
		c.Flags().BoolVar(&po.SkipBare, "skip-bare", false, "skip the bare-bleve reference")
		return c
	}

	var so bench.SearchOptions
	var searchOffers int
	search := &cobra.Command{
		Use:   "search",
		Short: "Search latency p50/p99 per query kind, syncd beside bleve alone on the same index",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := so
			if o.StateDir == "" {
				tmp, err := os.MkdirTemp(dir, "search-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				r, err := bench.Pipeline(cmd.Context(), openBenchSystem, bench.PipelineOptions{Offers: searchOffers, Dir: dir, Keep: tmp, SkipBare: true})
				if err != nil {
					return err
				}
				r.Print(g.stdout)
				o.StateDir = tmp
			}
			return print(bench.Search(cmd.Context(), openBenchSystem, o))
		},
	}
	search.Flags().StringVar(&so.StateDir, "state", "", "state directory to search (default: mirror --offers first)")
	search.Flags().IntVar(&searchOffers, "offers", 100_000, "catalog size to mirror when --state is not given")
	search.Flags().IntVar(&so.Runs, "runs", 200, "queries per kind and side")

	var mo bench.MemoryOptions
	var sizes []int
	memory := &cobra.Command{
		Use:   "memory",
		Short: "Peak RSS and Go heap of syncd mirroring vs bleve alone indexing, in child processes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			o := mo
			o.Dir, o.Offers = dir, sizes
			o.Command = func(args ...string) *exec.Cmd {
				return exec.CommandContext(cmd.Context(), exe, append([]string{"bench", "memory-child"}, args...)...)
			}
			return print(bench.Memory(cmd.Context(), o))
		},
	}
	memory.Flags().IntSliceVar(&sizes, "offers", []int{100_000, 1_000_000}, "catalog sizes")
	memory.Flags().BoolVar(&mo.Held, "held", false, "also run syncd in a memory cgroup limited to bare bleve's peak + 64 MB (Linux, needs the right to create cgroups)")

	var mode, simURL, planFile, childDir, cgroup string
	child := &cobra.Command{
		Use:    "memory-child",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := bench.MemoryChild(cmd.Context(), openBenchSystem, mode, simURL, planFile, childDir, cgroup)
			if err != nil {
				return err
			}
			return json.NewEncoder(g.stdout).Encode(res)
		},
	}
	child.Flags().StringVar(&mode, "mode", "", "bare or syncd")
	child.Flags().StringVar(&simURL, "sim", "", "simulator URL")
	child.Flags().StringVar(&planFile, "plan", "", "plan file")
	child.Flags().StringVar(&childDir, "dir", "", "state directory")
	child.Flags().StringVar(&cgroup, "cgroup", "", "memory cgroup directory to join first")

	cmd.AddCommand(quota,
		pipeline("pipeline", "End-to-end mirror rate beside bleve alone, instant upstream, no quota", false, false),
		pipeline("resync", "First sync, then a re-sync of the unchanged catalog: index writes and speed-up", true, false),
		pipeline("reindex", "First sync, then syncd reindex from the mirror beside bleve alone", false, true),
		search, memory, child)
	return cmd
}

// benchSystem is syncd as its commands wire it (openApp), with the index wrapped to count
// the documents sent to it.
type benchSystem struct {
	a       *app
	indexed *atomic.Int64
}

func openBenchSystem(ctx context.Context, c bench.SystemConfig) (bench.System, error) {
	cfg := config.Default()
	cfg.StateDir = c.StateDir
	cfg.Upstream.BaseURL = c.BaseURL
	if c.BaseURL == "" {
		cfg.Upstream.BaseURL = "http://127.0.0.1:1"
	}
	cfg.Upstream.AccessKey, cfg.Upstream.SecretKey, cfg.Upstream.UserID = "sim-access-key", "sim-secret-key", "bench"
	cfg.Upstream.QPS = c.QPS
	if c.QPS <= 0 {
		cfg.Upstream.QPS = 1e9 // no quota: far above any rate reached here
	}
	logger := slog.New(slog.DiscardHandler)
	a, err := openApp(ctx, cfg, logger, need{index: true, upstream: !c.NoUpstream})
	if err != nil {
		return nil, err
	}
	n := new(atomic.Int64)
	a.index = benchCountingIndex{Index: a.index, n: n}
	return &benchSystem{a: a, indexed: n}, nil
}

func (s *benchSystem) Backfill(ctx context.Context, jobs []crawl.Job, fresh bool) error {
	return s.a.backfill(ctx, jobs, fresh, io.Discard, io.Discard)
}

func (s *benchSystem) Reindex(ctx context.Context) (int, error) { return s.a.reindex(ctx) }

func (s *benchSystem) Search(ctx context.Context, q index.Query) (*index.Result, error) {
	res, err := s.a.index.Search(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return res, nil
}

func (s *benchSystem) IndexedDocs() int64 { return s.indexed.Load() }

func (s *benchSystem) DropCaches() {
	if c, ok := s.a.index.(benchCountingIndex).Index.(interface{ DropCaches() }); ok {
		c.DropCaches()
	}
}

func (s *benchSystem) Close() error { return s.a.Close() }

// benchCountingIndex counts the documents upserted through it.
type benchCountingIndex struct {
	index.Index
	n *atomic.Int64
}

func (c benchCountingIndex) Upsert(ctx context.Context, docs []index.Offer) error {
	c.n.Add(int64(len(docs)))
	return c.Index.Upsert(ctx, docs)
}
