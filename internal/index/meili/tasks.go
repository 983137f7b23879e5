package meili

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meilisearch/meilisearch-go"
)

// maxPollInterval caps the backoff between two polls of one task.
const maxPollInterval = time.Second

// maxInFlight is how many document tasks one Upsert, Delete or Rebuild leaves enqueued
// before it waits for the oldest: enough for Meilisearch to auto-batch consecutive additions,
// few enough that a failure is noticed early and the task queue stays small.
const maxInFlight = 4

// taskInfo is Meilisearch's summarized task, the 202 answer to every asynchronous call.
type taskInfo = meilisearch.TaskInfo

// enqueued returns the task of an asynchronous SDK call, with check applied to its error.
func (ix *Index) enqueued(ctx context.Context, ti *meilisearch.TaskInfo, err error) (taskInfo, error) {
	if err = ix.cl.check(ctx, err); err != nil {
		return taskInfo{}, err
	}
	if ti == nil {
		return taskInfo{}, errors.New("meilisearch answered without a task")
	}
	return *ti, nil
}

// wait polls the task with the SDK's GetTask until it ends, backing off from
// Options.PollInterval to maxPollInterval. It returns nil only when the task succeeded; a
// failed or canceled task is a *TaskError; a task still running after timeout is an error
// wrapping ErrTaskTimeout. Polls that get no answer or a 5xx answer are repeated until the
// deadline: the task runs on regardless, and giving up early would only make the caller
// redo finished work. (The SDK's WaitForTask polls at a fixed interval, returns on the
// first failed poll, and has no deadline of its own.)
func (ix *Index) wait(ctx context.Context, ti taskInfo, timeout time.Duration) error {
	wctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTaskTimeout)
	defer cancel()
	status, delay := string(ti.Status), ix.opts.PollInterval
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
		t, err := ix.cl.sm.GetTask(wctx, ti.TaskUID)
		err = ix.cl.check(wctx, err)
		switch {
		case wctx.Err() != nil:
			return ix.waitDone(ctx, ti, timeout, status, lastErr)
		case err != nil && transient(err):
			lastErr = err
			ix.log.Warn("meilisearch task poll failed; retrying", "task", ti.TaskUID, "err", err)
		case err != nil:
			return fmt.Errorf("poll task %s: %w", describeTask(ti.TaskUID, string(ti.Type), ti.IndexUID), err)
		default:
			lastErr = nil
			switch t.Status {
			case meilisearch.TaskStatusSucceeded:
				return nil
			case meilisearch.TaskStatusFailed, meilisearch.TaskStatusCanceled:
				return &TaskError{UID: t.UID, Type: string(t.Type), IndexUID: t.IndexUID, Status: string(t.Status),
					Code: string(t.Error.Code), ErrType: t.Error.Type, Message: ix.cl.scrub(t.Error.Message), Link: t.Error.Link}
			}
			status = string(t.Status)
		}
		delay = min(delay*2, ceiling)
		timer.Reset(delay)
	}
}

// waitDone explains why wait stopped: the caller's context, or the deadline.
func (ix *Index) waitDone(ctx context.Context, ti taskInfo, timeout time.Duration, status string, lastErr error) error {
	what := describeTask(ti.TaskUID, string(ti.Type), ti.IndexUID)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for task %s: %w", what, err)
	}
	if lastErr != nil {
		return fmt.Errorf("wait for task %s: no answer for %s (last: %v): %w", what, timeout, lastErr, ErrTaskTimeout)
	}
	return fmt.Errorf("wait for task %s: still %s after %s: %w", what, status, timeout, ErrTaskTimeout)
}

// pipeline keeps up to maxInFlight tasks enqueued and waits for them in order.
type pipeline struct {
	ix      *Index
	pending []taskInfo
}

// add calls enqueue (one asynchronous SDK call), first waiting for the oldest task if
// maxInFlight are pending.
func (p *pipeline) add(ctx context.Context, enqueue func(context.Context) (*meilisearch.TaskInfo, error)) error {
	if len(p.pending) >= maxInFlight {
		if err := p.ix.wait(ctx, p.pending[0], p.ix.opts.TaskTimeout); err != nil {
			return err
		}
		p.pending = p.pending[1:]
	}
	sum, err := enqueue(ctx)
	ti, err := p.ix.enqueued(ctx, sum, err)
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
