package meili

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/meili/meilitest"
)

func TestSearch_RequestAndResultMapping(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	offers := sampleOffers(5)
	if err := ix.Upsert(context.Background(), offers); err != nil {
		t.Fatal(err)
	}
	// Lower-case keywords are ours to accept; Meilisearch only knows upper case, so the
	// backend sends the canonical rendering.
	const filter = `price < 20 and categoryId IN ["1033054", "72"]`
	const sentFilter = `price < 20 AND categoryId IN [1033054, 72]`
	if _, err := index.ParseFilter(filter); err != nil {
		t.Fatalf("index.ParseFilter(%q) = %v; this test needs the filter parser", filter, err)
	}

	res, err := ix.Search(context.Background(), index.Query{
		Text:   "  cotton  ",
		Filter: filter,
		Sort:   []index.SortField{{Field: "price", Desc: true}, {Field: "monthSold"}},
		Facets: []string{"isJxhy", "sources", "categoryId"},
		Limit:  2,
		Offset: 1,
	})
	if err != nil {
		t.Fatal(err)
	}

	var sent map[string]any
	searches := f.Searches()
	raw, _ := json.Marshal(searches[len(searches)-1])
	_ = json.Unmarshal(raw, &sent)
	want := map[string]any{
		"q":                "cotton",
		"filter":           sentFilter,
		"sort":             []any{"price:desc", "monthSold:asc"},
		"facets":           []any{"isJxhy", "sources", "categoryId"},
		"limit":            2.0,
		"offset":           1.0,
		"matchingStrategy": "all",
	}
	if !reflect.DeepEqual(sent, want) {
		t.Errorf("search request =\n%v\nwant\n%v", sent, want)
	}

	if res.Total != 5 {
		t.Errorf("Total = %d, want estimatedTotalHits 5", res.Total)
	}
	if !reflect.DeepEqual(res.Hits, offers[1:3]) {
		t.Errorf("Hits =\n%+v\nwant\n%+v", res.Hits, offers[1:3])
	}
	wantFacets := map[string]map[string]int{
		"isJxhy":     {"true": 3, "false": 2},
		"sources":    {"tees": 5, "polo": 3},
		"categoryId": {"1033054": 3},
	}
	if !reflect.DeepEqual(res.Facets, wantFacets) {
		t.Errorf("Facets = %v, want %v", res.Facets, wantFacets)
	}
}

func TestSearch_Defaults(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)

	res, err := ix.Search(context.Background(), index.Query{})
	if err != nil {
		t.Fatal(err)
	}
	sent := f.Searches()[0]
	// Relevance order (no sort), no filter, no facets, the default limit.
	if string(sent["limit"]) != "20" || string(sent["q"]) != `""` || sent["sort"] != nil || sent["filter"] != nil || sent["facets"] != nil {
		t.Errorf("search request = %s", mustMarshal(sent))
	}
	if res.Total != 0 || len(res.Hits) != 0 || res.Facets != nil {
		t.Errorf("result = %+v", res)
	}
}

func TestSearch_InvalidQuery_NeverSent(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	for _, q := range []index.Query{
		{Sort: []index.SortField{{Field: "subject"}}},
		{Facets: []string{"price"}},
		{Limit: index.MaxLimit + 1},
		{Filter: "price <"},
	} {
		_, err := ix.Search(context.Background(), q)
		var qe *index.QueryError
		if !errors.As(err, &qe) {
			t.Errorf("Search(%+v) = %v, want *index.QueryError", q, err)
		}
	}
	if n := f.CallCount("POST /indexes/offers/search"); n != 0 {
		t.Errorf("%d invalid queries reached the server", n)
	}
}

func TestSearch_ServerRejectsQuery_IsQueryError(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	f.FailSearches(&meilitest.APIError{Message: "Attribute `price` is not sortable.", Code: "invalid_search_sort", Type: "invalid_request"})
	_, err := ix.Search(context.Background(), index.Query{Sort: []index.SortField{{Field: "price"}}})
	var qe *index.QueryError
	if !errors.As(err, &qe) || qe.Param != "sort" || qe.Msg != "Attribute `price` is not sortable." {
		t.Fatalf("Search = %#v, want a *index.QueryError for sort", err)
	}
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
