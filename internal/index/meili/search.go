package meili

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/index"
)

// searchRequest is the body of POST /indexes/{uid}/search.
type searchRequest struct {
	Q      string   `json:"q"`
	Filter string   `json:"filter,omitempty"`
	Sort   []string `json:"sort,omitempty"`
	Facets []string `json:"facets,omitempty"`
	Limit  int      `json:"limit"`
	Offset int      `json:"offset"`
	// MatchingStrategy "all": a document matches only if it has every query word, as on
	// the bleve backend. Meilisearch's default ("last") drops words from the end of the
	// query until something matches, which turns "cotton shirt" into "cotton".
	MatchingStrategy string `json:"matchingStrategy"`
}

// searchResponse is the part of the search answer syncd reads.
type searchResponse struct {
	Hits               []index.Offer             `json:"hits"`
	EstimatedTotalHits int                       `json:"estimatedTotalHits"`
	FacetDistribution  map[string]map[string]int `json:"facetDistribution"`
}

// Search runs q. The query is validated by index.Query.Validate first, so a bad filter, sort
// or facet is the same *index.QueryError as on the bleve backend and never reaches the
// server; the validated filter string is then passed through unchanged (it is Meilisearch
// syntax already). Every query word must match (matchingStrategy "all"). Sorts map to
// "field:asc|desc" (relevance when none), facets to
// facetDistribution (booleans as "true"/"false"), Limit and Offset pass through.
//
// Total is Meilisearch's estimatedTotalHits, capped at maxTotalHits: exact for filters and
// empty queries, documented as an estimate for text queries; exhaustive counts would need
// page/hitsPerPage paging, which cannot express every Offset. Hits past the cap are not
// returned. Took is the round trip as syncd sees it.
func (ix *Index) Search(ctx context.Context, q index.Query) (*index.Result, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	req := searchRequest{Q: q.Text, Filter: q.Filter, Facets: q.Facets, Limit: q.Limit, Offset: q.Offset,
		MatchingStrategy: "all"}
	for _, s := range q.Sort {
		req.Sort = append(req.Sort, s.String())
	}
	start := time.Now()
	var resp searchResponse
	if err := ix.cl.do(ctx, call{method: "POST", path: "/indexes/" + ix.uid + "/search", body: req}, &resp); err != nil {
		if qe := queryError(err); qe != nil {
			return nil, qe
		}
		return nil, fmt.Errorf("search %q: %w", ix.uid, err)
	}
	res := &index.Result{Total: resp.EstimatedTotalHits, Hits: resp.Hits, Took: time.Since(start)}
	for i := range res.Hits {
		res.Hits[i] = normalize(res.Hits[i])
	}
	if len(q.Facets) > 0 {
		res.Facets = make(map[string]map[string]int, len(q.Facets))
		for _, f := range q.Facets {
			res.Facets[f] = resp.FacetDistribution[f]
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
