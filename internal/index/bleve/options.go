package bleve

import (
	"log/slog"
	"time"
)

// Defaults of Options.
const (
	DefaultBatchSize      = 1000
	DefaultMaxFacetValues = 100
	DefaultLockTimeout    = time.Second
	DefaultMaxSegmentDocs = 200_000
)

// Options configures Open. The zero value means the documented defaults; Open does not keep
// a reference to it.
type Options struct {
	// BatchSize is the largest number of documents sent to bleve in one batch; Upsert and
	// Rebuild split larger inputs. Each batch is persisted before the next starts (a
	// segment file, the index root and the directory are fsynced), so larger batches are
	// faster and need more memory. Default DefaultBatchSize.
	BatchSize int
	// RebuildBatchSize is the batch size Rebuild fills the new index with (writes replayed
	// into it use BatchSize). A rebuild writes the whole catalog, and fewer, larger
	// segments leave the merger less to redo. Default 4 × BatchSize.
	RebuildBatchSize int
	// MaxSegmentDocs is the most documents one background merge task puts into a segment
	// (scorch's MaxSegmentSize; segments of half of it or more are not merged again
	// until deletes bring them below). A merge maps its input segments and builds the new
	// segment's dictionaries in memory, so this bounds what a merge task takes, whatever
	// the catalog's size, at the price of more segments for a search to visit: at 1M
	// offers 22 of up to 93 MB instead of one of 373 MB beside 20 small ones, and
	// searches a few ms slower at most (docs/PERFORMANCE.md, item 13). Batches are
	// segments of their own, so a batch larger than this is a larger segment. At most
	// 2^31 - 1. Default DefaultMaxSegmentDocs.
	MaxSegmentDocs int
	// MaxFacetValues is how many values of one facet field a search reports, most frequent
	// first; counts are exact for the values reported. Default DefaultMaxFacetValues (the
	// same as Meilisearch's maxValuesPerFacet).
	MaxFacetValues int
	// LockTimeout bounds the wait for another process that holds the index directory; then
	// Open fails with ErrLocked. Default DefaultLockTimeout.
	LockTimeout time.Duration
	// Logger receives recovery and rebuild messages; default discards them.
	Logger *slog.Logger
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.BatchSize <= 0 {
		r.BatchSize = DefaultBatchSize
	}
	if r.RebuildBatchSize <= 0 {
		r.RebuildBatchSize = 4 * r.BatchSize
	}
	if r.MaxSegmentDocs <= 0 {
		r.MaxSegmentDocs = DefaultMaxSegmentDocs
	}
	if r.MaxFacetValues <= 0 {
		r.MaxFacetValues = DefaultMaxFacetValues
	}
	if r.LockTimeout <= 0 {
		r.LockTimeout = DefaultLockTimeout
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}
