package crawl

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
)

func TestJobStatuses_States(t *testing.T) {
	s := openStore(t)
	started := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	run := func(job, id, status string) checkpoint.Run {
		return checkpoint.Run{ID: id, Job: job, StartedAt: started, Status: status, Stats: checkpoint.Stats{Pages: 3, Offers: 40}}
	}
	finished := func(r checkpoint.Run) checkpoint.Run {
		r.FinishedAt = started.Add(time.Minute)
		return r
	}
	cursor := func(r checkpoint.Run) checkpoint.Cursor {
		return checkpoint.Cursor{Run: r, QueryKey: "k", Query: 1, Page: 4}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.FinishRun("done", finished(run("done", "d1", checkpoint.RunSucceeded))))
	must(s.FinishRun("interrupted", finished(run("interrupted", "i0", checkpoint.RunSucceeded))))
	must(s.SaveCursor("interrupted", cursor(run("interrupted", "i1", checkpoint.RunInterrupted))))
	must(s.SaveCursor("crashed", cursor(run("crashed", "c1", checkpoint.RunRunning)))) // killed mid-run
	must(s.FinishRun("failedcursor", finished(run("failedcursor", "f0", checkpoint.RunSucceeded))))
	must(s.SaveCursor("failedcursor", cursor(run("failedcursor", "f1", checkpoint.RunFailed))))
	must(s.FinishRun("failedlast", finished(run("failedlast", "l1", checkpoint.RunFailed))))
	must(s.SaveCursor("running", cursor(run("running", "r1", checkpoint.RunRunning))))

	var jobs []Job
	for _, name := range []string{"idle", "done", "interrupted", "crashed", "failedcursor", "failedlast", "running"} {
		j := keywordJob(name, "a", "b", "c")
		j.Schedule = "@every 1h"
		jobs = append(jobs, j)
	}
	nextAt := started.Add(time.Hour)
	got, err := JobStatuses(s, jobs,
		func(name string) bool { return name == "running" },
		func(name string) *time.Time {
			if name == "done" {
				return &nextAt
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}

	want := []struct {
		name, state string
		cursor      bool
		lastRun     string // id, "" for none
	}{
		{"idle", StateIdle, false, ""},
		{"done", StateIdle, false, "d1"},
		{"interrupted", StateInterrupted, true, "i0"},
		{"crashed", StateInterrupted, true, ""},
		{"failedcursor", StateFailed, true, "f1"},
		{"failedlast", StateFailed, false, "l1"},
		{"running", StateRunning, true, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d statuses, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.State != w.state || (g.Cursor != nil) != w.cursor {
			t.Errorf("%s: name %s state %s cursor %v; want state %s cursor %v", w.name, g.Name, g.State, g.Cursor != nil, w.state, w.cursor)
		}
		lastID := ""
		if g.LastRun != nil {
			lastID = g.LastRun.ID
		}
		if lastID != w.lastRun {
			t.Errorf("%s: last run %q, want %q", w.name, lastID, w.lastRun)
		}
		if g.Kind != "keyword" || g.Schedule != "@every 1h" {
			t.Errorf("%s: kind %q schedule %q", w.name, g.Kind, g.Schedule)
		}
	}
	if c := got[2].Cursor; c.RunID != "i1" || c.Query != 1 || c.Queries != 3 || c.Page != 4 || c.Offers != 40 || !c.StartedAt.Equal(started) {
		t.Errorf("cursor = %+v", c)
	}
	if got[1].NextRunAt == nil || !got[1].NextRunAt.Equal(nextAt) || got[0].NextRunAt != nil {
		t.Errorf("next run: done %v, idle %v", got[1].NextRunAt, got[0].NextRunAt)
	}
}

func TestJobStatuses_NilFuncs(t *testing.T) {
	got, err := JobStatuses(openStore(t), []Job{keywordJob("a", "x")}, nil, nil)
	if err != nil || len(got) != 1 || got[0].State != StateIdle || got[0].NextRunAt != nil {
		t.Errorf("JobStatuses = %+v, %v", got, err)
	}
}

// TestJobStatus_JSONShape checks the contract fields of `status --json` (DESIGN §6).
func TestJobStatus_JSONShape(t *testing.T) {
	st := JobStatus{
		Name: "tees", Kind: "keyword", State: StateInterrupted,
		Cursor:  &CursorStatus{RunID: "r", Query: 1, Queries: 2, Page: 3, Stats: checkpoint.Stats{Offers: 5}},
		LastRun: &checkpoint.Run{Status: checkpoint.RunFailed, Error: "boom"},
	}
	b, err := json.Marshal(Status{Jobs: []JobStatus{st}, Index: IndexStatus{Backend: "bleve", Documents: 9}})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Jobs  []map[string]json.RawMessage `json:"jobs"`
		Index map[string]json.RawMessage   `json:"index"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := func(raw json.RawMessage) []string {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		var ks []string
		for k := range obj {
			ks = append(ks, k)
		}
		return ks
	}
	has := func(what string, got []string, want ...string) {
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s lacks %q: has %s", what, w, strings.Join(got, ","))
			}
		}
	}
	job := m.Jobs[0]
	var jobKeys []string
	for k := range job {
		jobKeys = append(jobKeys, k)
	}
	has("job", jobKeys, "name", "kind", "schedule", "state", "cursor", "lastRun", "nextRunAt")
	has("lastRun", keys(job["lastRun"]), "startedAt", "status", "pages", "offers", "new", "changed", "unchanged", "error")
	has("cursor", keys(job["cursor"]), "runId", "query", "queries", "page", "offers")
	var idx []string
	for k := range m.Index {
		idx = append(idx, k)
	}
	has("index", idx, "backend", "documents")
}
