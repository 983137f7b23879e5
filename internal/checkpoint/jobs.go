package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Run status values.
const (
	RunRunning     = "running"
	RunSucceeded   = "succeeded"
	RunFailed      = "failed"
	RunInterrupted = "interrupted"
)

// HistoryLimit is the number of finished runs kept per job; FinishRun drops older ones.
const HistoryLimit = 100

// Stats counts what a run did so far. Offers counts distinct offers seen by the run
// (New+Changed+Unchanged); Invalid counts items upstream sent that could not be normalised.
type Stats struct {
	Pages     int `json:"pages"`
	Offers    int `json:"offers"`
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Invalid   int `json:"invalid"`
	// Capped counts the queries whose results reached upstream's cap (2,000 offers): the
	// offers past it were not mirrored.
	Capped int `json:"capped"`
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
	QueryKey string `json:"queryKey"` // identity of the queries the run has covered, to detect a changed config
	Query    int    `json:"query"`
	Page     int    `json:"page"`
}

// JobRecord is what the store knows of a job. Cursor is nil when no run is unfinished.
// LastRun is the last finished run, if any.
type JobRecord struct {
	Cursor  *Cursor `json:"cursor,omitempty"`
	LastRun *Run    `json:"lastRun,omitempty"`
}

var errNoJobName = errors.New("job name is empty")

// Job returns the record of a job (zero if the store has never seen it).
func (s *Store) Job(name string) (JobRecord, error) {
	var rec JobRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = getJob(tx, name)
		return err
	})
	if err != nil {
		return JobRecord{}, fmt.Errorf("read job %s: %w", name, err)
	}
	return rec, nil
}

// Jobs returns the records of every job the store knows, by name. The map is never nil.
func (s *Store) Jobs() (map[string]JobRecord, error) {
	jobs := make(map[string]JobRecord)
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			var rec JobRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode job %s: %w", k, err)
			}
			jobs[string(k)] = rec
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read jobs: %w", err)
	}
	return jobs, nil
}

// SaveCursor stores c as the job's cursor (starting or resuming a run, or recording a
// failure with the cursor kept). The job's LastRun is kept. The cursor is durable when
// SaveCursor returns nil.
func (s *Store) SaveCursor(job string, c Cursor) error {
	err := s.db.Update(func(tx *bolt.Tx) error { return setCursor(tx, job, c) })
	if err != nil {
		return fmt.Errorf("save cursor of job %s: %w", job, err)
	}
	return nil
}

// setCursor makes c the job's cursor within tx, keeping the rest of its record.
func setCursor(tx *bolt.Tx, job string, c Cursor) error {
	rec, err := getJob(tx, job)
	if err != nil {
		return err
	}
	rec.Cursor = &c
	return putJob(tx, job, rec)
}

// FinishRun clears the job's cursor, makes run its LastRun and appends it to the job's run
// history (the last 100 runs are kept), in one transaction.
// All of it is durable when FinishRun returns nil; on error none of it happened.
func (s *Store) FinishRun(job string, run Run) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		rec, err := getJob(tx, job)
		if err != nil {
			return err
		}
		rec.Cursor, rec.LastRun = nil, &run
		if err := putJob(tx, job, rec); err != nil {
			return err
		}
		return appendHistory(tx, job, run)
	})
	if err != nil {
		return fmt.Errorf("finish run of job %s: %w", job, err)
	}
	return nil
}

// History returns up to limit finished runs of a job, newest first. A limit of zero or
// less means every kept run. A job without history has none (and no error).
func (s *Store) History(job string, limit int) ([]Run, error) {
	if limit <= 0 || limit > HistoryLimit {
		limit = HistoryLimit
	}
	var runs []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns).Bucket([]byte(job))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(runs) < limit; k, v = c.Prev() {
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode run %d: %w", binary.BigEndian.Uint64(k), err)
			}
			runs = append(runs, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read history of job %s: %w", job, err)
	}
	return runs, nil
}

// DeleteJob removes a job's record (cursor and last run), its run history and its
// sighting log, so a job dropped from the config stops appearing in status. Deleting an
// unknown job does nothing. The log is folded into the mirror rows first (FoldSightings),
// then the rest goes in one transaction. Mirror rows keep the job's name in their sources
// and SeenBy: the mirror records what was seen, and who saw it.
func (s *Store) DeleteJob(name string) error {
	if name == "" {
		return fmt.Errorf("delete job: %w", errNoJobName)
	}
	if _, err := s.FoldSightings(name, "", nil); err != nil {
		return fmt.Errorf("delete job %s: %w", name, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketJobs).Delete([]byte(name)); err != nil {
			return err
		}
		for _, parent := range []*bolt.Bucket{tx.Bucket(bucketRuns), tx.Bucket(bucketSightings)} {
			if parent.Bucket([]byte(name)) == nil {
				continue
			}
			if err := parent.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete job %s: %w", name, err)
	}
	return nil
}

// getJob reads a job's record from tx; an unknown job has the zero record.
func getJob(tx *bolt.Tx, name string) (JobRecord, error) {
	var rec JobRecord
	v := tx.Bucket(bucketJobs).Get([]byte(name))
	if v == nil {
		return rec, nil
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return JobRecord{}, fmt.Errorf("decode job record: %w", err)
	}
	return rec, nil
}

// putJob writes a job's record in tx.
func putJob(tx *bolt.Tx, name string, rec JobRecord) error {
	if name == "" {
		return errNoJobName
	}
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode job record: %w", err)
	}
	return tx.Bucket(bucketJobs).Put([]byte(name), v)
}

// appendHistory adds run to the job's history under the next sequence number and drops
// the runs that fall out of the last HistoryLimit.
func appendHistory(tx *bolt.Tx, job string, run Run) error {
	b, err := tx.Bucket(bucketRuns).CreateBucketIfNotExists([]byte(job))
	if err != nil {
		return fmt.Errorf("create history bucket: %w", err)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next history sequence: %w", err)
	}
	v, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	if err := b.Put(u64(seq), v); err != nil {
		return fmt.Errorf("append run: %w", err)
	}
	if seq <= HistoryLimit {
		return nil
	}
	// Sequences are contiguous, so everything below the oldest kept one goes. Keys are
	// collected first: deleting under a moving bbolt cursor skips entries.
	oldest := seq - HistoryLimit + 1
	var drop [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) < oldest; k, _ = c.Next() {
		drop = append(drop, append([]byte(nil), k...))
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("trim history: %w", err)
		}
	}
	return nil
}
