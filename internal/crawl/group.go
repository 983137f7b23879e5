package crawl

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

// Group commit and pacing: how a run keeps the rate limit busy (a window sized from the
// client's pace, the next query's first pages fetched early) and lands pages that already
// arrived together, in one index write and one store transaction.

// maxGroupPages bounds the pages one commit lands (group commit in runQuery).
const maxGroupPages = 64

// landing is one fetched page of a group commit and the cursor after it.
type landing struct {
	page int
	res  fetchResult
	next checkpoint.Cursor // Query and Page after this page; stats are filled by applyPages
}

// advance lets the next query's prefetcher, started by lookahead, fetch ahead as soon as
// its first page has told how far the query goes, so the rate limit stays busy while the
// current query's last pages land. It uses what the current query leaves of the window
// (room), so that a run never has more than its window requested and not landed, plus the
// next query's first page.
func (r *Runner) advance(ctx context.Context, job Job, pf *prefetcher, room int) {
	res, ok := pf.peek()
	if !ok || res.err != nil || res.page == nil {
		return
	}
	if end, last := queryEnd(1, res.page, pageLimit(job)); !last {
		pf.setLimit(end)
		pf.window = max(room, 1)
		pf.fill(ctx)
	}
}

// queryWindow is the window of the current query's prefetcher: the run's window less
// what the next query's prefetcher (ahead) holds beyond its first page. advance fills ahead
// only into room the current query leaves, but the current query's limit can still grow
// afterwards (totals drift, or a page reports none); without this the two together would
// hold more than the window plus one.
func (r *Runner) queryWindow(ahead *prefetcher) int {
	w := r.windowSize()
	if ahead != nil {
		w -= max(len(ahead.queue)-1, 0)
	}
	return max(w, 1)
}

// lookahead starts fetching page 1 of query qi while the query before it finishes: a
// query's first page says how far it goes, so without this every query boundary would
// leave the rate limit idle for one round trip. The page is needed whatever the current
// query still does; only an interrupted run abandons it, like any page in flight. It is
// the one request a run may have beyond its window.
func (r *Runner) lookahead(ctx context.Context, job Job, qi int) *prefetcher {
	pf := r.newPrefetcher(job, r.query(job, qi), 1)
	pf.window = 1
	pf.fill(ctx)
	return pf
}

// applyPages lands a group of fetched pages of one query, in page order, with one index
// write and one store transaction: it compares each page's offers with their mirror rows
// (as left by the pages before it in the group), upserts the documents that need it (and
// only if any do), then commits every row with the cursor after the last page. cur is the
// cursor before the group; each landing's next gives the position after its page. It
// returns the cursor after each page, with the counts up to that page added, and each
// page's stats. On error nothing was committed.
func (r *Runner) applyPages(ctx context.Context, job string, cur checkpoint.Cursor, group []landing) ([]checkpoint.Cursor, []PageStats, error) {
	type distinct struct {
		offers []upstream.Offer
		noID   int
	}
	pages := make([]distinct, len(group))
	var ids []string
	for i, l := range group {
		offers, pids, noID := distinctOffers(l.res.page.Offers)
		pages[i] = distinct{offers, noID}
		ids = append(ids, pids...)
	}

	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	existing := map[string]checkpoint.Row{}
	if len(ids) > 0 {
		var err error
		if existing, err = r.store.Rows(ids); err != nil {
			return nil, nil, fmt.Errorf("read mirror rows: %w", err)
		}
	}
	now := r.now()
	var (
		rows    []checkpoint.Row
		docs    []index.Offer
		docAt   = map[string]int{} // offer id → position in docs: the latest version wins
		docFrom []int              // position in docs → the page of the group it came from
		curs    = make([]checkpoint.Cursor, len(group))
		stats   = make([]PageStats, len(group))
		c       = cur
	)
	for i, l := range group {
		d := diffPage(job, cur.Run.ID, now, pages[i].offers, existing)
		for _, row := range d.rows {
			existing[row.Doc.OfferID] = row // later pages of the group see this one
		}
		rows = append(rows, d.rows...)
		st := d.stats
		for _, doc := range d.docs {
			if j, ok := docAt[doc.OfferID]; ok {
				// One document goes to the index: count it for the page whose version it is.
				docs[j] = doc
				stats[docFrom[j]].Indexed--
				docFrom[j] = i
				continue
			}
			docAt[doc.OfferID] = len(docs)
			docs = append(docs, doc)
			docFrom = append(docFrom, i)
		}
		st.Invalid = len(l.res.page.Invalid) + pages[i].noID
		c.Query, c.Page = l.next.Query, l.next.Page
		s := &c.Run.Stats
		s.Pages++
		s.New += st.New
		s.Changed += st.Changed
		s.Unchanged += st.Unchanged
		s.Offers += st.New + st.Changed + st.Unchanged
		s.Invalid += st.Invalid
		curs[i], stats[i] = c, st
	}
	if len(docs) > 0 {
		start := time.Now()
		if err := r.index.Upsert(ctx, docs); err != nil {
			return nil, nil, fmt.Errorf("upsert %d documents: %w", len(docs), err)
		}
		r.hooks.indexWrite(time.Since(start), len(docs))
	}
	if err := r.store.CommitPage(job, c, rows); err != nil {
		return nil, nil, fmt.Errorf("commit: %w", err)
	}
	return curs, stats, nil
}

// windowSize is how many pages a run may have requested and not yet landed (see
// Options.Window).
func (r *Runner) windowSize() int {
	if r.window > 0 {
		return r.window
	}
	p, ok := r.fetcher.(Pacer)
	if !ok {
		return DefaultWindow
	}
	pace := p.Pace()
	limit := min(max(pace.InFlight, DefaultWindow), MaxAutoWindow)
	if math.IsInf(pace.QPS, 1) || pace.QPS <= 0 {
		return limit
	}
	// Little's law: the pages in flight or waiting to land cover one round trip and one
	// commit (group) at the full rate; half again as many absorb jitter, and two more keep a
	// request queued for the next token.
	cycle := pace.Latency + time.Duration(r.applyNs.Load())
	need := int(math.Ceil(1.5*pace.QPS*cycle.Seconds())) + 2
	return min(max(need, DefaultWindow), limit)
}

// observeApply folds the time one commit took into the moving average. It is the wall
// time of the whole group, not per page: while a commit runs, nothing is taken from the
// window, so the window must hold what arrives meanwhile.
func (r *Runner) observeApply(d time.Duration) {
	per := int64(d)
	old := r.applyNs.Load()
	if old == 0 {
		r.applyNs.Store(per)
		return
	}
	r.applyNs.Store(old + (per-old)/8)
}
