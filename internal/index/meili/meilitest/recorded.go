package meilitest

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// Calls returns "METHOD /path" of every request received, in order, unauthorized and
// unknown ones included.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount returns how many requests received start with prefix ("POST /indexes/offers/").
func (s *Server) CallCount(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// AuthHeaders returns the Authorization header of every request received, in order ("" for
// none).
func (s *Server) AuthHeaders() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.authHeaders)
}

// Compressed returns how many answers were sent gzip-compressed.
func (s *Server) Compressed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.compressed
}

// Searches returns the bodies of the search requests received, in order, as the server
// reads them: parameters sent as null are left out, as Meilisearch treats them as absent.
func (s *Server) Searches() []map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]json.RawMessage, len(s.searches))
	for i, b := range s.searches {
		out[i] = maps.Clone(b)
	}
	return out
}

// Swaps returns the index pairs of the /swap-indexes requests accepted, in order.
func (s *Server) Swaps() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]string, len(s.swaps))
	for i, p := range s.swaps {
		out[i] = slices.Clone(p)
	}
	return out
}
