package meilitest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Search parameters of POST /indexes/{uid}/search (Meilisearch 1.15), by how the fake
// treats them. Any other parameter is rejected, as Meilisearch does.
var (
	// searchApplied are implemented.
	searchApplied = []string{"q", "offset", "limit", "facets", "matchingStrategy"}
	// searchIgnored are accepted and recorded, but do not change the answer (see doc.go).
	searchIgnored = []string{"filter", "sort", "locales"}
	// searchMissing exist in Meilisearch but not here: a request using one is answered as
	// if it were absent, and recorded as a problem, so no test passes by accident.
	searchMissing = []string{"page", "hitsPerPage", "attributesToRetrieve", "retrieveVectors", "attributesToCrop",
		"cropLength", "cropMarker", "attributesToHighlight", "highlightPreTag", "highlightPostTag", "showMatchesPosition",
		"showRankingScore", "showRankingScoreDetails", "rankingScoreThreshold", "distinct", "attributesToSearchOn",
		"hybrid", "vector"}
)

// FailSearches makes every search answer 400 with e, as Meilisearch answers a query it
// rejects (code invalid_search_*); a nil e lets searches through again.
func (s *Server) FailSearches(e *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e == nil {
		s.searchErr = nil
		return
	}
	cp := *e
	s.searchErr = &cp
}

// search serves POST /indexes/{uid}/search, simplified as doc.go says: words of q match as
// case-insensitive substrings of the searchable attributes, hits come in primary-key order,
// filter and sort are not applied.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	ix := s.index(w, r)
	if ix == nil {
		return
	}
	var body map[string]json.RawMessage
	if !s.decode(w, r, &body) {
		return
	}
	// An explicit null search parameter means the same as an absent one to Meilisearch
	// (meilisearch-go always sends "hybrid": null); record the request as the server reads it.
	maps.DeleteFunc(body, func(_ string, v json.RawMessage) bool { return string(v) == "null" })
	s.searches = append(s.searches, body)
	for k := range body {
		switch {
		case slices.Contains(searchApplied, k), slices.Contains(searchIgnored, k):
		case slices.Contains(searchMissing, k):
			s.problem("search parameter %q is not implemented by meilitest", k)
		default:
			s.problem("search: unknown parameter %q", k)
			writeJSON(w, 400, APIError{Message: "Unknown field `" + k + "`", Code: "bad_request", Type: "invalid_request",
				Link: "https://docs.meilisearch.com/errors#bad_request"})
			return
		}
	}
	if s.searchErr != nil {
		writeJSON(w, 400, s.searchErr)
		return
	}
	req := struct {
		Q                string   `json:"q"`
		Facets           []string `json:"facets"`
		Limit            int      `json:"limit"`
		Offset           int      `json:"offset"`
		MatchingStrategy string   `json:"matchingStrategy"`
	}{Limit: 20, MatchingStrategy: "last"}
	raw, _ := json.Marshal(body)
	if err := json.Unmarshal(raw, &req); err != nil || req.Limit < 0 || req.Offset < 0 {
		s.problem("search: bad parameters %s", raw)
		writeJSON(w, 400, APIError{Message: "Invalid search parameters.", Code: "bad_request", Type: "invalid_request"})
		return
	}
	if req.MatchingStrategy != "last" && req.MatchingStrategy != "all" {
		s.problem("search: matchingStrategy %q is not implemented by meilitest", req.MatchingStrategy)
	}
	filterable := ix.stringsSetting("filterableAttributes")
	for _, f := range req.Facets {
		if !matchesAny(filterable, f) {
			writeJSON(w, 400, APIError{Message: "Invalid facet distribution: Attribute `" + f + "` is not filterable.",
				Code: "invalid_search_facets", Type: "invalid_request", Link: "https://docs.meilisearch.com/errors#invalid_search_facets"})
			return
		}
	}

	matched := ix.match(req.Q, req.MatchingStrategy == "all")
	total := min(len(matched), ix.maxTotalHits())
	hits := append([]map[string]any{}, matched[min(req.Offset, total):min(req.Offset+req.Limit, total)]...)
	resp := map[string]any{"hits": hits, "query": req.Q, "processingTimeMs": 1, "limit": req.Limit,
		"offset": req.Offset, "estimatedTotalHits": total}
	if len(req.Facets) > 0 {
		resp["facetDistribution"] = facetDistribution(matched, req.Facets)
	}
	writeJSON(w, 200, resp)
}

// match returns the documents matching q, in primary-key order. With all, every word of q
// must match; otherwise (Meilisearch's "last") words are dropped from the end of q until
// some document matches, and documents matching more words come first.
func (ix *fakeIndex) match(q string, all bool) []map[string]any {
	ids := slices.Sorted(maps.Keys(ix.docs))
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 { // placeholder search: every document
		out := make([]map[string]any, len(ids))
		for i, id := range ids {
			out[i] = ix.docs[id]
		}
		return out
	}
	searchable := ix.stringsSetting("searchableAttributes")
	var out []map[string]any
	seen := map[string]bool{}
	for n := len(words); n >= 1; n-- {
		for _, id := range ids {
			if !seen[id] && containsWords(ix.docs[id], searchable, words[:n]) {
				out = append(out, ix.docs[id])
				seen[id] = true
			}
		}
		if all {
			break
		}
	}
	return out
}

// containsWords reports whether every word occurs, case-insensitively, in one of the
// searchable attributes of d ("*": every attribute) that holds a string or a list of strings.
func containsWords(d map[string]any, searchable []string, words []string) bool {
	var texts []string
	for k, v := range d {
		if !slices.Contains(searchable, "*") && !slices.Contains(searchable, k) {
			continue
		}
		switch v := v.(type) {
		case string:
			texts = append(texts, strings.ToLower(v))
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					texts = append(texts, strings.ToLower(s))
				}
			}
		}
	}
	for _, w := range words {
		if !slices.ContainsFunc(texts, func(t string) bool { return strings.Contains(t, w) }) {
			return false
		}
	}
	return true
}

// facetDistribution counts the values of each facet over docs; values are rendered as
// Meilisearch renders them (true, 12.5, "abc" → "true", "12.5", "abc").
func facetDistribution(docs []map[string]any, facets []string) map[string]map[string]int {
	dist := map[string]map[string]int{}
	for _, facet := range facets {
		dist[facet] = map[string]int{}
		for _, d := range docs {
			values, isList := d[facet].([]any)
			if !isList {
				values = []any{d[facet]}
			}
			for _, v := range values {
				switch v := v.(type) {
				case string:
					dist[facet][v]++
				case bool:
					dist[facet][strconv.FormatBool(v)]++
				case float64:
					dist[facet][strconv.FormatFloat(v, 'f', -1, 64)]++
				}
			}
		}
	}
	return dist
}

// stringsSetting returns a list setting as attribute names: plain strings, and the
// attributePatterns of granular rules (filterableAttributes, localizedAttributes).
func (ix *fakeIndex) stringsSetting(name string) []string {
	var entries []json.RawMessage
	_ = json.Unmarshal(ix.settings[name], &entries)
	var out []string
	for _, e := range entries {
		var s string
		if json.Unmarshal(e, &s) == nil {
			out = append(out, s)
			continue
		}
		var rule struct {
			AttributePatterns []string `json:"attributePatterns"`
		}
		_ = json.Unmarshal(e, &rule)
		out = append(out, rule.AttributePatterns...)
	}
	return out
}

// matchesAny reports whether name matches one of the attribute patterns: a name, "*", or a
// name with a leading or trailing "*".
func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		switch {
		case p == name, p == "*":
			return true
		case strings.HasSuffix(p, "*") && strings.HasPrefix(name, strings.TrimSuffix(p, "*")):
			return true
		case strings.HasPrefix(p, "*") && strings.HasSuffix(name, strings.TrimPrefix(p, "*")):
			return true
		}
	}
	return false
}

// maxTotalHits is the pagination.maxTotalHits setting of the index.
func (ix *fakeIndex) maxTotalHits() int {
	var p struct {
		MaxTotalHits *int `json:"maxTotalHits"`
	}
	_ = json.Unmarshal(ix.settings["pagination"], &p)
	if p.MaxTotalHits == nil {
		return 1000
	}
	return *p.MaxTotalHits
}
