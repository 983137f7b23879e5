package index

import (
	"context"
	"errors"
)

// ErrNotFound is returned by Get when no document has the offer id.
var ErrNotFound = errors.New("offer not found")

// Writer changes documents.
type Writer interface {
	// Upsert inserts or replaces docs by OfferID. When it returns nil the documents are
	// durable and visible to Search (bleve: batch applied; Meilisearch: task succeeded).
	// It is idempotent: applying the same docs again changes nothing. On error, any subset
	// of docs may have been applied; the caller retries the whole slice.
	Upsert(ctx context.Context, docs []Offer) error
	// Delete removes documents by id; absent ids are not an error.
	Delete(ctx context.Context, ids []string) error
}

// Searcher reads documents.
type Searcher interface {
	// Search runs q, which must have passed Query.Validate. Errors caused by the query
	// itself are *QueryError.
	Search(ctx context.Context, q Query) (*Result, error)
	// Get returns one document, or ErrNotFound.
	Get(ctx context.Context, offerID string) (Offer, error)
	// Count returns the number of documents.
	Count(ctx context.Context) (uint64, error)
}

// Source streams every document of a rebuild, calling emit once per document; it stops
// and returns emit's error if emit fails.
type Source func(ctx context.Context, emit func(Offer) error) error

// Index is a search backend.
type Index interface {
	Writer
	Searcher
	// Rebuild builds a new index from src and swaps it in atomically: until it returns,
	// searches see the old documents; after it returns nil, exactly the documents of src.
	// On error the old index is left in place.
	Rebuild(ctx context.Context, src Source) error
	// Close releases the index. It must be called once, after all other calls returned.
	Close() error
}
