package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
)

// Jobs is what the API needs of the scheduler.
type Jobs interface {
	// Status returns the contract status of every job and the index.
	Status(ctx context.Context) (crawl.Status, error)
	// Trigger starts a run of the named job now and returns at once. It returns an error
	// wrapping crawl.ErrRunning when that job is running, or crawl.ErrUnknownJob.
	Trigger(name string) error
}

// Options configures a Server. Index and Jobs are required.
type Options struct {
	Index index.Searcher
	Jobs  Jobs
	// Token, when set, is required as "Authorization: Bearer <token>" on every route but
	// /healthz, /readyz and the static web page (which holds no data and asks for the token).
	Token string
	// Metrics serves /metrics; nil means 404.
	Metrics http.Handler
	// Ready reports readiness (store and index open); nil means always ready.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
}

// Server is the HTTP handler of the daemon.
type Server struct {
	opts Options
	mux  *http.ServeMux
	log  *slog.Logger
}

// New returns the daemon's handler.
func New(opts Options) *Server {
	s := &Server{opts: opts, mux: http.NewServeMux(), log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /v1/search", s.auth(http.HandlerFunc(s.search)))
	s.mux.Handle("GET /v1/offers/{offerId}", s.auth(http.HandlerFunc(s.offer)))
	s.mux.Handle("GET /v1/jobs", s.auth(http.HandlerFunc(s.jobs)))
	s.mux.Handle("POST /v1/jobs/{name}/run", s.auth(http.HandlerFunc(s.trigger)))
	if opts.Metrics != nil {
		s.mux.Handle("GET /metrics", s.auth(opts.Metrics))
	}
	// "/" and "/v1/" take every method: "GET /" would conflict with "/v1/" (neither is
	// more specific), which makes ServeMux panic.
	web := webHandler()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
			return
		}
		web.ServeHTTP(w, r)
	})
	s.mux.HandleFunc("/v1/", s.noRoute)
	return s
}

// noRoute answers API requests that match no route: 405 when the path has a route for
// another method, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/v1/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+" (allowed: "+strings.Join(allow, ", ")+")")
		return
	}
	writeError(w, http.StatusNotFound, "no route "+r.Method+" "+r.URL.Path)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(w, r)
}

// NewHTTPServer wraps h in an http.Server with timeouts that keep a slow or idle client
// from pinning a connection.
func NewHTTPServer(addr string, h http.Handler, logger *slog.Logger) *http.Server {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	if logger != nil {
		srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	return srv
}

func (s *Server) auth(next http.Handler) http.Handler {
	if s.opts.Token == "" {
		return next
	}
	want := []byte("Bearer " + s.opts.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="syncd"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token (http.token)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready != nil {
		if err := s.opts.Ready(r.Context()); err != nil {
			writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// ParseQuery reads a search query from URL parameters (q, filter, sort, limit, offset,
// facets) and validates it. sort may repeat or be comma-separated; facets is
// comma-separated.
func ParseQuery(v map[string][]string) (index.Query, error) {
	get := func(k string) string {
		if vals := v[k]; len(vals) > 0 {
			return vals[0]
		}
		return ""
	}
	q := index.Query{Text: get("q"), Filter: get("filter")}
	for _, raw := range v["sort"] {
		for _, part := range strings.Split(raw, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			sf, err := index.ParseSort(part)
			if err != nil {
				return q, err
			}
			q.Sort = append(q.Sort, sf)
		}
	}
	for _, f := range strings.Split(get("facets"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			q.Facets = append(q.Facets, f)
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &q.Limit}, {"offset", &q.Offset}} {
		if raw := get(p.name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil {
				return q, &index.QueryError{Param: p.name, Pos: -1, Msg: strconv.Quote(raw) + " is not an integer"}
			}
			*p.dst = n
		}
	}
	if q.Limit == 0 && get("limit") != "" {
		return q, &index.QueryError{Param: "limit", Pos: -1, Msg: "0 is outside 1.." + strconv.Itoa(index.MaxLimit)}
	}
	return q, q.Validate()
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.opts.Index.Search(r.Context(), q)
	if err != nil {
		var qe *index.QueryError
		if errors.As(err, &qe) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.log.Error("search failed", "q", q.Text, "err", err)
		writeError(w, http.StatusInternalServerError, "search failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, index.NewResponse(q, res))
}

func (s *Server) offer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("offerId")
	doc, err := s.opts.Index.Get(r.Context(), id)
	switch {
	case errors.Is(err, index.ErrNotFound):
		writeError(w, http.StatusNotFound, "no offer "+strconv.Quote(id))
	case err != nil:
		s.log.Error("get offer failed", "offerId", id, "err", err)
		writeError(w, http.StatusInternalServerError, "get offer: "+err.Error())
	default:
		writeJSON(w, http.StatusOK, doc)
	}
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	st, err := s.opts.Jobs.Status(r.Context())
	if err != nil {
		s.log.Error("job status failed", "err", err)
		writeError(w, http.StatusInternalServerError, "job status: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) trigger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := s.opts.Jobs.Trigger(name)
	switch {
	case errors.Is(err, crawl.ErrUnknownJob):
		writeError(w, http.StatusNotFound, "no job "+strconv.Quote(name))
	case errors.Is(err, crawl.ErrRunning):
		writeError(w, http.StatusConflict, "job "+strconv.Quote(name)+" is already running")
	case err != nil:
		writeError(w, http.StatusInternalServerError, "start job: "+err.Error())
	default:
		writeJSON(w, http.StatusAccepted, map[string]string{"job": name, "status": "started"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
