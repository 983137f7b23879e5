package bleve

import (
	"errors"
	"testing"

	"github.com/syncd/syncd/internal/index"
)

// The parser rejects these before they reach the compiler; the compiler must still refuse
// them with a *QueryError rather than build a query that silently matches nothing.
func TestCompileFilter_Errors(t *testing.T) {
	num := index.Value{Text: "5", Num: 5, IsNum: true}
	str := index.Value{Text: "abc"}
	for name, e := range map[string]index.Expr{
		"unknown field":      &index.Cmp{Field: "color", Op: "=", Value: str},
		"not filterable":     &index.Cmp{Field: "subject", Op: "=", Value: str},
		"string on number":   &index.Cmp{Field: "price", Op: "=", Value: str},
		"ordering on string": &index.Cmp{Field: "categoryId", Op: "<", Value: num},
		"ordering on bool":   &index.Cmp{Field: "isJxhy", Op: ">", Value: index.Value{Text: "true"}},
		"bad bool":           &index.Cmp{Field: "isJxhy", Op: "=", Value: index.Value{Text: "yes"}},
		"unknown operator":   &index.Cmp{Field: "price", Op: "~", Value: num},
		"range on string":    &index.Range{Field: "categoryId", Lo: 1, Hi: 2},
		"in unknown field":   &index.In{Field: "color", Values: []index.Value{str}},
		"exists unknown":     &index.Exists{Field: "color"},
		"nested error":       &index.And{Terms: []index.Expr{&index.Exists{Field: "price"}, &index.Not{X: &index.Cmp{Field: "color", Op: "=", Value: str}}}},
		"nil expression":     nil,
		"error inside an Or": &index.Or{Terms: []index.Expr{&index.Range{Field: "sources", Lo: 1, Hi: 2}}},
		"error inside an In": &index.In{Field: "price", Values: []index.Value{str}},
	} {
		_, err := compileFilter(e)
		var qe *index.QueryError
		if !errors.As(err, &qe) || qe.Param != "filter" {
			t.Errorf("%s: err = %v, want a *QueryError for filter", name, err)
		}
	}
}

func TestCompileFilter_Accepts(t *testing.T) {
	num := index.Value{Text: "5", Num: 5, IsNum: true}
	for name, e := range map[string]index.Expr{
		"empty IN":          &index.In{Field: "categoryId"},
		"offerId IN":        &index.In{Field: "offerId", Values: []index.Value{{Text: "1"}, {Text: "2"}}},
		"numeric string":    &index.Cmp{Field: "categoryId", Op: "=", Value: num},
		"bool upper case":   &index.Cmp{Field: "isJxhy", Op: "=", Value: index.Value{Text: "TRUE"}},
		"exists always":     &index.Exists{Field: "monthSold"},
		"exists optional":   &index.Exists{Field: "pfJxhyPrice"},
		"not equal number":  &index.Cmp{Field: "price", Op: "!=", Value: num},
		"single-element IN": &index.In{Field: "sources", Values: []index.Value{{Text: "tees"}}},
	} {
		if q, err := compileFilter(e); err != nil || q == nil {
			t.Errorf("%s: %v, %v", name, q, err)
		}
	}
}
