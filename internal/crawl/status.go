package crawl

import (
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
)

// JobStatuses returns the status of each job, in the order given, from one read of the
// store. running reports whether a job runs now in this process, next when it is next
// scheduled (nil: never); either may be nil.
//
// The state is running when running says so; otherwise, for a job with an unfinished
// run (a cursor), failed if that run failed and interrupted if not; for a job without
// one, failed if its last run failed and idle if not. LastRun is the failed run when the
// cursor's run failed (it is the latest word on the job), else the last finished run.
func JobStatuses(store *checkpoint.Store, jobs []Job, running func(string) bool, next func(string) *time.Time) ([]JobStatus, error) {
	recs, err := store.Jobs()
	if err != nil {
		return nil, err
	}
	out := make([]JobStatus, 0, len(jobs))
	for _, job := range jobs {
		rec := recs[job.Name]
		st := JobStatus{
			Name:     job.Name,
			Kind:     string(job.Kind),
			Schedule: job.Schedule,
			State:    StateIdle,
			LastRun:  rec.LastRun,
		}
		if c := rec.Cursor; c != nil {
			st.Cursor = &CursorStatus{
				RunID:     c.Run.ID,
				StartedAt: c.Run.StartedAt,
				Query:     c.Query,
				Queries:   len(job.Queries),
				Page:      c.Page,
				Stats:     c.Run.Stats,
			}
			st.State = StateInterrupted
			if c.Run.Status == checkpoint.RunFailed {
				st.State = StateFailed
				failed := c.Run
				st.LastRun = &failed
			}
		} else if rec.LastRun != nil && rec.LastRun.Status == checkpoint.RunFailed {
			st.State = StateFailed
		}
		if running != nil && running(job.Name) {
			st.State = StateRunning
		}
		if next != nil {
			st.NextRunAt = next(job.Name)
		}
		out = append(out, st)
	}
	return out, nil
}
