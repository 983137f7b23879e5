package server_test

// The browser test drives the real search page in headless Chromium against the real
// embedded bleve index, filled from testdata/offers.json (60 offers). It needs the
// `chromium` binary (Debian: apt-get install chromium) and is skipped without it, or
// with -short. Run it alone with:
//
//	go test -race -run TestBrowser -v ./internal/server/

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/syncd/syncd/internal/headless"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/server"
)

const pageSize = 24 // the page's limit

// loadFixture opens a bleve index in a temporary directory and fills it with the offers
// of testdata/offers.json.
func loadFixture(t *testing.T) *bleve.Index {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "offers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var offers []index.Offer
	if err := json.Unmarshal(raw, &offers); err != nil {
		t.Fatal(err)
	}
	ix, err := bleve.Open(filepath.Join(t.TempDir(), "index"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if err := ix.Upsert(context.Background(), offers); err != nil {
		t.Fatal(err)
	}
	return ix
}

// browserJobs is the scheduler seen by the browser test: two idle jobs; triggering
// "tees" starts it, triggering "dresses" finds it already running (a scheduled run won
// the race), and every trigger is recorded.
type browserJobs struct {
	mu        sync.Mutex
	triggered []string
}

func (j *browserJobs) Status(context.Context) (crawl.Status, error) {
	finished := time.Now().Add(-12 * time.Minute)
	next := time.Now().Add(48 * time.Minute)
	return crawl.Status{
		Jobs: []crawl.JobStatus{
			{Name: "tees", Kind: "keyword", Schedule: "@every 1h", State: crawl.StateIdle, NextRunAt: &next,
				LastRun: &checkpoint.Run{ID: "r1", Job: "tees", Status: checkpoint.RunSucceeded,
					StartedAt: finished.Add(-time.Minute), FinishedAt: finished,
					Stats: checkpoint.Stats{Pages: 3, Offers: 30, New: 4, Changed: 2, Unchanged: 24}}},
			{Name: "dresses", Kind: "category", State: crawl.StateIdle},
		},
		Index: crawl.IndexStatus{Backend: "bleve", Documents: 60},
	}, nil
}

func (j *browserJobs) Trigger(name string) error {
	j.mu.Lock()
	j.triggered = append(j.triggered, name)
	j.mu.Unlock()
	switch name {
	case "tees":
		return nil
	case "dresses":
		return fmt.Errorf("trigger %s: %w", name, crawl.ErrRunning)
	}
	return fmt.Errorf("trigger %s: %w", name, crawl.ErrUnknownJob)
}

func (j *browserJobs) calls() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.triggered)
}

// newBrowser starts headless Chromium with a fresh profile and returns a context for
// one tab. It skips the test when Chromium is not installed.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	execPath, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("skipping the browser test: chromium is not installed (Debian: apt-get install chromium)")
	}
	// Chromium's helper processes can still write into the profile for a moment after
	// the browser exits, so a plain RemoveAll (as t.TempDir does) can fail with
	// "directory not empty": retry instead.
	profile, err := os.MkdirTemp("", "syncd-browser-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("remove browser profile %s", profile)
	})
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		headless.Options(execPath, profile, 1280, 900)...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	// The first Run starts the browser; it must not run under a timeout, which would
	// stop the browser when it fires.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// pageState is what the test reads back from the page.
type pageState struct {
	State        string   `json:"state"` // #results[data-state]: loading, ready, error
	Total        string   `json:"total"` // #total[data-total]
	IDs          []string `json:"ids"`
	Titles       []string `json:"titles"`
	Prices       []string `json:"prices"` // text of .card .price
	PageInfo     string   `json:"pageInfo"`
	PrevDisabled bool     `json:"prevDisabled"`
	NextDisabled bool     `json:"nextDisabled"`
	Error        string   `json:"error"` // text of #error when shown
	Search       string   `json:"search"`
	Q            string   `json:"q"`
	Sort         string   `json:"sort"`
	PriceMax     string   `json:"priceMax"`
	NoImage      []string `json:"noImage"` // offer ids whose picture shows the fallback
	Loaded       []string `json:"loaded"`  // offer ids whose picture loaded
	TokenPrompt  bool     `json:"tokenPrompt"`
	Jobs         []string `json:"jobs"`       // "name state: note" per job
	Sources      []string `json:"sources"`    // "name count" per source checkbox, "+" when checked
	Categories   []string `json:"categories"` // the category options, "*" before the selected one
}

const readPage = `(() => {
  const $ = (s) => document.querySelector(s);
  const cards = [...document.querySelectorAll('#results .card')];
  const err = $('#error');
  return {
    state: $('#results').dataset.state || '',
    total: $('#total').dataset.total || '',
    ids: cards.map((c) => c.dataset.offerId),
    titles: cards.map((c) => c.querySelector('.title-en').textContent),
    prices: cards.map((c) => c.querySelector('.price').textContent),
    pageInfo: $('#page-info').textContent,
    prevDisabled: $('#prev').disabled,
    nextDisabled: $('#next').disabled,
    error: err.hidden ? '' : err.textContent.trim(),
    search: location.search,
    q: $('#q').value,
    sort: $('#sort').value,
    priceMax: $('#price-max').value,
    noImage: cards.filter((c) => c.querySelector('.thumb.no-image')).map((c) => c.dataset.offerId),
    loaded: cards.filter((c) => { const i = c.querySelector('.thumb img'); return i && i.complete && i.naturalWidth > 0; }).map((c) => c.dataset.offerId),
    tokenPrompt: !$('#token-prompt').hidden,
    jobs: [...document.querySelectorAll('#jobs .job')].map((j) =>
      j.dataset.job + ' ' + j.dataset.state + ': ' + j.querySelector('.job-note').textContent),
    sources: [...document.querySelectorAll('#sources label')].map((l) =>
      (l.querySelector('input').checked ? '+' : '') + l.querySelector('input').value + ' ' + l.querySelector('.count').textContent),
    categories: [...$('#category').options].map((o) => (o.selected ? '*' : '') + o.textContent),
  };
})()`

// waitPage polls the page until ok holds and returns what it saw, or fails the test
// with the last state after a timeout.
func waitPage(t *testing.T, ctx context.Context, what string, ok func(pageState) bool) pageState {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last pageState
	for {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readPage))
		if err != nil {
			t.Fatalf("%s: read page: %v", what, err)
		}
		if ok(s) {
			return s
		}
		last = s
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out; page state:\n%+v", what, last)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// expect runs q on the index, as the page should, and returns the total and the ids of
// the hits in order.
func expect(t *testing.T, ix index.Searcher, q index.Query) (string, []string) {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = pageSize
	}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.OfferID
	}
	return strconv.Itoa(res.Total), ids
}

// showing returns a condition that holds once the page shows exactly total and ids.
func showing(total string, ids []string) func(pageState) bool {
	return func(s pageState) bool {
		return s.State == "ready" && s.Total == total && reflect.DeepEqual(s.IDs, ids)
	}
}

func prices(t *testing.T, s pageState) []float64 {
	t.Helper()
	out := make([]float64, len(s.Prices))
	for i, p := range s.Prices {
		v, err := strconv.ParseFloat(strings.TrimPrefix(p, "¥"), 64)
		if err != nil || !strings.HasPrefix(p, "¥") || !strings.Contains(p, ".") || len(p)-strings.Index(p, ".") != 3 {
			t.Fatalf("card %d: price %q is not ¥ with 2 decimals", i, p)
		}
		out[i] = v
	}
	return out
}

func do1(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// setSelect chooses value in a <select> as a user would: the value changes, then a
// change event fires.
func setSelect(sel, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q;
		s.dispatchEvent(new Event('change', {bubbles: true})); return s.value; })()`, sel, value)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		got, err := chromedp.Evaluate[string](js)(ctx, t)
		if err == nil && got != value {
			err = fmt.Errorf("select %s has no option %q", sel, value)
		}
		return chromedp.Void{}, err
	}
}

func TestBrowser_SearchPage(t *testing.T) {
	ctx := newBrowser(t)
	ix := loadFixture(t)
	jobs := &browserJobs{}
	ts := httptest.NewServer(server.New(server.Options{Index: ix, Jobs: jobs}))
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	// Browsing with no query shows everything, a page at a time.
	do1(t, ctx, "open the page", chromedp.Navigate(ts.URL+"/"))
	total, ids := expect(t, ix, index.Query{})
	s := waitPage(t, ctx, "first page", showing(total, ids))
	if total != "60" || len(s.IDs) != pageSize || s.PageInfo != "Page 1 of 3" || !s.PrevDisabled || s.NextDisabled {
		t.Fatalf("first page: %+v", s)
	}

	// Typing searches as you type.
	do1(t, ctx, "type a query", chromedp.SendKeys(chromedp.ID("q"), "shirt"))
	shirtTotal, ids := expect(t, ix, index.Query{Text: "shirt"})
	s = waitPage(t, ctx, "search shirt", showing(shirtTotal, ids))
	if n, _ := strconv.Atoi(shirtTotal); n <= pageSize {
		t.Fatalf("the fixture should have more than one page of shirts, has %d", n)
	}
	for i, title := range s.Titles {
		if !strings.Contains(strings.ToLower(title), "shirt") {
			t.Errorf("card %d: title %q does not match the query", i, title)
		}
	}
	if s.Search != "?q=shirt" {
		t.Errorf("URL query = %q, want ?q=shirt", s.Search)
	}

	// Sorting by price, ascending.
	do1(t, ctx, "sort by price", setSelect("#sort", "price:asc"))
	byPrice := []index.SortField{{Field: "price"}}
	_, ids = expect(t, ix, index.Query{Text: "shirt", Sort: byPrice})
	s = waitPage(t, ctx, "sort by price", showing(shirtTotal, ids))
	if p := prices(t, s); !slices.IsSorted(p) {
		t.Errorf("prices are not ascending: %v", p)
	}

	// Page 2 holds the rest, still in price order.
	do1(t, ctx, "next page", chromedp.Click(chromedp.ID("next")))
	_, page2 := expect(t, ix, index.Query{Text: "shirt", Sort: byPrice, Offset: pageSize})
	s = waitPage(t, ctx, "page 2", showing(shirtTotal, page2))
	if s.PageInfo != "Page 2 of 2" || s.PrevDisabled || !s.NextDisabled {
		t.Errorf("page 2: info %q, prev disabled %v, next disabled %v", s.PageInfo, s.PrevDisabled, s.NextDisabled)
	}
	if p := prices(t, s); !slices.IsSorted(p) {
		t.Errorf("page 2 prices are not ascending: %v", p)
	}
	if want := "?q=shirt&sort=price%3Aasc&page=2"; s.Search != want {
		t.Errorf("URL query = %q, want %q", s.Search, want)
	}

	// A reload restores the same search from the URL; Back returns to page 1.
	do1(t, ctx, "reload", chromedp.Reload())
	s = waitPage(t, ctx, "reload page 2", showing(shirtTotal, page2))
	if s.Q != "shirt" || s.Sort != "price:asc" {
		t.Errorf("after reload the controls show q=%q sort=%q", s.Q, s.Sort)
	}
	do1(t, ctx, "back", chromedp.NavigateBack())
	waitPage(t, ctx, "back to page 1", showing(shirtTotal, ids))

	// A price ceiling narrows the results and goes back to page 1.
	do1(t, ctx, "maximum price", chromedp.SendKeys(chromedp.ID("price-max"), "20"))
	cheapTotal, cheap := expect(t, ix, index.Query{Text: "shirt", Filter: "price <= 20", Sort: byPrice})
	s = waitPage(t, ctx, "price <= 20", showing(cheapTotal, cheap))
	if cheapTotal == shirtTotal || len(cheap) == 0 {
		t.Fatalf("the price filter should change the count: %s of %s", cheapTotal, shirtTotal)
	}
	p := prices(t, s)
	for i, v := range p {
		if v > 20 {
			t.Errorf("card %d costs %v, more than the maximum 20", i, v)
		}
	}
	if !slices.IsSorted(p) {
		t.Errorf("prices are not ascending: %v", p)
	}
	if s.PriceMax != "20" || !strings.Contains(s.Search, "pmax=20") || strings.Contains(s.Search, "page=") {
		t.Errorf("price filter state: input %q, URL %q", s.PriceMax, s.Search)
	}

	// A Chinese search from a link; pictures that fail show a placeholder.
	do1(t, ctx, "Chinese search", chromedp.Navigate(ts.URL+"/?q="+url.QueryEscape("连衣裙")))
	total, ids = expect(t, ix, index.Query{Text: "连衣裙"})
	waitPage(t, ctx, "Chinese search", showing(total, ids))
	if total != "6" {
		t.Errorf("连衣裙 found %s offers, want the fixture's 6 dresses", total)
	}
	broken := brokenPictures(t)
	s = waitPage(t, ctx, "picture fallback", func(s pageState) bool {
		return len(s.NoImage) == len(broken) && len(s.Loaded) == len(s.IDs)-len(broken)
	})
	slices.Sort(s.NoImage)
	if !reflect.DeepEqual(s.NoImage, broken) {
		t.Errorf("placeholders on %v, want on %v (the offers without a working picture)", s.NoImage, broken)
	}

	// Facets: each source and category with its count. Choosing from one narrows the
	// results but keeps the other choices of that group with the counts they would give.
	do1(t, ctx, "browse shirts", chromedp.Navigate(ts.URL+"/?q=shirt"))
	total, ids = expect(t, ix, index.Query{Text: "shirt"})
	s = waitPage(t, ctx, "browse shirts", showing(total, ids))
	allSources := facetLabels(t, ix, index.Query{Text: "shirt"}, "sources", "")
	if !reflect.DeepEqual(s.Sources, allSources) || len(allSources) < 2 {
		t.Errorf("sources = %q, want %q", s.Sources, allSources)
	}
	do1(t, ctx, "choose a source", chromedp.Click(chromedp.CSS(`#sources input[value="bestsellers"]`)))
	total, ids = expect(t, ix, index.Query{Text: "shirt", Filter: `sources = "bestsellers"`})
	s = waitPage(t, ctx, "one source", showing(total, ids))
	if want := facetLabels(t, ix, index.Query{Text: "shirt"}, "sources", "bestsellers"); !reflect.DeepEqual(s.Sources, want) {
		t.Errorf("sources with bestsellers chosen = %q, want %q", s.Sources, want)
	}
	cats := facetLabels(t, ix, index.Query{Text: "shirt", Filter: `sources = "bestsellers"`}, "categoryId", "")
	if len(cats) == 0 || len(s.Categories) != len(cats)+1 || s.Categories[0] != "*All categories" {
		t.Errorf("categories = %q, want All and %q", s.Categories, cats)
	}
	cat := strings.Fields(cats[0])[0]
	do1(t, ctx, "choose a category", setSelect("#category", cat))
	total, ids = expect(t, ix, index.Query{Text: "shirt", Filter: `categoryId = "` + cat + `" AND sources = "bestsellers"`})
	s = waitPage(t, ctx, "one category", showing(total, ids))
	if !slices.Contains(s.Categories, "*"+cat+" ("+total+")") {
		t.Errorf("categories = %q, want %s (%s) selected", s.Categories, cat, total)
	}

	// A filter the API rejects shows its message.
	do1(t, ctx, "bad filter", chromedp.Navigate(ts.URL+"/?filter="+url.QueryEscape("price >")))
	s = waitPage(t, ctx, "bad filter", func(s pageState) bool { return s.State == "error" })
	if !strings.Contains(s.Error, "invalid filter at position") || len(s.IDs) != 0 {
		t.Errorf("error banner %q with %d cards", s.Error, len(s.IDs))
	}

	// The jobs panel, and starting runs from it.
	s = waitPage(t, ctx, "jobs panel", func(s pageState) bool { return len(s.Jobs) == 2 })
	if !strings.HasPrefix(s.Jobs[0], "tees idle") || !strings.HasPrefix(s.Jobs[1], "dresses idle") {
		t.Errorf("jobs = %q", s.Jobs)
	}
	do1(t, ctx, "run tees", chromedp.Click(chromedp.CSS(`#jobs .run-now[data-job="tees"]`)))
	waitPage(t, ctx, "tees started", func(s pageState) bool { return len(s.Jobs) == 2 && s.Jobs[0] == "tees idle: Started" })
	do1(t, ctx, "run dresses", chromedp.Click(chromedp.CSS(`#jobs .run-now[data-job="dresses"]`)))
	waitPage(t, ctx, "dresses conflict", func(s pageState) bool {
		return len(s.Jobs) == 2 && s.Jobs[1] == "dresses idle: Already running"
	})
	if got := jobs.calls(); !reflect.DeepEqual(got, []string{"tees", "dresses"}) {
		t.Errorf("triggered %q, want [tees dresses]", got)
	}
}

// facetLabels returns the values of facet field for q as the page lists sources, "name
// count" sorted by name, with "+" before chosen; or, for categoryId, as "id (count)" by
// count, most first.
func facetLabels(t *testing.T, ix index.Searcher, q index.Query, field, chosen string) []string {
	t.Helper()
	q.Facets, q.Limit = []string{field}, 1
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	type kv struct {
		k string
		n int
	}
	var vals []kv
	for k, n := range res.Facets[field] {
		vals = append(vals, kv{k, n})
	}
	var out []string
	if field == "categoryId" {
		slices.SortFunc(vals, func(a, b kv) int { return cmp.Or(b.n-a.n, strings.Compare(a.k, b.k)) })
		for _, v := range vals {
			out = append(out, fmt.Sprintf("%s (%d)", v.k, v.n))
		}
		return out
	}
	slices.SortFunc(vals, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	for _, v := range vals {
		mark := ""
		if v.k == chosen {
			mark = "+"
		}
		out = append(out, fmt.Sprintf("%s%s %d", mark, v.k, v.n))
	}
	return out
}

// brokenPictures returns the sorted ids of the fixture's dresses whose picture cannot
// load: a missing file or no URL.
func brokenPictures(t *testing.T) []string {
	raw, err := os.ReadFile(filepath.Join("testdata", "offers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var offers []index.Offer
	if err := json.Unmarshal(raw, &offers); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range offers {
		if strings.Contains(o.Subject, "连衣裙") && !strings.HasPrefix(o.ImageURL, "data:") {
			ids = append(ids, o.OfferID)
		}
	}
	if len(ids) != 2 {
		t.Fatalf("the fixture should have 2 dresses without a working picture, has %d", len(ids))
	}
	slices.Sort(ids)
	return ids
}

func TestBrowser_Token(t *testing.T) {
	ctx := newBrowser(t)
	ix := loadFixture(t)
	const token = "browser-test-token"
	ts := httptest.NewServer(server.New(server.Options{Index: ix, Jobs: &browserJobs{}, Token: token}))
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	do1(t, ctx, "open the page", chromedp.Navigate(ts.URL+"/?q=shirt"))
	s := waitPage(t, ctx, "token prompt", func(s pageState) bool { return s.TokenPrompt && s.State == "error" })
	if len(s.IDs) != 0 {
		t.Errorf("results shown without a token: %v", s.IDs)
	}

	// A wrong token is rejected and the prompt comes back.
	do1(t, ctx, "wrong token", chromedp.SendKeys(chromedp.ID("token"), "wrong\n"))
	waitPage(t, ctx, "prompt after a wrong token", func(s pageState) bool { return s.TokenPrompt && s.State == "error" })

	do1(t, ctx, "right token", chromedp.SendKeys(chromedp.ID("token"), token+"\n"))
	total, ids := expect(t, ix, index.Query{Text: "shirt"})
	s = waitPage(t, ctx, "results with the token", showing(total, ids))
	if s.TokenPrompt || s.Error != "" {
		t.Errorf("after the token: prompt shown %v, error %q", s.TokenPrompt, s.Error)
	}
	waitPage(t, ctx, "jobs with the token", func(s pageState) bool { return len(s.Jobs) == 2 })

	// The token is kept: a new load searches without asking.
	do1(t, ctx, "reload", chromedp.Reload())
	s = waitPage(t, ctx, "reload with the saved token", showing(total, ids))
	if s.TokenPrompt {
		t.Error("the token prompt came back after a reload")
	}
	saved, err := chromedp.Run(ctx, chromedp.Evaluate[string](`localStorage.getItem('syncd.token') || ''`))
	if err != nil || saved != token {
		t.Errorf("localStorage token = %q (%v)", saved, err)
	}
}
