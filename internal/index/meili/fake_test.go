package meili

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeMeili is an httptest server that follows Meilisearch's documented REST API for the
// calls syncd makes (https://www.meilisearch.com/docs/reference/api): the same routes,
// status codes, summarized and full task objects, error objects, authentication rules
// (/health is public; a missing key is 401 missing_authorization_header, a wrong one 403
// invalid_api_key) and settings normalisation (sortableAttributes come back sorted,
// typoTolerance comes back complete). Tasks run in enqueue order and take effect only when
// they reach "succeeded", so what the client observes is what a real server would show.
// It does not implement real search: it returns stored documents in offerId order, with
// facet counts, and records each request so tests can check the mapping. Like Meilisearch,
// it compresses its answers when the request accepts gzip (net/http's transport asks for it
// and decompresses transparently), and reads gzip-compressed document payloads.
//
// Problems with what the client sent (a document field of the wrong type, a missing
// primaryKey parameter, an unknown route) are answered like Meilisearch would and recorded
// in problems; every test fails if any were recorded.
type fakeMeili struct {
	srv     *httptest.Server
	key     string // the master key; "" means the server needs none
	version string

	mu        sync.Mutex
	indexes   map[string]*fakeIndex
	tasks     []*fakeTask
	steps     []string                 // statuses a task reports before it ends
	failType  map[string]*fakeAPIError // task type → error every such task fails with
	stuck     map[string]bool          // task types that never finish
	searchErr *fakeAPIError            // when set, every search answers 400 with it

	calls       []string // "METHOD /path" of every request
	patches     []map[string]json.RawMessage
	batches     []fakeBatch
	searches    []map[string]json.RawMessage
	swaps       [][]string
	problems    []string
	authHeaders []string
	compressed  int // answers sent gzip-compressed
}

type fakeIndex struct {
	primaryKey *string
	settings   map[string]json.RawMessage
	docs       map[string]map[string]any
}

type fakeBatch struct {
	index      string
	primaryKey string
	gzip       bool
	docs       []map[string]any
}

type fakeAPIError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Type    string `json:"type"`
	Link    string `json:"link"`
}

type fakeTask struct {
	uid        int64
	indexUID   *string
	typ        string
	enqueuedAt time.Time
	served     []string // statuses reported to the client, in order
	final      string   // "" while not finished
	err        *fakeAPIError
	apply      func() *fakeAPIError
}

// fakeOption configures a fakeMeili before it serves.
type fakeOption func(*fakeMeili)

// withKey makes the fake require key as its master key.
func withKey(key string) fakeOption { return func(f *fakeMeili) { f.key = key } }

// withVersion makes the fake report version as its pkgVersion.
func withVersion(v string) fakeOption { return func(f *fakeMeili) { f.version = v } }

// newFake starts a fake server (version 1.15.2, no key) and stops it at cleanup.
func newFake(t *testing.T, opts ...fakeOption) *fakeMeili {
	t.Helper()
	f := &fakeMeili{
		version:  "1.15.2",
		indexes:  map[string]*fakeIndex{},
		steps:    []string{"enqueued", "processing"},
		failType: map[string]*fakeAPIError{},
		stuck:    map[string]bool{},
	}
	for _, o := range opts {
		o(f)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "available"})
	})
	f.route(mux, "GET /version", f.getVersion)
	f.route(mux, "GET /indexes", f.listIndexes)
	f.route(mux, "POST /indexes", f.createIndex)
	f.route(mux, "GET /indexes/{uid}", f.getIndex)
	f.route(mux, "DELETE /indexes/{uid}", f.deleteIndex)
	f.route(mux, "GET /indexes/{uid}/settings", f.getSettings)
	f.route(mux, "GET /indexes/{uid}/settings/{setting}", f.getSetting)
	f.route(mux, "PATCH /indexes/{uid}/settings", f.patchSettings)
	f.route(mux, "POST /indexes/{uid}/documents", f.addDocuments)
	f.route(mux, "GET /indexes/{uid}/documents/{id}", f.getDocument)
	f.route(mux, "POST /indexes/{uid}/documents/delete-batch", f.deleteDocuments)
	f.route(mux, "POST /indexes/{uid}/search", f.search)
	f.route(mux, "GET /indexes/{uid}/stats", f.stats)
	f.route(mux, "POST /swap-indexes", f.swapIndexes)
	f.route(mux, "GET /tasks/{uid}", f.getTask)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.problem("unexpected request %s %s", r.Method, r.URL.Path)
		writeJSON(w, 404, fakeAPIError{Message: "Not found.", Code: "not_found", Type: "invalid_request"})
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls = append(f.calls, r.Method+" "+r.URL.Path)
		f.authHeaders = append(f.authHeaders, r.Header.Get("Authorization"))
		f.mu.Unlock()
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			f.mu.Lock()
			f.compressed++
			f.mu.Unlock()
			gw := &gzipResponseWriter{ResponseWriter: w, zw: gzip.NewWriter(w)}
			defer gw.zw.Close()
			w = gw
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		f.srv.Close()
		for _, p := range f.problemList() {
			t.Errorf("fake meilisearch: %s", p)
		}
	})
	return f
}

// route registers h behind the API key check and the fake's lock.
func (f *fakeMeili) route(mux *http.ServeMux, pattern string, h func(http.ResponseWriter, *http.Request)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if f.key != "" {
			auth := r.Header.Get("Authorization")
			if auth == "" {
				writeJSON(w, 401, fakeAPIError{Message: "The Authorization header is missing. It must use the bearer authorization method.",
					Code: "missing_authorization_header", Type: "auth", Link: "https://docs.meilisearch.com/errors#missing_authorization_header"})
				return
			}
			if auth != "Bearer "+f.key {
				writeJSON(w, 403, fakeAPIError{Message: "The provided API key is invalid.",
					Code: "invalid_api_key", Type: "auth", Link: "https://docs.meilisearch.com/errors#invalid_api_key"})
				return
			}
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		h(w, r)
	})
}

func (f *fakeMeili) getVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]string{"commitSha": "0000000", "commitDate": "2025-06-01T00:00:00Z", "pkgVersion": f.version})
}

func (f *fakeMeili) listIndexes(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil {
		limit = 20
	}
	uids := slices.Sorted(maps.Keys(f.indexes))
	results := []map[string]any{}
	for _, uid := range uids[min(offset, len(uids)):min(offset+limit, len(uids))] {
		results = append(results, f.indexObject(uid))
	}
	writeJSON(w, 200, map[string]any{"results": results, "offset": offset, "limit": limit, "total": len(uids)})
}

func (f *fakeMeili) indexObject(uid string) map[string]any {
	return map[string]any{"uid": uid, "primaryKey": f.indexes[uid].primaryKey,
		"createdAt": "2025-06-01T00:00:00Z", "updatedAt": "2025-06-01T00:00:00Z"}
}

func (f *fakeMeili) createIndex(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UID        string  `json:"uid"`
		PrimaryKey *string `json:"primaryKey"`
	}
	if !f.decode(w, r, &body) {
		return
	}
	f.enqueue(w, &body.UID, "indexCreation", func() *fakeAPIError {
		if f.indexes[body.UID] != nil {
			return &fakeAPIError{Message: fmt.Sprintf("Index `%s` already exists.", body.UID), Code: "index_already_exists", Type: "invalid_request"}
		}
		f.indexes[body.UID] = newFakeIndex(body.PrimaryKey)
		return nil
	})
}

func newFakeIndex(pk *string) *fakeIndex {
	settings := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(defaultSettings), &settings); err != nil {
		panic(err)
	}
	return &fakeIndex{primaryKey: pk, settings: settings, docs: map[string]map[string]any{}}
}

// defaultSettings is GET /indexes/{uid}/settings of a new index (Meilisearch 1.15).
const defaultSettings = `{
  "displayedAttributes": ["*"], "searchableAttributes": ["*"], "filterableAttributes": [],
  "sortableAttributes": [], "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
  "stopWords": [], "nonSeparatorTokens": [], "separatorTokens": [], "dictionary": [], "synonyms": {},
  "distinctAttribute": null, "proximityPrecision": "byWord",
  "typoTolerance": {"enabled": true, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
    "disableOnWords": [], "disableOnAttributes": [], "disableOnNumbers": false},
  "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
  "pagination": {"maxTotalHits": 1000}, "embedders": {}, "searchCutoffMs": null,
  "localizedAttributes": null, "facetSearch": true, "prefixSearch": "indexingTime"}`

func (f *fakeMeili) getIndex(w http.ResponseWriter, r *http.Request) {
	if ix := f.index(w, r); ix != nil {
		writeJSON(w, 200, f.indexObject(r.PathValue("uid")))
	}
}

func (f *fakeMeili) deleteIndex(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	f.enqueue(w, &uid, "indexDeletion", func() *fakeAPIError {
		if f.indexes[uid] == nil {
			return indexNotFound(uid)
		}
		delete(f.indexes, uid)
		return nil
	})
}

func (f *fakeMeili) getSettings(w http.ResponseWriter, r *http.Request) {
	if ix := f.index(w, r); ix != nil {
		writeJSON(w, 200, ix.settings)
	}
}

// getSetting serves GET /indexes/{uid}/settings/{setting}, one setting by its route name
// ("typo-tolerance" is typoTolerance), as the SDK's per-setting getters read them.
func (f *fakeMeili) getSetting(w http.ResponseWriter, r *http.Request) {
	ix := f.index(w, r)
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
		f.problem("unknown setting route %s", r.URL.Path)
		writeJSON(w, 404, fakeAPIError{Message: "Not found.", Code: "not_found", Type: "invalid_request"})
		return
	}
	writeJSON(w, 200, v)
}

func (f *fakeMeili) patchSettings(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	var patch map[string]json.RawMessage
	if !f.decode(w, r, &patch) {
		return
	}
	defaults := newFakeIndex(nil).settings
	for k := range patch {
		if _, ok := defaults[k]; !ok {
			f.problem("PATCH settings: unknown setting %q", k)
			writeJSON(w, 400, fakeAPIError{Message: fmt.Sprintf("Unknown field `%s`", k), Code: "bad_request", Type: "invalid_request"})
			return
		}
	}
	f.patches = append(f.patches, patch)
	f.enqueue(w, &uid, "settingsUpdate", func() *fakeAPIError {
		ix := f.indexes[uid]
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

func (f *fakeMeili) swapIndexes(w http.ResponseWriter, r *http.Request) {
	var raw []map[string]json.RawMessage
	if !f.decode(w, r, &raw) {
		return
	}
	// Meilisearch rejects unknown fields in a swap; "rename" exists from 1.18 on.
	for _, s := range raw {
		for k := range s {
			if k == "indexes" || (k == "rename" && !versionBefore(f.version, 1, 18)) {
				continue
			}
			f.problem("swap-indexes: unknown field %q for Meilisearch %s", k, f.version)
			writeJSON(w, 400, fakeAPIError{Message: "Unknown field `" + k + "`: expected one of `indexes`",
				Code: "bad_request", Type: "invalid_request"})
			return
		}
	}
	var body []struct {
		Indexes []string `json:"indexes"`
	}
	data, _ := json.Marshal(raw)
	_ = json.Unmarshal(data, &body)
	for _, s := range body {
		if len(s.Indexes) != 2 {
			f.problem("swap-indexes: %v is not a pair", s.Indexes)
			writeJSON(w, 400, fakeAPIError{Message: "Two indexes must be given.", Code: "invalid_swap_indexes", Type: "invalid_request"})
			return
		}
		f.swaps = append(f.swaps, s.Indexes)
	}
	f.enqueue(w, nil, "indexSwap", func() *fakeAPIError {
		for _, s := range body {
			a, b := s.Indexes[0], s.Indexes[1]
			for _, uid := range s.Indexes {
				if f.indexes[uid] == nil {
					return indexNotFound(uid)
				}
			}
			f.indexes[a], f.indexes[b] = f.indexes[b], f.indexes[a]
		}
		return nil
	})
}

func (f *fakeMeili) getTask(w http.ResponseWriter, r *http.Request) {
	uid, err := strconv.ParseInt(r.PathValue("uid"), 10, 64)
	if err != nil || uid < 0 || uid >= int64(len(f.tasks)) {
		writeJSON(w, 404, fakeAPIError{Message: "Task `" + r.PathValue("uid") + "` not found.", Code: "task_not_found", Type: "invalid_request"})
		return
	}
	t := f.tasks[uid]
	status := t.final
	switch {
	case status != "":
	case f.stuck[t.typ]:
		status = "processing"
	case len(t.served) < len(f.steps):
		status = f.steps[len(t.served)]
	default:
		for _, earlier := range f.tasks[:uid] { // the queue runs in order
			if earlier.final == "" && !f.stuck[earlier.typ] {
				f.finish(earlier)
			}
		}
		f.finish(t)
		status = t.final
	}
	t.served = append(t.served, status)
	writeJSON(w, 200, map[string]any{"uid": t.uid, "batchUid": t.uid, "indexUid": t.indexUID, "status": status, "type": t.typ,
		"canceledBy": nil, "details": map[string]any{}, "error": t.err, "duration": nil,
		"enqueuedAt": t.enqueuedAt.Format(time.RFC3339Nano), "startedAt": nil, "finishedAt": nil})
}

// finish runs t: it fails when its type is switched to fail, else its effect decides.
func (f *fakeMeili) finish(t *fakeTask) {
	if e := f.failType[t.typ]; e != nil {
		t.final, t.err = "failed", e
		return
	}
	if e := t.apply(); e != nil {
		t.final, t.err = "failed", e
		return
	}
	t.final = "succeeded"
}

// enqueue registers a task and answers 202 with the summarized task object.
func (f *fakeMeili) enqueue(w http.ResponseWriter, indexUID *string, typ string, apply func() *fakeAPIError) {
	t := &fakeTask{uid: int64(len(f.tasks)), indexUID: indexUID, typ: typ, enqueuedAt: time.Now().UTC(), apply: apply}
	f.tasks = append(f.tasks, t)
	writeJSON(w, 202, map[string]any{"taskUid": t.uid, "indexUid": indexUID, "status": "enqueued", "type": typ,
		"enqueuedAt": t.enqueuedAt.Format(time.RFC3339Nano)})
}

func (f *fakeMeili) index(w http.ResponseWriter, r *http.Request) *fakeIndex {
	ix := f.indexes[r.PathValue("uid")]
	if ix == nil {
		writeJSON(w, 404, indexNotFound(r.PathValue("uid")))
	}
	return ix
}

func indexNotFound(uid string) *fakeAPIError {
	return &fakeAPIError{Message: "Index `" + uid + "` not found.", Code: "index_not_found", Type: "invalid_request",
		Link: "https://docs.meilisearch.com/errors#index_not_found"}
}

func (f *fakeMeili) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.problem("%s %s sent with Content-Type %q", r.Method, r.URL.Path, ct)
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		f.problem("%s %s: bad JSON body: %v", r.Method, r.URL.Path, err)
		writeJSON(w, 400, fakeAPIError{Message: err.Error(), Code: "bad_request", Type: "invalid_request"})
		return false
	}
	return true
}

func (f *fakeMeili) problem(format string, args ...any) {
	f.problems = append(f.problems, fmt.Sprintf(format, args...)) // callers hold f.mu
}

func (f *fakeMeili) problemList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.problems)
}

// versionBefore reports whether version ("1.15.2") is older than major.minor.
func versionBefore(version string, major, minor int) bool {
	var ma, mi int
	_, _ = fmt.Sscanf(version, "%d.%d", &ma, &mi)
	return ma < major || (ma == major && mi < minor)
}

// gzipResponseWriter compresses an answer, as Meilisearch does for a request that accepts
// gzip.
type gzipResponseWriter struct {
	http.ResponseWriter
	zw *gzip.Writer
}

func (g *gzipResponseWriter) WriteHeader(status int) {
	g.Header().Set("Content-Encoding", "gzip")
	g.Header().Del("Content-Length")
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipResponseWriter) Write(b []byte) (int, error) { return g.zw.Write(b) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Accessors for tests; each takes the lock.

func (f *fakeMeili) callCount(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *fakeMeili) indexUIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	uids := slices.Collect(maps.Keys(f.indexes))
	sort.Strings(uids)
	return uids
}

func (f *fakeMeili) docIDs(uid string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.indexes[uid] == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(f.indexes[uid].docs))
}

func (f *fakeMeili) setting(uid, name string) json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.indexes[uid].settings[name]
}

func (f *fakeMeili) tasksOf(typ string) []*fakeTask {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeTask
	for _, t := range f.tasks {
		if t.typ == typ {
			cp := *t
			cp.served = slices.Clone(t.served)
			out = append(out, &cp)
		}
	}
	return out
}

func (f *fakeMeili) with(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}
