package bench

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/syncd/syncd/internal/index"
	syncdbleve "github.com/syncd/syncd/internal/index/bleve"
)

// SearchOptions configures Search.
type SearchOptions struct {
	StateDir string // a state directory holding a mirror and its embedded index
	Runs     int    // queries per kind and side; default 200
}

// searchCase is one query kind: syncd's query and the same query built with bleve alone.
type searchCase struct {
	name   string
	target time.Duration // p99 goal
	syncd  func(i int) index.Query
	bare   func(i int) *blevesearch.SearchRequest
}

var (
	enTerms = []string{"cotton", "summer", "winter", "korean", "loose", "casual", "wholesale", "women's"}
	zhTerms = []string{"纯棉", "夏季", "冬季", "韩版", "宽松", "休闲", "批发", "女士"}
)

// bareRequest is the bleve search that returns what syncd returns for the same query:
// matches in syncd's result order (monthSold descending, then offer id; see
// internal/index/bleve Search), no scores, the stored offer of each hit.
func bareRequest(q query.Query, facet bool) *blevesearch.SearchRequest {
	req := blevesearch.NewSearchRequestOptions(q, 20, 0, false)
	req.Fields = []string{"_doc"}
	req.Score = "none"
	req.SortByCustom(search.SortOrder{
		&search.SortField{Field: "s:monthSold", Desc: true, Type: search.SortFieldAsString, Missing: search.SortFieldMissingLast},
		&search.SortDocID{},
	})
	if facet {
		req.AddFacet("categoryId", blevesearch.NewFacetRequest("categoryId", 100))
	}
	return req
}

// enTerm matches an English word in either title, the English one analyzed by the
// field's own analyzer (stemming), as syncd matches it.
func enTerm(t string) query.Query {
	a := query.NewTermQuery(t)
	a.SetField("subject")
	b := query.NewMatchQuery(t)
	b.SetField("subjectTrans")
	b.SetOperator(query.MatchQueryOperatorAnd)
	return query.NewDisjunctionQuery([]query.Query{a, b})
}

func zhTerm(t string) query.Query {
	q := query.NewTermQuery(t)
	q.SetField("subject")
	return q
}

func searchCases() []searchCase {
	lo, hi := 10.0, 50.0
	// The index keeps numbers in an 8-bit-step trie (internal/index/bleve/numrange.go),
	// which bleve's own NumericRangeQuery (4-bit steps, hard-coded) cannot read; the bare
	// side uses the same range query type, run by bleve alone.
	price := func() query.Query { return syncdbleve.NumericRangeQuery("price", &lo, &hi, true, true) }
	en := func(i int) string { return enTerms[i%len(enTerms)] }
	zh := func(i int) string { return zhTerms[i%len(zhTerms)] }
	return []searchCase{
		{"one English term", 10 * time.Millisecond,
			func(i int) index.Query { return index.Query{Text: en(i), Limit: 20} },
			func(i int) *blevesearch.SearchRequest { return bareRequest(enTerm(en(i)), false) }},
		{"two terms", 10 * time.Millisecond,
			func(i int) index.Query { return index.Query{Text: en(i) + " " + en(i+3), Limit: 20} },
			func(i int) *blevesearch.SearchRequest {
				return bareRequest(query.NewConjunctionQuery([]query.Query{enTerm(en(i)), enTerm(en(i + 3))}), false)
			}},
		{"2-character Chinese term", 10 * time.Millisecond,
			func(i int) index.Query { return index.Query{Text: zh(i), Limit: 20} },
			func(i int) *blevesearch.SearchRequest { return bareRequest(zhTerm(zh(i)), false) }},
		{"term + price filter + sort monthSold", 50 * time.Millisecond,
			func(i int) index.Query {
				return index.Query{Text: en(i), Filter: "price 10 TO 50", Sort: []index.SortField{{Field: "monthSold", Desc: true}}, Limit: 20}
			},
			func(i int) *blevesearch.SearchRequest {
				bq := query.NewBooleanQuery([]query.Query{enTerm(en(i))}, nil, nil)
				bq.AddFilter(price())
				return bareRequest(bq, false)
			}},
		{"term + categoryId facet", 50 * time.Millisecond,
			func(i int) index.Query { return index.Query{Text: en(i), Facets: []string{"categoryId"}, Limit: 20} },
			func(i int) *blevesearch.SearchRequest { return bareRequest(enTerm(en(i)), true) }},
	}
}

// answer renders what a query returned (total, hit ids in order, facet counts) for
// comparing syncd's answers with bleve's.
func answer(total int, ids []string, facet map[string]int) string {
	return fmt.Sprint(total, ids, facet) // fmt prints maps in key order
}

func offerIDs(hits []index.Offer) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.OfferID
	}
	return out
}

// latencies are sorted durations.
type latencies []time.Duration

func (l latencies) at(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	// Nearest rank: the smallest sample with at least p of the samples at or below it.
	rank := int(math.Ceil(p * float64(len(l))))
	return l[min(len(l)-1, max(rank-1, 0))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// Search measures one searcher's p50 and p99 per query kind through syncd (System.Search,
// the code path of `syncd search` without process start) and with bleve alone on the same
// index directory (syncd first, then bleve alone: they cannot hold the directory at once).
// Both sides answer the same question — syncd's result order, which bleve alone gets by
// sorting every match — and every answer of bleve alone is compared with syncd's. Facet
// counts that syncd caches are dropped before each query, so every query is cold.
func Search(ctx context.Context, open Opener, o SearchOptions) (*Report, error) {
	runs := o.Runs
	if runs <= 0 {
		runs = 200
	}
	cases := searchCases()
	syncdLat := make([]latencies, len(cases))
	bareLat := make([]latencies, len(cases))
	var docs uint64
	// What each syncd query answered, to check that bleve alone answers the same.
	got := make([][]string, len(cases))
	differ := make([]int, len(cases))

	// syncd side, then bare side: they cannot hold the index directory at once.
	sys, err := open(ctx, SystemConfig{StateDir: o.StateDir, NoUpstream: true})
	if err != nil {
		return nil, err
	}
	for ci, c := range cases {
		for i := range runs + 10 {
			sys.DropCaches() // every query cold: the 8 texts per kind repeat
			start := time.Now()
			res, err := sys.Search(ctx, c.syncd(i))
			if err != nil {
				sys.Close()
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			_ = index.NewResponse(c.syncd(i), res)
			if i >= 10 { // warm-up
				syncdLat[ci] = append(syncdLat[ci], time.Since(start))
			}
			got[ci] = append(got[ci], answer(res.Total, offerIDs(res.Hits), res.Facets["categoryId"]))
		}
	}
	if err := sys.Close(); err != nil {
		return nil, err
	}
	idx, err := blevesearch.Open(filepath.Join(o.StateDir, "index.bleve"))
	if err != nil {
		return nil, fmt.Errorf("open index with bleve alone: %w", err)
	}
	docs, _ = idx.DocCount()
	for ci, c := range cases {
		for i := range runs + 10 {
			start := time.Now()
			res, err := idx.SearchInContext(ctx, c.bare(i))
			if err != nil {
				idx.Close()
				return nil, fmt.Errorf("bare %s: %w", c.name, err)
			}
			if i >= 10 {
				bareLat[ci] = append(bareLat[ci], time.Since(start))
			}
			ids := make([]string, len(res.Hits))
			for j, h := range res.Hits {
				ids[j] = h.ID
			}
			var cats map[string]int
			if fr := res.Facets["categoryId"]; fr != nil {
				cats = map[string]int{}
				for _, t := range fr.Terms.Terms() {
					cats[t.Term] = t.Count
				}
			}
			if answer(int(res.Total), ids, cats) != got[ci][i] {
				differ[ci]++
			}
		}
	}
	idx.Close()

	r := &Report{Title: fmt.Sprintf("search: %d offers, one searcher, %d queries per kind and side (ms)", docs, runs)}
	for ci, c := range cases {
		s, b := syncdLat[ci], bareLat[ci]
		slices.Sort(s)
		slices.Sort(b)
		over50 := float64(s.at(0.5))/float64(b.at(0.5)) - 1
		over99 := float64(s.at(0.99))/float64(b.at(0.99)) - 1
		r.add(c.name+" p50/p99", fmt.Sprintf("syncd %s / %s, bare %s / %s", ms(s.at(0.5)), ms(s.at(0.99)), ms(b.at(0.5)), ms(b.at(0.99))),
			fmt.Sprintf("overhead ≤ 10%%; p99 ≤ %s", ms(c.target)), ref(over99 <= 0.10 && s.at(0.99) <= c.target && differ[ci] == 0),
			fmt.Sprintf("overhead p50 %+.0f%%, p99 %+.0f%%; answers differing from bleve's: %d of %d", 100*over50, 100*over99, differ[ci], runs+10))
	}
	return r, nil
}
