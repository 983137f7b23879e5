package meili

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// taskServer answers GET /tasks/7 with the bodies of answers in turn (the last one
// repeats); an entry "502" answers 502 Bad Gateway, as a proxy would.
func taskServer(t *testing.T, answers ...string) (*Index, *atomic.Int32) {
	t.Helper()
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/tasks/7" {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
		n := int(polls.Add(1)) - 1
		a := answers[min(n, len(answers)-1)]
		if a == "502" {
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(a))
	}))
	t.Cleanup(srv.Close)
	cl, err := newClient(srv.URL, "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ix := &Index{cl: cl, uid: "offers", opts: Options{PollInterval: time.Millisecond, TaskTimeout: time.Second}}
	ix.log = slog.New(slog.DiscardHandler)
	return ix, &polls
}

const (
	taskProcessing = `{"uid":7,"indexUid":"offers","status":"processing","type":"documentAdditionOrUpdate"}`
	taskSucceeded  = `{"uid":7,"indexUid":"offers","status":"succeeded","type":"documentAdditionOrUpdate"}`
	taskCanceled   = `{"uid":7,"indexUid":"offers","status":"canceled","type":"documentAdditionOrUpdate","canceledBy":9}`
)

var task7 = taskInfo{TaskUID: 7, IndexUID: "offers", Status: "enqueued", Type: "documentAdditionOrUpdate"}

func TestWait_RetriesPollsThroughProxyErrors(t *testing.T) {
	ix, polls := taskServer(t, taskProcessing, "502", "502", taskSucceeded)
	if err := ix.wait(context.Background(), task7, time.Second); err != nil {
		t.Fatalf("wait = %v, want nil after the task succeeded", err)
	}
	if n := polls.Load(); n != 4 {
		t.Errorf("polls = %d, want 4", n)
	}
}

func TestWait_OnlyProxyErrors_TimesOutWithTheLastOne(t *testing.T) {
	ix, _ := taskServer(t, "502")
	err := ix.wait(context.Background(), task7, 100*time.Millisecond)
	if !errors.Is(err, ErrTaskTimeout) || !strings.Contains(err.Error(), "status 502") {
		t.Fatalf("wait = %v, want a timeout naming the 502", err)
	}
}

func TestWait_Canceled(t *testing.T) {
	ix, _ := taskServer(t, taskCanceled)
	err := ix.wait(context.Background(), task7, time.Second)
	var te *TaskError
	if !errors.As(err, &te) || te.Status != "canceled" || !strings.Contains(err.Error(), "was canceled") {
		t.Fatalf("wait = %v, want a canceled *TaskError", err)
	}
}

func TestWait_BacksOff(t *testing.T) {
	ix, polls := taskServer(t, taskProcessing)
	ix.opts.PollInterval = 10 * time.Millisecond
	_ = ix.wait(context.Background(), task7, 700*time.Millisecond)
	// 10+20+40+80+160+320 ms: 6 polls fit in 700ms; without backoff there would be ~70.
	if n := polls.Load(); n < 4 || n > 8 {
		t.Errorf("polls in 700ms = %d, want about 6", n)
	}
}
