package checkpoint

import (
	"context"
	"errors"
	"time"

	"github.com/syncd/syncd/internal/index"
)

// ErrLocked is returned by Open when another process holds the state directory.
var ErrLocked = errors.New("state directory is in use by another syncd process")

// Options configures Open. The zero value means the documented defaults.
type Options struct {
	// LockTimeout bounds the wait for another process's lock; default 1s.
	LockTimeout time.Duration
	// NoSync skips fsync on commit; for benchmarks only (a crash may lose commits).
	NoSync bool
}

// Run status values.
const (
	RunRunning     = "running"
	RunSucceeded   = "succeeded"
	RunFailed      = "failed"
	RunInterrupted = "interrupted"
)

// Stats counts what a run did so far. Offers counts distinct offers seen by the run
// (New+Changed+Unchanged); Invalid counts items upstream sent that could not be normalised.
type Stats struct {
	Pages     int `json:"pages"`
	Offers    int `json:"offers"`
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Invalid   int `json:"invalid"`
}

// Run is one run of a job, in progress or finished.
type Run struct {
	ID         string    `json:"id"`
	Job        string    `json:"job"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	Status     string    `json:"status"`
	Stats
	Error string `json:"error,omitempty"`
}

// Cursor is where an unfinished run of a job stands: the next page to fetch is page Page
// (from 1) of query number Query (from 0) of the job's query list. Stats accumulate with the
// cursor, in the same transaction, so a resumed run reports the whole run.
type Cursor struct {
	Run      Run    `json:"run"`
	QueryKey string `json:"queryKey"` // identity of the query list, to detect a changed config
	Query    int    `json:"query"`
	Page     int    `json:"page"`
}

// JobRecord is what the store knows of a job. Cursor is nil when no run is unfinished.
// LastRun is the last finished run, if any.
type JobRecord struct {
	Cursor  *Cursor `json:"cursor,omitempty"`
	LastRun *Run    `json:"lastRun,omitempty"`
}

// Row is one offer of the mirror: the document as last indexed, the hash of its upstream
// content, and when it was last seen, and by which run of which job (to dedupe within a
// run).
type Row struct {
	Doc        index.Offer       `json:"doc"`
	Hash       uint64            `json:"hash"`
	LastSeenAt int64             `json:"lastSeenAt"`
	SeenBy     map[string]string `json:"seenBy"` // job name → id of the last run that saw it
}

// Store is the bbolt state of syncd: the offer mirror (source of truth), job cursors and run
// history. It is safe for concurrent use.
type Store struct{}

// Open opens (creating if needed) the store at path. It fails with ErrLocked (wrapped, with
// the path) within opts.LockTimeout when another process holds it.
func Open(path string, opts *Options) (*Store, error) { panic("not implemented") }

// Close closes the store.
func (s *Store) Close() error { panic("not implemented") }

// Path returns the file the store lives in.
func (s *Store) Path() string { panic("not implemented") }

// Job returns the record of a job (zero if the store has never seen it).
func (s *Store) Job(name string) (JobRecord, error) { panic("not implemented") }

// Jobs returns the records of every job the store knows, by name.
func (s *Store) Jobs() (map[string]JobRecord, error) { panic("not implemented") }

// SaveCursor stores c as the job's cursor (starting or resuming a run, or recording a
// failure with the cursor kept).
func (s *Store) SaveCursor(job string, c Cursor) error { panic("not implemented") }

// FinishRun clears the job's cursor, makes run its LastRun and appends it to the job's run
// history (the last 100 runs are kept), in one transaction.
func (s *Store) FinishRun(job string, run Run) error { panic("not implemented") }

// History returns up to limit finished runs of a job, newest first.
func (s *Store) History(job string, limit int) ([]Run, error) { panic("not implemented") }

// Rows returns the mirror rows of the given offer ids that exist, by id, in one read
// transaction.
func (s *Store) Rows(ids []string) (map[string]Row, error) { panic("not implemented") }

// CommitPage writes rows to the mirror and c as the job's cursor in one transaction: after
// it returns nil both are durable; on error neither is.
func (s *Store) CommitPage(job string, c Cursor, rows []Row) error { panic("not implemented") }

// Offer returns one mirror row.
func (s *Store) Offer(id string) (Row, bool, error) { panic("not implemented") }

// CountOffers returns the number of offers in the mirror.
func (s *Store) CountOffers() (int, error) { panic("not implemented") }

// ForEachOffer calls fn for every row in offer id order, reading in bounded chunks so
// that fn may take its time without holding one long transaction. It stops at fn's first
// error or when ctx is done.
func (s *Store) ForEachOffer(ctx context.Context, fn func(Row) error) error {
	panic("not implemented")
}
