package crawl

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// runSeen against a map of the ids themselves, across many merges.
func TestRunSeen_MatchesAMapOfIDs(t *testing.T) {
	s := newRunSeen()
	want := map[string]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	id := func() string { return fmt.Sprintf("%012d", r.IntN(200_000)) }
	for range 60 {
		batch := make([]string, 1+r.IntN(3000)) // repeats within a batch and across
		for i := range batch {
			batch[i] = id()
			want[batch[i]] = true
		}
		s.add(batch...)
		for range 200 {
			x := id()
			if got := s.has(x); got != want[x] {
				t.Fatalf("has(%s) = %v, want %v (%d held)", x, got, want[x], s.len())
			}
		}
	}
	if s.len() != len(want) {
		t.Errorf("holds %d hashes, want %d distinct ids", s.len(), len(want))
	}
	if len(s.sorted) < len(want)/2 {
		t.Errorf("only %d of %d hashes were merged into the sorted slice", len(s.sorted), len(want))
	}
	for i := 1; i < len(s.sorted); i++ {
		if s.sorted[i-1] >= s.sorted[i] {
			t.Fatalf("sorted[%d..%d] = %d, %d: not ascending without duplicates", i-1, i, s.sorted[i-1], s.sorted[i])
		}
	}
}
