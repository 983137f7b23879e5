package index

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// num is the Value of a numeric literal written as text.
func num(text string, n float64) Value { return Value{Text: text, Num: n, IsNum: true} }

// str is the Value of a non-numeric literal.
func str(text string) Value { return Value{Text: text} }

// p is the condition "price = n", a placeholder in precedence tests.
func p(n int) Expr {
	s := strconv.Itoa(n)
	return &Cmp{Field: "price", Op: "=", Value: num(s, float64(n))}
}

type filterCase struct {
	in   string
	want Expr
}

// constructCases cover every construct of the grammar.
var constructCases = []filterCase{
	{"price = 20", &Cmp{Field: "price", Op: "=", Value: num("20", 20)}},
	{"price != 20", &Cmp{Field: "price", Op: "!=", Value: num("20", 20)}},
	{"price > 20", &Cmp{Field: "price", Op: ">", Value: num("20", 20)}},
	{"price >= 20", &Cmp{Field: "price", Op: ">=", Value: num("20", 20)}},
	{"price < 20", &Cmp{Field: "price", Op: "<", Value: num("20", 20)}},
	{"price <= 20", &Cmp{Field: "price", Op: "<=", Value: num("20", 20)}},
	{"price>=-1.5", &Cmp{Field: "price", Op: ">=", Value: num("-1.5", -1.5)}},
	{"price<.5", &Cmp{Field: "price", Op: "<", Value: num(".5", 0.5)}},
	{"price = 5.", &Cmp{Field: "price", Op: "=", Value: num("5.", 5)}},
	{"price = 1E3", &Cmp{Field: "price", Op: "=", Value: num("1E3", 1000)}},
	{`price = "+5"`, &Cmp{Field: "price", Op: "=", Value: num("+5", 5)}},
	{`monthSold >= '1000'`, &Cmp{Field: "monthSold", Op: ">=", Value: num("1000", 1000)}},
	{"\tprice\n<\r\n20 ", &Cmp{Field: "price", Op: "<", Value: num("20", 20)}},
	{`"price" > 5`, &Cmp{Field: "price", Op: ">", Value: num("5", 5)}},
	{`'monthSold' >= 3`, &Cmp{Field: "monthSold", Op: ">=", Value: num("3", 3)}},
	{"price 10 TO 50", &Range{Field: "price", Lo: 10, Hi: 50}},
	{"price -5.5 TO 1e3", &Range{Field: "price", Lo: -5.5, Hi: 1000}},
	{`updatedAt "1700000000" TO '1800000000'`, &Range{Field: "updatedAt", Lo: 1.7e9, Hi: 1.8e9}},
	{"repurchaseRate 0.5 TO 0.25", &Range{Field: "repurchaseRate", Lo: 0.5, Hi: 0.25}},
	{`categoryId IN ["1033054", "72"]`, &In{Field: "categoryId", Values: []Value{num("1033054", 1033054), num("72", 72)}}},
	{"categoryId IN [1033054,72,]", &In{Field: "categoryId", Values: []Value{num("1033054", 1033054), num("72", 72)}}},
	{"categoryId IN []", &In{Field: "categoryId"}},
	{"price IN [1, 2.5]", &In{Field: "price", Values: []Value{num("1", 1), num("2.5", 2.5)}}},
	{"isJxhy IN [true, 'false']", &In{Field: "isJxhy", Values: []Value{str("true"), str("false")}}},
	{"sources NOT IN [daily, 'hot sale']", &Not{X: &In{Field: "sources", Values: []Value{str("daily"), str("hot sale")}}}},
	{"jxhyPrice EXISTS", &Exists{Field: "jxhyPrice"}},
	{"pfJxhyPrice NOT EXISTS", &Not{X: &Exists{Field: "pfJxhyPrice"}}},
	{"isJxhy = true", &Cmp{Field: "isJxhy", Op: "=", Value: str("true")}},
	{`isJxhy != "false"`, &Cmp{Field: "isJxhy", Op: "!=", Value: str("false")}},
	{"NOT isJxhy = true", &Not{X: &Cmp{Field: "isJxhy", Op: "=", Value: str("true")}}},
	{"NOT NOT isJxhy = true", &Not{X: &Not{X: &Cmp{Field: "isJxhy", Op: "=", Value: str("true")}}}},
	{"NOT(price = 1)", &Not{X: p(1)}},
	{"categoryId = 1033054", &Cmp{Field: "categoryId", Op: "=", Value: num("1033054", 1033054)}},
	{"categoryId = abc-1.2_x", &Cmp{Field: "categoryId", Op: "=", Value: str("abc-1.2_x")}},
	{`offerId = "0x10"`, &Cmp{Field: "offerId", Op: "=", Value: str("0x10")}},
	{`offerId = ""`, &Cmp{Field: "offerId", Op: "=", Value: str("")}},
	{"sellerOpenId != b2b-22.1", &Cmp{Field: "sellerOpenId", Op: "!=", Value: str("b2b-22.1")}},
	{"sources = 每日上新", &Cmp{Field: "sources", Op: "=", Value: str("每日上新")}},
	{"firstSeenAt > 1700000000", &Cmp{Field: "firstSeenAt", Op: ">", Value: num("1700000000", 1.7e9)}},
	{"(price = 1)", p(1)},
	{"((price = 1))", p(1)},
}

// precedenceCases pin down AND over OR, NOT over both, and flattening.
var precedenceCases = []filterCase{
	{"price = 1 OR price = 2 AND price = 3", &Or{Terms: []Expr{p(1), &And{Terms: []Expr{p(2), p(3)}}}}},
	{"price = 1 AND price = 2 OR price = 3", &Or{Terms: []Expr{&And{Terms: []Expr{p(1), p(2)}}, p(3)}}},
	{"(price = 1 OR price = 2) AND price = 3", &And{Terms: []Expr{&Or{Terms: []Expr{p(1), p(2)}}, p(3)}}},
	{"price = 1 AND (price = 2 AND price = 3)", &And{Terms: []Expr{p(1), p(2), p(3)}}},
	{"(price = 1 AND price = 2) AND price = 3", &And{Terms: []Expr{p(1), p(2), p(3)}}},
	{"(price = 1 OR price = 2) OR (price = 3 OR price = 4)", &Or{Terms: []Expr{p(1), p(2), p(3), p(4)}}},
	{"price = 1 AND price = 2 AND price = 3 OR price = 4 AND price = 5",
		&Or{Terms: []Expr{&And{Terms: []Expr{p(1), p(2), p(3)}}, &And{Terms: []Expr{p(4), p(5)}}}}},
	{"NOT price = 1 AND price = 2", &And{Terms: []Expr{&Not{X: p(1)}, p(2)}}},
	{"NOT (price = 1 AND price = 2)", &Not{X: &And{Terms: []Expr{p(1), p(2)}}}},
	{"price = 1 OR NOT price = 2 OR price = 3", &Or{Terms: []Expr{p(1), &Not{X: p(2)}, p(3)}}},
	{"price = 1 AND (price = 2 OR price = 3) AND price = 4",
		&And{Terms: []Expr{p(1), &Or{Terms: []Expr{p(2), p(3)}}, p(4)}}},
	{"((price = 1 OR (price = 2)) OR price = 3)", &Or{Terms: []Expr{p(1), p(2), p(3)}}},
	{"(price 1 TO 2 OR NOT (sources NOT IN [a, 'b c',] AND jxhyPrice not exists)) and repurchaseRate >= .5",
		&And{Terms: []Expr{
			&Or{Terms: []Expr{
				&Range{Field: "price", Lo: 1, Hi: 2},
				&Not{X: &And{Terms: []Expr{
					&Not{X: &In{Field: "sources", Values: []Value{str("a"), str("b c")}}},
					&Not{X: &Exists{Field: "jxhyPrice"}},
				}}},
			}},
			&Cmp{Field: "repurchaseRate", Op: ">=", Value: num(".5", 0.5)},
		}}},
}

// quotedCases cover quoting and escapes.
var quotedCases = []filterCase{
	{`categoryId = "a\"b"`, &Cmp{Field: "categoryId", Op: "=", Value: str(`a"b`)}},
	{`categoryId = 'it\'s'`, &Cmp{Field: "categoryId", Op: "=", Value: str(`it's`)}},
	{`categoryId = "it\'s"`, &Cmp{Field: "categoryId", Op: "=", Value: str(`it's`)}},
	{`categoryId = "back\\slash"`, &Cmp{Field: "categoryId", Op: "=", Value: str(`back\slash`)}},
	{`categoryId = "ends\\"`, &Cmp{Field: "categoryId", Op: "=", Value: str(`ends\`)}},
	{`categoryId = "tab\there\nnl\r"`, &Cmp{Field: "categoryId", Op: "=", Value: str("tab\there\nnl\r")}},
	{`categoryId = "it's"`, &Cmp{Field: "categoryId", Op: "=", Value: str(`it's`)}},
	{`categoryId = 'say "hi"'`, &Cmp{Field: "categoryId", Op: "=", Value: str(`say "hi"`)}},
	{`categoryId = 'AND'`, &Cmp{Field: "categoryId", Op: "=", Value: str("AND")}},
	{`categoryId = "a b (c) [d], e = f"`, &Cmp{Field: "categoryId", Op: "=", Value: str("a b (c) [d], e = f")}},
	{`categoryId = "中文 值"`, &Cmp{Field: "categoryId", Op: "=", Value: str("中文 值")}},
	{"categoryId = \"raw\nnewline\"", &Cmp{Field: "categoryId", Op: "=", Value: str("raw\nnewline")}},
	{`sources = "_geoRadius"`, &Cmp{Field: "sources", Op: "=", Value: str("_geoRadius")}},
}

// validCases is every successful parse case, for the round-trip test and the fuzz seeds.
func validCases() []filterCase {
	var all []filterCase
	for _, set := range [][]filterCase{constructCases, precedenceCases, quotedCases} {
		all = append(all, set...)
	}
	return all
}

func checkParse(t *testing.T, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseFilter(%q)\n got %s\nwant %s", tc.in, dump(got), dump(tc.want))
		}
	}
}

// dump renders an AST for failure messages.
func dump(e Expr) string {
	switch e := e.(type) {
	case *And:
		return "And{" + dumpList(e.Terms) + "}"
	case *Or:
		return "Or{" + dumpList(e.Terms) + "}"
	case *Not:
		return "Not{" + dump(e.X) + "}"
	case *Cmp:
		return "Cmp{" + e.Field + " " + e.Op + " " + strconv.Quote(e.Value.Text) + " " + strconv.FormatFloat(e.Value.Num, 'g', -1, 64) + " " + strconv.FormatBool(e.Value.IsNum) + "}"
	case *Range:
		return "Range{" + e.Field + " " + strconv.FormatFloat(e.Lo, 'g', -1, 64) + " " + strconv.FormatFloat(e.Hi, 'g', -1, 64) + "}"
	case *In:
		s := "In{" + e.Field
		for _, v := range e.Values {
			s += " " + strconv.Quote(v.Text)
		}
		return s + "}"
	case *Exists:
		return "Exists{" + e.Field + "}"
	case nil:
		return "nil"
	}
	return "?"
}

func dumpList(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = dump(e)
	}
	return strings.Join(parts, ", ")
}

func TestParseFilter_Constructs(t *testing.T)   { checkParse(t, constructCases) }
func TestParseFilter_Precedence(t *testing.T)   { checkParse(t, precedenceCases) }
func TestParseFilter_QuotedValues(t *testing.T) { checkParse(t, quotedCases) }

func TestParseFilter_KeywordsCaseInsensitive(t *testing.T) {
	for _, tc := range []struct{ lower, upper string }{
		{"price = 1 or price = 2 And price = 3", "price = 1 OR price = 2 AND price = 3"},
		{"not isJxhy = true", "NOT isJxhy = true"},
		{"nOt NoT isJxhy = true", "NOT NOT isJxhy = true"},
		{"price 1 to 5", "price 1 TO 5"},
		{"categoryId in [a]", "categoryId IN [a]"},
		{"categoryId Not In [a]", "categoryId NOT IN [a]"},
		{"jxhyPrice exists", "jxhyPrice EXISTS"},
		{"jxhyPrice not Exists", "jxhyPrice NOT EXISTS"},
	} {
		got, err := ParseFilter(tc.lower)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.lower, err)
			continue
		}
		want, err := ParseFilter(tc.upper)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tc.upper, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseFilter(%q) = %s, want %s as for %q", tc.lower, dump(got), dump(want), tc.upper)
		}
	}
}

func TestParseFilter_Empty(t *testing.T) {
	for _, in := range []string{"", " ", "\t\r\n", "\u00a0", strings.Repeat(" ", 2*maxFilterLen)} {
		e, err := ParseFilter(in)
		if e != nil || err != nil {
			t.Errorf("ParseFilter(%q) = %s, %v; want nil, nil", in, dump(e), err)
		}
	}
}

type errorCase struct {
	in  string
	pos int
	msg string
}

var filterable = filterableList()

// errorCases pin the position and message of each kind of mistake.
var errorCases = []errorCase{
	{"prce > 1", 0, `unknown field "prce" (filterable: ` + filterable + `)`},
	{`x AND "prce" > 1`, 0, `unknown field "x" (filterable: ` + filterable + `)`},
	{`price > 1 AND "prce" > 1`, 14, `unknown field "prce" (filterable: ` + filterable + `)`},
	{"_geoRadius(1, 2, 3)", 0, `unknown field "_geoRadius" (filterable: ` + filterable + `)`},
	{"subject = x", 0, `field "subject" is not filterable (filterable: ` + filterable + `)`},
	{"price <", 7, `expected a value after "<"`},
	{"price < )", 8, `expected a value after "<", got ")"`},
	{"price = = 1", 8, `expected a value after "=", got "="`},
	{"price < AND", 8, `expected a value after "<", got keyword "AND" (quote it to use it as a value)`},
	{"categoryId = to", 13, `expected a value after "=", got keyword "to" (quote it to use it as a value)`},
	{"categoryId > 5", 11, `">" applies to number fields only, and categoryId is a string field`},
	{"isJxhy <= 1", 7, `"<=" applies to number fields only, and isJxhy is a bool field`},
	{"sources 1 TO 2", 10, `TO applies to number fields only, and sources is a string list field`},
	{"price = abc", 8, `price is a number field, and "abc" is not a finite number`},
	{"price = 1e999", 8, `price is a number field, and "1e999" is not a finite number`},
	{`price = "0x10"`, 8, `price is a number field, and "0x10" is not a finite number`},
	{"price = Inf", 8, `price is a number field, and "Inf" is not a finite number`},
	{"price = NaN", 8, `price is a number field, and "NaN" is not a finite number`},
	{`price IN [1, "2 "]`, 13, `price is a number field, and "2 " is not a finite number`},
	{"price abc TO 5", 6, `price is a number field, and "abc" is not a finite number`},
	{"price 1 TO abc", 11, `price is a number field, and "abc" is not a finite number`},
	{"price 10 50", 9, `expected TO after "10", got "50"`},
	{"price 10 TO", 11, `expected a value after "TO"`},
	{"isJxhy = yes", 9, `isJxhy is a bool field: expected true or false, got "yes"`},
	{"isJxhy = TRUE", 9, `isJxhy is a bool field: expected true or false, got "TRUE"`},
	{"isJxhy IN [true, 1]", 17, `isJxhy is a bool field: expected true or false, got "1"`},
	{"(price < 20", 0, `unclosed "("`},
	{"price < 20 AND (price > 1 OR (price = 5)", 15, `unclosed "("`},
	{"price < 20)", 10, `unexpected ")" without a matching "("`},
	{"AND price < 20", 0, `unexpected "AND", expected a condition`},
	{"price < 20 AND", 14, `expected a condition after "AND"`},
	{"price < 20 OR OR price > 1", 14, `unexpected "OR", expected a condition`},
	{"NOT", 3, `expected a condition after "NOT"`},
	{"()", 1, `unexpected ")", expected a condition`},
	{"price < 20 monthSold > 1", 11, `unexpected "monthSold", expected AND, OR or end of filter`},
	{"price < 20 NOT monthSold > 1", 11, `unexpected "NOT", expected AND, OR or end of filter`},
	{"(price < 20 monthSold > 1)", 12, `unexpected "monthSold", expected AND, OR or ")"`},
	{"price", 5, `expected =, !=, >, >=, <, <=, IN, EXISTS or a range (lo TO hi) after "price"`},
	{"price lt 5", 6, `expected =, !=, >, >=, <, <=, IN, EXISTS or a range (lo TO hi) after "price", got "lt"`},
	{"price (", 6, `expected =, !=, >, >=, <, <=, IN, EXISTS or a range (lo TO hi) after "price", got "("`},
	{"categoryId IN 5", 14, `expected "[" after IN, got "5"`},
	{"categoryId IN [1, 2", 14, `unclosed "["`},
	{"categoryId IN [1,", 14, `unclosed "["`},
	{"categoryId IN [1 2]", 17, `unexpected "2", expected "," or "]"`},
	{"categoryId IN [1,,2]", 17, `expected a value after ",", got ","`},
	{"categoryId IN [(]", 15, `expected a value after "[", got "("`},
	{"categoryId NOT = 1", 15, `expected IN or EXISTS after NOT, got "="`},
	{`categoryId = "abc`, 13, `unclosed double-quoted string`},
	{`categoryId = 'abc`, 13, `unclosed single-quoted string`},
	{`categoryId = "abc\`, 13, `unclosed double-quoted string`},
	{`categoryId = "abc\"`, 13, `unclosed double-quoted string`},
	{`categoryId = "a\qb"`, 15, `unknown escape \q in string (known: \\ \" \' \n \r \t)`},
	{"price @ 5", 6, `unexpected character '@'`},
	{"price\u00a0= 1", 5, `unexpected character '\u00a0'`},
	{"price = 1 && price = 2", 10, `unexpected "&" (use AND)`},
	{"price = 1 || price = 2", 10, `unexpected "|" (use OR)`},
	{"price ! 5", 6, `unexpected "!" (the operators are != and NOT)`},
	{"categoryId IS NULL", 11, `IS NULL and IS EMPTY are not supported (EXISTS and NOT EXISTS are)`},
	{"categoryId is not empty", 11, `IS NULL and IS EMPTY are not supported (EXISTS and NOT EXISTS are)`},
	{"categoryId CONTAINS x", 11, `CONTAINS is not supported`},
	{"categoryId NOT STARTS WITH x", 15, `STARTS WITH is not supported`},
	{"subjectTrans CONTAINS x", 0, `field "subjectTrans" is not filterable (filterable: ` + filterable + `)`},
	{"categoryId = \xff", 13, `invalid UTF-8`},
	{"categoryId = \"a\xffb\"", 15, `invalid UTF-8`},
	{"categoryId = " + strings.Repeat("x", 100) + " x", 114, `unexpected "x", expected AND, OR or end of filter`},
	{"categoryId " + strings.Repeat("x", 100), 11, `expected =, !=, >, >=, <, <=, IN, EXISTS or a range (lo TO hi) after "categoryId", got "` + strings.Repeat("x", 40) + `"…`},
}

func TestParseFilter_Errors(t *testing.T) {
	for _, tc := range errorCases {
		e, err := ParseFilter(tc.in)
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("ParseFilter(%q) = %s, %v; want *QueryError", tc.in, dump(e), err)
			continue
		}
		if e != nil {
			t.Errorf("ParseFilter(%q) returned %s with an error", tc.in, dump(e))
		}
		if qe.Param != "filter" || qe.Pos != tc.pos || qe.Msg != tc.msg {
			t.Errorf("ParseFilter(%q) error\n got {%s %d %s}\nwant {filter %d %s}", tc.in, qe.Param, qe.Pos, qe.Msg, tc.pos, tc.msg)
		}
	}
}

func TestParseFilter_Limits(t *testing.T) {
	nest := func(n int) string {
		return strings.Repeat("(", n) + "price = 1" + strings.Repeat(")", n)
	}
	nots := func(n int) string { return strings.Repeat("NOT ", n) + "price = 1" }
	for _, tc := range []struct {
		name   string
		in     string
		errPos int // -1: must parse
		msg    string
	}{
		{"parens at limit", nest(maxFilterDepth), -1, ""},
		{"parens over limit", nest(maxFilterDepth + 1), maxFilterDepth, "filter nests deeper than 64 levels"},
		{"NOTs at limit", nots(maxFilterDepth), -1, ""},
		{"NOTs over limit", nots(maxFilterDepth + 1), 4 * maxFilterDepth, "filter nests deeper than 64 levels"},
		{"mixed over limit", strings.Repeat("NOT (", 33) + "price = 1" + strings.Repeat(")", 33), 5 * 32, "filter nests deeper than 64 levels"},
		{"very deep", strings.Repeat("(", maxFilterLen), maxFilterDepth, "filter nests deeper than 64 levels"},
		{"length at limit", `offerId = "` + strings.Repeat("x", maxFilterLen-12) + `"`, -1, ""},
		{"length over limit", `offerId = "` + strings.Repeat("x", maxFilterLen-11) + `"`, maxFilterLen, "filter is longer than 8192 bytes"},
		{"wide", strings.Repeat("price = 1 OR ", 600) + "price = 1", -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFilter(tc.in)
			if tc.errPos < 0 {
				if err != nil {
					t.Fatalf("ParseFilter: %v", err)
				}
				return
			}
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Pos != tc.errPos || qe.Msg != tc.msg {
				t.Fatalf("ParseFilter error = %v, want position %d: %s", err, tc.errPos, tc.msg)
			}
		})
	}
}

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  float64
		ok bool
	}{
		{"1", 1, true}, {"-1", -1, true}, {"+1", 1, true}, {"1.", 1, true}, {".5", 0.5, true},
		{"-.5", -0.5, true}, {"007", 7, true}, {"1e5", 1e5, true}, {"1E-5", 1e-5, true},
		{"1e+5", 1e5, true}, {"1e-400", 0, true}, {"1.7976931348623157e308", 1.7976931348623157e308, true},
		{"", 0, false}, {"-", 0, false}, {".", 0, false}, {"-.", 0, false}, {"e5", 0, false},
		{"1e", 0, false}, {"1e+", 0, false}, {"0x10", 0, false}, {"1_000", 0, false},
		{"Inf", 0, false}, {"-inf", 0, false}, {"NaN", 0, false}, {"infinity", 0, false},
		{"1e400", 0, false}, {"-1e400", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1.2.3", 0, false},
		{"--1", 0, false}, {"1-", 0, false},
	} {
		n, ok := parseNumber(tc.in)
		if n != tc.n || ok != tc.ok {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, %v", tc.in, n, ok, tc.n, tc.ok)
		}
	}
}

func TestFormatFilter(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"price<20 and monthSold>=1000", "price < 20 AND monthSold >= 1000"},
		{"categoryId in ['1033054',72]", "categoryId IN [1033054, 72]"},
		{"categoryId IN []", "categoryId IN []"},
		{`sources = "hot sale"`, `sources = "hot sale"`},
		{`sources = 'AND'`, `sources = "AND"`},
		{`sources = 'exists'`, `sources = "exists"`},
		{`sources = "_geoRadius"`, `sources = "_geoRadius"`},
		{`offerId = ""`, `offerId = ""`},
		{`price = "+5"`, `price = "+5"`},
		{`categoryId = "a\"b\\c\nd\te'f"`, `categoryId = "a\"b\\c\nd\te'f"`},
		{"price 1e6 TO 2e21", `price 1000000 TO "2e+21"`},
		{"price 0.0000001 TO -0.5", "price 1e-07 TO -0.5"},
		{"(price = 1 OR price = 2) AND NOT (price = 3 OR price = 4)", "(price = 1 OR price = 2) AND NOT (price = 3 OR price = 4)"},
		{"price = 1 OR price = 2 AND price = 3", "price = 1 OR price = 2 AND price = 3"},
		{"((price = 1 OR price = 2))", "price = 1 OR price = 2"},
		{"not not isJxhy = true", "NOT NOT isJxhy = true"},
		{"jxhyPrice not exists", "jxhyPrice NOT EXISTS"},
		{"NOT jxhyPrice EXISTS", "jxhyPrice NOT EXISTS"},
		{"NOT sources IN [a]", "sources NOT IN [a]"},
		{"NOT sources NOT IN [a]", "NOT sources NOT IN [a]"},
		{"NOT (jxhyPrice EXISTS AND price > 1)", "NOT (jxhyPrice EXISTS AND price > 1)"},
	} {
		e, err := ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.in, err)
			continue
		}
		if got := FormatFilter(e); got != tc.want {
			t.Errorf("FormatFilter(ParseFilter(%q)) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatFilter_RoundTrip(t *testing.T) {
	for _, tc := range validCases() {
		e, err := ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.in, err)
			continue
		}
		checkRoundTrip(t, tc.in, e)
	}
}

// checkRoundTrip asserts that e, parsed from in, survives FormatFilter and a re-parse, and
// that formatting is then a fixed point.
func checkRoundTrip(t *testing.T, in string, e Expr) {
	t.Helper()
	out := FormatFilter(e)
	again, err := ParseFilter(out)
	if err != nil {
		t.Fatalf("ParseFilter(FormatFilter(ParseFilter(%q))) = ParseFilter(%q): %v", in, out, err)
	}
	if !reflect.DeepEqual(again, e) {
		t.Fatalf("round trip of %q via %q\n got %s\nwant %s", in, out, dump(again), dump(e))
	}
	if out2 := FormatFilter(again); out2 != out {
		t.Fatalf("FormatFilter not stable for %q: %q then %q", in, out, out2)
	}
}

func TestFormatFilter_HandBuilt(t *testing.T) {
	// ASTs ParseFilter never produces must still format without panicking.
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{nil, ""},
		{(*Cmp)(nil), ""},
		{&And{Terms: []Expr{&And{Terms: []Expr{p(1), p(2)}}, &Or{Terms: []Expr{p(3)}}}}, "(price = 1 AND price = 2) AND (price = 3)"},
		{&Not{X: (*In)(nil)}, "NOT "},
		{&Not{}, "NOT "},
		{&Or{}, ""},
	} {
		if got := FormatFilter(tc.e); got != tc.want {
			t.Errorf("FormatFilter(%s) = %q, want %q", dump(tc.e), got, tc.want)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, tc := range validCases() {
		f.Add(tc.in)
	}
	for _, tc := range errorCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e, err := ParseFilter(in)
		if err != nil {
			qe, ok := err.(*QueryError)
			if !ok {
				t.Fatalf("ParseFilter(%q) error %T %v, want *QueryError", in, err, err)
			}
			if qe.Param != "filter" || qe.Pos < 0 || qe.Pos > len(in) || qe.Msg == "" {
				t.Fatalf("ParseFilter(%q) = %#v: want Param filter, 0 <= Pos <= %d, a message", in, qe, len(in))
			}
			if e != nil {
				t.Fatalf("ParseFilter(%q) returned an expression with an error", in)
			}
			return
		}
		if e == nil {
			if strings.TrimSpace(in) != "" {
				t.Fatalf("ParseFilter(%q) = nil, nil for a non-blank filter", in)
			}
			return
		}
		if len(FormatFilter(e)) > maxFilterLen {
			// Canonical spacing can push a filter near the limit over it; nothing to re-parse.
			return
		}
		checkRoundTrip(t, in, e)
	})
}
