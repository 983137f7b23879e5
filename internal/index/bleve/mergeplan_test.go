package bleve

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index"
)

// TestMaxSegmentDocs_BoundsMerges indexes many small batches (a segment each) and watches
// the background merges: they must happen, and never produce a segment of more than
// MaxSegmentDocs documents. Scorch's default plan would merge ten of these segments into
// one of 400.
func TestMaxSegmentDocs_BoundsMerges(t *testing.T) {
	const (
		batch = 40
		bound = 200
		docs  = 60 * batch
	)
	ix, err := Open(t.TempDir()+"/index", &Options{BatchSize: batch, MaxSegmentDocs: bound})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	offers := make([]index.Offer, docs)
	for i := range offers {
		offers[i] = index.Offer{OfferID: fmt.Sprintf("o%05d", i), SubjectTrans: "cotton shirt", Price: float64(i)}
	}
	if err := ix.Upsert(context.Background(), offers); err != nil {
		t.Fatal(err)
	}

	largest := func() (segs int, most uint64) {
		snap, release, err := ix.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		for _, s := range snap.Segments() {
			most = max(most, s.Segment().Count())
		}
		return len(snap.Segments()), most
	}
	// Merges run in the background: wait until they have brought the 60 segments down to
	// what the bound allows (segments of more than bound/2 documents are not merged again),
	// checking the bound at every look.
	deadline := time.Now().Add(30 * time.Second)
	for {
		segs, most := largest()
		if most > bound {
			t.Fatalf("a merge produced a segment of %d documents; MaxSegmentDocs is %d", most, bound)
		}
		if segs <= 2*docs/bound+3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d segments after 30 s: the merges did not run", segs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	res, err := ix.Search(context.Background(), index.Query{Text: "cotton", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != docs {
		t.Fatalf("after the merges a search finds %d offers, want %d", res.Total, docs)
	}
}

func TestMaxSegmentDocs_Default(t *testing.T) {
	ix, err := Open(t.TempDir()+"/index", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	plan, ok := ix.runtimeConfig()["scorchMergePlanOptions"].(map[string]interface{})
	if !ok || plan["MaxSegmentSize"] != DefaultMaxSegmentDocs {
		t.Fatalf("scorch merge plan options %v, want MaxSegmentSize %d", plan, DefaultMaxSegmentDocs)
	}
}

func TestMaxSegmentDocs_OverScorchLimit(t *testing.T) {
	_, err := Open(t.TempDir()+"/index", &Options{MaxSegmentDocs: 1 << 31})
	if err == nil || !strings.Contains(err.Error(), "MaxSegmentDocs 2147483648 is over scorch's limit") {
		t.Fatalf("Open = %v, want MaxSegmentDocs named as over the limit", err)
	}
}
