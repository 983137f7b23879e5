package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// testEnv is a simulator on loopback and a state directory with a config pointing at it.
type testEnv struct {
	sim    *sim.Server
	srv    *httptest.Server
	dir    string
	config string
}

// testJobs is the jobs section used by the end-to-end tests: several kinds whose results
// overlap (the same offers under a keyword, its category, a shop and a hot list).
const testJobs = `
jobs:
  - name: tees
    kind: keyword
    keywords: ["T恤", "polo衫"]
    page_size: 20
    max_pages: 6
  - name: dresses
    kind: category
    category_ids: ["%s"]
    page_size: 25
    max_pages: 5
  - name: shops
    kind: shop
    seller_open_ids: [%s]
    page_size: 10
    max_pages: 5
  - name: hot
    kind: hotlist
    rank_types: ["hot"]
    page_size: 50
    max_pages: 3
`

func newTestEnv(t *testing.T, opts sim.Options, extra string) *testEnv {
	t.Helper()
	if opts.Offers == 0 {
		opts.Offers = 3000
	}
	s := sim.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	sellers := s.Sellers()[:2]
	for i := range sellers {
		sellers[i] = fmt.Sprintf("%q", sellers[i])
	}
	if extra == "" {
		extra = fmt.Sprintf(testJobs, demoCategory, strings.Join(sellers, ", "))
	}
	cfg := fmt.Sprintf(`
upstream:
  base_url: %s
  access_key: sim-access-key
  secret_key: sim-secret-key
  user_id: "2100007341207"
  qps: 1000
  burst: 50
  concurrency: 8
  timeout: 2s
state_dir: %s
http:
  listen: 127.0.0.1:0
%s`, srv.URL, filepath.Join(dir, "state"), extra)
	path := filepath.Join(dir, "syncd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testEnv{sim: s, srv: srv, dir: dir, config: path}
}

// syncd runs the command in-process and returns its exit code, stdout and stderr.
func (e *testEnv) syncd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), append([]string{"--config", e.config}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// mustSyncd is syncd that fails the test on a non-zero exit.
func (e *testEnv) mustSyncd(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := e.syncd(t, args...)
	if code != 0 {
		t.Fatalf("syncd %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// expectedIDs is every distinct offer the jobs' queries return from the simulator, within
// each job's page limits, without spending a request.
func (e *testEnv) expectedIDs(t *testing.T) map[string][]string {
	t.Helper()
	want := map[string][]string{} // offer id → sorted job names
	for _, j := range e.expectedJobs(t) {
		for _, q := range j.Queries {
			ids := e.sim.Matches(q)
			if limit := j.PageSize * j.MaxPages; j.MaxPages > 0 && len(ids) > limit {
				ids = ids[:limit]
			}
			for _, id := range ids {
				if !contains(want[id], j.Name) {
					want[id] = append(want[id], j.Name)
					sort.Strings(want[id])
				}
			}
		}
	}
	return want
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mirror reads every row of the store in the state directory (the daemon must not run).
func (e *testEnv) mirror(t *testing.T) map[string]checkpoint.Row {
	t.Helper()
	st, err := checkpoint.Open(filepath.Join(e.dir, "state", storeFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows := map[string]checkpoint.Row{}
	err = st.ForEachOffer(context.Background(), func(r checkpoint.Row) error {
		rows[r.Doc.OfferID] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// indexDocs reads every document of the embedded index.
func (e *testEnv) indexDocs(t *testing.T) map[string]index.Offer {
	t.Helper()
	ix, err := bleve.Open(filepath.Join(e.dir, "state", indexDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	docs := map[string]index.Offer{}
	for off := 0; ; off += index.MaxLimit {
		q := index.Query{Limit: index.MaxLimit, Offset: off, Sort: []index.SortField{{Field: "firstSeenAt"}}}
		if err := q.Validate(); err != nil {
			t.Fatal(err)
		}
		res, err := ix.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range res.Hits {
			if _, dup := docs[d.OfferID]; dup {
				t.Fatalf("offer %s returned twice by the index", d.OfferID)
			}
			docs[d.OfferID] = d
		}
		if len(res.Hits) < index.MaxLimit {
			return docs
		}
	}
}

// content is a document without its timestamps, to compare two mirrors built at different
// times.
func content(d index.Offer) index.Offer {
	d.FirstSeenAt, d.UpdatedAt = 0, 0
	return d
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// expectedJobs returns the configured jobs.
func (e *testEnv) expectedJobs(t *testing.T) []crawl.Job {
	t.Helper()
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := jobsFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}
