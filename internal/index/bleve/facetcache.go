package bleve

import (
	"maps"
	"strings"
	"sync"
	"sync/atomic"
)

// facetCache remembers the facet counts of recent queries, keyed by (text, filter, facet
// fields), for as long as the index does not change. Counting facets visits the doc values
// of every match (about 0.5 µs per match, perf/bleve-baseline.md), which at a million
// offers costs more than the query itself; a search that hits the cache runs without
// facets and reports the cached counts. Counts stay exact: every write to the live index
// and every Rebuild swap advances the generation after it is visible, and entries of an
// older generation are never used.
type facetCache struct {
	gen atomic.Uint64 // advanced after every write to the live index

	mu      sync.Mutex
	entries map[string]map[string]map[string]int
	at      uint64 // generation of entries
}

// maxFacetCacheEntries bounds the cache; when full it starts over.
const maxFacetCacheEntries = 1024

func facetKey(text, filter string, facets []string) string {
	return text + "\x00" + filter + "\x00" + strings.Join(facets, "\x00")
}

// invalidate drops every entry. Called after a write became visible.
func (c *facetCache) invalidate() { c.gen.Add(1) }

// DropCaches forgets every cached facet count, so that the next queries pay the full
// cost; benchmarks use it to measure cold queries.
func (ix *Index) DropCaches() { ix.facets.invalidate() }

// get returns a copy of the counts cached for key at generation gen.
func (c *facetCache) get(key string, gen uint64) (map[string]map[string]int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != gen {
		return nil, false
	}
	f, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	out := make(map[string]map[string]int, len(f))
	for k, v := range f {
		out[k] = maps.Clone(v)
	}
	return out, true
}

// put caches a copy of f, counted by a search that started at generation gen, if no write
// became visible since.
func (c *facetCache) put(key string, gen uint64, f map[string]map[string]int) {
	if c.gen.Load() != gen {
		return
	}
	cp := make(map[string]map[string]int, len(f))
	for k, v := range f {
		cp[k] = maps.Clone(v)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || c.at != gen || len(c.entries) >= maxFacetCacheEntries {
		if gen < c.at {
			return
		}
		c.entries, c.at = make(map[string]map[string]map[string]int), gen
	}
	c.entries[key] = cp
}
