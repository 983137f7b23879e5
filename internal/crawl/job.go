package crawl

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/upstream"
)

// Job is one configured job: a named list of upstream queries of one kind, each paged to
// its end or to MaxPages.
type Job struct {
	Name     string
	Kind     upstream.Kind
	Schedule string // cron spec; empty for manual runs only
	Queries  []upstream.Query
	PageSize int // 1..50
	MaxPages int // per query; 0 means no limit beyond what upstream reports
}

// Job states as status reports them.
const (
	StateIdle        = "idle"
	StateRunning     = "running"
	StateInterrupted = "interrupted"
	StateFailed      = "failed"
)

// Status is the JSON shape of `status --json` and GET /v1/jobs (DESIGN §6, contract).
type Status struct {
	Jobs  []JobStatus `json:"jobs"`
	Index IndexStatus `json:"index"`
}

// JobStatus is one job in a Status.
type JobStatus struct {
	Name      string          `json:"name"`
	Kind      string          `json:"kind"`
	Schedule  string          `json:"schedule"`
	State     string          `json:"state"`
	Cursor    *CursorStatus   `json:"cursor"`
	LastRun   *checkpoint.Run `json:"lastRun"`
	NextRunAt *time.Time      `json:"nextRunAt"`
}

// CursorStatus is where an unfinished run stands: the next page is Page of query Query+1 of
// Queries.
type CursorStatus struct {
	RunID     string    `json:"runId"`
	StartedAt time.Time `json:"startedAt"`
	Query     int       `json:"query"`
	Queries   int       `json:"queries"`
	Page      int       `json:"page"`
	checkpoint.Stats
}

// IndexStatus describes the search index in a Status.
type IndexStatus struct {
	Backend   string `json:"backend"`
	Documents uint64 `json:"documents"`
}

// QueryKey returns the identity of the job's work: its kind, page size and query list, as
// a hash. Schedule and MaxPages are not part of it: changing them does not invalidate a
// backfill in progress. A run's cursor stores the key of the part of the list it has
// covered (cursorKey), so that a run resumed after the config changed can tell whether
// what it did still holds (Resumable).
func QueryKey(job Job) string {
	return queryKey(job, len(job.Queries))
}

// queryKey is QueryKey over the job's first n queries.
func queryKey(job Job, n int) string {
	d := xxhash.New()
	// JSON of a struct is a stable encoding: fields in declaration order, and new optional
	// Query fields are omitted when empty, so adding one keeps existing keys.
	err := json.NewEncoder(d).Encode(struct {
		Kind     upstream.Kind    `json:"kind"`
		PageSize int              `json:"pageSize"`
		Queries  []upstream.Query `json:"queries"`
	}{job.Kind, job.PageSize, job.Queries[:n]})
	if err != nil {
		// Strings and ints always encode; this cannot happen.
		panic(fmt.Sprintf("crawl: encode query list: %v", err))
	}
	return fmt.Sprintf("%016x", d.Sum64())
}

// covered is how many of the job's queries a cursor at query qi, page page depends on:
// the queries before qi, which are done, and qi itself once some of its pages are.
func covered(qi, page int) int {
	if page > 1 {
		return qi + 1
	}
	return qi
}

// cursorKey is the QueryKey a cursor at query qi, page page of job stores: that of the
// queries it covers.
func cursorKey(job Job, qi, page int) string {
	return queryKey(job, min(covered(qi, page), len(job.Queries)))
}

// Resumable reports whether c, a cursor of an unfinished run, can go on with job as it is
// configured now: the queries it covers (those done, and the one it is in) are the same,
// in the same order, with the same kind and page size. Queries added after them, or
// changed or removed after them, do not matter: the run goes on and pages through the
// list as it is now. Cursors written before keys covered a prefix hold the key of the
// whole list, which still resumes when the list did not change.
func Resumable(job Job, c checkpoint.Cursor) bool {
	if n := covered(c.Query, c.Page); n <= len(job.Queries) && c.QueryKey == queryKey(job, n) {
		return true
	}
	return c.QueryKey == QueryKey(job)
}

// describeQuery names a query in errors and logs by its kind and first required value,
// such as `keyword "T恤"` or `shop sellerOpenId="b2b-1"`.
func describeQuery(q upstream.Query) string {
	if e, ok := upstream.Lookup(q.Kind); ok {
		for _, p := range e.Required {
			v := q.Value(p)
			switch {
			case v == "":
			case string(p) == string(q.Kind):
				return fmt.Sprintf("%s %q", q.Kind, v)
			default:
				return fmt.Sprintf("%s %s=%q", q.Kind, p, v)
			}
		}
	}
	return string(q.Kind)
}
