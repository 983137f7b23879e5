package meilitest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

type fakeIndex struct {
	primaryKey *string
	settings   map[string]json.RawMessage
	docs       map[string]map[string]any
}

func newIndex(pk *string) *fakeIndex {
	return &fakeIndex{primaryKey: pk, settings: defaultSettings(), docs: map[string]map[string]any{}}
}

// PutIndex creates (or replaces) index uid at once, without a task, with default settings
// and no documents: an index made by someone else. An empty primaryKey is null, as for an
// index created without one.
func (s *Server) PutIndex(uid, primaryKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pk *string
	if primaryKey != "" {
		pk = &primaryKey
	}
	s.indexes[uid] = newIndex(pk)
}

// IndexUIDs returns the uids of the indexes, sorted.
func (s *Server) IndexUIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.indexes))
}

// PrimaryKey returns the primary key of index uid ("" while it has none), and whether the
// index exists.
func (s *Server) PrimaryKey(uid string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexes[uid]
	if ix == nil {
		return "", false
	}
	if ix.primaryKey == nil {
		return "", true
	}
	return *ix.primaryKey, true
}

func (s *Server) listIndexes(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil {
		limit = 20
	}
	offset, limit = max(offset, 0), max(limit, 0)
	uids := slices.Sorted(maps.Keys(s.indexes))
	results := []map[string]any{}
	for _, uid := range uids[min(offset, len(uids)):min(offset+limit, len(uids))] {
		results = append(results, s.indexObject(uid))
	}
	writeJSON(w, 200, map[string]any{"results": results, "offset": offset, "limit": limit, "total": len(uids)})
}

func (s *Server) indexObject(uid string) map[string]any {
	return map[string]any{"uid": uid, "primaryKey": s.indexes[uid].primaryKey,
		"createdAt": "2025-06-01T00:00:00Z", "updatedAt": "2025-06-01T00:00:00Z"}
}

func (s *Server) createIndex(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UID        string  `json:"uid"`
		PrimaryKey *string `json:"primaryKey"`
	}
	if !s.decode(w, r, &body) {
		return
	}
	s.enqueue(w, &body.UID, "indexCreation", func() *APIError {
		if s.indexes[body.UID] != nil {
			return &APIError{Message: fmt.Sprintf("Index `%s` already exists.", body.UID), Code: "index_already_exists",
				Type: "invalid_request", Link: "https://docs.meilisearch.com/errors#index_already_exists"}
		}
		s.indexes[body.UID] = newIndex(body.PrimaryKey)
		return nil
	})
}

func (s *Server) getIndex(w http.ResponseWriter, r *http.Request) {
	if ix := s.index(w, r); ix != nil {
		writeJSON(w, 200, s.indexObject(r.PathValue("uid")))
	}
}

func (s *Server) deleteIndex(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	s.enqueue(w, &uid, "indexDeletion", func() *APIError {
		if s.indexes[uid] == nil {
			return indexNotFound(uid)
		}
		delete(s.indexes, uid)
		return nil
	})
}

func (s *Server) swapIndexes(w http.ResponseWriter, r *http.Request) {
	var raw []map[string]json.RawMessage
	if !s.decode(w, r, &raw) {
		return
	}
	// Meilisearch rejects unknown fields in a swap; "rename" exists from 1.18 on.
	for _, sw := range raw {
		for k := range sw {
			if k == "indexes" || (k == "rename" && !versionBefore(s.version, 1, 18)) {
				continue
			}
			s.problem("swap-indexes: unknown field %q for Meilisearch %s", k, s.version)
			writeJSON(w, 400, APIError{Message: "Unknown field `" + k + "`: expected one of `indexes`",
				Code: "bad_request", Type: "invalid_request", Link: "https://docs.meilisearch.com/errors#bad_request"})
			return
		}
	}
	var body []struct {
		Indexes []string `json:"indexes"`
	}
	data, _ := json.Marshal(raw)
	_ = json.Unmarshal(data, &body)
	for _, sw := range body {
		if len(sw.Indexes) != 2 {
			s.problem("swap-indexes: %v is not a pair", sw.Indexes)
			writeJSON(w, 400, APIError{Message: "Two indexes must be given.", Code: "invalid_swap_indexes", Type: "invalid_request"})
			return
		}
		s.swaps = append(s.swaps, slices.Clone(sw.Indexes))
	}
	s.enqueue(w, nil, "indexSwap", func() *APIError {
		for _, sw := range body {
			for _, uid := range sw.Indexes {
				if s.indexes[uid] == nil {
					return indexNotFound(uid)
				}
			}
		}
		for _, sw := range body {
			a, b := sw.Indexes[0], sw.Indexes[1]
			s.indexes[a], s.indexes[b] = s.indexes[b], s.indexes[a]
		}
		return nil
	})
}

// index returns the index of the request's {uid}, or answers 404 index_not_found.
func (s *Server) index(w http.ResponseWriter, r *http.Request) *fakeIndex {
	ix := s.indexes[r.PathValue("uid")]
	if ix == nil {
		writeJSON(w, 404, indexNotFound(r.PathValue("uid")))
	}
	return ix
}

func indexNotFound(uid string) *APIError {
	return &APIError{Message: "Index `" + uid + "` not found.", Code: "index_not_found", Type: "invalid_request",
		Link: "https://docs.meilisearch.com/errors#index_not_found"}
}
