package meilitest

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// DefaultVersion is the pkgVersion a Server reports unless Options.Version says otherwise.
const DefaultVersion = "1.15.2"

// Options configure New and Start. Zero values mean the documented defaults.
type Options struct {
	// APIKey is the master key. When set, every route but /health needs it as a Bearer
	// token; empty means the server needs no key.
	APIKey string
	// Version is the pkgVersion answered by GET /version (default DefaultVersion). It also
	// decides which /swap-indexes fields are accepted.
	Version string
}

// APIError is a Meilisearch error object, as answered by a failed request or carried by a
// failed task (https://www.meilisearch.com/docs/reference/errors).
type APIError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Type    string `json:"type"`
	Link    string `json:"link"`
}

// Server is the fake Meilisearch server: an http.Handler with its state in memory. Its
// methods are safe for concurrent use with requests; each accessor returns a copy.
type Server struct {
	key     string
	version string
	mux     *http.ServeMux
	url     string // set by Start

	mu        sync.Mutex
	indexes   map[string]*fakeIndex
	tasks     []*task
	steps     []string             // statuses a task reports before it ends
	failType  map[string]*APIError // task type → error every such task fails with
	stuck     map[string]bool      // task types that never finish
	searchErr *APIError            // when set, every search answers 400 with it

	calls       []string // "METHOD /path" of every request
	authHeaders []string
	compressed  int // answers sent gzip-compressed
	patches     []map[string]json.RawMessage
	batches     []Batch
	searches    []map[string]json.RawMessage
	swaps       [][]string
	problems    []string
}

// New returns a Server with no index. Serve it with net/http or httptest; Start does both
// for a test.
func New(opts Options) *Server {
	s := &Server{
		key:      opts.APIKey,
		version:  opts.Version,
		indexes:  map[string]*fakeIndex{},
		steps:    []string{"enqueued", "processing"},
		failType: map[string]*APIError{},
		stuck:    map[string]bool{},
	}
	if s.version == "" {
		s.version = DefaultVersion
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "available"})
	})
	s.route(mux, "GET /version", s.getVersion)
	s.route(mux, "GET /indexes", s.listIndexes)
	s.route(mux, "POST /indexes", s.createIndex)
	s.route(mux, "GET /indexes/{uid}", s.getIndex)
	s.route(mux, "DELETE /indexes/{uid}", s.deleteIndex)
	s.route(mux, "GET /indexes/{uid}/settings", s.getSettings)
	s.route(mux, "GET /indexes/{uid}/settings/{setting}", s.getSetting)
	s.route(mux, "PATCH /indexes/{uid}/settings", s.patchSettings)
	s.route(mux, "POST /indexes/{uid}/documents", s.addDocuments)
	s.route(mux, "GET /indexes/{uid}/documents/{id}", s.getDocument)
	s.route(mux, "POST /indexes/{uid}/documents/delete-batch", s.deleteDocuments)
	s.route(mux, "POST /indexes/{uid}/search", s.search)
	s.route(mux, "GET /indexes/{uid}/stats", s.stats)
	s.route(mux, "POST /swap-indexes", s.swapIndexes)
	s.route(mux, "GET /tasks/{uid}", s.getTask)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.problem("unexpected request %s %s", r.Method, r.URL.Path)
		writeJSON(w, 404, APIError{Message: "Not found.", Code: "not_found", Type: "invalid_request"})
	})
	s.mux = mux
	return s
}

// Start serves a new Server on a loopback port until tb ends, then fails tb with every
// problem the server recorded (see Problems).
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	hs := httptest.NewServer(s)
	s.url = hs.URL
	tb.Cleanup(func() {
		hs.Close()
		for _, p := range s.Problems() {
			tb.Errorf("fake meilisearch: %s", p)
		}
	})
	return s
}

// ServeHTTP records the request, compresses the answer when the request accepts gzip, as
// Meilisearch does, and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	s.authHeaders = append(s.authHeaders, r.Header.Get("Authorization"))
	gz := acceptsGzip(r)
	if gz {
		s.compressed++
	}
	s.mu.Unlock()
	if gz {
		gw := &gzipResponseWriter{ResponseWriter: w, zw: gzip.NewWriter(w)}
		defer gw.zw.Close()
		w = gw
	}
	s.mux.ServeHTTP(w, r)
}

// URL is the base URL Start serves s on; empty for a Server the caller serves.
func (s *Server) URL() string { return s.url }

// APIKey is the master key of Options.APIKey; empty when the server needs none.
func (s *Server) APIKey() string { return s.key }

// Problems lists what clients sent that Meilisearch would reject or syncd should never send,
// in the order received.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.problems)
}

// route registers h behind the API key check and the server's lock.
func (s *Server) route(mux *http.ServeMux, pattern string, h func(http.ResponseWriter, *http.Request)) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if s.key != "" {
			auth := r.Header.Get("Authorization")
			if auth == "" {
				writeJSON(w, 401, APIError{Message: "The Authorization header is missing. It must use the bearer authorization method.",
					Code: "missing_authorization_header", Type: "auth", Link: "https://docs.meilisearch.com/errors#missing_authorization_header"})
				return
			}
			if auth != "Bearer "+s.key {
				writeJSON(w, 403, APIError{Message: "The provided API key is invalid.",
					Code: "invalid_api_key", Type: "auth", Link: "https://docs.meilisearch.com/errors#invalid_api_key"})
				return
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		h(w, r)
	})
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]string{"commitSha": "0000000", "commitDate": "2025-06-01T00:00:00Z", "pkgVersion": s.version})
}

// decode reads a JSON request body into v, answering 400 bad_request when it cannot.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		s.problem("%s %s sent with Content-Type %q", r.Method, r.URL.Path, ct)
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		s.problem("%s %s: bad JSON body: %v", r.Method, r.URL.Path, err)
		writeJSON(w, 400, APIError{Message: err.Error(), Code: "bad_request", Type: "invalid_request"})
		return false
	}
	return true
}

func (s *Server) problem(format string, args ...any) {
	s.problems = append(s.problems, fmt.Sprintf(format, args...)) // callers hold s.mu
}

// versionBefore reports whether version ("1.15.2") is older than major.minor.
func versionBefore(version string, major, minor int) bool {
	var ma, mi int
	_, _ = fmt.Sscanf(version, "%d.%d", &ma, &mi)
	return ma < major || (ma == major && mi < minor)
}

func acceptsGzip(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
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
