package index

import (
	"fmt"
	"strings"
	"time"
)

// Limits of a query.
const (
	DefaultLimit = 20
	MaxLimit     = 1000
)

// SortField orders results by one sortable field.
type SortField struct {
	Field string
	Desc  bool
}

// String renders the sort as "field:asc" or "field:desc".
func (s SortField) String() string {
	if s.Desc {
		return s.Field + ":desc"
	}
	return s.Field + ":asc"
}

// Query is a search: full text over the searchable fields, a filter in Meilisearch syntax,
// sorts (when empty: relevance, which both backends rank best sellers first among the
// offers that match every word; ties of any sort also go to the better seller), facet
// fields, and paging.
type Query struct {
	Text   string
	Filter string
	Sort   []SortField
	Facets []string
	Limit  int
	Offset int
}

// QueryError is a problem with a query: Param names the part ("filter", "sort", "facets",
// "limit", "offset", "q"); Pos, when >= 0, is the byte offset of the problem in that part.
type QueryError struct {
	Param string
	Pos   int
	Msg   string
}

func (e *QueryError) Error() string {
	if e.Pos >= 0 {
		return fmt.Sprintf("invalid %s at position %d: %s", e.Param, e.Pos, e.Msg)
	}
	return fmt.Sprintf("invalid %s: %s", e.Param, e.Msg)
}

// ParseSort parses "field:asc" or "field:desc" (":asc" may be left out).
func ParseSort(s string) (SortField, error) {
	name, dir, hasDir := strings.Cut(strings.TrimSpace(s), ":")
	sf := SortField{Field: name}
	switch {
	case !hasDir || dir == "asc":
	case dir == "desc":
		sf.Desc = true
	default:
		return sf, &QueryError{Param: "sort", Pos: len(name) + 1, Msg: fmt.Sprintf("direction %q is not asc or desc", dir)}
	}
	f, ok := LookupField(name)
	if !ok || !f.Sortable {
		return sf, &QueryError{Param: "sort", Pos: -1, Msg: fmt.Sprintf("%q is not a sortable field (sortable: %s)", name,
			strings.Join(FieldNames(func(f Field) bool { return f.Sortable }), ", "))}
	}
	return sf, nil
}

// Validate checks every part of q and fills in defaults (Limit 0 means DefaultLimit). It
// returns a *QueryError naming the first problem.
func (q *Query) Validate() error {
	q.Text = strings.TrimSpace(q.Text)
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 0 || q.Limit > MaxLimit {
		return &QueryError{Param: "limit", Pos: -1, Msg: fmt.Sprintf("%d is outside 1..%d", q.Limit, MaxLimit)}
	}
	if q.Offset < 0 {
		return &QueryError{Param: "offset", Pos: -1, Msg: fmt.Sprintf("%d is negative", q.Offset)}
	}
	// The filter is parsed as given (not trimmed) so error positions match what the user
	// typed; a blank filter means none.
	if strings.TrimSpace(q.Filter) == "" {
		q.Filter = ""
	} else if _, err := ParseFilter(q.Filter); err != nil {
		return err
	}
	for _, s := range q.Sort {
		f, ok := LookupField(s.Field)
		if !ok || !f.Sortable {
			return &QueryError{Param: "sort", Pos: -1, Msg: fmt.Sprintf("%q is not a sortable field (sortable: %s)", s.Field,
				strings.Join(FieldNames(func(f Field) bool { return f.Sortable }), ", "))}
		}
	}
	for _, name := range q.Facets {
		f, ok := LookupField(name)
		if !ok || !f.Facet {
			return &QueryError{Param: "facets", Pos: -1, Msg: fmt.Sprintf("%q is not a facet field (facets: %s)", name,
				strings.Join(FieldNames(func(f Field) bool { return f.Facet }), ", "))}
		}
	}
	return nil
}

// Result is the answer to a query. Total counts every match, not just Hits. Facets maps a
// requested facet field to value → count over all matches (booleans as "true"/"false").
type Result struct {
	Total  int
	Hits   []Offer
	Facets map[string]map[string]int
	Took   time.Duration
}

// Response is the JSON shape of `search --json` and GET /v1/search (DESIGN §6, contract).
type Response struct {
	Query  string                    `json:"query"`
	Total  int                       `json:"total"`
	Limit  int                       `json:"limit"`
	Offset int                       `json:"offset"`
	TookMs float64                   `json:"tookMs"`
	Hits   []Offer                   `json:"hits"`
	Facets map[string]map[string]int `json:"facets"`
}

// NewResponse renders r, the result of q, in the contract shape. Hits and Facets are never
// null in JSON.
func NewResponse(q Query, r *Result) Response {
	resp := Response{Query: q.Text, Total: r.Total, Limit: q.Limit, Offset: q.Offset,
		TookMs: float64(r.Took.Microseconds()) / 1000, Hits: r.Hits, Facets: r.Facets}
	if resp.Hits == nil {
		resp.Hits = []Offer{}
	}
	if resp.Facets == nil {
		resp.Facets = map[string]map[string]int{}
	}
	return resp
}
