package meilitest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// defaultSettingsJSON is GET /indexes/{uid}/settings of a new index (Meilisearch 1.15).
const defaultSettingsJSON = `{
  "displayedAttributes": ["*"], "searchableAttributes": ["*"], "filterableAttributes": [],
  "sortableAttributes": [], "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
  "stopWords": [], "nonSeparatorTokens": [], "separatorTokens": [], "dictionary": [], "synonyms": {},
  "distinctAttribute": null, "proximityPrecision": "byWord",
  "typoTolerance": {"enabled": true, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
    "disableOnWords": [], "disableOnAttributes": [], "disableOnNumbers": false},
  "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
  "pagination": {"maxTotalHits": 1000}, "embedders": {}, "searchCutoffMs": null,
  "localizedAttributes": null, "facetSearch": true, "prefixSearch": "indexingTime"}`

func defaultSettings() map[string]json.RawMessage {
	settings := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(defaultSettingsJSON), &settings); err != nil {
		panic(err)
	}
	return settings
}

// Setting returns setting name ("typoTolerance") of index uid as the server stores it; nil
// when the index or the setting does not exist.
func (s *Server) Setting(uid, name string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		return nil
	}
	return slices.Clone(ix.settings[name])
}

// SetSetting stores value as setting name of index uid at once, without a task and without
// normalising it: an edit made by hand, or a server that answers differently. It panics when
// the index does not exist.
func (s *Server) SetSetting(uid, name string, value json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		panic("meilitest: SetSetting on missing index " + uid)
	}
	ix.settings[name] = slices.Clone(value)
}

// SettingsPatches returns the bodies of the PATCH /indexes/{uid}/settings requests accepted.
func (s *Server) SettingsPatches() []map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]json.RawMessage, len(s.patches))
	for i, p := range s.patches {
		out[i] = maps.Clone(p)
	}
	return out
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	if ix := s.index(w, r); ix != nil {
		writeJSON(w, 200, ix.settings)
	}
}

// getSetting serves GET /indexes/{uid}/settings/{setting}, one setting by its route name
// ("typo-tolerance" is typoTolerance), as the SDK's per-setting getters read them.
func (s *Server) getSetting(w http.ResponseWriter, r *http.Request) {
	ix := s.index(w, r)
	if ix == nil {
		return
	}
	parts := strings.Split(r.PathValue("setting"), "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	v, ok := ix.settings[strings.Join(parts, "")]
	if !ok {
		s.problem("unknown setting route %s", r.URL.Path)
		writeJSON(w, 404, APIError{Message: "Not found.", Code: "not_found", Type: "invalid_request"})
		return
	}
	writeJSON(w, 200, v)
}

func (s *Server) patchSettings(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	var patch map[string]json.RawMessage
	if !s.decode(w, r, &patch) {
		return
	}
	defaults := defaultSettings()
	for k := range patch {
		if _, ok := defaults[k]; !ok {
			s.problem("PATCH settings: unknown setting %q", k)
			writeJSON(w, 400, APIError{Message: fmt.Sprintf("Unknown field `%s`", k), Code: "bad_request", Type: "invalid_request"})
			return
		}
	}
	s.patches = append(s.patches, patch)
	s.enqueue(w, &uid, "settingsUpdate", func() *APIError {
		ix := s.indexes[uid]
		if ix == nil {
			return indexNotFound(uid)
		}
		for k, v := range patch {
			ix.settings[k] = mergeSetting(k, ix.settings[k], v)
		}
		return nil
	})
}

// mergeSetting applies one PATCHed setting the way Meilisearch stores it: nested objects
// are merged, sortableAttributes is a sorted set, everything else is replaced.
func mergeSetting(name string, old, patch json.RawMessage) json.RawMessage {
	switch name {
	case "typoTolerance", "pagination", "faceting":
		var o, p map[string]json.RawMessage
		_ = json.Unmarshal(old, &o)
		_ = json.Unmarshal(patch, &p)
		if o == nil {
			o = map[string]json.RawMessage{}
		}
		maps.Copy(o, p)
		out, _ := json.Marshal(o)
		return out
	case "sortableAttributes":
		var s []string
		_ = json.Unmarshal(patch, &s)
		slices.Sort(s)
		out, _ := json.Marshal(slices.Compact(s))
		return out
	}
	return patch
}
