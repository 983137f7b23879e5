package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/server"
)

// fakeSearcher is an index.Searcher whose methods are func fields; a nil field fails the
// test when called.
type fakeSearcher struct {
	t      testing.TB
	search func(ctx context.Context, q index.Query) (*index.Result, error)
	get    func(ctx context.Context, id string) (index.Offer, error)
	count  func(ctx context.Context) (uint64, error)
}

func (f *fakeSearcher) Search(ctx context.Context, q index.Query) (*index.Result, error) {
	if f.search == nil {
		f.t.Errorf("unexpected Search(%+v)", q)
		return &index.Result{}, nil
	}
	return f.search(ctx, q)
}

func (f *fakeSearcher) Get(ctx context.Context, id string) (index.Offer, error) {
	if f.get == nil {
		f.t.Errorf("unexpected Get(%q)", id)
		return index.Offer{}, index.ErrNotFound
	}
	return f.get(ctx, id)
}

func (f *fakeSearcher) Count(ctx context.Context) (uint64, error) {
	if f.count == nil {
		f.t.Error("unexpected Count")
		return 0, nil
	}
	return f.count(ctx)
}

// fakeJobs is a server.Jobs whose methods are func fields; a nil field fails the test when
// called.
type fakeJobs struct {
	t       testing.TB
	status  func(ctx context.Context) (crawl.Status, error)
	trigger func(name string) error
}

func (f *fakeJobs) Status(ctx context.Context) (crawl.Status, error) {
	if f.status == nil {
		f.t.Error("unexpected Status")
		return crawl.Status{}, nil
	}
	return f.status(ctx)
}

func (f *fakeJobs) Trigger(name string) error {
	if f.trigger == nil {
		f.t.Errorf("unexpected Trigger(%q)", name)
		return nil
	}
	return f.trigger(name)
}

// do sends one request to h and returns the recorded response.
func do(t *testing.T, h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// wantJSONError checks that rec is a JSON {"error": ...} answer with the status, whose
// message contains every one of substrs.
func wantJSONError(t *testing.T, rec *httptest.ResponseRecorder, status int, substrs ...string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
	}
	if body.Error == "" {
		t.Errorf("body has no error message: %s", rec.Body)
	}
	for _, s := range substrs {
		if !strings.Contains(body.Error, s) {
			t.Errorf("error %q does not contain %q", body.Error, s)
		}
	}
}

func f64(v float64) *float64 { return &v }

var sampleOffer = index.Offer{
	OfferID:        "625783901234",
	Subject:        "纯棉短袖T恤男夏季宽松",
	SubjectTrans:   "Cotton short-sleeve T-shirt men summer loose",
	ImageURL:       "https://cbu01.alicdn.com/img/ibank/x.jpg",
	Price:          12.5,
	JxhyPrice:      f64(11.8),
	MonthSold:      1200,
	RepurchaseRate: 0.41,
	IsJxhy:         true,
	CategoryID:     "1033054",
	Sources:        []string{"tees"},
	FirstSeenAt:    1700000000,
	UpdatedAt:      1700003600,
}

func TestSearch_ParamsMapping(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  index.Query
	}{
		{"defaults", "", index.Query{Limit: index.DefaultLimit}},
		{"text", "q=t-shirt", index.Query{Text: "t-shirt", Limit: index.DefaultLimit}},
		{"text trimmed, Chinese", "q=" + url.QueryEscape(" T恤 "), index.Query{Text: "T恤", Limit: index.DefaultLimit}},
		{"filter passed as typed", "filter=" + url.QueryEscape("price < 20 AND monthSold >= 1000"),
			index.Query{Filter: "price < 20 AND monthSold >= 1000", Limit: index.DefaultLimit}},
		{"blank filter is none", "filter=%20%20", index.Query{Limit: index.DefaultLimit}},
		{"sort repeated", "sort=price:asc&sort=monthSold:desc", index.Query{Limit: index.DefaultLimit,
			Sort: []index.SortField{{Field: "price"}, {Field: "monthSold", Desc: true}}}},
		{"sort comma-separated", "sort=" + url.QueryEscape("repurchaseRate:desc, updatedAt"), index.Query{Limit: index.DefaultLimit,
			Sort: []index.SortField{{Field: "repurchaseRate", Desc: true}, {Field: "updatedAt"}}}},
		{"sort both forms", "sort=price:desc,monthSold:desc&sort=updatedAt:asc", index.Query{Limit: index.DefaultLimit,
			Sort: []index.SortField{{Field: "price", Desc: true}, {Field: "monthSold", Desc: true}, {Field: "updatedAt"}}}},
		{"limit and offset", "limit=24&offset=48", index.Query{Limit: 24, Offset: 48}},
		{"limit at maximum", "limit=1000", index.Query{Limit: 1000}},
		{"facets", "facets=" + url.QueryEscape("categoryId, sources,isJxhy"), index.Query{Limit: index.DefaultLimit,
			Facets: []string{"categoryId", "sources", "isJxhy"}}},
		{"everything", "q=dress&filter=isJxhy+%3D+true&sort=price:asc&limit=5&offset=5&facets=sources",
			index.Query{Text: "dress", Filter: "isJxhy = true", Sort: []index.SortField{{Field: "price"}},
				Facets: []string{"sources"}, Limit: 5, Offset: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *index.Query
			ix := &fakeSearcher{t: t, search: func(_ context.Context, q index.Query) (*index.Result, error) {
				got = &q
				return &index.Result{}, nil
			}}
			rec := do(t, server.New(server.Options{Index: ix, Jobs: &fakeJobs{t: t}}), "GET", "/v1/search?"+tt.query, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, body %s", rec.Code, rec.Body)
			}
			if got == nil {
				t.Fatal("Search was not called")
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("query = %+v\nwant    %+v", *got, tt.want)
			}
		})
	}
}

func TestSearch_Response(t *testing.T) {
	other := sampleOffer
	other.OfferID, other.JxhyPrice, other.IsJxhy = "2", nil, false
	ix := &fakeSearcher{t: t, search: func(_ context.Context, q index.Query) (*index.Result, error) {
		return &index.Result{
			Total:  57,
			Hits:   []index.Offer{sampleOffer, other},
			Facets: map[string]map[string]int{"isJxhy": {"true": 20, "false": 37}},
			Took:   1500 * time.Microsecond,
		}, nil
	}}
	rec := do(t, server.New(server.Options{Index: ix, Jobs: &fakeJobs{t: t}}), "GET", "/v1/search?q=shirt&limit=2&offset=4&facets=isJxhy", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	var got index.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := index.Response{Query: "shirt", Total: 57, Limit: 2, Offset: 4, TookMs: 1.5,
		Hits:   []index.Offer{sampleOffer, other},
		Facets: map[string]map[string]int{"isJxhy": {"true": 20, "false": 37}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("response = %+v\nwant       %+v", got, want)
	}
	// The contract names these keys; a renamed struct tag would still round-trip above.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"query", "total", "limit", "offset", "tookMs", "hits", "facets"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("response has no %q key: %s", k, rec.Body)
		}
	}
	// Chinese text is sent as UTF-8, not as \u escapes, and HTML characters are not escaped.
	if !strings.Contains(rec.Body.String(), sampleOffer.Subject) {
		t.Errorf("body does not hold the Chinese title verbatim: %s", rec.Body)
	}
}

func TestSearch_EmptyResultIsNotNull(t *testing.T) {
	ix := &fakeSearcher{t: t, search: func(context.Context, index.Query) (*index.Result, error) {
		return &index.Result{}, nil
	}}
	rec := do(t, server.New(server.Options{Index: ix, Jobs: &fakeJobs{t: t}}), "GET", "/v1/search?q=nothing", nil)
	body := rec.Body.String()
	if !strings.Contains(body, `"hits":[]`) || !strings.Contains(body, `"facets":{}`) {
		t.Errorf("empty result should have hits [] and facets {}: %s", body)
	}
}

func TestSearch_BadParams(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  []string // substrings of the error message
	}{
		{"filter missing value", "filter=" + url.QueryEscape("price >"), []string{"filter", "position 7"}},
		{"filter dangling AND", "filter=" + url.QueryEscape("price >= 10 AND"), []string{"filter", "position 15"}},
		{"filter unknown field", "filter=" + url.QueryEscape("price >= 10 AND nope = 3"), []string{"filter", "position 16", "nope"}},
		{"sort direction", "sort=price:up", []string{"sort", "up"}},
		{"sort field not sortable", "sort=subject:asc", []string{"sort", "subject"}},
		{"sort bad among good", "sort=price:asc,nope:desc", []string{"sort", "nope"}},
		{"limit too large", "limit=1001", []string{"limit", "1001"}},
		{"limit zero", "limit=0", []string{"limit"}},
		{"limit negative", "limit=-5", []string{"limit"}},
		{"limit not a number", "limit=ten", []string{"limit", "ten"}},
		{"offset not an integer", "offset=1.5", []string{"offset", "1.5"}},
		{"offset text", "offset=abc", []string{"offset", "abc"}},
		{"offset negative", "offset=-1", []string{"offset"}},
		{"facet not a facet field", "facets=price", []string{"facets", "price"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A nil search func fails the test if the query reaches the backend.
			h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t}})
			wantJSONError(t, do(t, h, "GET", "/v1/search?"+tt.query, nil), http.StatusBadRequest, tt.want...)
		})
	}
}

func TestSearch_BackendErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		want   string
	}{
		{"query error", &index.QueryError{Param: "filter", Pos: 3, Msg: "no such thing"}, http.StatusBadRequest, "invalid filter at position 3: no such thing"},
		{"wrapped query error", fmt.Errorf("compile: %w", &index.QueryError{Param: "q", Pos: -1, Msg: "too long"}), http.StatusBadRequest, "too long"},
		{"other error", errors.New("disk on fire"), http.StatusInternalServerError, "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := &fakeSearcher{t: t, search: func(context.Context, index.Query) (*index.Result, error) { return nil, tt.err }}
			h := server.New(server.Options{Index: ix, Jobs: &fakeJobs{t: t}})
			wantJSONError(t, do(t, h, "GET", "/v1/search?q=x", nil), tt.status, tt.want)
		})
	}
}

func TestOffer(t *testing.T) {
	ix := &fakeSearcher{t: t, get: func(_ context.Context, id string) (index.Offer, error) {
		switch id {
		case sampleOffer.OfferID:
			return sampleOffer, nil
		case "broken":
			return index.Offer{}, errors.New("read failed")
		}
		return index.Offer{}, fmt.Errorf("get %s: %w", id, index.ErrNotFound)
	}}
	h := server.New(server.Options{Index: ix, Jobs: &fakeJobs{t: t}})

	rec := do(t, h, "GET", "/v1/offers/"+sampleOffer.OfferID, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, body %s", rec.Code, rec.Body)
	}
	var got index.Offer
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sampleOffer) {
		t.Errorf("offer = %+v\nwant    %+v", got, sampleOffer)
	}

	wantJSONError(t, do(t, h, "GET", "/v1/offers/404404", nil), http.StatusNotFound, `"404404"`)
	wantJSONError(t, do(t, h, "GET", "/v1/offers/broken", nil), http.StatusInternalServerError, "read failed")
}

func TestJobs_Status(t *testing.T) {
	next := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	st := crawl.Status{
		Jobs: []crawl.JobStatus{
			{Name: "tees", Kind: "keyword", Schedule: "@every 6h", State: crawl.StateIdle, NextRunAt: &next,
				LastRun: &checkpoint.Run{ID: "r1", Job: "tees", Status: checkpoint.RunSucceeded,
					StartedAt: next.Add(-6 * time.Hour), FinishedAt: next.Add(-5 * time.Hour),
					Stats: checkpoint.Stats{Pages: 4, Offers: 200, New: 12, Changed: 3, Unchanged: 185}}},
			{Name: "shops", Kind: "shop", State: crawl.StateRunning,
				Cursor: &crawl.CursorStatus{RunID: "r2", Query: 0, Queries: 2, Page: 3}},
		},
		Index: crawl.IndexStatus{Backend: "bleve", Documents: 1234},
	}
	h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t,
		status: func(context.Context) (crawl.Status, error) { return st, nil }}})
	rec := do(t, h, "GET", "/v1/jobs", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, body %s", rec.Code, rec.Body)
	}
	// Decode into the contract's key names, not into crawl.Status, so a renamed tag fails.
	var got struct {
		Jobs []struct {
			Name      string  `json:"name"`
			Kind      string  `json:"kind"`
			Schedule  string  `json:"schedule"`
			State     string  `json:"state"`
			NextRunAt *string `json:"nextRunAt"`
			Cursor    *struct {
				Page    int `json:"page"`
				Queries int `json:"queries"`
			} `json:"cursor"`
			LastRun *struct {
				Status     string `json:"status"`
				StartedAt  string `json:"startedAt"`
				FinishedAt string `json:"finishedAt"`
				Pages      int    `json:"pages"`
				Offers     int    `json:"offers"`
				New        int    `json:"new"`
				Changed    int    `json:"changed"`
				Unchanged  int    `json:"unchanged"`
			} `json:"lastRun"`
		} `json:"jobs"`
		Index struct {
			Backend   string `json:"backend"`
			Documents int    `json:"documents"`
		} `json:"index"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Jobs) != 2 || got.Index.Backend != "bleve" || got.Index.Documents != 1234 {
		t.Fatalf("status = %s", rec.Body)
	}
	j := got.Jobs[0]
	if j.Name != "tees" || j.Kind != "keyword" || j.Schedule != "@every 6h" || j.State != "idle" ||
		j.NextRunAt == nil || *j.NextRunAt != "2025-03-01T12:00:00Z" || j.LastRun == nil {
		t.Fatalf("job 0 = %+v", j)
	}
	if r := j.LastRun; r.Status != "succeeded" || r.Pages != 4 || r.Offers != 200 || r.New != 12 || r.Changed != 3 ||
		r.Unchanged != 185 || r.FinishedAt != "2025-03-01T07:00:00Z" {
		t.Errorf("lastRun = %+v", *r)
	}
	if j := got.Jobs[1]; j.State != "running" || j.Cursor == nil || j.Cursor.Page != 3 || j.Cursor.Queries != 2 ||
		j.LastRun != nil || j.NextRunAt != nil {
		t.Errorf("job 1 = %+v", j)
	}

	h = server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t,
		status: func(context.Context) (crawl.Status, error) { return crawl.Status{}, errors.New("store closed") }}})
	wantJSONError(t, do(t, h, "GET", "/v1/jobs", nil), http.StatusInternalServerError, "store closed")
}

func TestJobs_Trigger(t *testing.T) {
	tests := []struct {
		name   string
		job    string
		err    error
		status int
		want   string // in the error message; "" means success
	}{
		{"started", "tees", nil, http.StatusAccepted, ""},
		{"already running", "tees", fmt.Errorf("trigger %s: %w", "tees", crawl.ErrRunning), http.StatusConflict, "already running"},
		{"unknown job", "nope", fmt.Errorf("trigger %s: %w", "nope", crawl.ErrUnknownJob), http.StatusNotFound, `"nope"`},
		{"other failure", "tees", crawl.ErrStopped, http.StatusInternalServerError, "stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var called []string
			h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t,
				trigger: func(name string) error { called = append(called, name); return tt.err }}})
			rec := do(t, h, "POST", "/v1/jobs/"+tt.job+"/run", nil)
			if !reflect.DeepEqual(called, []string{tt.job}) {
				t.Errorf("Trigger calls = %q, want [%q]", called, tt.job)
			}
			if tt.want != "" {
				wantJSONError(t, rec, tt.status, tt.want)
				return
			}
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.status, rec.Body)
			}
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["job"] != tt.job {
				t.Errorf("body = %s (%v)", rec.Body, err)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t}}) // nothing may be called
	tests := []struct{ method, target, allow string }{
		{"GET", "/v1/jobs/tees/run", "POST"},
		{"PUT", "/v1/jobs/tees/run", "POST"},
		{"DELETE", "/v1/jobs/tees/run", "POST"},
		{"POST", "/v1/search", "GET"},
		{"DELETE", "/v1/offers/1", "GET"},
		{"POST", "/v1/jobs", "GET"},
		{"POST", "/", "GET"},
	}
	for _, tt := range tests {
		rec := do(t, h, tt.method, tt.target, nil)
		wantJSONError(t, rec, http.StatusMethodNotAllowed, "not allowed")
		if allow := rec.Header().Get("Allow"); !strings.Contains(allow, tt.allow) {
			t.Errorf("%s %s: Allow = %q, want %s in it", tt.method, tt.target, allow, tt.allow)
		}
	}
}

func TestUnknownAPIRoute(t *testing.T) {
	h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t}})
	for _, target := range []string{"/v1/nope", "/v1/", "/v1/offers/", "/v1/jobs/tees"} {
		wantJSONError(t, do(t, h, "GET", target, nil), http.StatusNotFound, "no route")
	}
}

// authServer returns a handler whose every dependency answers successfully.
func authServer(t *testing.T, token string) http.Handler {
	return server.New(server.Options{
		Index: &fakeSearcher{t: t,
			search: func(context.Context, index.Query) (*index.Result, error) { return &index.Result{}, nil },
			get:    func(context.Context, string) (index.Offer, error) { return sampleOffer, nil },
		},
		Jobs: &fakeJobs{t: t,
			status:  func(context.Context) (crawl.Status, error) { return crawl.Status{}, nil },
			trigger: func(string) error { return nil },
		},
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "syncd_up 1\n") }),
		Token:   token,
	})
}

var (
	protectedRoutes = []struct{ method, target string }{
		{"GET", "/v1/search?q=x"},
		{"GET", "/v1/offers/1"},
		{"GET", "/v1/jobs"},
		{"POST", "/v1/jobs/tees/run"},
		{"GET", "/metrics"},
	}
	openRoutes = []string{"/healthz", "/readyz", "/", "/app.js", "/style.css"}
)

func TestAuth_NoTokenConfigured(t *testing.T) {
	h := authServer(t, "")
	for _, r := range protectedRoutes {
		if rec := do(t, h, r.method, r.target, nil); rec.Code >= 300 {
			t.Errorf("%s %s: status = %d without a configured token, body %s", r.method, r.target, rec.Code, rec.Body)
		}
	}
}

func TestAuth_Token(t *testing.T) {
	const token = "s3cret-token"
	h := authServer(t, token)
	bearer := func(v string) http.Header { return http.Header{"Authorization": {v}} }
	rejected := []struct {
		name   string
		header http.Header
	}{
		{"no header", nil},
		{"wrong token", bearer("Bearer wrong")},
		{"token without scheme", bearer(token)},
		{"basic scheme", bearer("Basic " + token)},
		{"prefix of token", bearer("Bearer s3cret")},
		{"token plus suffix", bearer("Bearer " + token + "x")},
	}
	for _, r := range protectedRoutes {
		for _, rj := range rejected {
			rec := do(t, h, r.method, r.target, rj.header)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s, %s: status = %d, want 401", r.method, r.target, rj.name, rec.Code)
				continue
			}
			wantJSONError(t, rec, http.StatusUnauthorized, "token")
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", r.method, r.target)
			}
			if strings.Contains(rec.Body.String(), token) {
				t.Errorf("%s %s: the 401 body reveals the token", r.method, r.target)
			}
		}
		if rec := do(t, h, r.method, r.target, bearer("Bearer "+token)); rec.Code >= 300 {
			t.Errorf("%s %s with the token: status = %d, body %s", r.method, r.target, rec.Code, rec.Body)
		}
	}
	for _, target := range openRoutes {
		if rec := do(t, h, "GET", target, nil); rec.Code != http.StatusOK {
			t.Errorf("GET %s without a token: status = %d, want 200", target, rec.Code)
		}
	}
}

func TestHealth(t *testing.T) {
	ready := error(nil)
	h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t},
		Ready: func(context.Context) error { return ready }})

	if rec := do(t, h, "GET", "/healthz", nil); rec.Code != http.StatusOK {
		t.Errorf("healthz: status = %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/readyz", nil); rec.Code != http.StatusOK {
		t.Errorf("readyz: status = %d", rec.Code)
	}
	ready = errors.New("index not open")
	wantJSONError(t, do(t, h, "GET", "/readyz", nil), http.StatusServiceUnavailable, "index not open")
	// Liveness does not depend on readiness.
	if rec := do(t, h, "GET", "/healthz", nil); rec.Code != http.StatusOK {
		t.Errorf("healthz while not ready: status = %d", rec.Code)
	}

	// Without a Ready func the server is always ready.
	h = server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t}})
	if rec := do(t, h, "GET", "/readyz", nil); rec.Code != http.StatusOK {
		t.Errorf("readyz without Ready: status = %d", rec.Code)
	}
}

func TestMetrics_NotConfigured(t *testing.T) {
	h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t}})
	if rec := do(t, h, "GET", "/metrics", nil); rec.Code != http.StatusNotFound {
		t.Errorf("status = %d, want 404 without a metrics handler", rec.Code)
	}
}

const wantCSP = "default-src 'self'; img-src * data:; style-src 'self'; script-src 'self'"

func TestWebPage(t *testing.T) {
	h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t}})

	rec := do(t, h, "GET", "/", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); csp != wantCSP {
		t.Errorf("Content-Security-Policy = %q, want %q", csp, wantCSP)
	}
	if v := rec.Header().Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", v)
	}
	page := rec.Body.String()
	for _, s := range []string{`<script src="app.js"`, `<link rel="stylesheet" href="style.css">`, `<meta charset="utf-8">`} {
		if !strings.Contains(page, s) {
			t.Errorf("page does not contain %s", s)
		}
	}
	// The elements that scripts, tests and users rely on.
	for _, id := range []string{"q", "price-min", "price-max", "sold-min", "jxhy", "sort", "results", "total",
		"error", "jobs", "next", "prev", "category", "sources", "token"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("page has no element with id %q", id)
		}
	}
	// The CSP forbids inline code and styles: the page must not need them.
	for _, re := range []string{`<style`, `\sstyle=`, `\son[a-z]+=`, `javascript:`} {
		if m := regexp.MustCompile(`(?i)` + re).FindString(page); m != "" {
			t.Errorf("page has inline code or style: %q", m)
		}
	}
	scripts := regexp.MustCompile(`(?is)<script\b[^>]*>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(scripts) != 1 || !strings.Contains(scripts[0][0], `src="app.js"`) || strings.TrimSpace(scripts[0][1]) != "" {
		t.Errorf("page scripts = %q, want only app.js, with no inline code", scripts)
	}

	assets := []struct{ path, ctype, contains string }{
		{"/app.js", "javascript", "/v1/search"},
		{"/style.css", "text/css", "PingFang SC"},
		{"/favicon.svg", "image/svg+xml", "<svg"},
	}
	for _, a := range assets {
		rec := do(t, h, "GET", a.path, nil)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status = %d", a.path, rec.Code)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, a.ctype) {
			t.Errorf("%s: Content-Type = %q, want %s", a.path, ct, a.ctype)
		}
		if !strings.Contains(rec.Body.String(), a.contains) {
			t.Errorf("%s does not contain %q", a.path, a.contains)
		}
	}
	if rec := do(t, h, "GET", "/nope.js", nil); rec.Code != http.StatusNotFound {
		t.Errorf("/nope.js: status = %d, want 404", rec.Code)
	}
}

// TestWebPage_ScriptBuildsNoHTML guards against injection: offer titles come from upstream
// and must reach the page as text, so the script never assigns markup.
func TestWebPage_ScriptBuildsNoHTML(t *testing.T) {
	h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t}})
	js := do(t, h, "GET", "/app.js", nil).Body.String()
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}

func TestNewHTTPServer_Timeouts(t *testing.T) {
	h := http.NewServeMux()
	srv := server.NewHTTPServer("127.0.0.1:8790", h, nil)
	if srv.Addr != "127.0.0.1:8790" {
		t.Errorf("Addr = %q", srv.Addr)
	}
	if srv.Handler != h {
		t.Error("Handler is not the one given")
	}
	// A zero timeout means none: each must be set, and short enough to matter.
	for _, f := range []struct {
		name     string
		got, max time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout, 30 * time.Second},
		{"ReadTimeout", srv.ReadTimeout, 5 * time.Minute},
		{"WriteTimeout", srv.WriteTimeout, 5 * time.Minute},
		{"IdleTimeout", srv.IdleTimeout, 10 * time.Minute},
	} {
		if f.got <= 0 || f.got > f.max {
			t.Errorf("%s = %v, want in (0, %v]", f.name, f.got, f.max)
		}
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d", srv.MaxHeaderBytes)
	}
}

// TestNewHTTPServer_Slowloris opens a connection that never finishes its request header
// and checks that the server hangs up on it instead of holding it open.
func TestNewHTTPServer_Slowloris(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(server.Options{Index: &fakeSearcher{t: t}, Jobs: &fakeJobs{t: t}})
	srv := server.NewHTTPServer(ln.Addr().String(), h, nil)
	srv.ReadHeaderTimeout = 200 * time.Millisecond // the real value, 5s, would make the test slow
	srv.ReadTimeout = time.Minute                  // so that only ReadHeaderTimeout can end it
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	// A well-behaved client is served on the same server.
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: status = %d", resp.StatusCode)
	}

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: example\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	// A generous bound: the server should hang up after ~200ms.
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	buf := make([]byte, 1024)
	for {
		n, err := conn.Read(buf)
		if n > 0 && !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 408") {
			t.Errorf("server answered an unfinished request: %q", buf[:n])
		}
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open after %v: the server does not time out slow headers", time.Since(start).Round(time.Millisecond))
		}
		break // EOF or reset: the server closed the connection
	}
}
