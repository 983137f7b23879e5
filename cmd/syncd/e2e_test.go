package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	blevelib "github.com/blevesearch/bleve/v2"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/upstream/sim"
)

func TestBackfill_MirrorsEveryOfferOnce(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	out := e.mustSyncd(t, "backfill")
	for _, job := range []string{"tees", "dresses", "shops", "hot"} {
		if !strings.Contains(out, job) {
			t.Errorf("backfill output does not mention job %s:\n%s", job, out)
		}
	}
	want := e.expectedIDs(t)
	if len(want) < 200 {
		t.Fatalf("fixture too small to mean anything: %d expected offers", len(want))
	}
	rows := e.mirror(t)
	docs := e.indexDocs(t)
	if len(rows) != len(want) || len(docs) != len(want) {
		t.Fatalf("mirror has %d rows, index %d documents; the queries return %d distinct offers", len(rows), len(docs), len(want))
	}
	for id, jobs := range want {
		d, ok := docs[id]
		if !ok {
			t.Fatalf("offer %s missing from the index", id)
		}
		if !reflect.DeepEqual(d.Sources, jobs) {
			t.Errorf("offer %s: sources %v, want %v", id, d.Sources, jobs)
		}
		if !reflect.DeepEqual(content(d), content(rows[id].Doc)) {
			t.Errorf("offer %s: index and mirror differ:\n%+v\n%+v", id, d, rows[id].Doc)
		}
	}
	if dups := e.sim.Stats().Duplicates(); len(dups) > 0 {
		t.Errorf("pages fetched twice in one clean backfill: %v", dups)
	}
	// Several jobs saw the same offers: the overlap is what makes the sources check mean
	// something.
	shared := 0
	for _, jobs := range want {
		if len(jobs) > 1 {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("no offer is shared between jobs; the fixture does not exercise sources")
	}
}

func searchJSON(t *testing.T, e *testEnv, args ...string) index.Response {
	t.Helper()
	out := e.mustSyncd(t, append([]string{"search", "--json"}, args...)...)
	var r index.Response
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("search --json printed something that is not the contract JSON: %v\n%s", err, out)
	}
	return r
}

func TestSearch_EnglishChineseFiltersAndSorts(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	e.mustSyncd(t, "backfill")

	en := searchJSON(t, e, "--limit", "50", "polo")
	if en.Total == 0 {
		t.Fatal("English query found nothing")
	}
	for _, h := range en.Hits {
		if !strings.Contains(strings.ToLower(h.SubjectTrans), "polo") {
			t.Errorf("English hit %s does not mention polo: %q", h.OfferID, h.SubjectTrans)
		}
	}

	zh := searchJSON(t, e, "--limit", "50", "T恤")
	if zh.Total == 0 {
		t.Fatal("Chinese 2-character query found nothing")
	}
	for _, h := range zh.Hits {
		if !strings.Contains(h.Subject, "T恤") {
			t.Errorf("Chinese hit %s does not contain T恤: %q", h.OfferID, h.Subject)
		}
	}
	// Every mirrored offer whose title has T恤 is found.
	want := 0
	for _, r := range e.mirror(t) {
		if strings.Contains(r.Doc.Subject, "T恤") {
			want++
		}
	}
	if zh.Total != want {
		t.Errorf("T恤 found %d offers, the mirror has %d with it in the title", zh.Total, want)
	}

	cheap := searchJSON(t, e, "--filter", "price < 20", "--sort", "monthSold:desc", "--limit", "200")
	if cheap.Total == 0 {
		t.Fatal("price < 20 found nothing")
	}
	for i, h := range cheap.Hits {
		if h.Price >= 20 {
			t.Errorf("hit %s has price %v, filter was price < 20", h.OfferID, h.Price)
		}
		if i > 0 && h.MonthSold > cheap.Hits[i-1].MonthSold {
			t.Errorf("hits not sorted by monthSold desc at %d: %d after %d", i, h.MonthSold, cheap.Hits[i-1].MonthSold)
		}
	}

	facets := searchJSON(t, e, "--facets", "sources,isJxhy", "--limit", "1")
	total := 0
	for _, n := range facets.Facets["isJxhy"] {
		total += n
	}
	if total != facets.Total || facets.Total != len(e.mirror(t)) {
		t.Errorf("isJxhy facet counts add to %d; total %d; mirror %d", total, facets.Total, len(e.mirror(t)))
	}
	if facets.Facets["sources"]["tees"] == 0 {
		t.Errorf("sources facet lacks tees: %v", facets.Facets["sources"])
	}

	// The readable table names the results.
	table := e.mustSyncd(t, "search", "polo")
	if !strings.Contains(table, "results for") || !strings.Contains(strings.ToLower(table), "polo") {
		t.Errorf("table output:\n%s", table)
	}
}

// countingIndex counts the documents written through it.
type countingIndex struct {
	index.Index
	mu   sync.Mutex
	docs []string
}

func (c *countingIndex) Upsert(ctx context.Context, docs []index.Offer) error {
	c.mu.Lock()
	for _, d := range docs {
		c.docs = append(c.docs, d.OfferID)
	}
	c.mu.Unlock()
	return c.Index.Upsert(ctx, docs)
}

func TestBackfill_SecondRunWritesOnlyChangedPrices(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	e.mustSyncd(t, "backfill")
	before := e.mirror(t)

	changed := map[string]bool{}
	for _, id := range e.sim.Mutate(0.10, 7) {
		if _, ok := before[id]; ok {
			changed[id] = true
		}
	}
	if len(changed) == 0 {
		t.Fatal("the mutation touched no mirrored offer")
	}

	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := openApp(ctx, cfg, discardLogger(), need{index: true, upstream: true})
	if err != nil {
		t.Fatal(err)
	}
	counter := &countingIndex{Index: a.index}
	a.index = counter
	runner := a.newRunner(nil, crawl.Hooks{}, nil)
	var totalNew, totalChanged int
	for _, j := range a.jobs {
		run, err := runner.Run(ctx, j, false)
		if err != nil {
			t.Fatalf("second run of %s: %v", j.Name, err)
		}
		totalNew += run.New
		totalChanged += run.Changed
	}
	a.index = counter.Index
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if totalNew != 0 {
		t.Errorf("second run reported %d new offers, want 0", totalNew)
	}
	if totalChanged != len(changed) {
		t.Errorf("second run reported %d changed, the simulator changed %d mirrored offers", totalChanged, len(changed))
	}
	written := map[string]bool{}
	for _, id := range counter.docs {
		if !changed[id] {
			t.Errorf("offer %s was written to the index but did not change", id)
		}
		written[id] = true
	}
	if len(written) != len(changed) {
		t.Errorf("%d changed offers written to the index, want %d", len(written), len(changed))
	}
	after := e.mirror(t)
	for id := range changed {
		if after[id].Doc.Price == before[id].Doc.Price {
			t.Errorf("offer %s: price still %v in the mirror after the change", id, after[id].Doc.Price)
		}
	}
}

func TestReindex_RebuildsFromMirrorWithoutUpstream(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	e.mustSyncd(t, "backfill")
	before := e.indexDocs(t)
	// Damage the index: the rebuild must bring back what only the mirror still has.
	var lost string
	for id := range before {
		lost = id
		break
	}
	ix, err := bleve.Open(filepath.Join(e.dir, "state", indexDir), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(context.Background(), []string{lost}); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if _, ok := e.indexDocs(t)[lost]; ok {
		t.Fatal("the damage did not take")
	}
	requests := e.sim.Stats().Total()
	out := e.mustSyncd(t, "reindex")
	if !strings.Contains(out, "reindexed") {
		t.Errorf("reindex output: %s", out)
	}
	if got := e.sim.Stats().Total(); got != requests {
		t.Errorf("reindex made %d upstream requests", got-requests)
	}
	after := e.indexDocs(t)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("index after reindex differs: %d docs before, %d after", len(before), len(after))
	}
}

func TestStatus_JSONContract(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	e.mustSyncd(t, "backfill", "tees")
	out := e.mustSyncd(t, "status", "--json")
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	jobs, _ := raw["jobs"].([]any)
	if len(jobs) != 4 {
		t.Fatalf("status lists %d jobs, want 4:\n%s", len(jobs), out)
	}
	byName := map[string]map[string]any{}
	for _, j := range jobs {
		m := j.(map[string]any)
		for _, k := range []string{"name", "kind", "schedule", "state", "cursor", "lastRun", "nextRunAt"} {
			if _, ok := m[k]; !ok {
				t.Errorf("job lacks key %q: %v", k, m)
			}
		}
		byName[m["name"].(string)] = m
	}
	tees := byName["tees"]
	if tees["state"] != crawl.StateIdle {
		t.Errorf("tees state %v, want idle", tees["state"])
	}
	last, _ := tees["lastRun"].(map[string]any)
	for _, k := range []string{"startedAt", "finishedAt", "status", "pages", "offers", "new", "changed", "unchanged", "capped", "error"} {
		if _, ok := last[k]; !ok && k != "error" {
			t.Errorf("lastRun lacks %q: %v", k, last)
		}
	}
	if last["status"] != "succeeded" || last["new"].(float64) == 0 {
		t.Errorf("tees lastRun %v", last)
	}
	if byName["hot"]["lastRun"] != nil {
		t.Errorf("hot never ran, lastRun %v", byName["hot"]["lastRun"])
	}
	ix, _ := raw["index"].(map[string]any)
	if ix["backend"] != "bleve" || ix["documents"].(float64) == 0 {
		t.Errorf("index status %v", ix)
	}
}

func TestExitCodes_BadInputNamesTheProblem(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"bad filter", []string{"search", "--filter", "price <", "x"}, []string{"filter", "position"}},
		{"unknown filter field", []string{"search", "--filter", "prce < 3", "x"}, []string{"prce"}},
		{"bad sort", []string{"search", "--sort", "title:desc", "x"}, []string{"sort", "title"}},
		{"limit too big", []string{"search", "--limit", "5000", "x"}, []string{"limit"}},
		{"unknown job", []string{"backfill", "nope"}, []string{"nope"}},
		{"unknown flag", []string{"search", "--nope"}, []string{"nope"}},
		{"bad log level", []string{"--log-level", "loud", "status"}, []string{"log-level"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := e.syncd(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr: %s", code, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr does not name %q: %s", w, errOut)
				}
			}
		})
	}
}

func TestConfigErrors_ExitTwoNamingTheField(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"malformed", "upstream: [\n", "line"},
		{"missing base_url", "upstream:\n  access_key: a\n  secret_key: b\n  user_id: c\n", "upstream.base_url"},
		{"bad schedule", validUpstream + "jobs:\n  - name: a\n    kind: keyword\n    keywords: [x]\n    schedule: \"every now and then\"\n", "jobs[0].schedule"},
		{"unknown kind", validUpstream + "jobs:\n  - name: a\n    kind: nope\n", "jobs[0].kind"},
		{"duplicate names", validUpstream + "jobs:\n  - name: a\n    kind: recommend\n  - name: a\n    kind: recommend\n", "jobs[1].name"},
		{"page size", validUpstream + "jobs:\n  - name: a\n    kind: recommend\n    page_size: 51\n", "jobs[0].page_size"},
		{"no query list", validUpstream + "jobs:\n  - name: a\n    kind: keyword\n", "jobs[0]"},
		{"unknown key", validUpstream + "colour: red\n", "colour"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "syncd.yaml")
			writeFile(t, path, c.yaml)
			for _, cmd := range [][]string{{"config", "check"}, {"backfill"}, {"status"}} {
				var out, errb strings.Builder
				code := execute(context.Background(), append([]string{"--config", path}, cmd...), &out, &errb)
				if code != exitUsage {
					t.Fatalf("%v: exit %d, want 2; stderr %s", cmd, code, errb.String())
				}
				if !strings.Contains(errb.String(), c.want) {
					t.Errorf("%v: stderr does not name %q: %s", cmd, c.want, errb.String())
				}
			}
		})
	}
}

const validUpstream = "upstream:\n  base_url: http://127.0.0.1:1\n  access_key: a\n  secret_key: b\n  user_id: c\n"

func TestConfigCheck_MasksSecrets(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	out := e.mustSyncd(t, "config", "check")
	if strings.Contains(out, "sim-secret-key") {
		t.Errorf("config check printed the secret:\n%s", out)
	}
	if !strings.Contains(out, "base_url") || !strings.Contains(out, "tees") {
		t.Errorf("config check did not print the effective config:\n%s", out)
	}
}

func TestBackfill_UpstreamGarbageIsRetriedOrReported(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	// Transient garbage: retried, and the mirror ends complete.
	e.sim.FailNext(sim.FaultTruncated, 2)
	e.sim.FailNext(sim.FaultHTTP502, 1)
	e.mustSyncd(t, "backfill", "tees")
	want := 0
	for _, jobs := range e.expectedIDs(t) {
		if contains(jobs, "tees") {
			want++
		}
	}
	if got := len(e.mirror(t)); got != want {
		t.Fatalf("mirror has %d offers after retried faults, want %d", got, want)
	}
	before := e.mirror(t)

	// A permanent failure (the secret is wrong): exit 1, a message naming the signature,
	// and the mirror untouched.
	const wrongSecret = "Wr0ng-s3cret-Q7xZ"
	bad := strings.Replace(readFile(t, e.config), "secret_key: sim-secret-key", "secret_key: "+wrongSecret, 1)
	writeFile(t, e.config, bad)
	code, out, errOut := e.syncd(t, "backfill", "--fresh", "dresses")
	if code != exitFailure {
		t.Fatalf("exit %d with a wrong secret, want 1", code)
	}
	if !strings.Contains(out+errOut, "signature") {
		t.Errorf("the failure does not mention the signature:\n%s\n%s", out, errOut)
	}
	if strings.Contains(out+errOut, wrongSecret) {
		t.Errorf("the secret leaked into the output:\n%s\n%s", out, errOut)
	}
	after := e.mirror(t)
	if !reflect.DeepEqual(keys(before), keys(after)) {
		t.Errorf("a failed run changed the mirror: %d rows before, %d after", len(before), len(after))
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// An embedded index written by another version of syncd is rebuilt from the mirror at
// start, with no upstream calls, instead of leaving search broken.
func TestOpenApp_RebuildsAnEmbeddedIndexOfAnotherLayout(t *testing.T) {
	e := newTestEnv(t, sim.Options{}, "")
	e.mustSyncd(t, "backfill", "tees")
	want := e.indexDocs(t)

	// Stamp the index with another schema version, as an older syncd would have left it.
	raw, err := blevelib.Open(filepath.Join(e.dir, "state", indexDir))
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.SetInternal([]byte("syncd.schema"), []byte("0")); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	requests := e.sim.Stats().Total()
	res := searchJSON(t, e, "--limit", "1", "T恤")
	if res.Total == 0 {
		t.Fatal("search after the rebuild found nothing")
	}
	if got := e.indexDocs(t); !reflect.DeepEqual(got, want) {
		t.Errorf("rebuilt index has %d documents, want the %d it had", len(got), len(want))
	}
	if n := e.sim.Stats().Total() - requests; n != 0 {
		t.Errorf("the rebuild made %d upstream requests", n)
	}
}

func TestDemo_NoServe(t *testing.T) {
	var out, errb strings.Builder
	code := execute(context.Background(), []string{"demo", "--no-serve", "--offers", "3000", "--dir", t.TempDir()}, &out, &errb)
	if code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"distinct offers mirrored", "results for \"t-shirt\"", "results for \"T恤\"", "sources: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}

// A newcomer with only the binary: the missing-config error names `syncd config example`,
// whose output, saved as the config, passes `syncd config check` once its ${VAR}s are set.
func TestConfigExample_IsAValidStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "syncd.yaml")
	var out, errb strings.Builder
	if code := execute(context.Background(), []string{"--config", path, "config", "check"}, &out, &errb); code != exitUsage {
		t.Fatalf("config check without a file: exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "syncd config example") {
		t.Errorf("missing-config error does not point at syncd config example: %s", errb.String())
	}
	out.Reset()
	if code := execute(context.Background(), []string{"config", "example"}, &out, &errb); code != 0 {
		t.Fatalf("config example: exit %d: %s", code, errb.String())
	}
	writeFile(t, path, out.String())
	for k, v := range map[string]string{"SYNCD_ACCESS_KEY": "ak", "SYNCD_SECRET_KEY": "sk", "SYNCD_USER_ID": "42", "MEILI_MASTER_KEY": ""} {
		t.Setenv(k, v)
	}
	out.Reset()
	errb.Reset()
	if code := execute(context.Background(), []string{"--config", path, "config", "check"}, &out, &errb); code != 0 {
		t.Fatalf("config check of the example: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "is valid") {
		t.Errorf("config check output: %s", out.String())
	}
}
