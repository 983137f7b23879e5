package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index/meili/meilitest"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// TestMeili_BackfillWithServerDown_FailsFastThenCompletes is the acceptance test of the
// Meilisearch backend's failure mode: `syncd backfill` with an unreachable Meilisearch exits
// 1 quickly, with a message naming Meilisearch and its URL, before spending any upstream
// quota; a later run with the server up completes, and search, status and reindex work
// through it. The server is meilitest's fake (its search matches substrings and ignores
// filters and sorts, so only text queries are checked here).
func TestMeili_BackfillWithServerDown_FailsFastThenCompletes(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	addr := freeLoopbackAddr(t)
	url := "http://" + addr
	writeFile(t, e.config, readFile(t, e.config)+fmt.Sprintf(`
index:
  backend: meilisearch
  meilisearch:
    url: %s
    index: offers
`, url))

	// Nothing listens on the address.
	start := time.Now()
	code, out, errOut := syncdNoPanic(t, e, "backfill", "tees")
	elapsed := time.Since(start)
	if code != exitFailure {
		t.Fatalf("backfill with Meilisearch down: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailure, out, errOut)
	}
	if !strings.Contains(strings.ToLower(errOut), "meilisearch") || !strings.Contains(errOut, url) {
		t.Errorf("stderr does not name Meilisearch and %s:\n%s", url, errOut)
	}
	if elapsed > 20*time.Second {
		t.Errorf("backfill took %v to report an unreachable Meilisearch", elapsed)
	}
	if n := e.sim.Stats().Total(); n != 0 {
		t.Errorf("backfill made %d upstream requests with the index down: quota spent on pages it cannot store", n)
	}
	if rows := e.mirror(t); len(rows) != 0 {
		t.Errorf("the failed backfill wrote %d mirror rows", len(rows))
	}

	// The server comes up where the config says. Each task is seen unfinished by one poll,
	// so every write really waits for its task, in half the polling time of the default.
	fake := serveMeiliAt(t, addr)
	fake.SetTaskSteps("processing")
	e.mustSyncd(t, "backfill", "tees")

	var want []string
	for id, jobs := range e.expectedIDs(t) {
		if contains(jobs, "tees") {
			want = append(want, id)
		}
	}
	slices.Sort(want)
	if len(want) < 50 {
		t.Fatalf("fixture too small to mean anything: %d expected offers for tees", len(want))
	}
	rows := e.mirror(t)
	if got := keys(rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("mirror has %d offers after the second backfill, the tees queries return %d", len(got), len(want))
	}
	if got := fake.DocumentIDs("offers"); !reflect.DeepEqual(got, want) {
		t.Fatalf("Meilisearch index holds %d documents, the mirror %d (or other ids)", len(got), len(want))
	}
	requests := e.sim.Stats().Total()

	// status reads the count from Meilisearch.
	out = e.mustSyncd(t, "status", "--json")
	var st struct {
		Index struct {
			Backend   string `json:"backend"`
			Documents int    `json:"documents"`
		} `json:"index"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if st.Index.Backend != "meilisearch" || st.Index.Documents != len(want) {
		t.Errorf("status index = %+v, want backend meilisearch with %d documents", st.Index, len(want))
	}

	// Text search goes through Meilisearch; the fake matches substrings, so every mirrored
	// offer with the word in a title is found.
	for _, word := range []string{"polo", "T恤"} {
		res := searchJSON(t, e, "--limit", "50", word)
		lower := strings.ToLower(word)
		inMirror := 0
		for _, r := range rows {
			if strings.Contains(strings.ToLower(r.Doc.Subject+"\n"+r.Doc.SubjectTrans), lower) {
				inMirror++
			}
		}
		if res.Total == 0 || res.Total != inMirror {
			t.Errorf("search %q: total %d, the mirror has %d offers with it in a title", word, res.Total, inMirror)
		}
		if len(res.Hits) != min(50, inMirror) {
			t.Errorf("search %q --limit 50: %d hits of %d", word, len(res.Hits), inMirror)
		}
		for _, h := range res.Hits {
			if !strings.Contains(strings.ToLower(h.Subject+"\n"+h.SubjectTrans), lower) {
				t.Errorf("search %q: hit %s has neither title with it: %q / %q", word, h.OfferID, h.Subject, h.SubjectTrans)
			}
		}
	}

	// reindex rebuilds the Meilisearch index from the mirror, with no upstream request.
	out = e.mustSyncd(t, "reindex")
	if !strings.Contains(out, fmt.Sprintf("reindexed %d offers into meilisearch", len(want))) {
		t.Errorf("reindex output: %s", out)
	}
	if got := fake.DocumentIDs("offers"); !reflect.DeepEqual(got, want) {
		t.Errorf("after reindex the index holds %d documents, want the mirror's %d", len(got), len(want))
	}
	if swaps := fake.Swaps(); len(swaps) != 1 {
		t.Errorf("reindex swapped %d times, want once: %v", len(swaps), swaps)
	}
	if uids := fake.IndexUIDs(); !reflect.DeepEqual(uids, []string{"offers"}) {
		t.Errorf("indexes after reindex = %v, want only offers", uids)
	}
	if got := e.sim.Stats().Total(); got != requests {
		t.Errorf("status, search and reindex made %d upstream requests", got-requests)
	}
}

// syncdNoPanic is e.syncd that turns a panic of the command into a failure of this test,
// instead of a crash of every test in the package.
func syncdNoPanic(t *testing.T, e *testEnv, args ...string) (int, string, string) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("syncd %s panicked: %v\n%s", strings.Join(args, " "), p, debug.Stack())
		}
	}()
	return e.syncd(t, args...)
}

// freeLoopbackAddr returns a loopback address nothing listens on (one that was free a
// moment ago).
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// serveMeiliAt serves a fake Meilisearch on addr until the test ends, then fails the test
// with any problem the fake recorded.
func serveMeiliAt(t *testing.T, addr string) *meilitest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s again (taken meanwhile?): %v", addr, err)
	}
	fake := meilitest.New(meilitest.Options{})
	hs := httptest.NewUnstartedServer(fake)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		for _, p := range fake.Problems() {
			t.Errorf("fake meilisearch: %s", p)
		}
	})
	return fake
}
