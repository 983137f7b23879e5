package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

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

// An explicit empty RetryCodes ("retry_codes: []" in the config) retries no envelope code;
// only nil means the default [429].
func TestClient_FetchPage_EmptyRetryCodesRetryNone(t *testing.T) {
	for _, tt := range []struct {
		name     string
		codes    []int
		requests int64
	}{
		{"nil means [429]", nil, 2},
		{"empty retries none", []int{}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) {
				if n == 1 {
					io.WriteString(w, `{"code":429,"msg":"busy"}`)
					return
				}
				writePage(w)
			})
			opts := testOptions(f.url)
			opts.RetryCodes = tt.codes
			c := newClient(t, opts)
			_, err := c.FetchPage(context.Background(), keywordPage)
			if n := f.n.Load(); n != tt.requests {
				t.Errorf("%d requests, want %d (err %v)", n, tt.requests, err)
			}
			if (tt.requests == 1) != IsPermanent(err) {
				t.Errorf("err = %v, permanent %v", err, IsPermanent(err))
			}
		})
	}
}
