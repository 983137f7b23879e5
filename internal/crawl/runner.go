package crawl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

// ErrRunning is returned (wrapped) by Runner.Run and Scheduler.Trigger when the job is
// already running in the same Runner.
var ErrRunning = errors.New("job is already running")

// DefaultWindow is the number of pages a run fetches ahead when Options.Window is 0 and
// the Fetcher is not a Pacer, and the least it fetches ahead when it is.
const DefaultWindow = 4

// MaxAutoWindow bounds the window sized from a Pacer.
const MaxAutoWindow = 64

// Pacer is implemented by a Fetcher that can say how fast it may go (*upstream.Client
// does). The runner then sizes its fetch-ahead window by Little's law: enough pages
// requested to keep the rate limit busy through one round trip and one commit.
type Pacer interface {
	Pace() upstream.Pace
}

// Options configures a Runner. Store, Index and Fetcher are required; the zero value of
// every other field means its documented default.
type Options struct {
	Store   *checkpoint.Store
	Index   index.Writer
	Fetcher Fetcher
	// Window is how many pages one run keeps requested and not yet landed, ahead of the
	// page it is processing and across the queries it looks ahead; the first page of each
	// query looked ahead comes on top (see pipeline). 0 means automatic: with a Pacer
	// fetcher, QPS × (latency + commit time per page) with a margin, between DefaultWindow
	// and min(in-flight cap, MaxAutoWindow), and that upper bound until the first latency
	// is measured; otherwise DefaultWindow. The fetcher's shared rate limit and
	// concurrency cap still bound all runs together.
	Window int
	// Logger receives run events; default: discard.
	Logger *slog.Logger
	// Now stamps runs and documents; default time.Now.
	Now   func() time.Time
	Hooks Hooks
	// Progress, when set, is called after every committed page, on the run's goroutine.
	Progress func(job string, p Progress)
}

// Runner runs jobs: it pages through each query of a job, lands every page in the index
// and the mirror, and checkpoints after each page (DESIGN §3).
//
// A Runner is safe for concurrent use. Different jobs may run at once; one job runs at
// most once at a time. Page writes of all jobs are serialised, so that two jobs seeing
// the same offer never lose each other's source. Run returns only after every goroutine
// it started has ended, so a Runner has nothing to close.
type Runner struct {
	store    *checkpoint.Store
	index    index.Writer
	fetcher  Fetcher
	window   int
	logger   *slog.Logger
	now      func() time.Time
	hooks    Hooks
	progress func(string, Progress)

	mu      sync.Mutex
	running map[string]bool // job names with a run in progress

	// applyNs is a moving average of the time one commit takes, for the automatic window.
	applyNs atomic.Int64

	// writeMu spans read rows → upsert → commit of one page, across all jobs: two jobs
	// merging sources into the same row must not both start from the old row.
	writeMu sync.Mutex
}

// NewRunner returns a Runner. It panics if Store, Index or Fetcher is nil.
func NewRunner(opts Options) *Runner {
	if opts.Store == nil || opts.Index == nil || opts.Fetcher == nil {
		panic("crawl: NewRunner needs Store, Index and Fetcher")
	}
	r := &Runner{
		store:    opts.Store,
		index:    opts.Index,
		fetcher:  opts.Fetcher,
		window:   opts.Window,
		logger:   opts.Logger,
		now:      opts.Now,
		hooks:    opts.Hooks,
		progress: opts.Progress,
		running:  make(map[string]bool),
	}
	if r.window < 0 {
		r.window = 0
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Running reports whether a run of the named job is in progress in this Runner.
func (r *Runner) Running(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[name]
}

// claim marks the job running; it reports false if it already was.
func (r *Runner) claim(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running[name] {
		return false
	}
	r.running[name] = true
	return true
}

func (r *Runner) release(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, name)
}

// Run runs one job to completion and returns the run as recorded.
//
// It resumes the job's unfinished run when there is one, unless fresh is set or the
// queries the run had done changed since (Resumable); otherwise it starts a new run. Each
// query is paged from its cursor page until an empty page, its totalPage or the job's
// MaxPages, with up to Window pages fetched ahead (of this query and, near its end, of the
// queries after it, whose first pages are fetched early) and never a page past the known
// end. Pages are applied strictly in order, each committed (mirror rows, sightings and
// cursor in one transaction) only after the index acknowledged its documents.
//
// On success the run is finished with status succeeded and the cursor cleared. When a
// page cannot be fetched, indexed or committed, the run stops at once with status failed,
// the cursor stays at that page, and the error names job, query and page. When ctx is
// done, the run stops with status interrupted, the cursor stays, and the error wraps
// ctx's error; a page already fetched is still applied and committed first (its quota is
// spent), while requests in flight are abandoned. In both cases the next Run resumes where
// this one stopped, as long as the job still has the queries it covered (Resumable). Run
// returns an error wrapping ErrRunning if the job is already running in this Runner.
func (r *Runner) Run(ctx context.Context, job Job, fresh bool) (checkpoint.Run, error) {
	if !r.claim(job.Name) {
		return checkpoint.Run{Job: job.Name}, fmt.Errorf("run job %s: %w", job.Name, ErrRunning)
	}
	defer r.release(job.Name)
	return r.run(ctx, job, fresh)
}

// run is Run for a job already claimed.
func (r *Runner) run(ctx context.Context, job Job, fresh bool) (checkpoint.Run, error) {
	began := time.Now()
	log := r.logger.With("job", job.Name)
	if job.Name == "" {
		return checkpoint.Run{}, errors.New("run job: job has no name")
	}
	cur, err := r.begin(log, job, fresh)
	if err != nil {
		return checkpoint.Run{Job: job.Name}, fmt.Errorf("start run of job %s: %w", job.Name, err)
	}
	seen, bad, err := loadRunSeen(r.store, job.Name, cur.Run.ID)
	if err != nil {
		return checkpoint.Run{Job: job.Name}, fmt.Errorf("start run of job %s: %w", job.Name, err)
	}
	if bad > 0 {
		log.Warn("sighting log entries of the resumed run cannot be decoded; their offers may be counted again",
			"run", cur.Run.ID, "entries", bad)
	}
	pl := r.newPipeline(job)
	for err == nil && cur.Query < len(job.Queries) {
		err = r.runQuery(ctx, log, job, &cur, pl, seen)
	}
	// A failed or interrupted run abandons what it requested and did not land, of the
	// query it stopped in and of the queries looked ahead.
	if n := pl.close(); n > 0 {
		log.Debug("abandoned pages fetched ahead", "pages", n)
	}
	run, err := r.end(ctx, log, job, cur, seen, err)
	r.hooks.runFinished(job.Name, run, time.Since(began))
	return run, err
}

// begin returns the cursor the run starts from, saved with status running: the job's
// unfinished run, or a new run at the first page of the first query.
func (r *Runner) begin(log *slog.Logger, job Job, fresh bool) (checkpoint.Cursor, error) {
	rec, err := r.store.Job(job.Name)
	if err != nil {
		return checkpoint.Cursor{}, err
	}
	if old := rec.Cursor; old != nil {
		if !fresh && Resumable(job, *old) {
			c := *old
			c.Run.Status, c.Run.Error = checkpoint.RunRunning, ""
			// A cursor written before keys covered a prefix gets the prefix key now, so that
			// queries appended later keep this run too.
			c.QueryKey = cursorKey(job, c.Query, c.Page)
			if err := r.store.SaveCursor(job.Name, c); err != nil {
				return checkpoint.Cursor{}, err
			}
			log.Info("resuming run", "run", c.Run.ID, "query", c.Query+1, "queries", len(job.Queries),
				"page", c.Page, "offers", c.Run.Offers)
			return c, nil
		}
		why := "a fresh run was asked for"
		if !fresh {
			why = "the job's kind, page size or the queries the run had done changed since it started"
		}
		log.Info("starting over, abandoning unfinished run", "run", old.Run.ID, "reason", why,
			"query", old.Query+1, "page", old.Page)
		if err := r.abandon(job.Name, old.Run, why); err != nil {
			return checkpoint.Cursor{}, err
		}
	}
	now := r.now()
	c := checkpoint.Cursor{
		Run: checkpoint.Run{
			ID:        newRunID(now),
			Job:       job.Name,
			StartedAt: now,
			Status:    checkpoint.RunRunning,
		},
		QueryKey: cursorKey(job, 0, 1),
		Query:    0,
		Page:     1,
	}
	if err := r.store.SaveCursor(job.Name, c); err != nil {
		return checkpoint.Cursor{}, err
	}
	log.Info("starting run", "run", c.Run.ID, "queries", len(job.Queries))
	return c, nil
}

// abandon records an unfinished run that will not be resumed in the job's history, so
// that what it did stays visible, and clears its cursor.
func (r *Runner) abandon(job string, run checkpoint.Run, why string) error {
	if run.Status != checkpoint.RunFailed {
		run.Status = checkpoint.RunInterrupted
	}
	run.FinishedAt = r.now()
	run.Error = "abandoned: " + why
	return r.store.FinishRun(job, run)
}

// end records how the run ended, given the last committed cursor, what the run saw and
// the error that stopped the run (nil when every query is done). A run that succeeded
// first folds the sightings of the job's earlier runs into the mirror (what they saw and
// it did not keeps the time they saw it).
func (r *Runner) end(ctx context.Context, log *slog.Logger, job Job, cur checkpoint.Cursor, seen *runSeen, runErr error) (checkpoint.Run, error) {
	run := cur.Run
	switch {
	case runErr == nil:
		run.Status, run.FinishedAt = checkpoint.RunSucceeded, r.now()
		if err := r.finish(log, job.Name, run, seen); err != nil {
			// The cursor stays past the last query: the next run only finishes.
			run.Status, run.Error = checkpoint.RunFailed, err.Error()
			log.Error("run failed", "run", run.ID, "err", err)
			return run, fmt.Errorf("finish run of job %s: %w", job.Name, err)
		}
		log.Info("run succeeded", "run", run.ID, "pages", run.Pages, "offers", run.Offers,
			"new", run.New, "changed", run.Changed, "unchanged", run.Unchanged, "invalid", run.Invalid, "capped", run.Capped)
		return run, nil

	case ctx.Err() != nil:
		run.Status = checkpoint.RunInterrupted
		cur.Run = run
		if err := r.store.SaveCursor(job.Name, cur); err != nil {
			// The stored cursor still says running, which status also reads as interrupted.
			log.Error("record interrupted run", "run", run.ID, "err", err)
		}
		log.Info("run interrupted", "run", run.ID, "query", cur.Query+1, "page", cur.Page, "offers", run.Offers)
		return run, fmt.Errorf("run job %s: interrupted at query %d page %d: %w", job.Name, cur.Query+1, cur.Page, ctx.Err())

	default:
		run.Status, run.Error = checkpoint.RunFailed, runErr.Error()
		cur.Run = run
		if err := r.store.SaveCursor(job.Name, cur); err != nil {
			log.Error("record failed run", "run", run.ID, "err", err)
		}
		log.Error("run failed", "run", run.ID, "query", cur.Query+1, "page", cur.Page,
			"permanent", upstream.IsPermanent(runErr), "err", runErr)
		return run, runErr
	}
}

// finish folds the sightings of the job's runs before run into the mirror and records run
// as finished. It needs no write lock: a fold only raises last-seen times, each in the
// transaction that reads the row, and a page that rewrites a row meanwhile stamps it with
// a later time anyway.
func (r *Runner) finish(log *slog.Logger, job string, run checkpoint.Run, seen *runSeen) error {
	bad, err := r.store.FoldSightings(job, run.ID, seen.has)
	if err != nil {
		return err
	}
	if bad > 0 {
		log.Warn("sighting log entries of earlier runs cannot be decoded; dropped unfolded", "entries", bad)
	}
	return r.store.FinishRun(job, run)
}

// runQuery pages through query cur.Query from page cur.Page to its end, committing every
// page, and leaves cur at the last committed cursor (at the next query when done).
//
// The query's prefetcher comes from pl, which may have started it while earlier queries
// were landed, and which fetches later queries ahead while this one is (pipeline.fill).
// When the query is done, runQuery closes its prefetcher and pops it off pl; on error it
// leaves pl to the caller, who closes it.
func (r *Runner) runQuery(ctx context.Context, log *slog.Logger, job Job, cur *checkpoint.Cursor, pl *pipeline, seen *runSeen) error {
	qi := cur.Query
	q := r.query(job, qi)
	first := max(cur.Page, 1)
	if first > pageLimit(job) {
		// Resumed past a lowered max_pages: nothing of this query is left to fetch. Only
		// the query a run resumes in can be here; no lookahead has started another yet.
		cur.Query, cur.Page = qi+1, 1
		return nil
	}
	where := func(page int) string {
		return fmt.Sprintf("page %d of query %d/%d (%s) of job %s", page, qi+1, len(job.Queries), describeQuery(q), job.Name)
	}

	pf := pl.current(qi, first)
	for page := first; ; {
		pl.fill(ctx)
		res := pl.take(ctx, page)
		if res.err == nil && res.page == nil {
			res.err = errors.New("fetcher returned no page and no error")
		}
		if res.err != nil {
			return fmt.Errorf("fetch %s: %w", where(page), res.err)
		}
		// Group commit: pages of this query that have already arrived land together with
		// this one, in one index write and one store transaction. The slower a commit, the
		// more pages wait, the larger the next group: commits keep up with any fetch rate.
		group := []landing{{page: page, res: res}}
		end, last := queryEnd(page, res.page, pageLimit(job))
		for !last && len(group) < maxGroupPages {
			more, ok := pf.tryTake(page + len(group))
			if !ok {
				break
			}
			group = append(group, landing{page: page + len(group), res: more})
			end, last = queryEnd(page+len(group)-1, more.page, pageLimit(job))
		}
		pl.size(pf, end)
		discarded := 0
		if last {
			// Pages requested past the end are of no use: cancel them now, so that their
			// window goes to the next queries while this group is applied.
			discarded = pf.close()
		}
		pl.fill(ctx) // fetch ahead while this group is applied
		for i := range group {
			group[i].next = *cur
			group[i].next.Query, group[i].next.Page = qi, group[i].page+1
		}
		if last {
			group[len(group)-1].next.Query, group[len(group)-1].next.Page = qi+1, 1
		}
		for i := range group {
			n := &group[i].next
			n.QueryKey = cursorKey(job, n.Query, n.Page)
			group[i].capped = group[i].page == 1 && reachesCap(job, group[i].res.page)
		}
		// The pages are paid for: apply them even if shutdown begins meanwhile, so that a
		// resume does not spend quota on them again. Stop bounds the wait.
		began := time.Now()
		committed, stats, err := r.applyPages(context.WithoutCancel(ctx), job.Name, *cur, group, seen)
		if err != nil {
			return fmt.Errorf("apply %s: %w", where(page), err)
		}
		r.observeApply(time.Since(began))
		*cur = committed[len(committed)-1]
		for i, l := range group {
			st := stats[i]
			st.Query, st.Page, st.Fetch = qi, l.page, l.res.took
			r.report(log, job, st, l.res.page, end, committed[i])
		}

		if last {
			if discarded > 0 {
				log.Info("query ended before its reported last page; discarded pages fetched ahead",
					"query", qi+1, "page", group[len(group)-1].page, "totalPage", group[len(group)-1].res.page.TotalPage, "discarded", discarded)
				r.hooks.pagesDiscarded(job.Name, discarded)
			}
			pl.pop()
			return nil
		}
		page += len(group)
	}
}

// query returns query qi of job with the job's kind filled in.
func (r *Runner) query(job Job, qi int) upstream.Query {
	q := job.Queries[qi]
	if q.Kind == "" {
		q.Kind = job.Kind
	}
	return q
}

// MaxResultsPerQuery is the most results upstream returns for one query (API.md §1.5: the
// 2000-record cap); no page past it can hold anything new.
const MaxResultsPerQuery = 2000

// reachesCap reports whether pg, the first page of a query, says the query has at least
// MaxResultsPerQuery results while job would page that far: upstream then serves only the
// first MaxResultsPerQuery, and the rest of the query's offers cannot be mirrored by it.
// A job whose max_pages stops short of the cap asked for the head of the results only.
func reachesCap(job Job, pg *upstream.Page) bool {
	limit := pageLimit(job) * max(job.PageSize, 1)
	return pg.TotalRecords >= MaxResultsPerQuery && limit >= MaxResultsPerQuery
}

// pageLimit is the last page of a query the job may request: its MaxPages, or when that is
// 0 (no limit), the page past upstream's result cap. The cap also stops a broken upstream
// that repeats items on every page number without ever reporting a total.
func pageLimit(job Job) int {
	if job.MaxPages > 0 {
		return job.MaxPages
	}
	size := max(job.PageSize, 1)
	return (MaxResultsPerQuery+size-1)/size + 1
}

// queryEnd applies the stop rules of DESIGN §4 to page number n: the query ends at an
// empty page, at totalPage, or at maxPages (0: no limit), whichever comes first. It
// returns whether n is the last page, and the last page that may be requested. A page
// that reports no total (totalPage 0) while holding items lets the query go on one page at
// a time, until an empty page or maxPages: with no known end, nothing is fetched ahead.
func queryEnd(n int, pg *upstream.Page, maxPages int) (end int, last bool) {
	end = pg.TotalPage
	if end <= 0 {
		end = n + 1
	}
	if maxPages > 0 {
		end = min(end, maxPages)
	}
	if len(pg.Offers)+len(pg.Invalid) == 0 || n >= end {
		return n, true
	}
	return end, false
}

// report tells logs, hooks and the progress callback about a committed page.
func (r *Runner) report(log *slog.Logger, job Job, st PageStats, pg *upstream.Page, end int, cur checkpoint.Cursor) {
	if len(pg.Invalid) > 0 {
		log.Warn("page has items that could not be normalised", "query", st.Query+1, "page", st.Page,
			"invalid", st.Invalid, "err", pg.Invalid[0])
	} else if st.Invalid > 0 {
		log.Warn("page has offers without an offer id", "query", st.Query+1, "page", st.Page, "invalid", st.Invalid)
	}
	if st.Capped {
		log.Warn("query reaches upstream's result cap; the offers past it are not mirrored: narrow it (a price range, categories) to mirror them all",
			"query", st.Query+1, "totalRecords", pg.TotalRecords, "cap", MaxResultsPerQuery)
	}
	log.Debug("page committed", "query", st.Query+1, "page", st.Page, "offers", st.Offers,
		"new", st.New, "changed", st.Changed, "indexed", st.Indexed, "fetch", st.Fetch)
	r.hooks.pageCommitted(job.Name, st)
	if r.progress != nil {
		r.progress(job.Name, Progress{
			RunID:   cur.Run.ID,
			Query:   st.Query,
			Queries: len(job.Queries),
			Page:    st.Page,
			Pages:   end,
			Stats:   cur.Run.Stats,
		})
	}
}

// newRunID returns a unique run id that sorts by start time: the UTC start time to the
// nanosecond, then random bits, so that runs started at the same instant (or under a
// frozen clock) still differ. Per-run dedupe relies on ids never repeating.
func newRunID(now time.Time) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crawl: read random bytes: %v", err)) // crypto/rand does not fail
	}
	return now.UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(b[:])
}
