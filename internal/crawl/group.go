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
// client's pace, filled across as many queries as it takes) and lands pages that already
// arrived together, in one index write and one store transaction.

// maxGroupPages bounds the pages one commit lands (group commit in runQuery).
const maxGroupPages = 64

// landing is one fetched page of a group commit and the cursor after it.
type landing struct {
	page   int
	res    fetchResult
	next   checkpoint.Cursor // Query and Page after this page; stats are filled by applyPages
	capped bool              // the query's first page, reporting upstream's result cap
}

// pipeline holds the prefetchers of one run: the query being landed and the queries
// looked ahead, in query order. It decides what each of them may request, so that the
// rate limit stays busy across query boundaries however short the queries are: at 1 s of
// latency and 50 requests a second about 60 pages must be in flight at all times, more
// than one 40-page query has left near its end.
//
// A query's first page is what tells how far it goes, so no other page of it can be
// asked for before that page has arrived, a round trip after it was requested. The
// pipeline therefore requests the first page of the next query as soon as the queries
// before it have less than a window of pages left to request (for a query whose end is
// not known yet, the estimate), and again for the query after that, and so on: about
// ceil(window / pages per query) + 1 queries are looked ahead. Each first page is needed
// by the run anyway; only a failed or interrupted run abandons them.
//
// The window (Runner.windowSize) bounds the other pages requested and not landed, and
// goes to the queries in order: a query may request only what the queries before it
// leave of the window once they have requested all they still need. Pages of a later
// query wait until every query before it has landed, so a later query given window that
// an earlier one needs would stall the earlier one. The query being landed always has
// its next page requested, even when later queries hold the window (its total can grow
// after they were filled), so a run has at most its window plus one of these pages
// requested and not landed, plus the first pages of the queries looked ahead, of which
// there are at most a window.
type pipeline struct {
	r   *Runner
	job Job
	q0  int           // the query of pfs[0]
	pfs []*prefetcher // pfs[i] fetches query q0+i; pfs[0] is the query being landed
	// arrived is signalled by every prefetcher of the run when a result arrives, so that a
	// runner waiting for its next page sizes and fills later queries meanwhile.
	arrived chan struct{}
	// sizedQueries and sizedPages are the queries of this run whose end became known and
	// their pages from the first one requested: the estimate of an unknown query's length.
	// longest is the most pages one of them had.
	sizedQueries, sizedPages, longest int
}

func (r *Runner) newPipeline(job Job) *pipeline {
	return &pipeline{r: r, job: job, arrived: make(chan struct{}, 1)}
}

// current returns the prefetcher of query qi from page first, starting it unless the
// lookahead did. Queries are landed in order: qi is the query after the last one popped.
func (pl *pipeline) current(qi, first int) *prefetcher {
	if len(pl.pfs) == 0 {
		pl.q0 = qi
		pl.pfs = append(pl.pfs, pl.newPrefetcher(qi, first))
	}
	if pl.q0 != qi || pl.pfs[0].first != first {
		// A lookahead starts queries at page 1, and only those after the current one.
		panic(fmt.Sprintf("crawl: pipeline holds query %d from page %d, the run is at query %d page %d", pl.q0, pl.pfs[0].first, qi, first))
	}
	return pl.pfs[0]
}

// pop drops the prefetcher of the query just landed, which the caller closed.
func (pl *pipeline) pop() {
	pl.pfs[0] = nil
	pl.pfs = pl.pfs[1:]
	pl.q0++
}

// close cancels every request of the run not taken, waits for all of them, and reports
// how many requested pages were never taken. It may be called more than once.
func (pl *pipeline) close() (discarded int) {
	for _, pf := range pl.pfs {
		discarded += pf.close()
	}
	pl.pfs = nil
	return discarded
}

// newPrefetcher returns the prefetcher of query qi of the job from page first.
func (pl *pipeline) newPrefetcher(qi, first int) *prefetcher {
	q := pl.r.query(pl.job, qi)
	return newPrefetcher(first, pl.arrived, func(ctx context.Context, page int) (*upstream.Page, error) {
		return pl.r.fetcher.FetchPage(ctx, upstream.PageRequest{Query: q, Page: page, PageSize: pl.job.PageSize})
	})
}

// size records that a page of pf's query says it ends at page end (see queryEnd): no page
// beyond it is requested. The first time, the query's length joins the estimate.
func (pl *pipeline) size(pf *prefetcher, end int) {
	pf.setLimit(end)
	if !pf.sized {
		pf.sized = true
		pl.sizedQueries++
		pl.sizedPages += end - pf.first + 1
		pl.longest = max(pl.longest, end-pf.first+1)
	}
}

// estimate is how many pages a query whose end is not known yet is expected to take: the
// mean of this run's queries whose end is known. With none known it is one page, so that
// a run starts with the first pages of as many queries as its window holds: before the
// first answer nothing else may be requested, and a run that asked only for its first
// page would leave the rate limit idle for a whole round trip.
func (pl *pipeline) estimate() int {
	if pl.sizedQueries == 0 {
		return 1
	}
	return max((pl.sizedPages+pl.sizedQueries-1)/pl.sizedQueries, 1)
}

// take waits for page of the query being landed and returns it (see prefetcher.take).
// While it waits, the first pages of later queries that arrive size their queries, and the
// window they leave is filled.
func (pl *pipeline) take(ctx context.Context, page int) fetchResult {
	for {
		if res, ok := pl.pfs[0].wait(ctx, page, pl.arrived); ok {
			return res
		}
		pl.fill(ctx)
	}
}

// fill requests what the window allows, in query order (see pipeline), and looks ahead
// to further queries while the queries in the pipeline leave room in the window. Once
// ctx is done it requests nothing.
func (pl *pipeline) fill(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	// A looked-ahead query whose first page arrived is sized by it. An error or a missing
	// page sizes it at that page: nothing more is requested, and the error surfaces when
	// its turn comes. The query being landed is sized by runQuery from the pages it takes.
	for i, pf := range pl.pfs {
		if i == 0 || pf.sized {
			continue
		}
		if res, ok := pf.peek(); ok && pf.queue[0].page == pf.first {
			end := pf.first
			if res.err == nil && res.page != nil {
				end, _ = queryEnd(pf.first, res.page, pageLimit(pl.job))
			}
			pl.size(pf, end)
		}
	}

	window := pl.r.windowSize()
	est := pl.estimate()
	// A query whose end is not known yet keeps room for as many pages as the longest query
	// so far: given less, it would find later queries holding the window it needs once its
	// first page arrives, and its last pages would wait for theirs to land, a round trip
	// each.
	reserve := max(pl.longest, est) - 1
	room := window // what the queries in order leave of the window
	for i, pf := range pl.pfs {
		held := len(pf.queue)
		if i > 0 && held > 0 {
			held-- // the first page of a query looked ahead is outside the window
		}
		room -= held
	}
	left := 0 // pages the queries so far still have to request
	for i, pf := range pl.pfs {
		if !pf.sized {
			if i == 0 {
				pf.request(ctx, 1) // its first page, unless requested already
			}
			room -= reserve // its pages after the first, once it is sized
			left += est - 1
			continue
		}
		need := pf.remaining()
		n := min(max(room, 0), need)
		if i == 0 && len(pf.queue) == 0 {
			n = max(n, min(need, 1)) // the page the runner takes next
		}
		pf.request(ctx, n)
		room -= need
		left += need - n
	}
	// Look ahead: the next query's first page as soon as the queries so far have less than
	// a window left to request, so that it has arrived by the time they have requested
	// everything.
	for left < window && len(pl.pfs)-1 < window && pl.q0+len(pl.pfs) < len(pl.job.Queries) {
		pf := pl.newPrefetcher(pl.q0+len(pl.pfs), 1)
		pf.request(ctx, 1)
		pl.pfs = append(pl.pfs, pf)
		left += est - 1
	}
}

// applyPages lands a group of fetched pages of one query, in page order, with one index
// write and one store transaction: it compares each page's offers with their mirror rows
// (as left by the pages before it in the group) and with what the run has seen (seen, and
// the pages before it), upserts the documents that need it (and only if any do), then
// commits their rows, the group's sightings and the cursor after the last page. cur is the
// cursor before the group; each landing's next gives the position after its page. It
// returns the cursor after each page, with the counts up to that page added, and each
// page's stats. On error nothing was committed; on success the sightings are added to
// seen.
func (r *Runner) applyPages(ctx context.Context, job string, cur checkpoint.Cursor, group []landing, seen *runSeen) ([]checkpoint.Cursor, []PageStats, error) {
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
		var (
			corrupt []string
			err     error
		)
		if existing, corrupt, err = r.store.Rows(ids); err != nil {
			return nil, nil, fmt.Errorf("read mirror rows: %w", err)
		}
		if len(corrupt) > 0 {
			r.logger.Warn("mirror rows cannot be decoded; the offers count as new and their rows are replaced",
				"job", job, "offers", corrupt)
		}
	}
	now := r.now()
	sighted := map[string]bool{} // offers of the group's earlier pages sent to the log
	seenBefore := func(id string) bool { return sighted[id] || seen.has(id) }
	var (
		sighting = checkpoint.Sighting{At: now.Unix()}
		rows     []checkpoint.Row
		docs     []index.Offer
		docAt    = map[string]int{} // offer id → position in docs: the latest version wins
		docFrom  []int              // position in docs → the page of the group it came from
		curs     = make([]checkpoint.Cursor, len(group))
		stats    = make([]PageStats, len(group))
		c        = cur
	)
	for i, l := range group {
		d := diffPage(job, cur.Run.ID, now, pages[i].offers, existing, seenBefore)
		for _, row := range d.rows {
			existing[row.Doc.OfferID] = row // later pages of the group see this one
		}
		for _, id := range d.seen {
			sighted[id] = true
		}
		rows = append(rows, d.rows...)
		sighting.IDs = append(sighting.IDs, d.seen...)
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
		st.Capped = l.capped
		c.Query, c.Page, c.QueryKey = l.next.Query, l.next.Page, l.next.QueryKey
		s := &c.Run.Stats
		s.Pages++
		s.New += st.New
		s.Changed += st.Changed
		s.Unchanged += st.Unchanged
		s.Offers += st.New + st.Changed + st.Unchanged
		s.Invalid += st.Invalid
		if st.Capped {
			s.Capped++
		}
		curs[i], stats[i] = c, st
	}
	if len(docs) > 0 {
		start := time.Now()
		if err := r.index.Upsert(ctx, docs); err != nil {
			return nil, nil, fmt.Errorf("upsert %d documents: %w", len(docs), err)
		}
		r.hooks.indexWrite(time.Since(start), len(docs))
	}
	if err := r.store.CommitPage(job, c, rows, sighting); err != nil {
		return nil, nil, fmt.Errorf("commit: %w", err)
	}
	seen.add(sighting.IDs...)
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
	if pace.Latency <= 0 {
		// No answer yet: assume the slowest upstream the in-flight cap is sized for. Until
		// the first answer only first pages can be requested (pipeline.estimate), and those
		// are needed anyway; a window of DefaultWindow would leave most of the first round
		// trip's quota unused.
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
