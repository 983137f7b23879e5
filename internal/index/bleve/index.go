package bleve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/syncd/syncd/internal/index"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("index is closed")
	// ErrLocked is returned by Open when another process holds the index directory.
	ErrLocked = errors.New("index directory is in use by another process")
	// ErrSchemaMismatch is returned by Open when the directory holds an index written with
	// a different document layout. The index is a projection of the mirror: remove the
	// directory and rebuild it (syncd reindex).
	ErrSchemaMismatch = errors.New("index was built with a different schema")
)

var _ index.Index = (*Index)(nil)

// Index is the embedded bleve index of offers in one directory. It is safe for concurrent
// use; searches and writes run in parallel. The end of a Rebuild holds writes for as long
// as it takes to replay the last ones and close the new index, and searches only for the
// swap itself.
type Index struct {
	dir  string
	opts Options
	an   *analyzers
	log  *slog.Logger
	lock *os.File // advisory lock on dir+".lock", held until Close

	// wmu is read-locked by writes and write-locked by Rebuild while it replays the last
	// writes into the new index and closes it; mu is read-locked by every call and
	// write-locked only to swap idx or close. Order: wmu before mu.
	wmu    sync.RWMutex
	mu     sync.RWMutex
	idx    blevesearch.Index
	closed bool

	rebuildMu sync.Mutex // one Rebuild at a time
	wlogMu    sync.Mutex
	wlog      *writeLog // non-nil while a Rebuild runs

	facets facetCache

	terms termCache // dictionary terms per segment (bitmaps.go)

	// Searches whose page was collected from bitmaps (topk.go), and those bleve ran.
	topkSearches, bleveSearches atomic.Uint64
}

// SearchPaths counts the searches since Open by how their page of hits was collected:
// from bitmaps in sort order (topk.go), or by bleve scoring and sorting every match (a
// first sort on a field some offers lack, or a query shape the bitmaps do not know). A
// rising Bleve count for queries that used to take the bitmap path is a regression.
type SearchPaths struct {
	Bitmaps, Bleve uint64
}

// SearchPaths returns the counts of searches by path.
func (ix *Index) SearchPaths() SearchPaths {
	return SearchPaths{Bitmaps: ix.topkSearches.Load(), Bleve: ix.bleveSearches.Load()}
}

// Open opens the index in dir, creating it if needed. opts may be nil. Before opening it
// takes an advisory lock on the sibling file dir+".lock" (ErrLocked after
// opts.LockTimeout) and finishes or rolls back a Rebuild swap that a crash interrupted
// (see Rebuild). It fails with ErrSchemaMismatch when dir holds an index of another
// layout.
func Open(dir string, opts *Options) (*Index, error) {
	o := opts.withDefaults()
	if o.MaxSegmentDocs > mergeplan.MaxSegmentSizeLimit {
		return nil, fmt.Errorf("open index %s: MaxSegmentDocs %d is over scorch's limit of %d", dir, o.MaxSegmentDocs, mergeplan.MaxSegmentSizeLimit)
	}
	dir = filepath.Clean(dir)
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	an, err := newAnalyzers(m)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	lock, err := lockFile(dir+".lock", o.LockTimeout)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	ix := &Index{dir: dir, opts: o, an: an, log: o.Logger.With("index", dir), lock: lock}
	if err := ix.open(); err != nil {
		lock.Close()
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	return ix, nil
}

// open recovers dir, creates it when absent, and opens it.
func (ix *Index) open() error {
	if err := recoverSwap(ix.dir, ix.log); err != nil {
		return err
	}
	if _, err := os.Stat(ix.dir); errors.Is(err, os.ErrNotExist) {
		// Build the empty index beside dir and rename it in, so a crash never leaves a
		// half-created index at dir.
		tmp, idx, err := ix.createTemp()
		if err != nil {
			return err
		}
		if err := finishTemp(tmp, idx); err != nil {
			os.RemoveAll(tmp)
			return err
		}
		if err := swapIn(ix.dir, tmp); err != nil {
			os.RemoveAll(tmp)
			return err
		}
	}
	idx, err := ix.openBleve(ix.dir)
	if err != nil {
		return err
	}
	ix.idx = idx
	return nil
}

// createBleve creates a new, empty bleve index at dir with the Offer mapping and stamps it
// with the schema version.
func (ix *Index) createBleve(dir string) (blevesearch.Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	idx, err := blevesearch.NewUsing(dir, m, "scorch", "scorch", ix.runtimeConfig())
	if err != nil {
		return nil, fmt.Errorf("create bleve index: %w", err)
	}
	if err := idx.SetInternal([]byte(schemaKey), []byte(schemaVersion)); err != nil {
		idx.Close()
		return nil, fmt.Errorf("stamp schema version: %w", err)
	}
	return idx, nil
}

// openBleve opens the existing bleve index at dir and checks its schema version.
func (ix *Index) openBleve(dir string) (blevesearch.Index, error) {
	idx, err := blevesearch.OpenUsing(dir, ix.runtimeConfig())
	if err != nil {
		return nil, fmt.Errorf("open bleve index: %w", err)
	}
	v, err := idx.GetInternal([]byte(schemaKey))
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if string(v) != schemaVersion {
		idx.Close()
		return nil, fmt.Errorf("%w: found version %q, want %q", ErrSchemaMismatch, v, schemaVersion)
	}
	return idx, nil
}

// runtimeConfig is the scorch configuration.
//
// With unsafe_batch false (the default, spelled out because durability depends on it) a
// batch returns only after the persister wrote and fsynced the snapshot that contains it.
//
// The merge plan is scorch's default but for the largest segment a merge task may produce
// (Options.MaxSegmentDocs; scorch's default is 5 million documents): what a merge maps and
// builds in memory is proportional to the documents it merges, so this bounds the memory
// a merge task takes however large the catalog grows (docs/PERFORMANCE.md, item 13). Only
// keys set here override scorch's defaults.
func (ix *Index) runtimeConfig() map[string]interface{} {
	return map[string]interface{}{
		"unsafe_batch": false,
		"scorchMergePlanOptions": map[string]interface{}{
			"MaxSegmentSize": ix.opts.MaxSegmentDocs,
		},
	}
}

// Close releases the index and its directory lock. It must be called once, after every
// other call returned; later calls fail with ErrClosed.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return ErrClosed
	}
	ix.closed = true
	err := ix.idx.Close()
	if lerr := ix.lock.Close(); err == nil && lerr != nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("close index %s: %w", ix.dir, err)
	}
	return nil
}

// Upsert inserts or replaces docs by OfferID, in batches of Options.BatchSize. When it
// returns nil every document is visible to Search and durable: bleve returned from each
// batch only after its segment file and the index root were fsynced, and the directory
// entries of new files were fsynced too, so a process crash or power loss after Upsert
// returns loses nothing. Upserting the same docs again changes nothing. When docs repeat
// an OfferID the last one wins. On error (including ctx cancellation between batches) any
// prefix of the batches may have been applied; retry the whole slice.
func (ix *Index) Upsert(ctx context.Context, docs []index.Offer) error {
	for i := range docs {
		if docs[i].OfferID == "" {
			return fmt.Errorf("upsert: document %d has an empty offerId", i)
		}
	}
	if len(docs) == 0 {
		return nil
	}
	if err := ix.write(ctx, writeOp{docs: docs}); err != nil {
		return fmt.Errorf("upsert %d offers: %w", len(docs), err)
	}
	return nil
}

// Delete removes documents by offer id; absent ids are not an error. Durability is as for
// Upsert.
func (ix *Index) Delete(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := ix.write(ctx, writeOp{ids: ids}); err != nil {
		return fmt.Errorf("delete %d offers: %w", len(ids), err)
	}
	return nil
}

// write records op for a rebuild in progress (which replays it into the new index) and
// applies it to the live index, under the locks that keep it out of a swap.
func (ix *Index) write(ctx context.Context, op writeOp) error {
	ix.wmu.RLock()
	defer ix.wmu.RUnlock()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return ErrClosed
	}
	ix.record(op)
	return ix.apply(ctx, ix.idx, ix.dir, op)
}

// writeOp is one Upsert (docs) or Delete (ids).
type writeOp struct {
	docs []index.Offer
	ids  []string
}

// apply writes op to idx in batches of BatchSize, then fsyncs the store directory of dir
// (bleve fsyncs the files it writes but not the directory that names them). An empty dir
// skips the directory sync (for an index that is not live yet).
func (ix *Index) apply(ctx context.Context, idx blevesearch.Index, dir string, op writeOp) error {
	return ix.applyBatches(ctx, idx, dir, op, ix.opts.BatchSize)
}

// applyBatches is apply with batches of the given size.
func (ix *Index) applyBatches(ctx context.Context, idx blevesearch.Index, dir string, op writeOp, size int) error {
	if dir != "" {
		// The live index: cached facet counts are stale once any batch is visible, also
		// when a later one fails.
		defer ix.facets.invalidate()
	}
	n := len(op.docs) + len(op.ids)
	for start := 0; start < n; start += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(start+size, n)
		b := idx.NewBatch()
		for i := start; i < end; i++ {
			if i >= len(op.docs) {
				b.Delete(op.ids[i-len(op.docs)])
				continue
			}
			d, err := ix.an.toDocument(&op.docs[i])
			if err != nil {
				return err
			}
			if err := b.IndexAdvanced(d); err != nil {
				return fmt.Errorf("add offer %s to batch: %w", op.docs[i].OfferID, err)
			}
		}
		if err := idx.Batch(b); err != nil {
			return fmt.Errorf("apply batch: %w", err)
		}
	}
	if dir != "" {
		if err := syncDir(filepath.Join(dir, "store")); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the offer with the given id, or index.ErrNotFound.
func (ix *Index) Get(ctx context.Context, offerID string) (index.Offer, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return index.Offer{}, ErrClosed
	}
	doc, err := ix.idx.Document(offerID)
	if err != nil {
		return index.Offer{}, fmt.Errorf("get offer %s: %w", offerID, err)
	}
	if doc == nil {
		return index.Offer{}, fmt.Errorf("get offer %s: %w", offerID, index.ErrNotFound)
	}
	var (
		raw   string
		found bool
	)
	doc.VisitFields(func(f bleveindex.Field) {
		if f.Name() == docField {
			raw, found = string(f.Value()), true
		}
	})
	if !found {
		return index.Offer{}, fmt.Errorf("get offer %s: stored document is missing", offerID)
	}
	return decodeOffer(raw)
}

// Count returns the number of documents.
func (ix *Index) Count(ctx context.Context) (uint64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return 0, ErrClosed
	}
	n, err := ix.idx.DocCount()
	if err != nil {
		return 0, fmt.Errorf("count offers: %w", err)
	}
	return n, nil
}
