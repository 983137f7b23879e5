package crawl

import (
	"time"

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
