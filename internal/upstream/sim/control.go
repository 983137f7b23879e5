package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// serveControl serves the /_sim/ routes, for scripts and demos that drive a running
// simulator:
//
//	GET  /_sim/stats                  Stats as JSON, plus "duplicates"
//	POST /_sim/stats/reset            ResetStats
//	POST /_sim/mutate?fraction=F&seed=N  Mutate; the JSON list of changed ids
//	POST /_sim/fail?fault=F&n=N       FailNext (n defaults to 1)
//
// Errors are JSON {"error": "..."} with a 4xx status.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	route := r.URL.Path[len("/_sim"):]
	method := map[string]string{"/stats": http.MethodGet, "/stats/reset": http.MethodPost, "/mutate": http.MethodPost, "/fail": http.MethodPost}[route]
	if method == "" {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such path: " + r.URL.Path})
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use " + method})
		return
	}
	q := r.URL.Query()
	switch route {
	case "/stats":
		st := s.Stats()
		dups := st.Duplicates()
		if dups == nil {
			dups = []string{}
		}
		writeJSON(w, http.StatusOK, struct {
			Stats
			Duplicates []string `json:"duplicates"`
		}{st, dups})
	case "/stats/reset":
		s.ResetStats()
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "/mutate":
		fraction, err := strconv.ParseFloat(q.Get("fraction"), 64)
		if err != nil || !(fraction >= 0 && fraction <= 1) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fraction: must be a number from 0 to 1"})
			return
		}
		seed, err := strconv.ParseInt(q.Get("seed"), 10, 64)
		if err != nil && q.Get("seed") != "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "seed: must be an integer"})
			return
		}
		ids := s.Mutate(fraction, seed)
		if ids == nil {
			ids = []string{}
		}
		writeJSON(w, http.StatusOK, ids)
	case "/fail":
		f, err := ParseFault(q.Get("fault"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "fault: " + err.Error()})
			return
		}
		n := 1
		if v := q.Get("n"); v != "" {
			if n, err = strconv.Atoi(v); err != nil || n < 1 {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "n: must be a positive integer"})
				return
			}
		}
		s.FailNext(f, n)
		writeJSON(w, http.StatusOK, map[string]any{"fault": f, "n": n})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	writeRaw(w, status, "application/json", append(b, '\n'))
}
