package sim

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault is a failure the simulator can inject into an API answer, the way real upstreams
// and the proxies in front of them fail.
type Fault string

// The faults. Each one reaches a client as a different kind of error.
const (
	FaultHTTP500   Fault = "http500"   // HTTP 500 with a JSON-ish error body
	FaultHTTP502   Fault = "http502"   // HTTP 502 with an HTML body, as from a proxy
	FaultTruncated Fault = "truncated" // HTTP 200 whose JSON body stops in the middle
	FaultReset     Fault = "reset"     // the connection is reset (TCP RST) without an answer
	FaultStall     Fault = "stall"     // no answer for Options.StallDuration, then HTTP 504
	FaultQuota     Fault = "quota"     // an over-quota answer: HTTP 200, envelope code 429
)

// AllFaults returns every fault, in a fixed order.
func AllFaults() []Fault {
	return []Fault{FaultHTTP500, FaultHTTP502, FaultTruncated, FaultReset, FaultStall, FaultQuota}
}

// ParseFault returns the fault named s, or an error listing the valid names.
func ParseFault(s string) (Fault, error) {
	for _, f := range AllFaults() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, 0, 6)
	for _, f := range AllFaults() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("parse fault %q: must be one of %s", s, strings.Join(names, ", "))
}

// faultPlan decides, request by request, the added latency and the fault, from one seeded
// PRNG so a run is reproducible for a given request order.
type faultPlan struct {
	mu      sync.Mutex
	rng     *rand.Rand
	rate    float64
	faults  []Fault
	forced  []forcedFault // FailNext, in order
	latency time.Duration
	jitter  float64
}

type forcedFault struct {
	f Fault
	n int
}

// next returns the delay and the fault ("" for none) of the next API request.
func (p *faultPlan) next() (time.Duration, Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var delay time.Duration
	if p.latency > 0 {
		delay = time.Duration(float64(p.latency) * (1 + p.jitter*(2*p.rng.Float64()-1)))
	}
	if len(p.forced) > 0 {
		f := p.forced[0].f
		if p.forced[0].n--; p.forced[0].n == 0 {
			p.forced = p.forced[1:]
		}
		return delay, f
	}
	if p.rate > 0 && len(p.faults) > 0 && p.rng.Float64() < p.rate {
		return delay, p.faults[p.rng.IntN(len(p.faults))]
	}
	return delay, ""
}

// serveFault answers request c with fault f.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, c *call, f Fault) {
	switch f {
	case FaultHTTP500:
		body := fmt.Sprintf(`{"status":500,"error":"Internal Server Error","message":"simulated fault","path":%q}`, r.URL.Path)
		writeRaw(w, http.StatusInternalServerError, "application/json;charset=UTF-8", []byte(body))
	case FaultHTTP502:
		writeRaw(w, http.StatusBadGateway, "text/html", []byte(htmlError("502 Bad Gateway")))
	case FaultTruncated:
		out := s.answer(r, c) // the answer it would have had, cut in half
		defer s.release(out)
		writeRaw(w, http.StatusOK, contentTypeJSON, out.body[:len(out.body)/2])
	case FaultReset:
		resetConn(w)
	case FaultStall:
		t := time.NewTimer(s.opts.StallDuration)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		writeRaw(w, http.StatusGatewayTimeout, "text/html", []byte(htmlError("504 Gateway Time-out")))
	case FaultQuota:
		out := s.errorOutcome(c.seq, CodeOverQuota, "", "over quota: too many requests, retry later")
		defer s.release(out)
		w.Header().Set("Retry-After", "1")
		writeRaw(w, http.StatusOK, contentTypeJSON, out.body)
	}
}

// resetConn drops the connection with a TCP RST. Where the connection cannot be taken over
// (HTTP/2), aborting the handler is the nearest thing: the stream is reset.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok { // TLS
		raw = nc.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func htmlError(title string) string {
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}
