package meili

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/syncd/syncd/internal/index"
)

// Rebuild replaces the index with the documents of src without searches ever seeing a
// half-built index (`syncd reindex`):
//
//  1. delete temporary indexes left by an interrupted earlier Rebuild;
//  2. create "<uid>_rebuild_<unix>" and apply syncd's settings to it before any document;
//  3. stream src into it in batches, waiting for every task;
//  4. swap it with the live index (POST /swap-indexes, see swap), atomically for searches;
//  5. delete the temporary index, which now holds the old documents.
//
// Until step 4 succeeds searches see the old documents; on any error before it the temporary
// index is deleted and the live one is untouched. If the swap itself does not finish in time
// (or ctx ends while waiting), Rebuild returns an error and leaves the temporary index alone:
// Meilisearch may still perform the swap, and either outcome is a complete index. A failure to
// delete the old documents after a successful swap is only logged; the next Rebuild removes
// them.
//
// Writes made through Upsert or Delete while Rebuild runs go to the old index and are lost
// by the swap unless src includes them: run it with the crawler stopped, as `syncd reindex`
// does (one process per state directory, DESIGN §3 rule 7).
func (ix *Index) Rebuild(ctx context.Context, src index.Source) error {
	if err := ix.rebuild(ctx, src); err != nil {
		return fmt.Errorf("rebuild %q: %w", ix.uid, err)
	}
	return nil
}

func (ix *Index) rebuild(ctx context.Context, src index.Source) error {
	prefix := ix.uid + "_rebuild_"
	if err := ix.deleteLeftovers(ctx, prefix); err != nil {
		return err
	}
	tmp := prefix + strconv.FormatInt(time.Now().Unix(), 10)
	log := ix.log.With("temporary", tmp)
	log.Info("rebuilding meilisearch index")

	if err := ix.createIndex(ctx, tmp, false); err != nil {
		return err
	}
	n, err := ix.fill(ctx, tmp, src)
	if err != nil {
		return ix.discard(ctx, tmp, err)
	}
	log.Info("temporary index filled; swapping", "documents", n)

	ti, err := ix.swap(ctx, ix.uid, tmp)
	if err != nil {
		return ix.discard(ctx, tmp, fmt.Errorf("swap %q and %q: %w", ix.uid, tmp, err))
	}
	if err := ix.wait(ctx, ti, ix.opts.TaskTimeout); err != nil {
		var te *TaskError
		if errors.As(err, &te) {
			return ix.discard(ctx, tmp, fmt.Errorf("swap %q and %q: %w", ix.uid, tmp, err))
		}
		return fmt.Errorf("swap %q and %q: %w (the swap may still happen; %q is kept and removed by the next rebuild)",
			ix.uid, tmp, err, tmp)
	}

	if err := ix.deleteIndex(ctx, tmp); err != nil {
		log.Warn("rebuild done but the old documents were not deleted; the next rebuild removes them", "err", err)
		return nil
	}
	log.Info("meilisearch index rebuilt", "documents", n)
	return nil
}

// fill applies syncd's settings to the empty index uid, then streams src into it and waits
// for every task. It returns the number of documents sent.
func (ix *Index) fill(ctx context.Context, uid string, src index.Source) (int, error) {
	if err := ix.patchSettings(ctx, uid, allSettings()); err != nil {
		return 0, err
	}
	p := &pipeline{ix: ix}
	b := newBatch(ix.opts.BatchSize)
	n := 0
	err := src(ctx, func(o index.Offer) error {
		if !validID(o.OfferID) {
			return fmt.Errorf("offer %d has id %q: Meilisearch ids are 1 to 511 letters, digits, '-' or '_'", n, o.OfferID)
		}
		if err := b.add(o); err != nil {
			return err
		}
		n++
		if b.full() {
			return ix.sendBatch(ctx, p, uid, b)
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("fill %q: %w", uid, err)
	}
	if err := ix.sendBatch(ctx, p, uid, b); err != nil {
		return n, fmt.Errorf("fill %q: %w", uid, err)
	}
	if err := p.drain(ctx); err != nil {
		return n, fmt.Errorf("fill %q: %w", uid, err)
	}
	return n, nil
}

// discard deletes the temporary index after a failed rebuild and returns cause. It still
// runs when ctx has ended, bounded by TaskTimeout.
func (ix *Index) discard(ctx context.Context, tmp string, cause error) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ix.opts.TaskTimeout)
	defer cancel()
	if err := ix.deleteIndex(dctx, tmp); err != nil {
		ix.log.Warn("cannot delete the temporary index of a failed rebuild; the next rebuild removes it",
			"temporary", tmp, "err", err)
	}
	return cause
}

// swap enqueues the swap of indexes a and b: POST /swap-indexes [{"indexes": [a, b]}]. This
// is one of the two calls made without the SDK (doc.go): its SwapIndexes always sends
// "rename": false, a field Meilisearch added in 1.18, and Meilisearch 1.15 to 1.17, which
// syncd supports, reject a swap with an unknown field (bad_request).
func (ix *Index) swap(ctx context.Context, a, b string) (taskInfo, error) {
	var ti taskInfo
	body := []map[string][]string{{"indexes": {a, b}}}
	err := ix.cl.do(ctx, http.MethodPost, "/swap-indexes", body, http.StatusAccepted, &ti)
	return ti, err
}

// deleteIndex deletes index uid and waits; an index that does not exist is not an error.
func (ix *Index) deleteIndex(ctx context.Context, uid string) error {
	sum, err := ix.cl.sm.DeleteIndex(ctx, uid)
	ti, err := ix.enqueued(ctx, sum, err)
	if hasCode(err, "index_not_found") {
		return nil
	}
	if err == nil {
		err = ix.wait(ctx, ti, ix.opts.TaskTimeout)
	}
	var te *TaskError
	if errors.As(err, &te) && te.Code == "index_not_found" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete index %q: %w", uid, err)
	}
	return nil
}

// deleteLeftovers deletes the temporary indexes of earlier rebuilds: prefix and a unix time.
func (ix *Index) deleteLeftovers(ctx context.Context, prefix string) error {
	var stale []string
	for offset := int64(0); ; {
		page, err := ix.cl.sm.ListIndexes(ctx, &meilisearch.IndexesQuery{Offset: offset, Limit: 100})
		if err = ix.cl.check(ctx, err); err != nil {
			return fmt.Errorf("list indexes: %w", err)
		}
		for _, r := range page.Results {
			if isTemp(r.UID, prefix) {
				stale = append(stale, r.UID)
			}
		}
		offset += int64(len(page.Results))
		if len(page.Results) == 0 || offset >= page.Total {
			break
		}
	}
	for _, uid := range stale {
		ix.log.Info("deleting the temporary index of an interrupted rebuild", "temporary", uid)
		if err := ix.deleteIndex(ctx, uid); err != nil {
			return err
		}
	}
	return nil
}

// isTemp reports whether uid is prefix followed by digits, the name of a temporary index.
func isTemp(uid, prefix string) bool {
	digits, ok := strings.CutPrefix(uid, prefix)
	if !ok || digits == "" {
		return false
	}
	_, err := strconv.ParseUint(digits, 10, 64)
	return err == nil
}
