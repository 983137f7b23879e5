package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fake is a hand-written upstream: it checks the signature of every request, records it,
// and answers with handle (n counts requests from 1).
type fake struct {
	t      *testing.T
	url    string
	n      atomic.Int64
	mu     sync.Mutex
	reqs   []recorded
	handle func(w http.ResponseWriter, r *http.Request, n int64)
}

type recorded struct {
	path   string
	header http.Header
	body   []byte
	at     time.Time
}

func newFake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int64)) *fake {
	f := &fake{t: t, handle: handle}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{path: r.URL.Path, header: r.Header.Clone(), body: body, at: time.Now()})
	f.mu.Unlock()
	h := r.Header
	if want := Sign(h.Get(HeaderAccessKey), h.Get(HeaderTimestamp), h.Get(HeaderNonce), testSecret); h.Get(HeaderSignature) != want {
		f.t.Errorf("request %s: signature %q, want %q", r.URL.Path, h.Get(HeaderSignature), want)
	}
	f.handle(w, r, f.n.Add(1))
}

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func testOptions(url string) Options {
	return Options{
		BaseURL: url, AccessKey: "ak-test", SecretKey: testSecret, UserID: "2100007341207",
		QPS: -1, Timeout: 2 * time.Second, MaxAttempts: 5,
		BackoffBase: time.Millisecond, BackoffMax: 20 * time.Millisecond,
	}
}

func newClient(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var keywordPage = PageRequest{Query: Query{Kind: KindKeyword, Keyword: "T恤"}, Page: 1, PageSize: 5}

func writePage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(pageBody(seedItem))
}

func TestClient_FetchPage_Request(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			w.WriteHeader(500)
			return
		}
		writePage(w)
	})
	opts := testOptions(f.url + "/prefix/")
	opts.Language = "vi"
	c := newClient(t, opts)
	start := time.Now()
	p, err := c.FetchPage(context.Background(), PageRequest{Query: Query{Kind: KindKeyword, Keyword: "T恤", Sort: `{"price":"asc"}`}, Page: 3, PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Offers) != 1 || p.Offers[0].OfferID != "wmNAp5CyEQ2fatKAZGGMWQ" {
		t.Fatalf("page = %+v", p)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		if r.path != "/prefix/v2/alibaba/product/keywords/query" {
			t.Errorf("path = %s", r.path)
		}
		want := `{"beginPage":3,"pageSize":20,"country":"vi","keyword":"T恤","sort":"{\"price\":\"asc\"}"}`
		if string(r.body) != want {
			t.Errorf("body = %s, want %s", r.body, want)
		}
		h := r.header
		ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
		if err != nil || ts < start.Add(-time.Second).UnixMilli() || ts > time.Now().UnixMilli() {
			t.Errorf("timestamp %q is not the current time in milliseconds", h.Get(HeaderTimestamp))
		}
		if h.Get(HeaderAccessKey) != "ak-test" || h.Get(HeaderUserID) != "2100007341207" ||
			h.Get("Content-Type") != "application/json" || len(h.Get(HeaderNonce)) != 32 {
			t.Errorf("headers = %v", h)
		}
	}
	if reqs[0].header.Get(HeaderNonce) == reqs[1].header.Get(HeaderNonce) ||
		reqs[0].header.Get(HeaderSignature) == reqs[1].header.Get(HeaderSignature) {
		t.Error("the retry reused the nonce or signature of the first attempt")
	}
}

func TestClient_SignatureVector(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		writePage(w)
	}))
	defer srv.Close()
	opts := testOptions(srv.URL)
	opts.AccessKey, opts.SecretKey = "58c0201dfdf148eca63cbf6bb5e7cf03", "test-secret"
	c := newClient(t, opts)
	c.now = func() time.Time { return time.UnixMilli(1715669977082) }
	c.nonce = func() string { return "nonce-str" }
	if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
		t.Fatal(err)
	}
	if got.Get(HeaderTimestamp) != "1715669977082" || got.Get(HeaderSignature) != "47CB965C3AB252BDF9ED348A90C6B66D" {
		t.Errorf("timestamp %s signature %s", got.Get(HeaderTimestamp), got.Get(HeaderSignature))
	}
}

func TestClient_FetchPage_InvalidRequestCostsNothing(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { writePage(w) })
	c := newClient(t, testOptions(f.url))
	for _, req := range []PageRequest{
		{Query: Query{Kind: KindKeyword}, Page: 1, PageSize: 5},
		{Query: Query{Kind: KindKeyword, Keyword: "x"}, Page: 0, PageSize: 5},
		{Query: Query{Kind: KindKeyword, Keyword: "x"}, Page: 1, PageSize: 51},
		{Query: Query{Kind: KindImage, ImageAddress: "u", CategoryID: "abc"}, Page: 1, PageSize: 5},
	} {
		if _, err := c.FetchPage(context.Background(), req); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%+v: err = %v", req, err)
		}
	}
	if _, err := c.Detail(context.Background(), ""); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Detail(\"\"): err = %v", err)
	}
	if n := f.n.Load(); n != 0 {
		t.Errorf("%d requests for invalid queries", n)
	}
}

func TestClient_Detail(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		io.WriteString(w, `{"requestId":"d1","code":200,"developId":1034048464150856547,"msg":"成功","data":`+
			`{"offerId":706627393257,"categoryId":1033054,"categoryName":null,"subject":"PVC插页文件夹","priceInfo":{"price":"3.10"}}}`)
	})
	opts := testOptions(f.url)
	opts.Paths = map[Kind]string{KindDetail: "/v1/detail"}
	c := newClient(t, opts)
	o, err := c.Detail(context.Background(), "706627393257")
	if err != nil {
		t.Fatal(err)
	}
	if o.OfferID != "706627393257" || o.CategoryID != "1033054" || o.Price != 3.1 {
		t.Errorf("offer = %+v", o)
	}
	r := f.requests()[0]
	if r.path != "/v1/detail" || string(r.body) != `{"country":"en","offerId":"706627393257"}` {
		t.Errorf("request %s %s", r.path, r.body)
	}
	if ep := c.Endpoint(KindDetail); ep.Path != "/v1/detail" || ep.Paged {
		t.Errorf("Endpoint(detail) = %+v", ep)
	}
	if ep := c.Endpoint(KindKeyword); ep.Path != "/v2/alibaba/product/keywords/query" || !ep.Documented {
		t.Errorf("Endpoint(keyword) = %+v", ep)
	}
	if ep := c.Endpoint("nope"); ep.Path != "" || ep.Kind != "nope" {
		t.Errorf("Endpoint(nope) = %+v", ep)
	}
}

func TestNew_Options(t *testing.T) {
	good := testOptions("https://api.pandapon.com")
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"no base url", func(o *Options) { o.BaseURL = "" }, "base URL is required"},
		{"relative base url", func(o *Options) { o.BaseURL = "api.pandapon.com" }, "want http(s)://host"},
		{"ftp", func(o *Options) { o.BaseURL = "ftp://x" }, "want http(s)://host"},
		{"no access key", func(o *Options) { o.AccessKey = "" }, "access key is required"},
		{"no secret", func(o *Options) { o.SecretKey = "" }, "secret key is required"},
		{"no user id", func(o *Options) { o.UserID = "" }, "user id is required"},
		{"negative burst", func(o *Options) { o.Burst = -1 }, "must not be negative"},
		{"backoff inverted", func(o *Options) { o.BackoffBase, o.BackoffMax = time.Second, time.Millisecond }, "below backoff base"},
		{"unknown path kind", func(o *Options) { o.Paths = map[Kind]string{"nope": "/x"} }, `unknown kind "nope"`},
		{"relative path", func(o *Options) { o.Paths = map[Kind]string{KindHotlist: "x"} }, "starting with /"},
	}
	for _, tt := range tests {
		o := good
		tt.mod(&o)
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	c, err := New(Options{BaseURL: "http://h", AccessKey: "a", SecretKey: "s", UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	o := c.opts
	// Concurrency 0 is automatic: qps 5 × AutoConcurrencyLatency (2 s) = 10 in flight.
	if o.Language != "en" || o.QPS != 5 || o.Burst != 1 || o.Concurrency != 10 || o.Timeout != 15*time.Second ||
		o.MaxAttempts != 5 || fmt.Sprint(o.RetryCodes) != "[429]" || o.BackoffBase != 500*time.Millisecond ||
		o.BackoffMax != 30*time.Second || o.MaxBodyBytes != 8<<20 || c.own == nil || c.own.MaxIdleConnsPerHost < 4 {
		t.Errorf("defaults = %+v", o)
	}
	if cap(c.gate.slots) != 10 {
		t.Errorf("concurrency cap = %d", cap(c.gate.slots))
	}
}

func TestOptions_StringMasksSecret(t *testing.T) {
	o := testOptions("http://h")
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%v", &o), o.LogValue().String()} {
		if strings.Contains(s, testSecret) || !strings.Contains(s, "ak-test") {
			t.Errorf("printed options: %s", s)
		}
	}
	c := newClient(t, o)
	if s := fmt.Sprintf("%v %+v %s", c, c, c); strings.Contains(s, testSecret) {
		t.Errorf("printed client: %s", s)
	}
}

func TestClient_ConcurrentUseIsSafe(t *testing.T) {
	// Run with -race: many callers share the gate, the pools and the hooks.
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n%3 == 0 {
			w.WriteHeader(502)
			return
		}
		writePage(w)
	})
	c := newClient(t, testOptions(f.url))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			req := keywordPage
			req.Page = i + 1
			p, err := c.FetchPage(context.Background(), req)
			if err != nil || len(p.Offers) != 1 {
				t.Errorf("page %d: %v", req.Page, err)
			}
		})
	}
	wg.Wait()
}
