package bleve

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
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
//   - The filter is applied without affecting scores.
//   - Results are ordered by q.Sort, then by relevance (tf-idf) when there is text, then
//     by offerId, so paging with Offset is stable while the index does not change.
//     Documents without a sort field come last in both directions.
//   - Facets count every match; each field reports its MaxFacetValues most frequent
//     values, booleans as "true" and "false". Every requested facet is in the result,
//     empty when nothing matched. Counts are cached per (text, filter, facets) until the
//     next write (facetCache).
//
// q is validated again (Query.Validate); problems with it are *index.QueryError.
func (ix *Index) Search(ctx context.Context, q index.Query) (*index.Result, error) {
	start := time.Now()
	if err := q.Validate(); err != nil {
		return nil, err
	}
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

	var qq query.Query
	switch {
	case textQ != nil && filterQ != nil:
		bq := query.NewBooleanQuery([]query.Query{textQ}, nil, nil)
		bq.AddFilter(filterQ)
		qq = bq
	case textQ != nil:
		qq = textQ
	case filterQ != nil:
		qq = filterQ
	default:
		qq = query.NewMatchAllQuery()
	}

	req := blevesearch.NewSearchRequestOptions(qq, q.Limit, q.Offset, false)
	req.Fields = []string{docField}
	order := make(search.SortOrder, 0, len(q.Sort)+2)
	for _, s := range q.Sort {
		order = append(order, &search.SortField{
			Field:   sortPrefix + s.Field,
			Desc:    s.Desc,
			Type:    search.SortFieldAsString, // sort keys compare bytewise
			Missing: search.SortFieldMissingLast,
		})
	}
	if textQ != nil {
		order = append(order, &search.SortScore{Desc: true})
	} else {
		req.Score = "none" // every document scores the same: skip the work
	}
	order = append(order, &search.SortDocID{})
	req.SortByCustom(order)
	var cached map[string]map[string]int
	var key string
	gen := ix.facets.gen.Load()
	if len(q.Facets) > 0 {
		key = facetKey(q.Text, q.Filter, q.Facets)
		cached, _ = ix.facets.get(key, gen)
	}
	if cached == nil {
		for _, name := range q.Facets {
			req.AddFacet(name, blevesearch.NewFacetRequest(name, ix.opts.MaxFacetValues))
		}
	}

	ix.mu.RLock()
	if ix.closed {
		ix.mu.RUnlock()
		return nil, ErrClosed
	}
	res, err := ix.idx.SearchInContext(ctx, req)
	ix.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}

	r := &index.Result{Total: int(res.Total), Hits: make([]index.Offer, 0, len(res.Hits))}
	for _, h := range res.Hits {
		raw, _ := h.Fields[docField].(string)
		o, err := decodeOffer([]byte(raw))
		if err != nil {
			return nil, fmt.Errorf("search: hit %s: %w", h.ID, err)
		}
		r.Hits = append(r.Hits, o)
	}
	if cached != nil {
		r.Facets = cached
	} else if len(q.Facets) > 0 {
		r.Facets = make(map[string]map[string]int, len(q.Facets))
		for _, name := range q.Facets {
			counts := map[string]int{}
			if fr := res.Facets[name]; fr != nil && fr.Terms != nil {
				f, _ := index.LookupField(name)
				isBool := f.Type == index.TypeBool
				for _, t := range fr.Terms.Terms() {
					v := t.Term
					if isBool {
						v = boolTerm(v)
					}
					counts[v] = t.Count
				}
			}
			r.Facets[name] = counts
		}
		ix.facets.put(key, gen, r.Facets)
	}
	r.Took = time.Since(start)
	return r, nil
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
