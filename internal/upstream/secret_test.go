package upstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a slog handler.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestClient_SecretNeverLeaks drives every failure path with a debug logger and an upstream
// that echoes what it receives, and looks for the secret key in every error, log line,
// request body and header but the signature (DESIGN §3 rule 8).
func TestClient_SecretNeverLeaks(t *testing.T) {
	echo := func(r *http.Request) string {
		var b strings.Builder
		for k, v := range r.Header {
			fmt.Fprintf(&b, "%s=%s;", k, v)
		}
		body, _ := io.ReadAll(r.Body)
		b.Write(body)
		return b.String()
	}
	answers := []func(w http.ResponseWriter, r *http.Request){
		func(w http.ResponseWriter, r *http.Request) { // bad signature, msg echoing the request
			fmt.Fprintf(w, `{"code":401,"msg":%q}`, echo(r))
		},
		func(w http.ResponseWriter, r *http.Request) { // 5xx echoing the request, retried
			w.WriteHeader(500)
			io.WriteString(w, echo(r))
		},
		func(w http.ResponseWriter, r *http.Request) { // 400 echoing the request
			w.WriteHeader(400)
			io.WriteString(w, echo(r))
		},
		func(w http.ResponseWriter, r *http.Request) { // a hostile upstream that knows the secret
			fmt.Fprintf(w, `{"code":403,"requestId":%q,"msg":"your secret is %s"}`, testSecret, testSecret)
		},
		func(w http.ResponseWriter, r *http.Request) { // … and puts it in a 502 page
			w.WriteHeader(502)
			io.WriteString(w, "<html>"+testSecret+"</html>")
		},
		func(w http.ResponseWriter, r *http.Request) { // … and in items
			w.Write(pageBody(item(map[string]string{"offerMapId": `"` + testSecret + `"`, "monthSold": `"x"`})))
		},
		func(w http.ResponseWriter, r *http.Request) { // a page that is too large
			w.Write(bytes.Repeat([]byte(" "), 2048))
		},
		func(w http.ResponseWriter, r *http.Request) { // a stall, timed out
			<-r.Context().Done()
		},
	}
	var logs syncBuffer
	var seen []string
	for i, answer := range answers {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int64) { answer(w, r) })
		opts := testOptions(f.url)
		opts.MaxAttempts = 2
		opts.MaxBodyBytes = 1024
		opts.Timeout = 100 * time.Millisecond
		opts.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c := newClient(t, opts)
		c.log.Debug("client", "options", opts, "client", c)
		p, err := c.FetchPage(context.Background(), keywordPage)
		if err != nil {
			seen = append(seen, err.Error(), fmt.Sprintf("%+v", err))
		} else {
			for _, ie := range p.Invalid {
				seen = append(seen, ie.Error(), ie.OfferID)
			}
			seen = append(seen, fmt.Sprintf("%+v", p))
		}
		if _, err := c.Detail(context.Background(), "x"); err != nil {
			seen = append(seen, err.Error())
		}
		for _, r := range f.requests() {
			seen = append(seen, string(r.body))
			for k, v := range r.header {
				if k != http.CanonicalHeaderKey(HeaderSignature) {
					seen = append(seen, strings.Join(v, ","))
				}
			}
		}
		if len(seen) == 0 {
			t.Fatalf("answer %d: nothing to check", i)
		}
	}
	seen = append(seen, logs.String())
	if !strings.Contains(logs.String(), "retrying") {
		t.Error("no retry was logged; the log check is vacuous")
	}
	for _, s := range seen {
		if strings.Contains(s, testSecret) {
			t.Errorf("the secret key leaked: %s", s)
		}
	}
}
