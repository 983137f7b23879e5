package crawl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/syncd/syncd/internal/checkpoint"
)

// ErrUnknownJob is returned (wrapped) by Scheduler.Trigger for a job it was not given.
var ErrUnknownJob = errors.New("unknown job")

// ErrStopped is returned (wrapped) by Scheduler.Trigger and ResumeInterrupted after Stop.
var ErrStopped = errors.New("scheduler is stopped")

// Scheduler starts runs of jobs on their cron schedules (robfig/cron/v3 standard specs:
// five fields or descriptors such as "@every 6h"), on demand (Trigger), and at daemon
// start for interrupted runs (ResumeInterrupted). A tick that finds its job still running
// is skipped and counted (Hooks.TickSkipped), never queued.
//
// Runs started by the scheduler run in the background under the scheduler's own context,
// never a caller's: a run triggered over HTTP outlives the request. Stop cancels them and
// waits. Start it once; Stop may be called again (it then only waits). A Scheduler is safe
// for concurrent use.
type Scheduler struct {
	runner    *Runner
	jobs      map[string]Job
	order     []string // job names as given
	schedules map[string]cron.Schedule
	entries   map[string]cron.EntryID
	cron      *cron.Cron
	logger    *slog.Logger
	hooks     Hooks

	// ctx is the parent of every run the scheduler starts and lives as long as the
	// scheduler; Stop cancels it. It is a lifetime, not a request's context.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // guards stopped against wg.Add racing wg.Wait
	stopped bool
	wg      sync.WaitGroup // runs in progress
}

// NewScheduler returns a scheduler of jobs run by r. Jobs without a schedule can only be
// triggered. It fails on a duplicate job name or a schedule that does not parse, naming
// the job. logger may be nil; only hooks.TickSkipped is used (r has its own hooks).
func NewScheduler(r *Runner, jobs []Job, logger *slog.Logger, hooks Hooks) (*Scheduler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{
		runner:    r,
		jobs:      make(map[string]Job, len(jobs)),
		schedules: make(map[string]cron.Schedule),
		entries:   make(map[string]cron.EntryID),
		cron:      cron.New(cron.WithLogger(cronLogger{logger})),
		logger:    logger,
		hooks:     hooks,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, job := range jobs {
		if _, dup := s.jobs[job.Name]; dup {
			return nil, fmt.Errorf("job %s: defined twice", job.Name)
		}
		s.jobs[job.Name] = job
		s.order = append(s.order, job.Name)
		if job.Schedule == "" {
			continue
		}
		sched, err := cron.ParseStandard(job.Schedule)
		if err != nil {
			return nil, fmt.Errorf("job %s: schedule %q: %w", job.Name, job.Schedule, err)
		}
		name := job.Name
		s.schedules[name] = sched
		s.entries[name] = s.cron.Schedule(sched, cron.FuncJob(func() { s.tick(name) }))
	}
	return s, nil
}

// Start starts the clock: from now on, scheduled jobs run at their ticks.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops the ticks, cancels every run in progress (each records itself interrupted,
// its cursor kept) and waits for them to return, or for ctx to be done, whichever comes
// first; in the latter case it returns ctx's error and the runs finish stopping on their
// own. Trigger fails with ErrStopped afterwards.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	<-s.cron.Stop().Done() // tick functions only start runs; this is quick
	s.cancel()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for runs to stop: %w", ctx.Err())
	}
}

// Trigger starts a run of the named job now, in the background, and returns at once. The
// run resumes the job's unfinished run if there is one. It returns an error wrapping
// ErrRunning when the job is running, ErrUnknownJob when the scheduler has no such job,
// or ErrStopped after Stop.
func (s *Scheduler) Trigger(name string) error {
	return s.start(name, "trigger")
}

// Next returns when the named job next runs on its schedule, or nil when it has none (or
// its schedule never fires again).
func (s *Scheduler) Next(name string) *time.Time {
	sched, ok := s.schedules[name]
	if !ok {
		return nil
	}
	// The entry knows its next time once the clock runs; before Start, compute it.
	t := s.cron.Entry(s.entries[name]).Next
	if t.IsZero() {
		t = sched.Next(time.Now())
	}
	if t.IsZero() {
		return nil
	}
	return &t
}

// ResumeInterrupted starts, in the background, a run of every job whose last run was
// interrupted (a cursor that is not failed) and can go on with the job as configured now
// (Resumable), and returns their names. A failed run waits for its next tick or a
// Trigger, since resuming it at once would most likely fail the same way; a run that
// cannot go on would start over, which is the next scheduled run's call, not a restart's.
func (s *Scheduler) ResumeInterrupted(ctx context.Context) ([]string, error) {
	recs, err := s.runner.store.Jobs()
	if err != nil {
		return nil, fmt.Errorf("resume interrupted runs: %w", err)
	}
	var started []string
	for _, name := range s.order {
		if err := ctx.Err(); err != nil {
			return started, err
		}
		c := recs[name].Cursor
		if c == nil || c.Run.Status == checkpoint.RunFailed {
			continue
		}
		log := s.logger.With("job", name)
		if !Resumable(s.jobs[name], *c) {
			log.Info("not resuming interrupted run: the job's queries changed; its next run starts over", "run", c.Run.ID)
			continue
		}
		switch err := s.start(name, "resume"); {
		case errors.Is(err, ErrRunning):
			continue
		case err != nil:
			return started, fmt.Errorf("resume interrupted runs: %w", err)
		}
		started = append(started, name)
	}
	return started, nil
}

// tick is what the clock calls for a scheduled job.
func (s *Scheduler) tick(name string) {
	if err := s.start(name, "schedule"); err != nil {
		log := s.logger.With("job", name)
		if errors.Is(err, ErrRunning) {
			s.hooks.tickSkipped(name)
			log.Info("scheduled run skipped: the previous run is still running")
			return
		}
		log.Debug("scheduled run not started", "err", err)
	}
}

// start claims the job and runs it in the background under the scheduler's context.
func (s *Scheduler) start(name, why string) error {
	job, ok := s.jobs[name]
	if !ok {
		return fmt.Errorf("start job %q: %w", name, ErrUnknownJob)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("start job %s: %w", name, ErrStopped)
	}
	if !s.runner.claim(name) {
		return fmt.Errorf("start job %s: %w", name, ErrRunning)
	}
	s.logger.Debug("starting run in the background", "job", name, "by", why)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.runner.release(name)
		// The runner logs and records the outcome; nobody waits for the error here.
		_, _ = s.runner.run(s.ctx, job, false)
	}()
	return nil
}

// cronLogger sends the cron library's messages to slog: its chatter at debug, its errors
// (recovered panics) at error.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	l.log.Debug("cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append(keysAndValues, "err", err)...)
}
