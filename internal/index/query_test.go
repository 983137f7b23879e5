package index

import (
	"errors"
	"testing"
)

func TestQuery_Validate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		q        Query
		errParam string // "" for success
		errPos   int
		check    func(t *testing.T, q Query)
	}{
		{name: "defaults", q: Query{}, check: func(t *testing.T, q Query) {
			if q.Limit != DefaultLimit || q.Offset != 0 {
				t.Errorf("Limit, Offset = %d, %d; want %d, 0", q.Limit, q.Offset, DefaultLimit)
			}
		}},
		{name: "limit 1", q: Query{Limit: 1}},
		{name: "limit at max", q: Query{Limit: MaxLimit}},
		{name: "limit over max", q: Query{Limit: MaxLimit + 1}, errParam: "limit", errPos: -1},
		{name: "negative limit", q: Query{Limit: -1}, errParam: "limit", errPos: -1},
		{name: "negative offset", q: Query{Offset: -1}, errParam: "offset", errPos: -1},
		{name: "text trimmed, filter kept as typed", q: Query{Text: "  手机壳 ", Filter: " price < 20\n"}, check: func(t *testing.T, q Query) {
			if q.Text != "手机壳" || q.Filter != " price < 20\n" {
				t.Errorf("Text, Filter = %q, %q", q.Text, q.Filter)
			}
		}},
		{name: "error position counts leading blanks", q: Query{Filter: "  price <"}, errParam: "filter", errPos: 9},
		{name: "blank filter", q: Query{Filter: " \t "}, check: func(t *testing.T, q Query) {
			if q.Filter != "" {
				t.Errorf("Filter = %q, want empty", q.Filter)
			}
		}},
		{name: "bad filter", q: Query{Filter: "price <"}, errParam: "filter", errPos: 7},
		{name: "unknown filter field", q: Query{Filter: "price < 1 AND prce > 2"}, errParam: "filter", errPos: 14},
		{name: "sorts", q: Query{Sort: []SortField{{Field: "price", Desc: true}, {Field: "monthSold"}}}},
		{name: "unsortable field", q: Query{Sort: []SortField{{Field: "subject"}}}, errParam: "sort", errPos: -1},
		{name: "unknown sort field", q: Query{Sort: []SortField{{Field: "nope"}}}, errParam: "sort", errPos: -1},
		{name: "facets", q: Query{Facets: []string{"isJxhy", "categoryId", "sources"}}},
		{name: "non-facet field", q: Query{Facets: []string{"isJxhy", "price"}}, errParam: "facets", errPos: -1},
		{name: "first problem wins", q: Query{Limit: -5, Filter: "price <"}, errParam: "limit", errPos: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			err := q.Validate()
			if tc.errParam == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if tc.check != nil {
					tc.check(t, q)
				}
				return
			}
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("Validate = %v, want *QueryError", err)
			}
			if qe.Param != tc.errParam || qe.Pos != tc.errPos || qe.Msg == "" {
				t.Fatalf("Validate = %#v, want Param %q, Pos %d", qe, tc.errParam, tc.errPos)
			}
		})
	}
}

func TestParseSort(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   SortField
		errPos int // -2: no error
	}{
		{"price", SortField{Field: "price"}, -2},
		{"price:asc", SortField{Field: "price"}, -2},
		{" updatedAt:desc ", SortField{Field: "updatedAt", Desc: true}, -2},
		{"price:up", SortField{}, 6},
		{"subject:asc", SortField{}, -1},
		{"", SortField{}, -1},
	} {
		got, err := ParseSort(tc.in)
		if tc.errPos == -2 {
			if err != nil || got != tc.want {
				t.Errorf("ParseSort(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Param != "sort" || qe.Pos != tc.errPos {
			t.Errorf("ParseSort(%q) error = %v, want sort error at %d", tc.in, err, tc.errPos)
		}
	}
}

func TestQueryError_Error(t *testing.T) {
	for _, tc := range []struct {
		err  QueryError
		want string
	}{
		{QueryError{Param: "filter", Pos: 7, Msg: `expected a value after "<"`}, `invalid filter at position 7: expected a value after "<"`},
		{QueryError{Param: "limit", Pos: -1, Msg: "5000 is outside 1..1000"}, "invalid limit: 5000 is outside 1..1000"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestSortField_String(t *testing.T) {
	if s := (SortField{Field: "price", Desc: true}).String(); s != "price:desc" {
		t.Errorf("String() = %q", s)
	}
	if s := (SortField{Field: "price"}).String(); s != "price:asc" {
		t.Errorf("String() = %q", s)
	}
}
