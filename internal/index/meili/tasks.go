package meili

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// maxPollInterval caps the backoff between two polls of one task.
const maxPollInterval = time.Second

// maxInFlight is how many document tasks one Upsert, Delete or Rebuild leaves enqueued
// before it waits for the oldest: enough for Meilisearch to auto-batch consecutive additions,
// few enough that a failure is noticed early and the task queue stays small.
const maxInFlight = 4

// taskInfo is Meilisearch's summarized task, the 202 answer to every asynchronous call.
type taskInfo struct {
	TaskUID  int64  `json:"taskUid"`
	IndexUID string `json:"indexUid"`
	Status   string `json:"status"`
	Type     string `json:"type"`
}

// task is the part of GET /tasks/{uid} that syncd reads.
type task struct {
	UID      int64  `json:"uid"`
	IndexUID string `json:"indexUid"` // null for indexSwap: stays ""
	Status   string `json:"status"`   // enqueued, processing, succeeded, failed, canceled
	Type     string `json:"type"`
	Error    *struct {
		Message string `json:"message"`
		Code    string `json:"code"`
		Type    string `json:"type"`
		Link    string `json:"link"`
	} `json:"error"`
}

// enqueue sends an asynchronous call and returns its task.
func (ix *Index) enqueue(ctx context.Context, c call) (taskInfo, error) {
	c.want = 202
	var ti taskInfo
	if err := ix.cl.do(ctx, c, &ti); err != nil {
		return ti, err
	}
	return ti, nil
}

// wait polls the task until it ends, backing off from Options.PollInterval to
// maxPollInterval. It returns nil only when the task succeeded; a failed or canceled task is
// a *TaskError; a task still running after timeout is an error wrapping ErrTaskTimeout.
// Polls that get no answer or a 5xx answer are repeated until the deadline: the task runs
// on regardless, and giving up early would only make the caller redo finished work.
func (ix *Index) wait(ctx context.Context, ti taskInfo, timeout time.Duration) error {
	wctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTaskTimeout)
	defer cancel()
	status, delay := ti.Status, ix.opts.PollInterval
	ceiling := max(maxPollInterval, delay)
	timer := time.NewTimer(delay)
	defer timer.Stop()
	var lastErr error
	for {
		select {
		case <-wctx.Done():
			return ix.waitDone(ctx, ti, timeout, status, lastErr)
		case <-timer.C:
		}
		var t task
		err := ix.cl.do(wctx, call{method: "GET", path: "/tasks/" + strconv.FormatInt(ti.TaskUID, 10)}, &t)
		switch {
		case wctx.Err() != nil:
			return ix.waitDone(ctx, ti, timeout, status, lastErr)
		case err != nil && transient(err):
			lastErr = err
			ix.log.Warn("meilisearch task poll failed; retrying", "task", ti.TaskUID, "err", err)
		case err != nil:
			return fmt.Errorf("poll task %s: %w", describeTask(ti.TaskUID, ti.Type, ti.IndexUID), err)
		default:
			lastErr = nil
			switch t.Status {
			case "succeeded":
				return nil
			case "failed", "canceled":
				te := &TaskError{UID: t.UID, Type: t.Type, IndexUID: t.IndexUID, Status: t.Status}
				if t.Error != nil {
					te.Code, te.ErrType, te.Message, te.Link = t.Error.Code, t.Error.Type, t.Error.Message, t.Error.Link
				}
				return te
			}
			status = t.Status
		}
		delay = min(delay*2, ceiling)
		timer.Reset(delay)
	}
}

// waitDone explains why wait stopped: the caller's context, or the deadline.
func (ix *Index) waitDone(ctx context.Context, ti taskInfo, timeout time.Duration, status string, lastErr error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for task %s: %w", describeTask(ti.TaskUID, ti.Type, ti.IndexUID), err)
	}
	if lastErr != nil {
		return fmt.Errorf("wait for task %s: no answer for %s (last: %v): %w",
			describeTask(ti.TaskUID, ti.Type, ti.IndexUID), timeout, lastErr, ErrTaskTimeout)
	}
	return fmt.Errorf("wait for task %s: still %s after %s: %w",
		describeTask(ti.TaskUID, ti.Type, ti.IndexUID), status, timeout, ErrTaskTimeout)
}

// pipeline keeps up to maxInFlight tasks enqueued and waits for them in order.
type pipeline struct {
	ix      *Index
	pending []taskInfo
}

// add enqueues c, first waiting for the oldest task if maxInFlight are pending.
func (p *pipeline) add(ctx context.Context, c call) error {
	if len(p.pending) >= maxInFlight {
		if err := p.ix.wait(ctx, p.pending[0], p.ix.opts.TaskTimeout); err != nil {
			return err
		}
		p.pending = p.pending[1:]
	}
	ti, err := p.ix.enqueue(ctx, c)
	if err != nil {
		return err
	}
	p.pending = append(p.pending, ti)
	return nil
}

// drain waits for every pending task; nil means all of them succeeded.
func (p *pipeline) drain(ctx context.Context) error {
	for len(p.pending) > 0 {
		if err := p.ix.wait(ctx, p.pending[0], p.ix.opts.TaskTimeout); err != nil {
			return err
		}
		p.pending = p.pending[1:]
	}
	return nil
}
