package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/search"

	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	syncdbleve "github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/upstream/sim"
)

func TestLatenciesAt(t *testing.T) {
	hundred := make(latencies, 100) // 1 ms … 100 ms
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		l    latencies
		p    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{latencies{7}, 0, 7},
		{latencies{7}, 0.99, 7},
		{latencies{7}, 1, 7},
		{latencies{1, 2}, 0.5, 1},
		{hundred, 0, time.Millisecond},
		{hundred, 0.5, 50 * time.Millisecond},
		{hundred, 0.99, 99 * time.Millisecond},
		{hundred, 0.991, 100 * time.Millisecond},
		{hundred, 1, 100 * time.Millisecond},
		{hundred[:10], 0.5, 5 * time.Millisecond},
		{hundred[:10], 0.99, 10 * time.Millisecond},
	} {
		if got := tc.l.at(tc.p); got != tc.want {
			t.Errorf("%d latencies: at(%g) = %s, want %s", len(tc.l), tc.p, got, tc.want)
		}
	}
}

func TestMs(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.0"},
		{999 * time.Nanosecond, "0.0"},
		{1500 * time.Microsecond, "1.5"},
		{10 * time.Millisecond, "10.0"},
		{85*time.Millisecond + 400*time.Microsecond, "85.4"},
		{2 * time.Second, "2000.0"},
	} {
		if got := ms(tc.d); got != tc.want {
			t.Errorf("ms(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestAnswer(t *testing.T) {
	a := answer(3, []string{"1", "2"}, map[string]int{"x": 1, "y": 2})
	b := answer(3, []string{"1", "2"}, map[string]int{"y": 2, "x": 1})
	if a != b {
		t.Errorf("equal answers render differently: %q and %q", a, b)
	}
	// No facet requested renders the same on both sides whether the map is nil or empty.
	if answer(0, nil, nil) != answer(0, []string{}, map[string]int{}) {
		t.Error("empty answers render differently")
	}
	for _, other := range []string{
		answer(4, []string{"1", "2"}, map[string]int{"x": 1, "y": 2}),
		answer(3, []string{"2", "1"}, map[string]int{"x": 1, "y": 2}),
		answer(3, []string{"1", "2"}, map[string]int{"x": 1, "y": 3}),
		answer(3, []string{"1", "2"}, map[string]int{"x": 1}),
	} {
		if other == a {
			t.Errorf("different answers render alike: %q", a)
		}
	}
	if got := offerIDs([]index.Offer{{OfferID: "b"}, {OfferID: "a"}}); strings.Join(got, ",") != "b,a" {
		t.Errorf("offerIDs = %v, want [b a] in hit order", got)
	}
}

// TestSearchCasesAskTheSameQuestion checks, per query kind, that the bare-bleve request
// asks for what syncd's query asks for: the same page size, the same words, a facet on
// the same side, and syncd's result order.
func TestSearchCasesAskTheSameQuestion(t *testing.T) {
	cases := searchCases()
	if len(cases) != 5 {
		t.Fatalf("%d query kinds, want the 5 of docs/PERFORMANCE.md", len(cases))
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Errorf("query kind %q twice", c.name)
		}
		names[c.name] = true
		if c.target <= 0 {
			t.Errorf("%s: no p99 target", c.name)
		}
		for i := range 2 * len(enTerms) {
			sq, br := c.syncd(i), c.bare(i)
			if sq.Limit != br.Size || br.From != sq.Offset {
				t.Errorf("%s #%d: syncd asks for %d hits from %d, bleve alone %d from %d", c.name, i, sq.Limit, sq.Offset, br.Size, br.From)
			}
			if (len(sq.Facets) > 0) != (br.Facets != nil) {
				t.Errorf("%s #%d: syncd facets %v, bleve alone %v", c.name, i, sq.Facets, br.Facets)
			}
			for _, f := range sq.Facets {
				if _, ok := br.Facets[f]; !ok {
					t.Errorf("%s #%d: bleve alone lacks the facet %s", c.name, i, f)
				}
			}
			if (sq.Filter != "") != strings.Contains(c.name, "filter") {
				t.Errorf("%s #%d: filter %q", c.name, i, sq.Filter)
			}
			qj, err := json.Marshal(br.Query)
			if err != nil {
				t.Fatalf("%s #%d: %v", c.name, i, err)
			}
			body := string(qj)
			for _, w := range strings.Fields(sq.Text) {
				if !strings.Contains(body, w) {
					t.Errorf("%s #%d: syncd searches %q, the bleve request %s lacks %q", c.name, i, sq.Text, body, w)
				}
			}
			if br.Score != "none" || len(br.Fields) != 1 || br.Fields[0] != "_doc" {
				t.Errorf("%s #%d: bleve alone scores %q and loads %v; want no scores and the stored offer", c.name, i, br.Score, br.Fields)
			}
			if len(br.Sort) != 2 {
				t.Fatalf("%s #%d: bleve alone sorts by %v, want monthSold descending, then id", c.name, i, br.Sort)
			}
			sf, ok := br.Sort[0].(*search.SortField)
			if _, byID := br.Sort[1].(*search.SortDocID); !ok || sf.Field != "s:monthSold" || !sf.Desc || !byID {
				t.Errorf("%s #%d: bleve alone sorts by %v, want monthSold descending, then id", c.name, i, br.Sort)
			}
		}
	}
}

// indexSystem is the part of a System that Search uses: syncd's embedded index opened as
// cmd/syncd opens it. It records what the searches answered.
type indexSystem struct {
	ix *syncdbleve.Index
	// corrupt makes every answer count one match too many, as a broken syncd would.
	corrupt bool
	mu      sync.Mutex
	// searches, searches with hits, and with facet counts.
	n, hits, faceted int
}

func (s *indexSystem) Backfill(context.Context, []crawl.Job, bool) error {
	return errors.New("not in this test")
}
func (s *indexSystem) Reindex(context.Context) (int, error) { return 0, errors.New("not in this test") }
func (s *indexSystem) IndexedDocs() int64                   { return 0 }
func (s *indexSystem) DropCaches()                          { s.ix.DropCaches() }
func (s *indexSystem) Close() error                         { return s.ix.Close() }
func (s *indexSystem) Search(ctx context.Context, q index.Query) (*index.Result, error) {
	res, err := s.ix.Search(ctx, q)
	if err == nil {
		s.mu.Lock()
		s.n++
		if res.Total > 0 && len(res.Hits) > 0 {
			s.hits++
		}
		if len(res.Facets["categoryId"]) > 0 {
			s.faceted++
		}
		s.mu.Unlock()
		if s.corrupt {
			bad := *res
			bad.Total++
			res = &bad
		}
	}
	return res, err
}

// TestSearchAnswersMatchBleveAlone runs Search over a small mirror: for every query kind,
// bleve alone must answer exactly what syncd answered (the report's "differing: 0"), and a
// syncd that answers wrongly must be caught. Latencies, and the met column when it rests
// on them, are not checked: they are measurements.
func TestSearchAnswersMatchBleveAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a small index")
	}
	t.Parallel()
	dir := t.TempDir()
	s := sim.New(sim.Options{Offers: 1_000, Seed: 7})
	var docs []index.Offer
	for _, q := range mustPlan(t, s) {
		for _, id := range s.Matches(q.Query) {
			o, _ := s.Offer(id)
			docs = append(docs, index.Offer{OfferID: o.OfferID, Subject: o.Subject, SubjectTrans: o.SubjectTrans,
				ImageURL: o.ImageURL, Price: o.Price, JxhyPrice: o.JxhyPrice, PfJxhyPrice: o.PfJxhyPrice,
				MonthSold: o.MonthSold, RepurchaseRate: o.RepurchaseRate, IsJxhy: o.IsJxhy,
				CategoryID: o.CategoryID, SellerOpenID: o.SellerOpenID, Sources: []string{"catalog-1"}})
		}
	}
	ctx := t.Context()
	ix, err := syncdbleve.Open(filepath.Join(dir, "index.bleve"), &syncdbleve.Options{BatchSize: 500}) // several segments, as a real mirror has
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Upsert(ctx, docs); err != nil {
		ix.Close()
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	var sys *indexSystem
	opener := func(corrupt bool) Opener {
		return func(_ context.Context, c SystemConfig) (System, error) {
			if c.StateDir != dir || !c.NoUpstream {
				return nil, fmt.Errorf("opened with %+v, want the state directory and no upstream", c)
			}
			ix, err := syncdbleve.Open(filepath.Join(c.StateDir, "index.bleve"), nil)
			if err != nil {
				return nil, err
			}
			sys = &indexSystem{ix: ix, corrupt: corrupt}
			return sys, nil
		}
	}
	const runs = 6
	r, err := Search(ctx, opener(false), SearchOptions{StateDir: dir, Runs: runs})
	if err != nil {
		t.Fatal(err)
	}
	kinds := len(searchCases())
	if want := kinds * (runs + 10); sys.n != want {
		t.Errorf("syncd ran %d searches, want %d (runs + 10 warm-up per kind)", sys.n, want)
	}
	// Equal answers prove little if they are all empty.
	if sys.hits < sys.n*3/4 || sys.faceted == 0 {
		t.Fatalf("of %d searches %d had hits and %d facet counts; the catalog is too small for this test", sys.n, sys.hits, sys.faceted)
	}
	if !strings.Contains(r.Title, fmt.Sprintf("%d offers", len(docs))) || !strings.Contains(r.Title, fmt.Sprintf("%d queries per kind", runs)) {
		t.Errorf("title %q does not name %d offers and %d queries", r.Title, len(docs), runs)
	}
	if len(r.Figures) != kinds {
		t.Fatalf("%d figures, want one per query kind (%d)", len(r.Figures), kinds)
	}
	for _, f := range r.Figures {
		if want := fmt.Sprintf("answers differing from bleve's: 0 of %d", runs+10); !strings.Contains(f.Note, want) {
			t.Errorf("%s: note %q, want %q", f.Name, f.Note, want)
		}
		if f.Met != "yes" && f.Met != "no" {
			t.Errorf("%s: met %q, want yes or no", f.Name, f.Met)
		}
	}

	r, err = Search(ctx, opener(true), SearchOptions{StateDir: dir, Runs: runs})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Figures {
		if want := fmt.Sprintf("answers differing from bleve's: %d of %d", runs+10, runs+10); !strings.Contains(f.Note, want) || f.Met != "no" {
			t.Errorf("wrong answers: %s: note %q, met %q; want %q, not met", f.Name, f.Note, f.Met, want)
		}
	}
}
