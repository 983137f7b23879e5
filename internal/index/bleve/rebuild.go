package bleve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"

	"github.com/syncd/syncd/internal/index"
)

// Rebuild directory layout, all siblings of the index directory dir:
//
//	dir                      the live index
//	dir.rebuild-<random>     an index being built; complete once it holds completeMarker
//	dir.old                  the previous index during the swap
//
// The swap is two renames (dir → dir.old, dir.rebuild-* → dir) with the parent directory
// fsynced after. Open repairs a crash at any point (recoverSwap): without dir, a complete
// rebuild is moved in (the swap was under way) or else dir.old is moved back; with dir,
// dir.old and every rebuild directory are leftovers and removed.
const (
	oldSuffix      = ".old"
	rebuildInfix   = ".rebuild-"
	completeMarker = "syncd-rebuild-complete"
)

// writeLog records the writes made while a Rebuild fills the new index, to replay them
// into it before the swap: the new index then holds src plus every write that raced with
// the rebuild, so a page the crawler acknowledged during a reindex is not lost. It grows
// with the writes made during one rebuild and is dropped at the swap.
type writeLog struct {
	ops []writeOp
}

// record appends op to the write log when a Rebuild is running. Called with ix.wmu
// read-locked, so Rebuild, once it holds the write lock, sees every recorded op complete.
func (ix *Index) record(op writeOp) {
	ix.wlogMu.Lock()
	defer ix.wlogMu.Unlock()
	if ix.wlog == nil {
		return
	}
	ix.wlog.ops = append(ix.wlog.ops, writeOp{
		docs: append([]index.Offer(nil), op.docs...),
		ids:  append([]string(nil), op.ids...),
	})
}

// replay applies the logged ops from position from on to idx and returns the position
// after the last one applied.
func (ix *Index) replay(ctx context.Context, idx blevesearch.Index, from int) (int, error) {
	ix.wlogMu.Lock()
	ops := ix.wlog.ops[from:]
	ix.wlogMu.Unlock()
	for _, op := range ops {
		if err := ix.apply(ctx, idx, "", op); err != nil {
			return from, fmt.Errorf("replay concurrent writes: %w", err)
		}
		from++
	}
	return from, nil
}

// Rebuild builds a new index from src beside the live one and swaps it in. Searches keep
// using the old index until the swap, which waits for in-flight searches and then blocks
// new ones for the milliseconds it takes to close, rename and reopen. Upserts and deletes
// made during the rebuild go to the old index and are replayed into the new one before
// the swap (writes wait while the last of them are replayed and the new index is closed
// and synced), so after Rebuild returns nil the index holds exactly src plus those
// writes.
// On error (including ctx cancellation) the old index stays, and the partial new one is
// removed. A crash at any point leaves either the old or the new index in place at the
// next Open. Only one Rebuild runs at a time; a second call waits.
func (ix *Index) Rebuild(ctx context.Context, src index.Source) (err error) {
	ix.rebuildMu.Lock()
	defer ix.rebuildMu.Unlock()
	start := time.Now()

	ix.mu.RLock()
	closed := ix.closed
	ix.mu.RUnlock()
	if closed {
		return ErrClosed
	}

	ix.wlogMu.Lock()
	ix.wlog = &writeLog{}
	ix.wlogMu.Unlock()
	defer func() {
		ix.wlogMu.Lock()
		ix.wlog = nil
		ix.wlogMu.Unlock()
	}()

	tmp, nidx, err := ix.createTemp()
	if err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}
	defer func() {
		if err != nil {
			if nidx != nil {
				nidx.Close()
			}
			os.RemoveAll(tmp)
		}
	}()

	n, err := ix.fill(ctx, nidx, src)
	if err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}
	pos, err := ix.replay(ctx, nidx, 0)
	if err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}

	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if _, err = ix.replay(ctx, nidx, pos); err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}
	ix.wlogMu.Lock()
	ix.wlog = nil // writers wait until the swap; after it they write to the new index
	ix.wlogMu.Unlock()
	err = finishTemp(tmp, nidx)
	nidx = nil
	if err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}

	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return ErrClosed
	}
	if err = ix.swap(tmp); err != nil {
		return fmt.Errorf("rebuild index: %w", err)
	}
	ix.log.Info("rebuilt index", "documents", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// swap replaces the live index with the complete index in tmp. Called with ix.mu
// write-locked. On error the old index is live again, unless even reopening it failed.
func (ix *Index) swap(tmp string) error {
	old := ix.dir + oldSuffix
	if err := ix.idx.Close(); err != nil {
		ix.log.Warn("close old index", "err", err)
	}
	reopen := func(cause error) error {
		idx, err := ix.openBleve(ix.dir)
		if err != nil {
			return fmt.Errorf("%w (and reopening the old index failed: %v)", cause, err)
		}
		ix.idx = idx
		return cause
	}
	if err := os.Rename(ix.dir, old); err != nil {
		return reopen(fmt.Errorf("move old index aside: %w", err))
	}
	if err := os.Rename(tmp, ix.dir); err != nil {
		if rerr := os.Rename(old, ix.dir); rerr != nil {
			return fmt.Errorf("move new index in: %w (and restoring the old one failed: %v)", err, rerr)
		}
		return reopen(fmt.Errorf("move new index in: %w", err))
	}
	if err := syncDir(filepath.Dir(ix.dir)); err != nil {
		ix.log.Warn("sync index parent directory", "err", err)
	}
	idx, err := ix.openBleve(ix.dir)
	if err != nil {
		// Put the old index back; the new one goes where leftovers are cleaned up.
		if rerr := os.Rename(ix.dir, tmp); rerr == nil {
			if rerr := os.Rename(old, ix.dir); rerr == nil {
				return reopen(fmt.Errorf("open new index: %w", err))
			}
		}
		return fmt.Errorf("open new index: %w (and restoring the old one failed)", err)
	}
	ix.idx = idx
	ix.facets.invalidate()
	os.Remove(filepath.Join(ix.dir, completeMarker))
	if err := os.RemoveAll(old); err != nil {
		ix.log.Warn("remove old index", "dir", old, "err", err)
	}
	return nil
}

// createTemp creates an empty index in a new rebuild directory beside ix.dir. Its batches
// are durable like the live index's: an unsafe (unpersisted) batch would be lost by Close,
// which does not flush.
func (ix *Index) createTemp() (string, blevesearch.Index, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(ix.dir), filepath.Base(ix.dir)+rebuildInfix)
	if err != nil {
		return "", nil, fmt.Errorf("create rebuild directory: %w", err)
	}
	idx, err := ix.createBleve(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return "", nil, err
	}
	return tmp, idx, nil
}

// fill writes every document of src to idx in batches of RebuildBatchSize and returns how
// many it wrote.
func (ix *Index) fill(ctx context.Context, idx blevesearch.Index, src index.Source) (int, error) {
	buf := make([]index.Offer, 0, ix.opts.RebuildBatchSize)
	n := 0
	flush := func() error {
		if err := ix.applyBatches(ctx, idx, "", writeOp{docs: buf}, ix.opts.RebuildBatchSize); err != nil {
			return err
		}
		n += len(buf)
		buf = buf[:0]
		return nil
	}
	err := src(ctx, func(o index.Offer) error {
		if o.OfferID == "" {
			return fmt.Errorf("document %d has an empty offerId", n+len(buf))
		}
		buf = append(buf, o)
		if len(buf) == cap(buf) {
			return flush()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("read source: %w", err)
	}
	if len(buf) > 0 {
		if err := flush(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// finishTemp closes the index built in tmp, makes all of it durable and marks it
// complete.
func finishTemp(tmp string, idx blevesearch.Index) error {
	if err := idx.Close(); err != nil {
		return fmt.Errorf("close new index: %w", err)
	}
	if err := syncTree(tmp); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(tmp, completeMarker))
	if err != nil {
		return fmt.Errorf("mark new index complete: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("mark new index complete: %w", err)
	}
	return syncDir(tmp)
}

// swapIn moves the complete index tmp to the absent dir (creation of a new index).
func swapIn(dir, tmp string) error {
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("move new index in: %w", err)
	}
	os.Remove(filepath.Join(dir, completeMarker))
	return syncDir(filepath.Dir(dir))
}

// recoverSwap repairs what a crash during a swap or rebuild left beside dir (see the
// layout above). It must run with the directory lock held.
func recoverSwap(dir string, log *slog.Logger) error {
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return fmt.Errorf("recover index: %w", err)
	}
	var rebuilds []string
	complete := ""
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), base+rebuildInfix) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		rebuilds = append(rebuilds, p)
		if _, err := os.Stat(filepath.Join(p, completeMarker)); err == nil {
			complete = p
		}
	}
	old := dir + oldSuffix
	_, err = os.Stat(dir)
	dirExists := err == nil
	_, err = os.Stat(old)
	oldExists := err == nil

	changed := false
	switch {
	case dirExists:
	case complete != "":
		if err := os.Rename(complete, dir); err != nil {
			return fmt.Errorf("recover index: finish interrupted swap: %w", err)
		}
		os.Remove(filepath.Join(dir, completeMarker))
		log.Warn("finished an index swap interrupted by a crash", "from", complete)
		changed = true
	case oldExists:
		if err := os.Rename(old, dir); err != nil {
			return fmt.Errorf("recover index: roll back interrupted swap: %w", err)
		}
		log.Warn("rolled back an index swap interrupted by a crash")
		changed = true
	}
	for _, p := range append(rebuilds, old) {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		log.Info("removing leftover of an interrupted rebuild", "dir", p)
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("recover index: remove %s: %w", p, err)
		}
		changed = true
	}
	if changed {
		return syncDir(parent)
	}
	return nil
}

// syncTree fsyncs every file and directory under root.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
		return nil
	})
}
