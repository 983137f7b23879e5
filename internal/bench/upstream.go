package bench

import (
	"cmp"
	"fmt"
	"net/http/httptest"
	"slices"

	"github.com/syncd/syncd/internal/upstream"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// Sim is the simulator served over loopback HTTP.
type Sim struct {
	*sim.Server
	URL string
	srv *httptest.Server
}

// StartSim serves a simulator with opts on a loopback port.
func StartSim(opts sim.Options) *Sim {
	s := sim.New(opts)
	srv := httptest.NewServer(s)
	return &Sim{Server: s, URL: srv.URL, srv: srv}
}

// Close stops the server.
func (s *Sim) Close() { s.srv.Close() }

// PlannedQuery is one upstream query of a plan and how many offers it returns.
type PlannedQuery struct {
	Query  upstream.Query `json:"query"`
	Offers int            `json:"offers"`
}

// Plan partitions the simulator's catalog into category queries narrowed by price ranges,
// each returning fewer than sim.MaxResults offers, so that paging them all mirrors every
// offer exactly once (each offer has one category and one price). Queries are ordered
// largest first; stop after enough offers with Take. It fails when some category holds
// sim.MaxResults offers or more at one price (catalogs of ten million offers and more):
// no price range can split them, and a query capped at sim.MaxResults would leave some
// out without saying so.
func Plan(s *sim.Server) ([]PlannedQuery, error) {
	var (
		out  []PlannedQuery
		full *upstream.Query
	)
	const maxCents = 1_000_000_000 // 10,000,000 yuan, the simulator's ceiling
	var split func(cat string, lo, hi int64)
	split = func(cat string, lo, hi int64) {
		q := upstream.Query{Kind: upstream.KindCategory, CategoryID: cat, PriceStart: yuan(lo), PriceEnd: yuan(hi)}
		n := len(s.Matches(q))
		switch {
		case n == 0:
			return
		case n < sim.MaxResults:
			out = append(out, PlannedQuery{Query: q, Offers: n})
			return
		case lo == hi:
			full = &q
			return
		}
		mid := lo + (hi-lo)/2
		split(cat, lo, mid)
		split(cat, mid+1, hi)
	}
	for _, cat := range sim.CategoryIDs() {
		split(cat, 0, maxCents)
	}
	if full != nil {
		return nil, fmt.Errorf("plan the catalog: category %s has %d offers or more at ¥%s, more than one query returns; use fewer offers",
			full.CategoryID, sim.MaxResults, full.PriceStart)
	}
	slices.SortStableFunc(out, func(a, b PlannedQuery) int { return cmp.Compare(b.Offers, a.Offers) })
	return out, nil
}

// Take returns the first queries of plan that hold at least offers offers (all of them
// when offers <= 0), and their total.
func Take(plan []PlannedQuery, offers int) ([]PlannedQuery, int) {
	total := 0
	for i, q := range plan {
		if offers > 0 && total >= offers {
			return plan[:i], total
		}
		total += q.Offers
	}
	return plan, total
}

// Pages is how many pages of pageSize the queries take.
func Pages(qs []PlannedQuery, pageSize int) int {
	n := 0
	for _, q := range qs {
		n += (q.Offers + pageSize - 1) / pageSize
	}
	return n
}

func yuan(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
