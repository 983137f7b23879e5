package bleve

import (
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/syncd/syncd/internal/index"
)

// compileFilter turns a parsed filter expression into a bleve query with the semantics of
// Meilisearch's filters (DESIGN §7):
//
//   - a comparison never matches a document that lacks the field, while "!=" and NOT match
//     everything the positive form does not, including documents without the field;
//   - "=" on sources matches when any element equals the value;
//   - EXISTS is true for every field the JSON document always carries, and for an
//     optional field when it has a value;
//   - offerId comparisons use the document id, which is the offer id.
//
// Problems the parser should have caught (unknown field, wrong value type, ordering on a
// string) are reported as *index.QueryError all the same.
func compileFilter(e index.Expr) (query.Query, error) {
	switch x := e.(type) {
	case *index.And:
		qs, err := compileAll(x.Terms)
		if err != nil {
			return nil, err
		}
		return query.NewConjunctionQuery(qs), nil
	case *index.Or:
		qs, err := compileAll(x.Terms)
		if err != nil {
			return nil, err
		}
		return query.NewDisjunctionQuery(qs), nil
	case *index.Not:
		q, err := compileFilter(x.X)
		if err != nil {
			return nil, err
		}
		return not(q), nil
	case *index.Cmp:
		return compileCmp(x)
	case *index.Range:
		if _, err := fieldOf(x.Field, index.TypeNumber); err != nil {
			return nil, err
		}
		return numRange(x.Field, &x.Lo, &x.Hi, true, true), nil
	case *index.In:
		f, err := fieldOf(x.Field)
		if err != nil {
			return nil, err
		}
		if len(x.Values) == 0 {
			return query.NewMatchNoneQuery(), nil
		}
		if f.Name == "offerId" {
			ids := make([]string, len(x.Values))
			for i, v := range x.Values {
				ids[i] = v.Text
			}
			return query.NewDocIDQuery(ids), nil
		}
		qs := make([]query.Query, len(x.Values))
		for i, v := range x.Values {
			q, err := compileCmp(&index.Cmp{Field: x.Field, Op: "=", Value: v})
			if err != nil {
				return nil, err
			}
			qs[i] = q
		}
		if len(qs) == 1 {
			return qs[0], nil
		}
		return query.NewDisjunctionQuery(qs), nil
	case *index.Exists:
		if _, err := fieldOf(x.Field); err != nil {
			return nil, err
		}
		if !optional[x.Field] {
			return query.NewMatchAllQuery(), nil
		}
		return term(hasField, x.Field), nil
	case nil:
		return nil, filterError("empty expression")
	}
	return nil, filterError(fmt.Sprintf("unsupported expression %T", e))
}

func compileAll(es []index.Expr) ([]query.Query, error) {
	qs := make([]query.Query, len(es))
	for i, e := range es {
		q, err := compileFilter(e)
		if err != nil {
			return nil, err
		}
		qs[i] = q
	}
	return qs, nil
}

func compileCmp(c *index.Cmp) (query.Query, error) {
	f, err := fieldOf(c.Field)
	if err != nil {
		return nil, err
	}
	if c.Op == "!=" {
		q, err := compileCmp(&index.Cmp{Field: c.Field, Op: "=", Value: c.Value})
		if err != nil {
			return nil, err
		}
		return not(q), nil
	}
	if f.Type == index.TypeNumber {
		if !c.Value.IsNum {
			return nil, filterError(fmt.Sprintf("%s is a number field; %q is not a number", f.Name, c.Value.Text))
		}
		n := c.Value.Num
		switch c.Op {
		case "=":
			return numRange(f.Name, &n, &n, true, true), nil
		case ">":
			return numRange(f.Name, &n, nil, false, false), nil
		case ">=":
			return numRange(f.Name, &n, nil, true, false), nil
		case "<":
			return numRange(f.Name, nil, &n, false, false), nil
		case "<=":
			return numRange(f.Name, nil, &n, false, true), nil
		}
		return nil, filterError(fmt.Sprintf("unknown operator %q", c.Op))
	}
	if c.Op != "=" {
		return nil, filterError(fmt.Sprintf("operator %s needs a number field; %s is a %s field", c.Op, f.Name, f.Type))
	}
	switch {
	case f.Name == "offerId":
		return query.NewDocIDQuery([]string{c.Value.Text}), nil
	case f.Type == index.TypeBool:
		var b bool
		switch strings.ToLower(c.Value.Text) {
		case "true":
			b = true
		case "false":
		default:
			return nil, filterError(fmt.Sprintf("%s is a bool field; %q is not true or false", f.Name, c.Value.Text))
		}
		q := query.NewBoolFieldQuery(b)
		q.SetField(f.Name)
		return q, nil
	}
	return term(f.Name, c.Value.Text), nil
}

// fieldOf looks up a filterable field, optionally of one of the given types.
func fieldOf(name string, types ...index.FieldType) (index.Field, error) {
	f, ok := index.LookupField(name)
	if !ok || !f.Filterable {
		return f, filterError(fmt.Sprintf("%q is not a filterable field", name))
	}
	if len(types) > 0 && f.Type != types[0] {
		return f, filterError(fmt.Sprintf("%s is a %s field, not a %s field", name, f.Type, types[0]))
	}
	return f, nil
}

func numRange(field string, lo, hi *float64, loIncl, hiIncl bool) query.Query {
	return newRangeQuery(field, lo, hi, loIncl, hiIncl)
}

func term(field, value string) query.Query {
	q := query.NewTermQuery(value)
	q.SetField(field)
	return q
}

// not matches every document q does not.
func not(q query.Query) query.Query {
	return query.NewBooleanQuery([]query.Query{query.NewMatchAllQuery()}, nil, []query.Query{q})
}

func filterError(msg string) error {
	return &index.QueryError{Param: "filter", Pos: -1, Msg: msg}
}
