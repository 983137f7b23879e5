package sim

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// TestAuth_Headers: each header problem gets its envelope code (HTTP 200, data null), a
// message naming the header, and a Rejected count; good variants (seconds, skew inside the
// window) pass.
func TestAuth_Headers(t *testing.T) {
	now := time.UnixMilli(1715669977082)
	h := newHarness(t, Options{Now: func() time.Time { return now }})
	h.now = func() time.Time { return now }
	resign := func(r *http.Request, ts string) {
		r.Header.Set(upstream.HeaderTimestamp, ts)
		r.Header.Set(upstream.HeaderSignature, upstream.Sign(h.key, ts, r.Header.Get(upstream.HeaderNonce), h.secret))
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	sec := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	cases := []struct {
		name   string
		edit   func(r *http.Request)
		code   int
		reason string
		naming string
	}{
		{"valid", func(*http.Request) {}, upstream.CodeOK, "", ""},
		{"seconds timestamp", func(r *http.Request) { resign(r, sec(0)) }, upstream.CodeOK, "", ""},
		{"ms 590s old", func(r *http.Request) { resign(r, ms(-590*time.Second)) }, upstream.CodeOK, "", ""},
		{"seconds 590s ahead", func(r *http.Request) { resign(r, sec(590*time.Second)) }, upstream.CodeOK, "", ""},
		{"wrong signature", func(r *http.Request) { r.Header.Set(upstream.HeaderSignature, strings.Repeat("A", 32)) }, CodeBadSignature, "signature", "signature"},
		{"lower-case signature", func(r *http.Request) {
			r.Header.Set(upstream.HeaderSignature, strings.ToLower(r.Header.Get(upstream.HeaderSignature)))
		}, CodeBadSignature, "signature", "signature"},
		{"wrong secret", func(r *http.Request) {
			ts, n := r.Header.Get(upstream.HeaderTimestamp), r.Header.Get(upstream.HeaderNonce)
			r.Header.Set(upstream.HeaderSignature, upstream.Sign(h.key, ts, n, "other-secret"))
		}, CodeBadSignature, "signature", "signature"},
		{"unknown access key", func(r *http.Request) {
			ts, n := r.Header.Get(upstream.HeaderTimestamp), r.Header.Get(upstream.HeaderNonce)
			r.Header.Set(upstream.HeaderAccessKey, "someone-else")
			r.Header.Set(upstream.HeaderSignature, upstream.Sign("someone-else", ts, n, h.secret))
		}, CodeBadSignature, "signature", "access-key"},
		{"ms 700s old", func(r *http.Request) { resign(r, ms(-700*time.Second)) }, CodeBadTimestamp, "timestamp", "timestamp"},
		{"ms 700s ahead", func(r *http.Request) { resign(r, ms(700*time.Second)) }, CodeBadTimestamp, "timestamp", "timestamp"},
		{"seconds 700s old", func(r *http.Request) { resign(r, sec(-700*time.Second)) }, CodeBadTimestamp, "timestamp", "timestamp"},
		{"timestamp not a number", func(r *http.Request) { resign(r, "yesterday") }, CodeBadTimestamp, "timestamp", "timestamp"},
		{"timestamp in microseconds", func(r *http.Request) { resign(r, strconv.FormatInt(now.UnixMicro(), 10)) }, CodeBadTimestamp, "timestamp", "timestamp"},
		{"short nonce", func(r *http.Request) {
			n := r.Header.Get(upstream.HeaderNonce)[:31]
			r.Header.Set(upstream.HeaderNonce, n)
			r.Header.Set(upstream.HeaderSignature, upstream.Sign(h.key, r.Header.Get(upstream.HeaderTimestamp), n, h.secret))
		}, CodeBadRequest, "headers", "nonce-str"},
		{"wrong content type", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, CodeBadRequest, "headers", "Content-Type"},
	}
	for _, name := range []string{upstream.HeaderAccessKey, upstream.HeaderTimestamp, upstream.HeaderNonce, upstream.HeaderUserID, upstream.HeaderSignature} {
		cases = append(cases, struct {
			name   string
			edit   func(r *http.Request)
			code   int
			reason string
			naming string
		}{"missing " + name, func(r *http.Request) { r.Header.Del(name) }, CodeBadRequest, "headers", name})
	}
	want := map[string]int{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := h.on(t)
			path, body := bodyFor(upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}, 1, 5)
			req := h.request(path, body)
			tc.edit(req)
			status, b := h.do(req)
			env := decodeEnvelope(t, b)
			if status != http.StatusOK || env.Code != tc.code {
				t.Fatalf("HTTP %d code %d (%s), want HTTP 200 code %d", status, env.Code, env.Msg, tc.code)
			}
			if tc.code != upstream.CodeOK && (!strings.Contains(env.Msg, tc.naming) || string(env.Data) != "null") {
				t.Fatalf("msg %q data %s; want a message naming %s and data null", env.Msg, env.Data, tc.naming)
			}
		})
		if tc.reason != "" {
			want[tc.reason]++
		}
	}
	st := h.sim.Stats()
	for reason, n := range want {
		if st.Rejected[reason] != n {
			t.Errorf("Rejected[%s] = %d, want %d", reason, st.Rejected[reason], n)
		}
	}
	if st.Served != 4 {
		t.Errorf("Served = %d, want 4", st.Served)
	}
}

func TestAuth_OnlyPOST(t *testing.T) {
	h := newHarness(t, Options{})
	req := h.request("/v2/alibaba/product/keywords/query", map[string]any{"keyword": "T恤"})
	req.Method = http.MethodGet
	status, b := h.do(req)
	if status != http.StatusMethodNotAllowed || decodeEnvelope(t, b).Code != CodeMethod {
		t.Fatalf("GET: HTTP %d %s", status, b)
	}
	if n := h.sim.Stats().Rejected["method"]; n != 1 {
		t.Fatalf("Rejected[method] = %d", n)
	}
}

func TestAuth_CustomCredentialsAndPaths(t *testing.T) {
	h := newHarness(t, Options{AccessKey: "58c0201dfdf148eca63cbf6bb5e7cf03", SecretKey: "test-secret",
		Paths: map[upstream.Kind]string{upstream.KindHotlist: "/v2/alibaba/product/rank/query"}})
	env := h.envelope("/v2/alibaba/product/rank/query", map[string]any{"rankType": "hot", "beginPage": 1, "pageSize": 5})
	if env.Code != upstream.CodeOK {
		t.Fatalf("overridden path: code %d %s", env.Code, env.Msg)
	}
	status, b := h.do(h.request("/v2/alibaba/product/hotlist/query", map[string]any{"rankType": "hot"}))
	if status != http.StatusNotFound || decodeEnvelope(t, b).Code != CodeNotFound {
		t.Fatalf("default path after override: HTTP %d %s", status, b)
	}
	h.secret = "sim-secret-key"
	if env := h.envelope("/v2/alibaba/product/rank/query", map[string]any{"rankType": "hot"}); env.Code != CodeBadSignature {
		t.Fatalf("default secret accepted: code %d", env.Code)
	}
}
