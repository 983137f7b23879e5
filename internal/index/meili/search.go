package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/syncd/syncd/internal/index"
)

// Search runs q with the SDK's Search (POST /indexes/{uid}/search). The query is validated
// by index.Query.Validate first, so a bad filter, sort or facet is the same
// *index.QueryError as on the bleve backend and never reaches the server; the validated
// filter string is then passed through unchanged (it is Meilisearch syntax already). Every
// query word must match (matchingStrategy "all", as on the bleve backend: Meilisearch's
// default, "last", drops words from the end of the query until something matches, which
// turns "cotton shirt" into "cotton"). Sorts map to "field:asc|desc" (best sellers first when none: rankingRules),
// facets to facetDistribution (booleans as "true"/"false"), Limit and Offset pass through.
//
// Total is Meilisearch's estimatedTotalHits, capped at maxTotalHits: exact for filters and
// empty queries, documented as an estimate for text queries; exhaustive counts would need
// page/hitsPerPage paging, which cannot express every Offset. Hits past the cap are not
// returned. Took is the round trip as syncd sees it.
func (ix *Index) Search(ctx context.Context, q index.Query) (*index.Result, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	req := &meilisearch.SearchRequest{Query: q.Text, Facets: q.Facets, Limit: int64(q.Limit), Offset: int64(q.Offset),
		MatchingStrategy: meilisearch.All}
	if q.Filter != "" {
		// Our parser accepts keywords in any case (and, or, to); Meilisearch's only in
		// upper case. Sending the canonical rendering of the parsed expression keeps the
		// two backends accepting exactly the same filters. A nil interface when there is
		// no filter: omitted, not "".
		expr, err := index.ParseFilter(q.Filter)
		if err != nil {
			return nil, err
		}
		req.Filter = index.FormatFilter(expr)
	}
	for _, s := range q.Sort {
		req.Sort = append(req.Sort, s.String())
	}
	start := time.Now()
	resp, err := ix.cl.sm.Index(ix.uid).Search(ctx, q.Text, req)
	took := time.Since(start)
	if err = ix.cl.check(ctx, err); err != nil {
		if qe := queryError(err); qe != nil {
			return nil, qe
		}
		return nil, fmt.Errorf("search %q: %w", ix.uid, err)
	}
	res := &index.Result{Total: int(resp.EstimatedTotalHits), Hits: make([]index.Offer, len(resp.Hits)), Took: took}
	for i, h := range resp.Hits {
		if err := h.DecodeInto(&res.Hits[i]); err != nil {
			return nil, fmt.Errorf("search %q: decode hit %d: %w", ix.uid, i, err)
		}
		res.Hits[i] = normalize(res.Hits[i])
	}
	if len(q.Facets) > 0 {
		var dist map[string]map[string]int
		if len(resp.FacetDistribution) > 0 {
			if err := json.Unmarshal(resp.FacetDistribution, &dist); err != nil {
				return nil, fmt.Errorf("search %q: decode facetDistribution: %w", ix.uid, err)
			}
		}
		res.Facets = make(map[string]map[string]int, len(q.Facets))
		for _, f := range q.Facets {
			res.Facets[f] = dist[f]
			if res.Facets[f] == nil {
				res.Facets[f] = map[string]int{}
			}
		}
	}
	return res, nil
}

// queryError maps Meilisearch's invalid_search_* errors to *index.QueryError, for the rare
// query that passes syncd's validation but not the server's.
func queryError(err error) *index.QueryError {
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 {
		return nil
	}
	param, ok := strings.CutPrefix(ae.Code, "invalid_search_")
	if !ok {
		return nil
	}
	return &index.QueryError{Param: param, Pos: -1, Msg: ae.Message}
}
