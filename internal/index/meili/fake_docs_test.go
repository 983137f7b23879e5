package meili

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

// The fake's document and search routes; see fakeMeili.

func (f *fakeMeili) addDocuments(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		f.problem("documents sent with Content-Type %q", ct)
		writeJSON(w, 415, fakeAPIError{Message: "The Content-Type `" + ct + "` is invalid.", Code: "invalid_content_type", Type: "invalid_request"})
		return
	}
	b := fakeBatch{index: uid, primaryKey: r.URL.Query().Get("primaryKey")}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			f.problem("documents: bad gzip: %v", err)
			writeJSON(w, 400, fakeAPIError{Message: err.Error(), Code: "malformed_payload", Type: "invalid_request"})
			return
		}
		body, b.gzip = zr, true
	}
	if err := json.NewDecoder(body).Decode(&b.docs); err != nil {
		f.problem("documents: payload is not a JSON array of objects: %v", err)
		writeJSON(w, 400, fakeAPIError{Message: err.Error(), Code: "malformed_payload", Type: "invalid_request"})
		return
	}
	if b.primaryKey != "offerId" {
		f.problem("documents: primaryKey parameter is %q, want offerId", b.primaryKey)
	}
	for i, d := range b.docs {
		for _, p := range checkOfferDoc(d) {
			f.problem("documents[%d]: %s", i, p)
		}
	}
	f.batches = append(f.batches, b)
	f.enqueue(w, &uid, "documentAdditionOrUpdate", func() *fakeAPIError {
		ix := f.indexes[uid]
		if ix == nil { // Meilisearch creates the index on the first document addition
			ix = newFakeIndex(nil)
			f.indexes[uid] = ix
		}
		if ix.primaryKey == nil {
			pk := b.primaryKey
			ix.primaryKey = &pk
		}
		for _, d := range b.docs {
			id, ok := d[*ix.primaryKey].(string)
			if !ok {
				return &fakeAPIError{Message: "Document doesn't have a `" + *ix.primaryKey + "` attribute.", Code: "missing_document_id", Type: "invalid_request"}
			}
			ix.docs[id] = d
		}
		return nil
	})
}

// checkOfferDoc checks one document against the types of DESIGN §7.
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

func (f *fakeMeili) getDocument(w http.ResponseWriter, r *http.Request) {
	ix := f.index(w, r)
	if ix == nil {
		return
	}
	id := r.PathValue("id")
	d, ok := ix.docs[id]
	if !ok {
		writeJSON(w, 404, fakeAPIError{Message: "Document `" + id + "` not found.", Code: "document_not_found", Type: "invalid_request",
			Link: "https://docs.meilisearch.com/errors#document_not_found"})
		return
	}
	writeJSON(w, 200, d)
}

func (f *fakeMeili) deleteDocuments(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	var ids []string
	if !f.decode(w, r, &ids) {
		return
	}
	f.enqueue(w, &uid, "documentDeletion", func() *fakeAPIError {
		ix := f.indexes[uid]
		if ix == nil {
			return indexNotFound(uid)
		}
		for _, id := range ids {
			delete(ix.docs, id)
		}
		return nil
	})
}

func (f *fakeMeili) search(w http.ResponseWriter, r *http.Request) {
	ix := f.index(w, r)
	if ix == nil {
		return
	}
	var body map[string]json.RawMessage
	if !f.decode(w, r, &body) {
		return
	}
	// An explicit null search parameter means the same as an absent one to Meilisearch
	// (meilisearch-go always sends "hybrid": null); record the request as the server reads it.
	maps.DeleteFunc(body, func(_ string, v json.RawMessage) bool { return string(v) == "null" })
	f.searches = append(f.searches, body)
	if f.searchErr != nil {
		writeJSON(w, 400, f.searchErr)
		return
	}
	var req struct {
		Q      string   `json:"q"`
		Facets []string `json:"facets"`
		Limit  *int     `json:"limit"`
		Offset int      `json:"offset"`
	}
	raw, _ := json.Marshal(body)
	_ = json.Unmarshal(raw, &req)
	limit := 20
	if req.Limit != nil {
		limit = *req.Limit
	}
	ids := slices.Sorted(maps.Keys(ix.docs))
	hits := []map[string]any{}
	for _, id := range ids[min(req.Offset, len(ids)):min(req.Offset+limit, len(ids))] {
		hits = append(hits, ix.docs[id])
	}
	resp := map[string]any{"hits": hits, "query": req.Q, "processingTimeMs": 1, "limit": limit,
		"offset": req.Offset, "estimatedTotalHits": len(ids)}
	if len(req.Facets) > 0 {
		dist := map[string]map[string]int{}
		for _, facet := range req.Facets {
			dist[facet] = map[string]int{}
			for _, d := range ix.docs {
				values, isList := d[facet].([]any)
				if !isList {
					values = []any{d[facet]}
				}
				for _, v := range values {
					if v != nil {
						dist[facet][fmt.Sprint(v)]++
					}
				}
			}
		}
		resp["facetDistribution"] = dist
	}
	writeJSON(w, 200, resp)
}

func (f *fakeMeili) stats(w http.ResponseWriter, r *http.Request) {
	if ix := f.index(w, r); ix != nil {
		writeJSON(w, 200, map[string]any{"numberOfDocuments": len(ix.docs), "rawDocumentDbSize": 0, "avgDocumentSize": 0,
			"isIndexing": false, "numberOfEmbeddings": 0, "numberOfEmbeddedDocuments": 0, "fieldDistribution": map[string]int{}})
	}
}
