package bleve_test

import (
	"testing"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/index/indextest"
)

// openTemp opens a new index in a temporary directory, closed when t ends.
func openTemp(t *testing.T, opts *bleve.Options) (*bleve.Index, string) {
	t.Helper()
	dir := t.TempDir() + "/index"
	ix, err := bleve.Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix, dir
}

func TestIndex_Conformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) index.Index {
		// A small batch size makes the suite cross batch boundaries.
		ix, _ := openTemp(t, &bleve.Options{BatchSize: 7})
		return ix
	})
}
