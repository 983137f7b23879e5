package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// BenchmarkServePage measures the handler answering one cached page of 20 offers from a
// 100,000-offer catalog, signature check included:
//
//	go test ./internal/upstream/sim -run XXX -bench ServePage -benchmem
func BenchmarkServePage(b *testing.B) {
	now := time.UnixMilli(1715669977082)
	s := New(Options{Offers: 100_000, Now: func() time.Time { return now }})
	path, body := bodyFor(upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤", Sort: `{"price":"asc"}`}, 3, 20)
	raw, _ := json.Marshal(body)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	nonce := upstream.NewNonce()
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set(upstream.HeaderAccessKey, s.opts.AccessKey)
	header.Set(upstream.HeaderTimestamp, ts)
	header.Set(upstream.HeaderNonce, nonce)
	header.Set(upstream.HeaderUserID, "2100007341207")
	header.Set(upstream.HeaderSignature, upstream.Sign(s.opts.AccessKey, ts, nonce, s.opts.SecretKey))
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(raw))
		req.Header = header
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w
	}
	if w := serve(); w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"code":200`)) {
		b.Fatalf("HTTP %d: %s", w.Code, w.Body.Bytes())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		serve()
	}
}

// BenchmarkFirstQuery measures a query that is not cached yet: matching, filtering and
// ranking a keyword over 100,000 offers.
func BenchmarkFirstQuery(b *testing.B) {
	s := New(Options{Offers: 100_000})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.cache.clear()
		if ids := s.Matches(upstream.Query{Kind: upstream.KindKeyword, Keyword: "cotton t-shirt"}); len(ids) == 0 {
			b.Fatal("no matches")
		}
	}
}
