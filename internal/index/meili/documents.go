package meili

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/meilisearch/meilisearch-go"

	"github.com/syncd/syncd/internal/index"
)

// maxBatchBytes cuts a document batch before it reaches Meilisearch's default payload limit
// (100 MB, --http-payload-size-limit), whatever BatchSize says.
const maxBatchBytes = 32 << 20

// Upsert adds or replaces docs by offerId with the SDK's AddDocuments (POST
// /indexes/{uid}/documents?primaryKey=offerId), as gzip-compressed JSON in batches of
// Options.BatchSize, then waits for every task. It returns nil only when every task
// succeeded, so the caller may advance its cursor (DESIGN §3 rule 1); a failed task is a
// *TaskError with Meilisearch's message, a task still running after Options.TaskTimeout
// wraps ErrTaskTimeout. Either way a subset may have been applied and the caller retries the
// whole slice: replacing by primary key is idempotent, including a page re-sent after a
// crash between enqueue and cursor commit.
//
// Documents are replaced, never partially updated: an optional field that disappeared
// upstream (jxhyPrice, categoryId) must disappear from the index too, and unchanged offers
// never reach Upsert (DESIGN §3 rule 3).
func (ix *Index) Upsert(ctx context.Context, docs []index.Offer) error {
	if len(docs) == 0 {
		return nil
	}
	for i := range docs {
		if !validID(docs[i].OfferID) {
			return fmt.Errorf("upsert %d offers into %q: offer %d has id %q: Meilisearch ids are 1 to 511 letters, digits, '-' or '_'",
				len(docs), ix.uid, i, docs[i].OfferID)
		}
	}
	if err := ix.upsertTo(ctx, ix.uid, docs); err != nil {
		return fmt.Errorf("upsert %d offers into %q: %w", len(docs), ix.uid, err)
	}
	return nil
}

func (ix *Index) upsertTo(ctx context.Context, uid string, docs []index.Offer) error {
	p := &pipeline{ix: ix}
	b := newBatch(ix.opts.BatchSize)
	for _, d := range docs {
		if err := b.add(d); err != nil {
			return err
		}
		if b.full() {
			if err := ix.sendBatch(ctx, p, uid, b); err != nil {
				return err
			}
		}
	}
	if err := ix.sendBatch(ctx, p, uid, b); err != nil {
		return err
	}
	return p.drain(ctx)
}

// sendBatch enqueues b's documents into index uid (when there are any) and resets b. The
// batch goes to AddDocuments as encoded JSON ([]byte is sent as is), compressed by the
// transport.
func (ix *Index) sendBatch(ctx context.Context, p *pipeline, uid string, b *batch) error {
	if b.n == 0 {
		return nil
	}
	body := b.json()
	ix.log.Debug("sending documents", "uid", uid, "documents", b.n, "bytes", len(body))
	pk := PrimaryKey
	err := p.add(ctx, func(ctx context.Context) (*meilisearch.TaskInfo, error) {
		// A fresh IndexManager per call: AddDocuments stores the primary key in it, so a
		// shared one would be a data race between concurrent Upserts.
		return ix.cl.sm.Index(uid).AddDocuments(withCompressedBody(ctx), body, &meilisearch.DocumentOptions{PrimaryKey: &pk})
	})
	b.reset() // only now: body is b's buffer
	return err
}

// Delete removes the offers with the ids with the SDK's DeleteDocuments (POST
// /indexes/{uid}/documents/delete-batch) and waits for the tasks, like Upsert. Absent ids,
// and ids no Meilisearch document can have, are not an error.
func (ix *Index) Delete(ctx context.Context, ids []string) error {
	var valid []string
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	p := &pipeline{ix: ix}
	for start := 0; start < len(valid); start += ix.opts.BatchSize {
		chunk := valid[start:min(start+ix.opts.BatchSize, len(valid))]
		err := p.add(ctx, func(ctx context.Context) (*meilisearch.TaskInfo, error) {
			return ix.cl.sm.Index(ix.uid).DeleteDocuments(ctx, chunk, nil)
		})
		if err != nil {
			return fmt.Errorf("delete %d offers from %q: %w", len(ids), ix.uid, err)
		}
	}
	if err := p.drain(ctx); err != nil {
		return fmt.Errorf("delete %d offers from %q: %w", len(ids), ix.uid, err)
	}
	return nil
}

// batch accumulates documents as one JSON array.
type batch struct {
	max int
	n   int
	buf bytes.Buffer
}

func newBatch(max int) *batch { return &batch{max: max} }

func (b *batch) add(o index.Offer) error {
	if o.Sources == nil {
		o.Sources = []string{} // the field is always an array in the index
	}
	data, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode offer %s: %w", o.OfferID, err)
	}
	if b.n == 0 {
		b.buf.WriteByte('[')
	} else {
		b.buf.WriteByte(',')
	}
	b.buf.Write(data)
	b.n++
	return nil
}

func (b *batch) full() bool { return b.n >= b.max || b.buf.Len() >= maxBatchBytes }

// json returns the batch as one JSON array. It stays valid until reset.
func (b *batch) json() []byte {
	b.buf.WriteByte(']')
	return b.buf.Bytes()
}

func (b *batch) reset() {
	b.n = 0
	b.buf.Reset()
}

// validID reports whether Meilisearch accepts id as a document id: 1 to 511 bytes of
// a-z A-Z 0-9 - _. One invalid id fails a whole document task, so Upsert checks first.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 511 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// normalize maps a document read back from Meilisearch to an Offer: Upsert writes missing
// sources as [], and they read back as nil, whichever way they were written.
func normalize(o index.Offer) index.Offer {
	if len(o.Sources) == 0 {
		o.Sources = nil
	}
	return o
}
