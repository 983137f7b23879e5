package bench

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/syncd/syncd/internal/upstream"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// fen parses a plan's price bound back into fen, as the simulator reads it.
func fen(t *testing.T, yuan string) int64 {
	t.Helper()
	v, err := strconv.ParseFloat(yuan, 64)
	if err != nil {
		t.Fatalf("price bound %q: %v", yuan, err)
	}
	return int64(math.Round(v * 100))
}

// TestPlanPartitionsCatalog checks Plan's promise: paging every planned query mirrors
// every offer of the catalog exactly once, and no query reaches the simulator's cap.
func TestPlanPartitionsCatalog(t *testing.T) {
	for _, offers := range []int{2_000, 20_000} {
		t.Run(fmt.Sprint(offers), func(t *testing.T) {
			s := sim.New(sim.Options{Offers: offers, Seed: 7})
			plan := mustPlan(t, s)
			if len(plan) == 0 {
				t.Fatal("empty plan")
			}

			seen := make(map[string]int, s.Len()) // offer id → index of the query that returned it
			type span struct{ lo, hi int64 }
			spans := map[string][]span{} // category → its queries' price ranges
			sum := 0
			for i, pq := range plan {
				q := pq.Query
				if q.Kind != upstream.KindCategory || q.Keyword != "" {
					t.Fatalf("query %d is not a plain category query: %+v", i, q)
				}
				if !slices.Contains(sim.CategoryIDs(), q.CategoryID) {
					t.Fatalf("query %d: category %q is not one of sim.CategoryIDs", i, q.CategoryID)
				}
				if pq.Offers <= 0 || pq.Offers >= sim.MaxResults {
					t.Fatalf("query %d (%+v) plans %d offers; want 1..%d, below the cap", i, q, pq.Offers, sim.MaxResults-1)
				}
				ids := s.Matches(q)
				if len(ids) != pq.Offers {
					t.Fatalf("query %d (%+v) plans %d offers, the simulator matches %d", i, q, pq.Offers, len(ids))
				}
				lo, hi := fen(t, q.PriceStart), fen(t, q.PriceEnd)
				if lo > hi {
					t.Fatalf("query %d: empty price range %s..%s", i, q.PriceStart, q.PriceEnd)
				}
				for _, sp := range spans[q.CategoryID] {
					if lo <= sp.hi && sp.lo <= hi {
						t.Fatalf("category %s: price range %s..%s overlaps %d..%d fen of an earlier query", q.CategoryID, q.PriceStart, q.PriceEnd, sp.lo, sp.hi)
					}
				}
				spans[q.CategoryID] = append(spans[q.CategoryID], span{lo, hi})
				for _, id := range ids {
					if j, dup := seen[id]; dup {
						t.Fatalf("offer %s is returned by query %d and query %d", id, j, i)
					}
					seen[id] = i
					o, ok := s.Offer(id)
					if !ok {
						t.Fatalf("query %d returned unknown offer %s", i, id)
					}
					if p := int64(math.Round(o.Price * 100)); p < lo || p > hi {
						t.Fatalf("offer %s costs %d fen, outside its query's range %s..%s", id, p, q.PriceStart, q.PriceEnd)
					}
				}
				sum += pq.Offers
			}
			if len(seen) != s.Len() || sum != s.Len() {
				t.Fatalf("plan covers %d distinct offers (sum of Offers %d) of a catalog of %d", len(seen), sum, s.Len())
			}
			if !slices.IsSortedFunc(plan, func(a, b PlannedQuery) int { return b.Offers - a.Offers }) {
				t.Error("plan is not ordered largest query first")
			}
			if offers == 20_000 {
				// The premise of this case: some category is over the cap, so Plan had to
				// narrow it by price.
				split := false
				for _, sp := range spans {
					split = split || len(sp) > 1
				}
				if !split {
					t.Fatal("no category was split by price; the catalog is too small to test splitting")
				}
			}
		})
	}
}

func TestYuan(t *testing.T) {
	for _, tc := range []struct {
		cents int64
		want  string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{10, "0.10"},
		{100, "1.00"},
		{1234, "12.34"},
		{499_999_999, "4999999.99"},
		{1_000_000_000, "10000000.00"},
	} {
		if got := yuan(tc.cents); got != tc.want {
			t.Errorf("yuan(%d) = %q, want %q", tc.cents, got, tc.want)
		}
	}
}

// planOf is a plan whose queries hold these offer counts, each query told apart by its
// category id.
func planOf(offers ...int) []PlannedQuery {
	out := make([]PlannedQuery, len(offers))
	for i, n := range offers {
		out[i] = PlannedQuery{Query: upstream.Query{Kind: upstream.KindCategory, CategoryID: fmt.Sprint("c", i)}, Offers: n}
	}
	return out
}

func TestTake(t *testing.T) {
	plan := planOf(50, 30, 20, 10)
	for _, tc := range []struct {
		offers    int
		wantN     int // queries taken
		wantTotal int
	}{
		{0, 4, 110},  // all
		{-1, 4, 110}, // all
		{1, 1, 50},
		{50, 1, 50},
		{51, 2, 80},
		{80, 2, 80},
		{81, 3, 100},
		{101, 4, 110},
		{110, 4, 110},
		{1_000, 4, 110}, // more than the plan holds: all of it
	} {
		got, total := Take(plan, tc.offers)
		if !slices.Equal(got, plan[:tc.wantN]) || total != tc.wantTotal {
			t.Errorf("Take(plan, %d) = %d queries, total %d; want %d queries, total %d", tc.offers, len(got), total, tc.wantN, tc.wantTotal)
		}
	}
	if got, total := Take(nil, 10); len(got) != 0 || total != 0 {
		t.Errorf("Take(nil, 10) = %v, %d; want nothing", got, total)
	}
}

func TestPages(t *testing.T) {
	for _, tc := range []struct {
		offers   []int
		pageSize int
		want     int
	}{
		{nil, 50, 0},
		{[]int{1}, 50, 1},
		{[]int{50}, 50, 1},
		{[]int{51}, 50, 2},
		{[]int{1999}, 50, 40},
		{[]int{100, 1, 49}, 50, 4}, // every query starts a new page
		{[]int{100, 1, 49}, 1, 150},
		{[]int{7, 7}, 5, 4},
	} {
		if got := Pages(planOf(tc.offers...), tc.pageSize); got != tc.want {
			t.Errorf("Pages(%v, %d) = %d, want %d", tc.offers, tc.pageSize, got, tc.want)
		}
	}
}

func TestJobs(t *testing.T) {
	qs := planOf(7, 6, 5, 4, 3, 2, 1)
	for _, tc := range []struct {
		n    int
		want [][]int // per job, the indexes into qs of its queries
	}{
		{0, [][]int{{0, 1, 2, 3, 4, 5, 6}}},
		{-2, [][]int{{0, 1, 2, 3, 4, 5, 6}}},
		{1, [][]int{{0, 1, 2, 3, 4, 5, 6}}},
		{3, [][]int{{0, 3, 6}, {1, 4}, {2, 5}}},
		{7, [][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6}}},
		{9, [][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6}, nil, nil}},
	} {
		jobs := Jobs(qs, tc.n)
		if len(jobs) != len(tc.want) {
			t.Errorf("Jobs(7 queries, %d) made %d jobs, want %d", tc.n, len(jobs), len(tc.want))
			continue
		}
		names := map[string]bool{}
		for i, j := range jobs {
			if want := fmt.Sprintf("catalog-%d", i+1); j.Name != want {
				t.Errorf("Jobs(_, %d): job %d is named %q, want %q", tc.n, i, j.Name, want)
			}
			names[j.Name] = true
			if j.Kind != upstream.KindCategory || j.PageSize != 50 {
				t.Errorf("Jobs(_, %d): job %d has kind %q and page size %d, want %q and 50", tc.n, i, j.Kind, j.PageSize, upstream.KindCategory)
			}
			var want []upstream.Query
			for _, k := range tc.want[i] {
				want = append(want, qs[k].Query)
			}
			if !slices.Equal(j.Queries, want) {
				t.Errorf("Jobs(_, %d): job %d has queries %v, want %v", tc.n, i, j.Queries, want)
			}
		}
		if len(names) != len(jobs) {
			t.Errorf("Jobs(_, %d): job names are not unique", tc.n)
		}
	}
}

// mustPlan is Plan, failing the test on error.
func mustPlan(t testing.TB, s *sim.Server) []PlannedQuery {
	t.Helper()
	plan, err := Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}
