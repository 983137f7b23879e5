package bleve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/syncd/syncd/internal/index"
)

// Search runs q (see index.Searcher). Matching and ranking:
//
//   - Text is split into words at white space; a document matches when every word matches
//     subject or subjectTrans (a word need not match the same field as the others). A
//     Chinese word matches subject when the title contains each of its 2-character pieces
//     (see mixedBigramFilter); a Latin word matches either field after that field's
//     analysis (subjectTrans: English stemming, so "shirts" finds "shirt"). Words that
//     English analysis drops entirely (stop words such as "for", punctuation) are ignored;
//     text with no other word matches everything.
//   - The filter selects; it does not rank.
//   - Results are ordered by q.Sort, then by monthSold descending (best sellers first:
//     "relevance" is sales among the offers that match every word, which is also how
//     1688 ranks a keyword search by default), then by offerId, so paging with Offset is
//     stable while the index does not change. Documents without a sort field come last
//     in both directions. No scores are computed: a title matches or it does not, and
//     tf-idf over short titles mostly rewards short titles.
//   - Facets count every match; each field reports its MaxFacetValues most frequent
//     values (ties in value order), booleans as "true" and "false". Every requested
//     facet is in the result, empty when nothing matched. Counts are cached per (text,
//     filter, facets) until the next write (facetCache).
//   - Total, hits and facets come from one snapshot of the index. The matches are
//     computed as bitmaps (bitmaps.go) and the page is collected by walking the first
//     sort field in sort order (topk.go), so a query does not cost time in proportion to
//     its matches as a bleve search does; what the bitmaps cannot do, bleve does (run).
//
// q is validated again (Query.Validate); problems with it are *index.QueryError.
func (ix *Index) Search(ctx context.Context, q index.Query) (*index.Result, error) {
	start := time.Now()
	if err := q.Validate(); err != nil {
		return nil, err
	}
	qq, err := ix.compile(q)
	if err != nil {
		return nil, err
	}

	req := blevesearch.NewSearchRequestOptions(qq, q.Limit, q.Offset, false)
	req.Fields = []string{docField}
	req.Score = "none" // order never depends on scores (see above)
	order := make(search.SortOrder, 0, len(q.Sort)+2)
	for _, k := range resultOrder(q.Sort) {
		order = append(order, &search.SortField{
			Field:   sortPrefix + k.field,
			Desc:    k.desc,
			Type:    search.SortFieldAsString, // sort keys compare bytewise
			Missing: search.SortFieldMissingLast,
		})
	}
	order = append(order, &search.SortDocID{})
	req.SortByCustom(order)
	var cached map[string]map[string]int
	var key string
	var facets []string
	gen := ix.facets.gen.Load()
	if len(q.Facets) > 0 {
		key = facetKey(q.Text, q.Filter, q.Facets)
		if cached, _ = ix.facets.get(key, gen); cached == nil {
			facets = q.Facets
		}
	}

	ix.mu.RLock()
	if ix.closed {
		ix.mu.RUnlock()
		return nil, ErrClosed
	}
	res, err := ix.run(ctx, q, qq, req, facets)
	ix.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}

	r := &index.Result{Total: res.total, Hits: res.hits}
	switch {
	case cached != nil:
		r.Facets = cached
	case len(q.Facets) > 0:
		r.Facets = res.facets
		ix.facets.put(key, gen, r.Facets)
	}
	r.Took = time.Since(start)
	return r, nil
}

// compile builds the bleve query of q's text and filter (match all when both are empty).
func (ix *Index) compile(q index.Query) (query.Query, error) {
	textQ := ix.textQuery(q.Text)
	var filterQ query.Query
	if q.Filter != "" {
		expr, err := index.ParseFilter(q.Filter)
		if err != nil {
			return nil, err
		}
		if filterQ, err = compileFilter(expr); err != nil {
			return nil, err
		}
	}

	switch {
	case textQ != nil && filterQ != nil:
		bq := query.NewBooleanQuery([]query.Query{textQ}, nil, nil)
		bq.AddFilter(filterQ)
		return bq, nil
	case textQ != nil:
		return textQ, nil
	case filterQ != nil:
		return filterQ, nil
	}
	return query.NewMatchAllQuery(), nil
}

// outcome is what run found: the offers of the page, the number of matches and the
// facet counts (index terms rendered as values).
type outcome struct {
	hits   []index.Offer
	total  int
	facets map[string]map[string]int
}

// run finds page q of the matches of qq, whose bleve search is req, and counts the facets
// named in facets (those not cached).
//
// The matches are computed as bitmaps first (bitmaps.go), which counts them and their
// facet values without visiting each; the page is then collected by walking blocks of the
// first sort field (topk.go). Whatever the bitmaps cannot do (a query or a facet they do
// not support, an order whose first field some documents lack), bleve does: the page in
// one bleve search, which also counts, and the remaining facets with it.
func (ix *Index) run(ctx context.Context, q index.Query, qq query.Query, req *blevesearch.SearchRequest, facets []string) (outcome, error) {
	out := outcome{facets: map[string]map[string]int{}}
	snap, release, err := ix.snapshot()
	if err != nil {
		return out, err
	}
	defer release()
	ev := newEvaluator(ctx, snap, &ix.terms)
	m, err := ev.matches(qq)
	if err != nil && !errors.Is(err, errUnsupported) {
		return out, err
	}
	var left []string // facets bleve must count
	for _, name := range facets {
		if m == nil {
			left = append(left, name)
			continue
		}
		counts, err := ev.facet(name, m, ix.opts.MaxFacetValues)
		switch {
		case errors.Is(err, errUnsupported):
			left = append(left, name)
		case err != nil:
			return out, err
		default:
			out.facets[name] = renderFacet(name, counts)
		}
	}

	if order := resultOrder(q.Sort); m != nil && blockable(order) {
		hits, err := ev.topK(m, order, q.Offset, q.Limit)
		switch {
		case err == nil:
			ix.topkSearches.Add(1)
			out.hits, out.total = hits, m.count()
			if len(left) > 0 {
				req = blevesearch.NewSearchRequestOptions(qq, 0, 0, false)
				req.Score = "none"
				ix.addFacets(req, left)
				res, err := ix.idx.SearchInContext(ctx, req)
				if err != nil {
					return out, err
				}
				ix.keepFacets(out.facets, res.Facets, left)
			}
			return out, nil
		case !errors.Is(err, errUnsupported):
			return out, err
		}
	}

	ix.bleveSearches.Add(1)
	ix.addFacets(req, left)
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return out, err
	}
	out.total = int(res.Total)
	ix.keepFacets(out.facets, res.Facets, left)
	out.hits = make([]index.Offer, 0, len(res.Hits))
	for _, h := range res.Hits {
		raw, _ := h.Fields[docField].(string)
		o, err := decodeOffer(raw)
		if err != nil {
			return out, fmt.Errorf("hit %s: %w", h.ID, err)
		}
		out.hits = append(out.hits, o)
	}
	return out, nil
}

// addFacets asks req to count the facets names.
func (ix *Index) addFacets(req *blevesearch.SearchRequest, names []string) {
	for _, name := range names {
		req.AddFacet(name, blevesearch.NewFacetRequest(name, ix.opts.MaxFacetValues))
	}
}

// keepFacets stores bleve's counts of the facets names into dst.
func (ix *Index) keepFacets(dst map[string]map[string]int, res search.FacetResults, names []string) {
	for _, name := range names {
		counts := map[string]int{}
		if fr := res[name]; fr != nil && fr.Terms != nil {
			for _, t := range fr.Terms.Terms() {
				counts[t.Term] = t.Count
			}
		}
		dst[name] = renderFacet(name, counts)
	}
}

// renderFacet turns the index terms of a facet field into the values users filter on.
func renderFacet(name string, counts map[string]int) map[string]int {
	if f, _ := index.LookupField(name); f.Type != index.TypeBool {
		return counts
	}
	out := make(map[string]int, len(counts))
	for t, c := range counts {
		out[boolTerm(t)] = c
	}
	return out
}

// snapshot returns the index's current scorch snapshot and the function that releases it.
func (ix *Index) snapshot() (*scorch.IndexSnapshot, func(), error) {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return nil, nil, err
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil, nil, fmt.Errorf("index is %T, not scorch", adv)
	}
	r, err := sc.Reader()
	if err != nil {
		return nil, nil, err
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		r.Close()
		return nil, nil, fmt.Errorf("scorch reader is %T", r)
	}
	return snap, func() { r.Close() }, nil
}

// boolTerm renders bleve's indexed boolean terms as Meilisearch does.
func boolTerm(t string) string {
	switch t {
	case "T":
		return "true"
	case "F":
		return "false"
	}
	return t
}

// textQuery builds the full-text part of a search (see Search), or nil when text has no
// searchable word.
func (ix *Index) textQuery(text string) query.Query {
	var clauses []query.Query
	for _, word := range strings.Fields(text) {
		var sides []query.Query
		if q := allTerms("subject", ix.an.subjectQuery.Analyze([]byte(word))); q != nil {
			sides = append(sides, q)
		}
		if !hasIdeograph(word) {
			trans := ix.an.trans.Analyze([]byte(word))
			if len(trans) == 0 {
				continue // a stop word or punctuation: not in either field's index
			}
			sides = append(sides, allTerms("subjectTrans", trans))
		}
		switch len(sides) {
		case 0:
		case 1:
			clauses = append(clauses, sides[0])
		default:
			clauses = append(clauses, query.NewDisjunctionQuery(sides))
		}
	}
	switch len(clauses) {
	case 0:
		return nil
	case 1:
		return clauses[0]
	}
	return query.NewConjunctionQuery(clauses)
}

// allTerms matches documents whose field holds every distinct term of toks.
func allTerms(field string, toks analysis.TokenStream) query.Query {
	seen := make(map[string]bool, len(toks))
	qs := make([]query.Query, 0, len(toks))
	for _, t := range toks {
		s := string(t.Term)
		if seen[s] {
			continue
		}
		seen[s] = true
		qs = append(qs, term(field, s))
	}
	switch len(qs) {
	case 0:
		return nil
	case 1:
		return qs[0]
	}
	return query.NewConjunctionQuery(qs)
}

func hasIdeograph(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return true
		}
	}
	return false
}
