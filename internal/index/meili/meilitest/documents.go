package meilitest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Batch is one POST /indexes/{uid}/documents request the server accepted.
type Batch struct {
	Index      string
	PrimaryKey string // the primaryKey query parameter
	Gzip       bool   // the body was sent gzip-compressed
	Documents  []map[string]any
}

// DocumentBatches returns the document additions received, in order.
func (s *Server) DocumentBatches() []Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Batch, len(s.batches))
	for i, b := range s.batches {
		out[i] = b
		out[i].Documents = make([]map[string]any, len(b.Documents))
		for j, d := range b.Documents {
			out[i].Documents[j] = maps.Clone(d)
		}
	}
	return out
}

// DocumentIDs returns the primary keys of the documents of index uid, sorted; nil when the
// index does not exist.
func (s *Server) DocumentIDs(uid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.indexes[uid] == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(s.indexes[uid].docs))
}

// Document returns the document of index uid with primary key id, as stored.
func (s *Server) Document(uid, id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.indexes[uid] == nil {
		return nil, false
	}
	d, ok := s.indexes[uid].docs[id]
	return maps.Clone(d), ok
}

func (s *Server) addDocuments(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.problem("documents sent with Content-Type %q", ct)
		writeJSON(w, 415, APIError{Message: "The Content-Type `" + ct + "` is invalid.", Code: "invalid_content_type", Type: "invalid_request"})
		return
	}
	b := Batch{Index: uid, PrimaryKey: r.URL.Query().Get("primaryKey")}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.problem("documents: bad gzip: %v", err)
			writeJSON(w, 400, APIError{Message: err.Error(), Code: "malformed_payload", Type: "invalid_request"})
			return
		}
		body, b.Gzip = zr, true
	}
	if err := json.NewDecoder(body).Decode(&b.Documents); err != nil {
		s.problem("documents: payload is not a JSON array of objects: %v", err)
		writeJSON(w, 400, APIError{Message: err.Error(), Code: "malformed_payload", Type: "invalid_request"})
		return
	}
	if b.PrimaryKey != "offerId" {
		s.problem("documents: primaryKey parameter is %q, want offerId", b.PrimaryKey)
	}
	for i, d := range b.Documents {
		for _, p := range checkOfferDoc(d) {
			s.problem("documents[%d]: %s", i, p)
		}
	}
	s.batches = append(s.batches, b)
	s.enqueue(w, &uid, "documentAdditionOrUpdate", func() *APIError {
		ix := s.indexes[uid]
		if ix == nil { // Meilisearch creates the index on the first document addition
			ix = newIndex(nil)
			s.indexes[uid] = ix
		}
		if ix.primaryKey == nil {
			pk := b.PrimaryKey
			ix.primaryKey = &pk
		}
		for _, d := range b.Documents {
			id, ok := d[*ix.primaryKey].(string)
			if !ok {
				return &APIError{Message: "Document doesn't have a `" + *ix.primaryKey + "` attribute.", Code: "missing_document_id",
					Type: "invalid_request", Link: "https://docs.meilisearch.com/errors#missing_document_id"}
			}
			ix.docs[id] = d
		}
		return nil
	})
}

// checkOfferDoc checks one document against the types of DESIGN §7, independently of the
// code that encodes offers.
func checkOfferDoc(d map[string]any) []string {
	var problems []string
	want := func(field, typ string, optional bool) {
		v, ok := d[field]
		if !ok {
			if !optional {
				problems = append(problems, field+" is missing")
			}
			return
		}
		good := false
		switch typ {
		case "string":
			_, good = v.(string)
		case "number":
			_, good = v.(float64)
		case "integer":
			n, isNum := v.(float64)
			good = isNum && n == float64(int64(n))
		case "bool":
			_, good = v.(bool)
		case "strings":
			list, isList := v.([]any)
			good = isList
			for _, e := range list {
				if _, s := e.(string); !s {
					good = false
				}
			}
		}
		if !good {
			problems = append(problems, fmt.Sprintf("%s is %T (%v), want %s", field, v, v, typ))
		}
	}
	want("offerId", "string", false)
	want("subject", "string", false)
	want("subjectTrans", "string", false)
	want("imageUrl", "string", false)
	want("price", "number", false)
	want("jxhyPrice", "number", true)
	want("pfJxhyPrice", "number", true)
	want("monthSold", "integer", false)
	want("repurchaseRate", "number", false)
	want("isJxhy", "bool", false)
	want("categoryId", "string", true)
	want("sellerOpenId", "string", true)
	want("sources", "strings", false)
	want("firstSeenAt", "integer", false)
	want("updatedAt", "integer", false)
	known := []string{"offerId", "subject", "subjectTrans", "imageUrl", "price", "jxhyPrice", "pfJxhyPrice", "monthSold",
		"repurchaseRate", "isJxhy", "categoryId", "sellerOpenId", "sources", "firstSeenAt", "updatedAt"}
	for k := range d {
		if !slices.Contains(known, k) {
			problems = append(problems, "unknown field "+k)
		}
	}
	return problems
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	ix := s.index(w, r)
	if ix == nil {
		return
	}
	id := r.PathValue("id")
	d, ok := ix.docs[id]
	if !ok {
		writeJSON(w, 404, APIError{Message: "Document `" + id + "` not found.", Code: "document_not_found", Type: "invalid_request",
			Link: "https://docs.meilisearch.com/errors#document_not_found"})
		return
	}
	writeJSON(w, 200, d)
}

func (s *Server) deleteDocuments(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	var ids []string
	if !s.decode(w, r, &ids) {
		return
	}
	s.enqueue(w, &uid, "documentDeletion", func() *APIError {
		ix := s.indexes[uid]
		if ix == nil {
			return indexNotFound(uid)
		}
		for _, id := range ids {
			delete(ix.docs, id)
		}
		return nil
	})
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	if ix := s.index(w, r); ix != nil {
		writeJSON(w, 200, map[string]any{"numberOfDocuments": len(ix.docs), "rawDocumentDbSize": 0, "avgDocumentSize": 0,
			"isIndexing": false, "numberOfEmbeddings": 0, "numberOfEmbeddedDocuments": 0, "fieldDistribution": map[string]int{}})
	}
}
