package sim

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// Limits of the simulated API (API.md §1.5: not documented upstream, the usual 1688 ones).
const (
	// MaxPageSize is the largest pageSize accepted.
	MaxPageSize = 50
	// MaxResults caps the results of one query: totalRecords never exceeds it and pages
	// past it are empty.
	MaxResults = 2000
)

// Envelope codes of failed answers. The real ones are undocumented (API.md §1.6); these are
// placeholders, sent with HTTP 200 like the success code.
const (
	CodeBadRequest   = 400 // missing or malformed header or body field
	CodeBadSignature = 401 // unknown access key or wrong signature
	CodeBadTimestamp = 403 // timestamp malformed or more than 600 s from server time
	CodeNotFound     = 404 // unknown offer or category, or unknown path
	CodeMethod       = 405 // not POST (sent with HTTP 405)
	CodeOverQuota    = 429 // over the account quota
)

// cacheSize bounds the result cache: entries hold at most MaxResults int32 ids (8 KB).
const cacheSize = 256

// route is one API path: the kinds served there (sorted; keyword and category share one)
// and the union of their parameters, in table order.
type route struct {
	path   string
	kinds  []upstream.Kind
	params []upstream.Param
}

// Server is the simulated PandaPon API, an http.Handler. It is safe for concurrent use.
type Server struct {
	opts      Options
	log       *slog.Logger
	cat       *catalog
	developID string
	routes    map[string]*route // by API path
	quota     *bucket           // nil when unlimited
	plan      faultPlan
	seq       atomic.Uint64 // API requests so far, for requestIds
	stats     statsBox
	bufs      sync.Pool

	// mu guards the mutable part of the catalog (offer prices) and keeps cached results
	// consistent with it: queries hold it for reading, Mutate for writing.
	mu    sync.RWMutex
	cache *resultCache
}

// New builds the catalog described by opts and returns a server for it. Unknown fault
// names in opts.Faults are dropped with a warning.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	start := time.Now()
	s := &Server{
		opts:   opts,
		log:    opts.Logger,
		cat:    newCatalog(opts.Offers, opts.Seed),
		routes: map[string]*route{},
		cache:  newResultCache(cacheSize),
		stats:  statsBox{st: newStats()},
	}
	s.developID = strconv.FormatUint(1_000_000_000_000_000_000+hashString("developId\x00"+opts.AccessKey)%9_000_000_000_000_000_000, 10)
	for _, k := range upstream.Kinds() {
		ep, _ := upstream.Lookup(k)
		path := ep.Path
		if p := opts.Paths[k]; p != "" {
			path = p
		}
		rt := s.routes[path]
		if rt == nil {
			rt = &route{path: path}
			s.routes[path] = rt
		}
		rt.kinds = append(rt.kinds, k)
		rt.params = pathParams(rt.kinds)
	}
	if opts.QPS > 0 {
		s.quota = newBucket(opts.QPS)
	}
	var faults []Fault
	for _, f := range opts.Faults {
		if _, err := ParseFault(string(f)); err != nil {
			s.log.Warn("ignoring unknown fault", "err", err)
			continue
		}
		faults = append(faults, f)
	}
	s.plan = faultPlan{
		rng:     rand.New(rand.NewPCG(uint64(opts.FaultSeed), 0xfa017_5eed)),
		rate:    opts.FaultRate,
		faults:  faults,
		latency: opts.Latency,
		jitter:  opts.LatencyJitter,
	}
	s.bufs.New = func() any { b := make([]byte, 0, 16<<10); return &b }
	s.log.Info("simulator catalog built", "offers", opts.Offers, "seed", opts.Seed,
		"sellers", len(s.cat.sellers), "took", time.Since(start).Round(time.Millisecond))
	return s
}

// ServeHTTP serves the API paths of the endpoint table (with Options.Paths applied) and the
// simulator's own routes: GET /healthz, GET /_sim/stats, POST /_sim/stats/reset,
// POST /_sim/mutate, POST /_sim/fail and GET /img/{offerId}.svg. Anything else is answered
// HTTP 404 with a CodeNotFound envelope.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if rt, ok := s.routes[path]; ok {
		s.serveAPI(w, r, rt)
		return
	}
	switch {
	case path == "/healthz":
		writeRaw(w, http.StatusOK, "text/plain; charset=utf-8", []byte("ok\n"))
	case strings.HasPrefix(path, "/_sim/"):
		s.serveControl(w, r)
	case strings.HasPrefix(path, "/img/") && strings.HasSuffix(path, ".svg"):
		s.serveImage(w, r)
	default:
		out := s.errorOutcome(0, CodeNotFound, "", "no such path: "+path)
		writeRaw(w, http.StatusNotFound, contentTypeJSON, out.body)
		s.release(out)
	}
}

// FailNext makes the next n API requests fail with f, before any random fault; calls
// queue up in order. n <= 0 cancels every pending FailNext. A fault not in AllFaults is
// ignored with a warning.
func (s *Server) FailNext(f Fault, n int) {
	if _, err := ParseFault(string(f)); err != nil {
		s.log.Warn("ignoring FailNext", "err", err)
		return
	}
	s.plan.mu.Lock()
	defer s.plan.mu.Unlock()
	if n <= 0 {
		s.plan.forced = nil
		return
	}
	s.plan.forced = append(s.plan.forced, forcedFault{f: f, n: n})
}

// SetFaultRate changes the probability (clamped to 0..1) that a request gets a random
// fault.
func (s *Server) SetFaultRate(rate float64) {
	s.plan.mu.Lock()
	defer s.plan.mu.Unlock()
	s.plan.rate = clamp01(rate)
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the counters.
func (s *Server) ResetStats() { s.stats.reset() }

// Matches returns the ids of the offers query q returns, in served order, at most
// MaxResults of them: exactly what paging q to its end yields while prices do not change.
// It returns nil for a query the API would reject or that names an unknown offer. It is
// not counted in Stats.
func (s *Server) Matches(q upstream.Query) []string {
	ep, ok := upstream.Lookup(q.Kind)
	if !ok || !ep.Paged {
		return nil
	}
	sp, aerr := newSpec(q.Kind, func(p upstream.Param) string {
		if ep.Takes(p) {
			return q.Value(p)
		}
		return ""
	})
	if aerr != nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	res, err := s.results(sp)
	if err != nil {
		return nil
	}
	ids := make([]string, len(res.ids))
	for i, ix := range res.ids {
		ids[i] = strconv.FormatUint(s.cat.offers[ix].id, 10)
	}
	return ids
}

// results returns the (cached) result of a listing query. The caller holds s.mu for
// reading.
func (s *Server) results(sp *spec) (result, error) {
	key := sp.key()
	if res, ok := s.cache.get(key); ok {
		return res, nil
	}
	res, err := s.cat.evaluate(sp)
	if err != nil {
		return result{}, err
	}
	s.cache.put(key, res)
	return res, nil
}

// Len returns the number of offers in the catalog.
func (s *Server) Len() int { return len(s.cat.offers) }
