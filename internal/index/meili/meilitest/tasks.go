package meilitest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Task is a snapshot of one task the server enqueued.
type Task struct {
	UID      int64
	IndexUID string // empty for a task bound to no index (indexSwap)
	Type     string // e.g. "documentAdditionOrUpdate", "settingsUpdate", "indexSwap"
	// Statuses are the statuses answered to GET /tasks/{uid}, in order.
	Statuses []string
	// Final is "succeeded" or "failed" once the task finished, "" before.
	Final string
	// Error is why a failed task failed.
	Error *APIError
}

type task struct {
	uid        int64
	indexUID   *string
	typ        string
	enqueuedAt time.Time
	served     []string // statuses reported to the client, in order
	final      string   // "" while not finished
	err        *APIError
	apply      func() *APIError // the task's effect; runs under s.mu
}

// SetTaskSteps sets the statuses every unfinished task reports to its first polls before it
// finishes (default "enqueued", "processing"); with none, a task finishes at its first poll.
func (s *Server) SetTaskSteps(statuses ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps = slices.Clone(statuses)
}

// FailTasks makes every task of type typ that finishes from now on fail with e, without
// taking effect; a nil e lets them succeed again.
func (s *Server) FailTasks(typ string, e *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e == nil {
		delete(s.failType, typ)
		return
	}
	cp := *e
	s.failType[typ] = &cp
}

// StallTasks makes the unfinished tasks of type typ report "processing" to every poll and
// never finish, while stall is true. Later tasks still finish, as if they did not wait.
func (s *Server) StallTasks(typ string, stall bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stall {
		s.stuck[typ] = true
	} else {
		delete(s.stuck, typ)
	}
}

// Tasks returns the tasks of type typ (every task when typ is ""), in enqueue order.
func (s *Server) Tasks(typ string) []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Task
	for _, t := range s.tasks {
		if typ != "" && t.typ != typ {
			continue
		}
		snap := Task{UID: t.uid, Type: t.typ, Statuses: slices.Clone(t.served), Final: t.final}
		if t.indexUID != nil {
			snap.IndexUID = *t.indexUID
		}
		if t.err != nil {
			e := *t.err
			snap.Error = &e
		}
		out = append(out, snap)
	}
	return out
}

// getTask serves GET /tasks/{uid}: the full task object. A task that has reported every
// step finishes now, after the unfinished tasks enqueued before it (the queue runs in order).
func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	uid, err := strconv.ParseInt(r.PathValue("uid"), 10, 64)
	if err != nil || uid < 0 || uid >= int64(len(s.tasks)) {
		writeJSON(w, 404, APIError{Message: "Task `" + r.PathValue("uid") + "` not found.", Code: "task_not_found",
			Type: "invalid_request", Link: "https://docs.meilisearch.com/errors#task_not_found"})
		return
	}
	t := s.tasks[uid]
	status := t.final
	switch {
	case status != "":
	case s.stuck[t.typ]:
		status = "processing"
	case len(t.served) < len(s.steps):
		status = s.steps[len(t.served)]
	default:
		for _, earlier := range s.tasks[:uid] {
			if earlier.final == "" && !s.stuck[earlier.typ] {
				s.finish(earlier)
			}
		}
		s.finish(t)
		status = t.final
	}
	t.served = append(t.served, status)
	writeJSON(w, 200, map[string]any{"uid": t.uid, "batchUid": t.uid, "indexUid": t.indexUID, "status": status, "type": t.typ,
		"canceledBy": nil, "details": map[string]any{}, "error": t.err, "duration": nil,
		"enqueuedAt": t.enqueuedAt.Format(time.RFC3339Nano), "startedAt": nil, "finishedAt": nil})
}

// finish runs t: it fails when its type is set to fail, else its effect decides.
func (s *Server) finish(t *task) {
	if e := s.failType[t.typ]; e != nil {
		t.final, t.err = "failed", e
		return
	}
	if e := t.apply(); e != nil {
		t.final, t.err = "failed", e
		return
	}
	t.final = "succeeded"
}

// enqueue registers a task and answers 202 with the summarized task object.
func (s *Server) enqueue(w http.ResponseWriter, indexUID *string, typ string, apply func() *APIError) {
	t := &task{uid: int64(len(s.tasks)), indexUID: indexUID, typ: typ, enqueuedAt: time.Now().UTC(), apply: apply}
	s.tasks = append(s.tasks, t)
	writeJSON(w, 202, map[string]any{"taskUid": t.uid, "indexUid": indexUID, "status": "enqueued", "type": typ,
		"enqueuedAt": t.enqueuedAt.Format(time.RFC3339Nano)})
}
