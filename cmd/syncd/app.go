package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/index/meili"
	"github.com/syncd/syncd/internal/metrics"
	"github.com/syncd/syncd/internal/upstream"
)

// app is everything a command needs, wired from the config. Fields are nil when the
// command did not ask for them.
type app struct {
	cfg     *config.Config
	logger  *slog.Logger
	store   *checkpoint.Store
	index   index.Index
	backend string
	client  *upstream.Client
	jobs    []crawl.Job
	metrics *metrics.Metrics // nil unless need.metrics
}

// need says which parts of the app a command opens.
type need struct {
	index    bool
	upstream bool
	metrics  bool
}

// Layout of the state directory.
const (
	storeFile = "syncd.db"
	indexDir  = "index.bleve"
)

// openApp opens the store first: it holds the state directory's lock, so a second process
// fails there, before it touches the index.
func openApp(ctx context.Context, cfg *config.Config, logger *slog.Logger, n need) (_ *app, err error) {
	a := &app{cfg: cfg, logger: logger, backend: cfg.Index.Backend}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.jobs, err = jobsFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	a.store, err = checkpoint.Open(filepath.Join(cfg.StateDir, storeFile), nil)
	if err != nil {
		return nil, err
	}
	if n.index {
		a.index, err = openIndex(ctx, cfg, logger)
		if errors.Is(err, bleve.ErrSchemaMismatch) {
			// The embedded index is a projection of the mirror: one written by another
			// version of syncd is rebuilt from the store rather than left unusable.
			a.index, err = a.rebuildEmbedded(ctx)
		}
		if err != nil {
			return nil, err
		}
	}
	if n.metrics {
		a.metrics = metrics.New(a.documentCount)
		a.metrics.Store(a.store.Stats)
		if bx, ok := a.index.(*bleve.Index); ok {
			a.metrics.SearchPaths(func() (uint64, uint64) {
				p := bx.SearchPaths()
				return p.Bitmaps, p.Bleve
			})
		}
	}
	if n.upstream {
		a.client, err = upstream.New(upstreamOptions(cfg, logger, a.metrics))
		if err != nil {
			return nil, fmt.Errorf("upstream: %w", err)
		}
	}
	return a, nil
}

// newRunner returns a runner over the app's store, index and client. progress and hooks
// may be zero; log nil means the app's logger.
func (a *app) newRunner(progress func(string, crawl.Progress), hooks crawl.Hooks, log *slog.Logger) *crawl.Runner {
	if log == nil {
		log = a.logger
	}
	return crawl.NewRunner(crawl.Options{
		Store:    a.store,
		Index:    a.index,
		Fetcher:  a.client,
		Logger:   log,
		Progress: progress,
		Hooks:    hooks,
	})
}

// Close releases whatever openApp opened, index before store.
func (a *app) Close() error {
	var errs []error
	if a.index != nil {
		errs = append(errs, a.index.Close())
		a.index = nil
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
		a.store = nil
	}
	return errors.Join(errs...)
}

// rebuildEmbedded replaces an embedded index of another layout with one rebuilt from the
// mirror.
func (a *app) rebuildEmbedded(ctx context.Context) (index.Index, error) {
	dir := filepath.Join(a.cfg.StateDir, indexDir)
	a.logger.Warn("the embedded index has an older layout; rebuilding it from the mirror", "dir", dir)
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("remove old index: %w", err)
	}
	ix, err := openIndex(ctx, a.cfg, a.logger)
	if err != nil {
		return nil, err
	}
	a.index = ix
	n, err := a.reindex(ctx)
	if err != nil {
		return ix, err
	}
	a.logger.Info("embedded index rebuilt", "offers", n)
	return ix, nil
}

func openIndex(ctx context.Context, cfg *config.Config, logger *slog.Logger) (index.Index, error) {
	switch cfg.Index.Backend {
	case "meilisearch":
		m := cfg.Index.Meilisearch
		ix, err := meili.Open(ctx, meili.Options{URL: m.URL, APIKey: m.APIKey, Index: m.Index, Logger: logger})
		if err != nil {
			return nil, err // not ix: a nil *meili.Index in the interface is not a nil Index
		}
		return ix, nil
	default:
		ix, err := bleve.Open(filepath.Join(cfg.StateDir, indexDir), &bleve.Options{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("open embedded index: %w", err)
		}
		return ix, nil
	}
}

// documentCount feeds the syncd_index_documents gauge; -1 when the index cannot say.
func (a *app) documentCount() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := a.index.Count(ctx)
	if err != nil {
		return -1
	}
	return float64(n)
}

func upstreamOptions(cfg *config.Config, logger *slog.Logger, m *metrics.Metrics) upstream.Options {
	u := cfg.Upstream
	opts := upstream.Options{
		BaseURL:     u.BaseURL,
		AccessKey:   u.AccessKey,
		SecretKey:   u.SecretKey,
		UserID:      u.UserID,
		Language:    u.Language,
		QPS:         u.QPS,
		Burst:       u.Burst,
		Concurrency: u.Concurrency,
		Timeout:     u.Timeout.Std(),
		MaxAttempts: u.MaxAttempts,
		RetryCodes:  u.RetryCodes,
		Paths:       u.Paths,
		Logger:      logger,
	}
	if m != nil {
		opts.Hooks = m.UpstreamHooks()
	}
	return opts
}

// jobsFromConfig turns configured jobs into crawl jobs; config.Job.Queries expands each
// into its upstream queries.
func jobsFromConfig(cfg *config.Config) ([]crawl.Job, error) {
	jobs := make([]crawl.Job, 0, len(cfg.Jobs))
	for _, j := range cfg.Jobs {
		qs := j.Queries()
		if len(qs) == 0 {
			return nil, fmt.Errorf("job %s: kind %q yields no upstream queries", j.Name, j.Kind)
		}
		jobs = append(jobs, crawl.Job{
			Name: j.Name, Kind: j.Kind, Schedule: j.Schedule, Queries: qs,
			PageSize: j.PageSize, MaxPages: j.MaxPages,
		})
	}
	return jobs, nil
}

// selectJobs returns the jobs named, in config order, or all of them when names is empty.
func selectJobs(all []crawl.Job, names []string) ([]crawl.Job, error) {
	if len(names) == 0 {
		return all, nil
	}
	byName := make(map[string]crawl.Job, len(all))
	var known []string
	for _, j := range all {
		byName[j.Name] = j
		known = append(known, j.Name)
	}
	var out []crawl.Job
	seen := map[string]bool{}
	for _, n := range names {
		j, ok := byName[n]
		if !ok {
			return nil, usagef("no job named %q (jobs: %s)", n, strings.Join(known, ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, j)
		}
	}
	return out, nil
}
