package crawl

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// Fetcher fetches one page of a listing query. *upstream.Client satisfies it.
//
// FetchPage must be safe for concurrent use and return promptly once ctx is done. An
// error means retrying now is pointless: the error is permanent (upstream.IsPermanent) or
// the fetcher's own retries are spent. Items that do not normalise belong in Page.Invalid,
// not in the error.
type Fetcher interface {
	FetchPage(ctx context.Context, req upstream.PageRequest) (*upstream.Page, error)
}

// prefetcher fetches the pages of one query ahead of the page being processed: pages in
// order from its first page, none beyond limit, none twice. How many it requests is the
// caller's to decide (request); results are taken strictly in page order whatever order
// they arrive in.
//
// A prefetcher belongs to one goroutine; only its requests run concurrently. close
// cancels the requests not taken and waits for every goroutine it started.
type prefetcher struct {
	fetch func(ctx context.Context, page int) (*upstream.Page, error)
	first int         // the first page requested
	next  int         // the next page to request
	limit int         // the last page that may be requested
	sized bool        // a page of the query has told how far it goes (see pipeline.size)
	queue []*inflight // requested and not taken, in page order
	// arrived, when not nil, is signalled (without blocking) after every result delivered,
	// so that a runner waiting for one page can act on the others as they land.
	arrived chan<- struct{}
	wg      sync.WaitGroup
}

// inflight is one page request.
type inflight struct {
	page   int
	cancel context.CancelFunc
	done   chan fetchResult // buffered: the request never blocks on delivery
	// arrived holds a result tryTake or peek received but did not take.
	arrived *fetchResult
}

type fetchResult struct {
	page *upstream.Page
	err  error
	took time.Duration
}

// newPrefetcher returns a prefetcher whose first request is page first. Until setLimit
// raises the limit, only that page may be requested: its totalPage says how far to go.
// arrived may be nil.
func newPrefetcher(first int, arrived chan<- struct{}, fetch func(ctx context.Context, page int) (*upstream.Page, error)) *prefetcher {
	return &prefetcher{fetch: fetch, first: first, next: first, limit: first, arrived: arrived}
}

// setLimit sets the last page that may be requested. Pages already requested beyond it
// are not cancelled here; close discards them.
func (p *prefetcher) setLimit(last int) { p.limit = last }

// remaining is how many pages up to the limit are still to be requested.
func (p *prefetcher) remaining() int { return max(p.limit-p.next+1, 0) }

// request requests up to n more pages, never one beyond the limit. The requests run with
// contexts derived from ctx. Once ctx is done it requests nothing: a request made then
// could only fail, and an interrupted run asks upstream for nothing new.
func (p *prefetcher) request(ctx context.Context, n int) {
	if ctx.Err() != nil {
		return
	}
	n = min(n, p.remaining())
	for range n {
		rctx, cancel := context.WithCancel(ctx)
		f := &inflight{page: p.next, cancel: cancel, done: make(chan fetchResult, 1)}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			start := time.Now()
			pg, err := p.fetch(rctx, f.page)
			f.done <- fetchResult{page: pg, err: err, took: time.Since(start)}
			if p.arrived != nil {
				select {
				case p.arrived <- struct{}{}:
				default: // a signal is already pending: the runner looks at every query then
				}
			}
		}()
		p.queue = append(p.queue, f)
		p.next++
	}
}

// peek returns the result of the lowest page requested and not taken if it has arrived,
// without taking it.
func (p *prefetcher) peek() (fetchResult, bool) {
	if len(p.queue) == 0 {
		return fetchResult{}, false
	}
	f := p.queue[0]
	if f.arrived == nil {
		select {
		case res := <-f.done:
			f.arrived = &res
		default:
			return fetchResult{}, false
		}
	}
	return *f.arrived, true
}

// tryTake returns the result of page, the lowest page requested and not yet taken, if it
// has already arrived without error; otherwise it takes nothing and reports false. An
// arrived error stays for take to return.
func (p *prefetcher) tryTake(page int) (fetchResult, bool) {
	if len(p.queue) == 0 || p.queue[0].page != page {
		return fetchResult{}, false
	}
	res, ok := p.peek()
	if !ok || res.err != nil || res.page == nil {
		return fetchResult{}, false
	}
	f := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	f.cancel()
	return res, true
}

// take waits for page, which must be the lowest page requested and not yet taken, and
// returns its result; the result's err is ctx's error when ctx is done first. A page that
// has already arrived is returned even when ctx is done too: its quota is spent, and the
// runner applies it rather than fetch it again on resume.
func (p *prefetcher) take(ctx context.Context, page int) fetchResult {
	res, _ := p.wait(ctx, page, nil)
	return res
}

// wait is take, except that it returns early, taking nothing and reporting false, when
// wake fires before page has arrived. A nil wake never fires.
func (p *prefetcher) wait(ctx context.Context, page int, wake <-chan struct{}) (fetchResult, bool) {
	if len(p.queue) == 0 || p.queue[0].page != page {
		if err := ctx.Err(); err != nil {
			return fetchResult{err: err}, true // request asks for nothing once ctx is done
		}
		return fetchResult{err: fmt.Errorf("page %d was not requested", page)}, true // a bug in the caller
	}
	f := p.queue[0]
	if f.arrived == nil {
		select {
		case res := <-f.done:
			f.arrived = &res
		case <-wake:
			return fetchResult{}, false
		case <-ctx.Done():
			// select chooses at random when both are ready; an arrived page wins.
			select {
			case res := <-f.done:
				f.arrived = &res
			default:
				f.arrived = &fetchResult{err: ctx.Err()}
			}
		}
	}
	p.queue[0] = nil
	p.queue = p.queue[1:]
	f.cancel()
	return *f.arrived, true
}

// close cancels every request not taken, waits for all requests to return, and reports
// how many requested pages were never taken. It may be called more than once.
func (p *prefetcher) close() (discarded int) {
	discarded = len(p.queue)
	for _, f := range p.queue {
		f.cancel()
	}
	p.queue = nil
	p.wg.Wait()
	return discarded
}
