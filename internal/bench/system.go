package bench

import (
	"context"

	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
)

// System is syncd wired from one configuration, as its commands run it. Implementations
// must use the production constructors; the benchmark only adds counters.
type System interface {
	// Backfill runs jobs to completion, as `syncd backfill` does.
	Backfill(ctx context.Context, jobs []crawl.Job, fresh bool) error
	// Reindex rebuilds the index from the mirror, as `syncd reindex` does, and returns how
	// many offers it wrote.
	Reindex(ctx context.Context) (int, error)
	// Search runs q as `syncd search` does.
	Search(ctx context.Context, q index.Query) (*index.Result, error)
	// IndexedDocs is how many documents were sent to the index since Open.
	IndexedDocs() int64
	// DropCaches makes the index forget what it cached about earlier queries (facet
	// counts), so that the next query is measured cold.
	DropCaches()
	// Close releases everything Open opened.
	Close() error
}

// SystemConfig is what a benchmark chooses about the System; everything else is the
// configuration's default.
type SystemConfig struct {
	StateDir string
	BaseURL  string // the simulator
	// QPS is upstream.qps; 0 means no quota (a rate far above what the pipeline reaches).
	QPS float64
	// NoUpstream opens the store and index only (reindex, search).
	NoUpstream bool
}

// Opener opens a System.
type Opener func(ctx context.Context, c SystemConfig) (System, error)
