package crawl

import (
	"hash/maphash"

	"github.com/syncd/syncd/internal/checkpoint"
)

// runSeen is the offers a run has seen whose mirror rows it left as they were
// (checkpoint.Sighting): together with the rows' SeenBy, which the run sets on the rows it
// writes, it tells whether the run has counted an offer already. A resumed run rebuilds it
// from its sighting log.
//
// It keeps a 64-bit hash of each id, not the id: 8 bytes an offer instead of the string
// and its header, for runs of up to a few million offers. Two ids of one run share a hash
// with a probability of about n²/2⁶⁵ (3·10⁻⁸ at a million); the cost would be one offer
// counted as repeated and, at the run's end, its row's last-seen time not raised from the
// previous run's log.
type runSeen struct {
	seed maphash.Seed
	ids  map[uint64]struct{}
}

func newRunSeen() *runSeen {
	return &runSeen{seed: maphash.MakeSeed(), ids: map[uint64]struct{}{}}
}

func (s *runSeen) add(ids ...string) {
	for _, id := range ids {
		s.ids[maphash.String(s.seed, id)] = struct{}{}
	}
}

func (s *runSeen) has(id string) bool {
	_, ok := s.ids[maphash.String(s.seed, id)]
	return ok
}

// loadRunSeen returns what run runID of job recorded in its sighting log.
func loadRunSeen(store *checkpoint.Store, job, runID string) (*runSeen, error) {
	s := newRunSeen()
	err := store.RunSightings(job, runID, func(e checkpoint.Sighting) { s.add(e.IDs...) })
	return s, err
}
