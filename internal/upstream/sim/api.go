package sim

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// maxBodyBytes bounds request bodies; a base64 picture for image search fits.
const maxBodyBytes = 4 << 20

// timestampWindow is how far a request's timestamp may be from server time (API.md §1.2).
const timestampWindow = 600 * time.Second

// errNotFound reports a query that names an unknown offer.
var errNotFound = errors.New("not found")

// call is one API request in flight.
type call struct {
	seq     uint64 // request number, from 1; the requestId derives from it
	route   *route
	body    []byte
	bodyErr error
}

// outcome is an answer ready to write, and what Stats should count for it.
type outcome struct {
	status     int
	body       []byte // from Server.bufs; give it back with release
	reject     string // Rejected reason, when refused
	pageKey    string // Pages key, when successful
	retryAfter time.Duration
}

// serveAPI answers one API request: latency, fault, then the real answer, and counts it.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, rt *route) {
	c := &call{seq: s.seq.Add(1), route: rt}
	path := rt.path
	s.stats.update(func(st *Stats) { st.Requests[path]++ })
	// Read the body first: only then does net/http watch the connection and cancel the
	// request context when the client goes away, which latency and stalls rely on.
	c.body, c.bodyErr = io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	delay, fault := s.plan.next()
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if fault != "" {
		s.stats.update(func(st *Stats) { st.Faults[fault]++ })
		s.log.Debug("injecting fault", "fault", fault, "path", path, "seq", c.seq)
		s.serveFault(w, r, c, fault)
		return
	}
	out := s.answer(r, c)
	defer s.release(out)
	s.stats.update(func(st *Stats) {
		switch {
		case out.reject != "":
			st.Rejected[out.reject]++
		case out.pageKey != "":
			st.Served++
			st.Pages[out.pageKey]++
		}
	})
	if out.reject != "" {
		s.log.Debug("request refused", "reason", out.reject, "path", path, "seq", c.seq)
	}
	if out.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	if out.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((out.retryAfter+time.Second-1)/time.Second)))
	}
	writeRaw(w, out.status, contentTypeJSON, out.body)
}

// answer computes the answer to an API request without counting it.
func (s *Server) answer(r *http.Request, c *call) *outcome {
	if r.Method != http.MethodPost {
		out := s.errorOutcome(c.seq, CodeMethod, "method", fmt.Sprintf("method %s not allowed: use POST with a JSON body", r.Method))
		out.status = http.StatusMethodNotAllowed
		return out
	}
	if code, reason, msg := s.checkHeaders(r.Header); code != 0 {
		return s.errorOutcome(c.seq, code, reason, msg)
	}
	if s.quota != nil {
		if ok, wait := s.quota.take(); !ok {
			out := s.errorOutcome(c.seq, CodeOverQuota, "quota", fmt.Sprintf("over quota: at most %g requests per second", s.opts.QPS))
			out.retryAfter = wait
			return out
		}
	}
	if c.bodyErr != nil {
		return s.errorOutcome(c.seq, CodeBadRequest, "params", "body: cannot read: "+c.bodyErr.Error())
	}
	req, aerr := decodeBody(c.body, c.route)
	if aerr != nil {
		return s.errorOutcome(c.seq, aerr.code, aerr.reason, aerr.msg)
	}
	key := pageKey(c.route, req)
	switch req.kind {
	case upstream.KindDetail:
		return s.detailOutcome(c, req, key)
	case upstream.KindCategories:
		return s.categoryOutcome(c, req, key)
	}
	return s.listingOutcome(c, req, key)
}

// checkHeaders verifies the system headers (API.md §1.2–1.3). It returns code 0 when they
// are fine, else the envelope code, the Rejected reason and a message naming the header.
func (s *Server) checkHeaders(h http.Header) (int, string, string) {
	for _, name := range []string{upstream.HeaderAccessKey, upstream.HeaderTimestamp, upstream.HeaderNonce, upstream.HeaderUserID, upstream.HeaderSignature} {
		if strings.TrimSpace(h.Get(name)) == "" {
			return CodeBadRequest, "headers", "missing header " + name
		}
	}
	if ct := h.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return CodeBadRequest, "headers", fmt.Sprintf("header Content-Type: must be application/json, got %q", ct)
		}
	}
	nonce := h.Get(upstream.HeaderNonce)
	if len(nonce) != 32 {
		return CodeBadRequest, "headers", fmt.Sprintf("header nonce-str: must be 32 characters, got %d", len(nonce))
	}
	ts := h.Get(upstream.HeaderTimestamp)
	n, err := strconv.ParseInt(ts, 10, 64)
	var sent time.Time
	switch {
	case err != nil || n < 0:
		return CodeBadTimestamp, "timestamp", fmt.Sprintf("header timestamp: must be Unix milliseconds (13 digits) or seconds (10 digits), got %q", ts)
	case len(ts) == 13:
		sent = time.UnixMilli(n)
	case len(ts) == 10:
		sent = time.Unix(n, 0)
	default:
		return CodeBadTimestamp, "timestamp", fmt.Sprintf("header timestamp: must be Unix milliseconds (13 digits) or seconds (10 digits), got %d digits", len(ts))
	}
	if d := s.opts.Now().Sub(sent); d > timestampWindow || d < -timestampWindow {
		return CodeBadTimestamp, "timestamp", fmt.Sprintf("header timestamp: %s is %s away from server time, more than %s", ts, d.Round(time.Second).Abs(), timestampWindow)
	}
	key := h.Get(upstream.HeaderAccessKey)
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.AccessKey)) != 1 {
		return CodeBadSignature, "signature", "unknown access-key"
	}
	want := upstream.Sign(key, ts, nonce, s.opts.SecretKey)
	if subtle.ConstantTimeCompare([]byte(h.Get(upstream.HeaderSignature)), []byte(want)) != 1 {
		return CodeBadSignature, "signature", "signature mismatch: expected UPPER(HEX(MD5(access-key + timestamp + nonce-str + secret)))"
	}
	return 0, "", ""
}

// listingOutcome answers one page of a listing query.
func (s *Server) listingOutcome(c *call, req *apiRequest, key string) *outcome {
	sp, aerr := newSpec(req.kind, req.get)
	if aerr != nil {
		return s.errorOutcome(c.seq, aerr.code, aerr.reason, aerr.msg)
	}
	if req.base64 != "" && sp.image == "" {
		sp.image = "base64:" + strconv.FormatUint(hashString(req.base64), 16)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	res, err := s.results(sp)
	if errors.Is(err, errNotFound) {
		return s.errorOutcome(c.seq, CodeNotFound, "notfound", fmt.Sprintf("offerId: no offer %q", sp.offer))
	}
	b := s.envelopeHead(s.buf(), c.seq, upstream.CodeOK, "成功")
	b = s.appendPage(b, res, req.page, req.size)
	return &outcome{status: http.StatusOK, body: append(b, '}'), pageKey: key}
}

// errorOutcome is a failed answer: HTTP 200, the code, the message, data null.
func (s *Server) errorOutcome(seq uint64, code int, reason, msg string) *outcome {
	b := s.envelopeHead(s.buf(), seq, code, msg)
	return &outcome{status: http.StatusOK, body: append(b, "null}"...), reject: reason}
}

// buf returns an empty buffer from the pool.
func (s *Server) buf() []byte { return (*s.bufs.Get().(*[]byte))[:0] }

// release gives an outcome's buffer back to the pool.
func (s *Server) release(out *outcome) {
	if out != nil && cap(out.body) <= 1<<20 {
		b := out.body[:0]
		s.bufs.Put(&b)
	}
}

func writeRaw(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
