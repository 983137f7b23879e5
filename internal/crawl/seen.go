package crawl

import (
	"hash/maphash"
	"slices"

	"github.com/syncd/syncd/internal/checkpoint"
)

// runSeen is the offers a run has seen whose mirror rows it left as they were
// (checkpoint.Sighting): together with the rows' SeenBy, which the run sets on the rows it
// writes, it tells whether the run has counted an offer already. A resumed run rebuilds it
// from its sighting log.
//
// It grows with the run, not the catalog (a run sees at most its queries × 2,000 offers),
// and it keeps a 64-bit hash of each id, not the id: a sorted slice of hashes (8 bytes an
// offer) and a map of those added since it was last merged into the slice, at most an
// eighth of it (about 4 bytes an offer more). A map of every id would cost 40–80 bytes an
// offer. Two ids of one run share a hash with a probability of about n²/2⁶⁵ (3·10⁻⁸ at a
// million); the cost would be one offer counted as repeated and, at the run's end, its
// row's last-seen time not raised from the previous run's log.
type runSeen struct {
	seed   maphash.Seed
	sorted []uint64            // ascending, without duplicates
	recent map[uint64]struct{} // added since the last merge, none of them in sorted
}

// minMerge is the fewest recent hashes worth a merge into the sorted slice.
const minMerge = 4096

func newRunSeen() *runSeen {
	return &runSeen{seed: maphash.MakeSeed(), recent: map[uint64]struct{}{}}
}

func (s *runSeen) add(ids ...string) {
	for _, id := range ids {
		h := maphash.String(s.seed, id)
		if _, ok := slices.BinarySearch(s.sorted, h); ok {
			continue
		}
		s.recent[h] = struct{}{}
	}
	if len(s.recent) >= max(minMerge, len(s.sorted)/8) {
		s.merge()
	}
}

func (s *runSeen) has(id string) bool {
	h := maphash.String(s.seed, id)
	if _, ok := s.recent[h]; ok {
		return true
	}
	_, ok := slices.BinarySearch(s.sorted, h)
	return ok
}

// len returns the number of distinct hashes held.
func (s *runSeen) len() int { return len(s.sorted) + len(s.recent) }

// merge moves the recent hashes into the sorted slice.
func (s *runSeen) merge() {
	add := make([]uint64, 0, len(s.recent))
	for h := range s.recent {
		add = append(add, h)
	}
	slices.Sort(add)
	merged := make([]uint64, 0, len(s.sorted)+len(add))
	i, j := 0, 0
	for i < len(s.sorted) && j < len(add) {
		if s.sorted[i] < add[j] {
			merged = append(merged, s.sorted[i])
			i++
		} else {
			merged = append(merged, add[j])
			j++
		}
	}
	merged = append(append(merged, s.sorted[i:]...), add[j:]...)
	s.sorted = merged
	clear(s.recent)
}

// loadRunSeen returns what run runID of job recorded in its sighting log, and how many of
// the log's entries could not be read (skipped: their offers may be counted again).
func loadRunSeen(store *checkpoint.Store, job, runID string) (*runSeen, int, error) {
	s := newRunSeen()
	bad, err := store.RunSightings(job, runID, func(e checkpoint.Sighting) { s.add(e.IDs...) })
	return s, bad, err
}
