package crawl

import (
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
)

// Hooks are optional callbacks for metrics. Any of them may be nil. They are called
// synchronously from run goroutines (several jobs may run at once), so they must be fast
// and safe for concurrent use.
type Hooks struct {
	// PageCommitted is called after a page's rows and cursor were committed.
	PageCommitted func(job string, s PageStats)
	// RunFinished is called once per Runner.Run that got as far as starting or resuming
	// a run, with the run as recorded (status succeeded, failed or interrupted) and the
	// time this call spent on it.
	RunFinished func(job string, run checkpoint.Run, d time.Duration)
	// IndexWrite is called after every acknowledged index upsert with its duration and
	// document count.
	IndexWrite func(d time.Duration, docs int)
	// PagesDiscarded is called when a query ended before its reported last page and
	// pages fetched ahead were thrown away: upstream quota spent for nothing.
	PagesDiscarded func(job string, pages int)
	// TickSkipped is called when a scheduled tick found its job still running.
	TickSkipped func(job string)
}

func (h Hooks) pageCommitted(job string, s PageStats) {
	if h.PageCommitted != nil {
		h.PageCommitted(job, s)
	}
}

func (h Hooks) runFinished(job string, run checkpoint.Run, d time.Duration) {
	if h.RunFinished != nil {
		h.RunFinished(job, run, d)
	}
}

func (h Hooks) indexWrite(d time.Duration, docs int) {
	if h.IndexWrite != nil {
		h.IndexWrite(d, docs)
	}
}

func (h Hooks) pagesDiscarded(job string, pages int) {
	if h.PagesDiscarded != nil {
		h.PagesDiscarded(job, pages)
	}
}

func (h Hooks) tickSkipped(job string) {
	if h.TickSkipped != nil {
		h.TickSkipped(job)
	}
}

// PageStats is what one committed page did.
type PageStats struct {
	Query int // index of the query in the job, from 0
	Page  int // page number, from 1
	// Offers counts the distinct offers of the page: New + Changed + Unchanged + Repeated.
	Offers    int
	New       int
	Changed   int
	Unchanged int
	// Repeated counts offers this run had already counted on an earlier page; they are
	// not counted again in the run's stats, and written to the mirror and the index only
	// if their content changed since.
	Repeated int
	// Invalid counts items upstream sent that could not be normalised.
	Invalid int
	// Indexed counts the documents sent to the index (new, changed, or with a new source).
	Indexed int
	// Fetch is how long the page took to arrive, retries and rate-limit waits included.
	Fetch time.Duration
	// Capped is set on the first page of a query whose results reach upstream's cap
	// (MaxResultsPerQuery) while the job would page past it: offers past the cap are out
	// of reach of this query.
	Capped bool
}

// Progress is where a run stands after a committed page, for progress bars and logs.
type Progress struct {
	RunID   string
	Query   int // index of the current query, from 0
	Queries int // number of queries of the job
	Page    int // the page just committed
	// Pages is the last page the current query is expected to reach: min(totalPage,
	// max_pages) as last reported by upstream. It is an estimate; totals drift.
	Pages int
	// Stats are the run's totals so far, resumed parts included.
	Stats checkpoint.Stats
}
