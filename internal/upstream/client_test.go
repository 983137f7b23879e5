package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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

// hijack answers with raw bytes on the connection, then closes it (with a reset when rst).
func hijack(t *testing.T, w http.ResponseWriter, raw string, rst bool) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	buf.WriteString(raw)
	buf.Flush()
	if tcp, ok := conn.(*net.TCPConn); ok && rst {
		tcp.SetLinger(0)
	}
	conn.Close()
}

func TestClient_FetchPage_RetriesTransientFailures(t *testing.T) {
	full := string(pageBody(seedItem))
	tests := []struct {
		name   string
		fault  func(t *testing.T, w http.ResponseWriter, r *http.Request)
		reason string
	}{
		{"http 500", func(t *testing.T, w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, "http_5xx"},
		{"http 502 html", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		}, "http_5xx"},
		{"http 503 retry-after", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
		}, "http_5xx"},
		{"http 429", func(t *testing.T, w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }, "http_429"},
		{"code 429", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"requestId":"q","code":429,"developId":"1","msg":"请求过于频繁","data":null}`)
		}, "code_429"},
		{"non-json 200", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html>maintenance</html>")
		}, "body"},
		{"truncated json", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, full[:len(full)/2])
		}, "body"},
		{"short body", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			hijack(t, w, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(full), full[:100]), false)
		}, "network"},
		{"reset", func(t *testing.T, w http.ResponseWriter, r *http.Request) { hijack(t, w, "", true) }, "network"},
		{"stall", func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
				if n == 1 {
					tt.fault(t, w, r)
					return
				}
				writePage(w)
			})
			var mu sync.Mutex
			var reasons, outcomes []string
			opts := testOptions(f.url)
			opts.Timeout = 200 * time.Millisecond
			opts.Hooks = Hooks{
				Retry: func(k Kind, reason string) { mu.Lock(); reasons = append(reasons, reason); mu.Unlock() },
				Request: func(k Kind, outcome string, d time.Duration) {
					mu.Lock()
					outcomes = append(outcomes, outcome)
					mu.Unlock()
				},
			}
			c := newClient(t, opts)
			p, err := c.FetchPage(context.Background(), keywordPage)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Offers) != 1 {
				t.Errorf("offers = %d", len(p.Offers))
			}
			if n := f.n.Load(); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(reasons) != "["+tt.reason+"]" || fmt.Sprint(outcomes) != "[retry ok]" {
				t.Errorf("retry reasons %v outcomes %v, want [%s] [retry ok]", reasons, outcomes, tt.reason)
			}
		})
	}
}

func TestClient_FetchPage_PermanentFailuresStopAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter)
		want   []string
	}{
		{"bad signature", func(w http.ResponseWriter) {
			io.WriteString(w, `{"requestId":"abc","code":401,"msg":"signature mismatch","data":null}`)
		}, []string{"rejected the signature", "code 401", "upstream.secret_key", "request id abc", "keyword page 1"}},
		{"bad parameters", func(w http.ResponseWriter) { io.WriteString(w, `{"code":400,"msg":"pageSize too large"}`) },
			[]string{"parameters", "pageSize too large"}},
		{"unknown code", func(w http.ResponseWriter) { io.WriteString(w, `{"code":5001,"msg":"余额不足"}`) }, []string{"code 5001: 余额不足"}},
		{"http 404", func(w http.ResponseWriter) { http.NotFound(w, nil) }, []string{"HTTP 404", "upstream.paths.keyword"}},
		{"http 401", func(w http.ResponseWriter) { w.WriteHeader(401) }, []string{"HTTP 401", "upstream.secret_key"}},
		{"redirect", func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere/")
			w.WriteHeader(301)
		}, []string{"HTTP 301", "upstream.base_url"}},
		{"wrong shape", func(w http.ResponseWriter) { io.WriteString(w, `{"code":200,"data":{"data":"none"}}`) }, []string{"unexpected upstream response shape"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { tt.answer(w) })
			c := newClient(t, testOptions(f.url))
			_, err := c.FetchPage(context.Background(), keywordPage)
			if err == nil || !IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := f.n.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestClient_FetchPage_GivesUpAfterMaxAttempts(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { w.WriteHeader(502) })
	opts := testOptions(f.url)
	opts.MaxAttempts = 3
	c := newClient(t, opts)
	_, err := c.FetchPage(context.Background(), keywordPage)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 502 || IsPermanent(err) || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if n := f.n.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
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

func TestClient_RetryAfter(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		writePage(w)
	})
	opts := testOptions(f.url)
	opts.BackoffMax = 10 * time.Second
	c := newClient(t, opts)
	if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond || gap > 5*time.Second {
		t.Errorf("retry came %v after a Retry-After of 1s", gap)
	}

	// Retry-After is capped by BackoffMax.
	f = newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			w.Header().Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
			w.WriteHeader(503)
			return
		}
		writePage(w)
	})
	opts = testOptions(f.url)
	opts.BackoffMax = 50 * time.Millisecond
	c = newClient(t, opts)
	start := time.Now()
	if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Retry-After of an hour was not capped by BackoffMax: took %v", took)
	}
}

func TestClient_BodyLimit(t *testing.T) {
	body := pageBody(seedItem)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { w.Write(body) })
	opts := testOptions(f.url)
	opts.MaxBodyBytes = int64(len(body))
	c := newClient(t, opts)
	if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
		t.Fatalf("body of exactly the limit: %v", err)
	}
	opts.MaxBodyBytes = int64(len(body)) - 1
	c = newClient(t, opts)
	_, err := c.FetchPage(context.Background(), keywordPage)
	if !errors.Is(err, ErrBodyTooLarge) || !IsPermanent(err) || !strings.Contains(err.Error(), strconv.Itoa(len(body)-1)) {
		t.Fatalf("err = %v, want a permanent ErrBodyTooLarge naming the limit", err)
	}
	if n := f.n.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (one per client, no retry)", n)
	}
}

// assertCanceledPromptly cancels and fails unless the call returns context.Canceled at once.
func assertCanceledPromptly(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("err = %v (%T), want context.Canceled itself", err, err)
		}
		// The waits canceled here last 30s or more; 2s leaves room for a loaded machine.
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("returned %v after cancel", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still waiting 5s after cancel")
	}
}

func TestClient_Cancel(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(503)
		})
		opts := testOptions(f.url)
		opts.BackoffMax = time.Minute
		c := newClient(t, opts)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, keywordPage); done <- err }()
		waitFor(t, func() bool { return f.n.Load() == 1 })
		time.Sleep(20 * time.Millisecond) // into the backoff
		assertCanceledPromptly(t, cancel, done)
		if n := f.n.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("waiting for the limiter", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { writePage(w) })
		opts := testOptions(f.url)
		opts.QPS, opts.Burst = 0.001, 1
		c := newClient(t, opts)
		if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
			t.Fatal(err) // spends the only token for 1000s
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, keywordPage); done <- err }()
		time.Sleep(50 * time.Millisecond)
		assertCanceledPromptly(t, cancel, done)
		if n := f.n.Load(); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("waiting for a slot", func(t *testing.T) {
		release := make(chan struct{})
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
			<-release
			writePage(w)
		})
		opts := testOptions(f.url)
		opts.Concurrency = 1
		c := newClient(t, opts)
		first := make(chan error, 1)
		go func() { _, err := c.FetchPage(context.Background(), keywordPage); first <- err }()
		waitFor(t, func() bool { return f.n.Load() == 1 })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, keywordPage); done <- err }()
		time.Sleep(50 * time.Millisecond)
		assertCanceledPromptly(t, cancel, done)
		close(release)
		if err := <-first; err != nil {
			t.Errorf("the request in flight failed: %v", err)
		}
	})
	t.Run("in flight", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { <-r.Context().Done() })
		var canceled atomic.Int64
		opts := testOptions(f.url)
		opts.Hooks.Request = func(k Kind, outcome string, d time.Duration) {
			if outcome == OutcomeCanceled {
				canceled.Add(1)
			}
		}
		c := newClient(t, opts)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.FetchPage(ctx, keywordPage); done <- err }()
		waitFor(t, func() bool { return f.n.Load() == 1 })
		assertCanceledPromptly(t, cancel, done)
		if canceled.Load() != 1 {
			t.Errorf("Hooks.Request saw %d canceled attempts, want 1", canceled.Load())
		}
	})
	t.Run("before the call", func(t *testing.T) {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { writePage(w) })
		c := newClient(t, testOptions(f.url))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.FetchPage(ctx, keywordPage); err != context.Canceled {
			t.Errorf("err = %v", err)
		}
		if f.n.Load() != 0 {
			t.Error("a canceled call sent a request")
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestClient_ConcurrencyCap(t *testing.T) {
	var inFlight, peak atomic.Int64
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		inFlight.Add(-1)
		writePage(w)
	})
	opts := testOptions(f.url)
	opts.Concurrency = 3
	c := newClient(t, opts)
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak requests in flight = %d, want 3 (cap 3)", p)
	}
}

func TestClient_LimiterSharedAcrossCallers(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { writePage(w) })
	var waits atomic.Int64
	opts := testOptions(f.url)
	opts.QPS, opts.Burst, opts.Concurrency = 40, 1, 8
	opts.Hooks.LimiterWait = func(time.Duration) { waits.Add(1) }
	c := newClient(t, opts)
	const callers, each = 8, 3
	start := time.Now()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range each {
				if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	// One token bucket of 40/s with a burst of 1 for all callers: 24 requests take at least
	// 23/40 s. Eight private limiters would take 2/40 s.
	if min := time.Duration(float64(callers*each-1) / 40 * float64(time.Second)); elapsed < min*95/100 {
		t.Errorf("%d requests took %v at 40 qps, want at least %v", callers*each, elapsed, min)
	}
	if n := f.n.Load(); n != callers*each || waits.Load() != n {
		t.Errorf("%d requests, %d limiter waits, want %d of each", n, waits.Load(), callers*each)
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
	if o.Language != "en" || o.QPS != 5 || o.Burst != 1 || o.Concurrency != 4 || o.Timeout != 15*time.Second ||
		o.MaxAttempts != 5 || fmt.Sprint(o.RetryCodes) != "[429]" || o.BackoffBase != 500*time.Millisecond ||
		o.BackoffMax != 30*time.Second || o.MaxBodyBytes != 8<<20 || c.own == nil || c.own.MaxIdleConnsPerHost < 4 {
		t.Errorf("defaults = %+v", o)
	}
	if cap(c.gate.slots) != 4 {
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

func TestClient_RetriesSpendQuota(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
		if n <= 2 {
			w.WriteHeader(503)
			return
		}
		writePage(w)
	})
	var waits atomic.Int64
	opts := testOptions(f.url)
	opts.QPS, opts.Burst = 10, 1
	opts.Hooks.LimiterWait = func(time.Duration) { waits.Add(1) }
	c := newClient(t, opts)
	start := time.Now()
	if _, err := c.FetchPage(context.Background(), keywordPage); err != nil {
		t.Fatal(err)
	}
	// Three attempts through a bucket of 10/s with a burst of 1: at least 2/10 s, whatever
	// the (millisecond) backoff.
	if took := time.Since(start); took < 190*time.Millisecond {
		t.Errorf("three attempts took %v, want at least 200ms at 10 qps", took)
	}
	if waits.Load() != 3 {
		t.Errorf("%d limiter waits for 3 attempts", waits.Load())
	}
}
