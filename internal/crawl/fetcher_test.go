package crawl

import (
	"context"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// A page that arrived before shutdown began is paid for: take must hand it over rather
// than the cancellation, or the resumed run fetches it again. With both ready, a bare
// select would pick either at random, so the case is repeated.
func TestPrefetcher_Take_ArrivedPageWinsOverCancel(t *testing.T) {
	for i := range 64 {
		ctx, cancel := context.WithCancel(context.Background())
		pf := newPrefetcher(1, nil, func(context.Context, int) (*upstream.Page, error) {
			return &upstream.Page{TotalPage: 1}, nil
		})
		pf.request(ctx, 1)
		deadline := time.Now().Add(5 * time.Second)
		for len(pf.queue[0].done) == 0 { // wait until the result is delivered
			if time.Now().After(deadline) {
				t.Fatal("page never arrived")
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		res := pf.take(ctx, 1)
		pf.close()
		if res.err != nil || res.page == nil {
			t.Fatalf("try %d: take = page %v, err %v; want the page that had arrived", i, res.page, res.err)
		}
	}
}
