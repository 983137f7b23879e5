package index

import (
	"fmt"
	"strconv"
	"strings"
)

// The grammar parseFilter accepts: Meilisearch's, without the geo functions, IS NULL,
// IS EMPTY, CONTAINS and STARTS WITH (rejected with an error saying so). Whitespace is
// space, tab, CR and LF. Keywords match case-insensitively, which Meilisearch itself does
// not do (it wants upper case): FormatFilter's output is the form to send it.
//
//	filter    = expr EOF
//	expr      = and { "OR" and }
//	and       = not { "AND" not }
//	not       = "NOT" not | primary
//	primary   = "(" expr ")" | condition
//	condition = field ( op value
//	                  | value "TO" value
//	                  | [ "NOT" ] "IN" "[" [ value { "," value } [ "," ] ] "]"
//	                  | [ "NOT" ] "EXISTS" )
//	op        = "=" | "!=" | ">" | ">=" | "<" | "<="
//	field     = word | string
//	value     = word | string
//	word      = ( letter | digit | "_" | "-" | "." )+, not a keyword
//	string    = '"' ... '"' | "'" ... "'", with \\ \" \' \n \r \t escapes

// Limits that bound the work and stack of a parse.
const (
	maxFilterLen   = 8 << 10 // bytes of input
	maxFilterDepth = 64      // nested parentheses and NOTs
)

// parseFilter implements ParseFilter: a hand-written lexer (filter_lexer.go) feeding a
// recursive-descent parser that checks fields and values against the Fields table as it
// goes. The AST is normalised: nested And in And and Or in Or are flattened, redundant
// parentheses vanish; NOT NOT x stays as written.
func parseFilter(s string) (Expr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if len(s) > maxFilterLen {
		return nil, filterErr(maxFilterLen, fmt.Sprintf("filter is longer than %d bytes", maxFilterLen))
	}
	p := &parser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	e, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokEOF:
		return e, nil
	case tokRParen:
		return nil, filterErr(p.tok.pos, `unexpected ")" without a matching "("`)
	}
	return nil, p.unexpected("AND, OR or end of filter")
}

// parser holds the current token and the one before it (for "after X" messages).
type parser struct {
	lex  lexer
	tok  token
	prev token
}

// advance moves to the next token.
func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.prev, p.tok = p.tok, t
	return nil
}

// is reports whether the current token is keyword kw.
func (p *parser) is(kw string) bool {
	return p.tok.kind == tokKeyword && p.tok.val == kw
}

// unexpected is an error at the current token: `unexpected "x", expected <want>`.
func (p *parser) unexpected(want string) error {
	return filterErr(p.tok.pos, fmt.Sprintf("unexpected %s, expected %s", p.lex.describe(p.tok), want))
}

// expected is an error at the current token: `expected <want>[, got "x"]`.
func (p *parser) expected(want string) error {
	msg := "expected " + want
	if p.tok.kind != tokEOF {
		msg += ", got " + p.lex.describe(p.tok)
	}
	return filterErr(p.tok.pos, msg)
}

// parseOr parses expr at nesting depth depth.
func (p *parser) parseOr(depth int) (Expr, error) {
	var terms []Expr
	for {
		t, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		if or, ok := t.(*Or); ok {
			terms = append(terms, or.Terms...)
		} else {
			terms = append(terms, t)
		}
		if !p.is("OR") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &Or{Terms: terms}, nil
}

// parseAnd parses and.
func (p *parser) parseAnd(depth int) (Expr, error) {
	var terms []Expr
	for {
		t, err := p.parseNot(depth)
		if err != nil {
			return nil, err
		}
		if and, ok := t.(*And); ok {
			terms = append(terms, and.Terms...)
		} else {
			terms = append(terms, t)
		}
		if !p.is("AND") {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &And{Terms: terms}, nil
}

// parseNot parses not.
func (p *parser) parseNot(depth int) (Expr, error) {
	if !p.is("NOT") {
		return p.parsePrimary(depth)
	}
	if depth >= maxFilterDepth {
		return nil, filterErr(p.tok.pos, fmt.Sprintf("filter nests deeper than %d levels", maxFilterDepth))
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	x, err := p.parseNot(depth + 1)
	if err != nil {
		return nil, err
	}
	return &Not{X: x}, nil
}

// parsePrimary parses primary.
func (p *parser) parsePrimary(depth int) (Expr, error) {
	switch p.tok.kind {
	case tokLParen:
		if depth >= maxFilterDepth {
			return nil, filterErr(p.tok.pos, fmt.Sprintf("filter nests deeper than %d levels", maxFilterDepth))
		}
		open := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tokRParen:
			return e, p.advance()
		case tokEOF:
			return nil, filterErr(open.pos, `unclosed "("`)
		}
		return nil, p.unexpected(`AND, OR or ")"`)
	case tokWord, tokString:
		return p.parseCondition()
	case tokEOF:
		if p.prev.kind == tokNone {
			return nil, p.expected("a condition")
		}
		return nil, p.expected("a condition after " + p.lex.describe(p.prev))
	}
	return nil, p.unexpected("a condition")
}

// parseCondition parses condition; the current token is the field.
func (p *parser) parseCondition() (Expr, error) {
	f, err := p.field()
	if err != nil {
		return nil, err
	}
	fieldDesc := strconv.Quote(f.Name)
	if err := p.advance(); err != nil {
		return nil, err
	}
	op := p.tok
	switch {
	case op.kind == tokOp:
		if op.val != "=" && op.val != "!=" && f.Type != TypeNumber {
			return nil, filterErr(op.pos, fmt.Sprintf("%q applies to number fields only, and %s is a %s field", op.val, f.Name, f.Type))
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.value(f)
		if err != nil {
			return nil, err
		}
		return &Cmp{Field: f.Name, Op: op.val, Value: v}, nil
	case p.is("EXISTS"):
		return &Exists{Field: f.Name}, p.advance()
	case p.is("IN"):
		return p.parseIn(f)
	case p.is("NOT"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch {
		case p.is("EXISTS"):
			return &Not{X: &Exists{Field: f.Name}}, p.advance()
		case p.is("IN"):
			in, err := p.parseIn(f)
			if err != nil {
				return nil, err
			}
			return &Not{X: in}, nil
		case p.is("CONTAINS"), p.is("STARTS"):
			return nil, p.unsupported()
		}
		return nil, p.expected("IN or EXISTS after NOT")
	case p.is("IS"), p.is("CONTAINS"), p.is("STARTS"):
		return nil, p.unsupported()
	case op.kind == tokWord || op.kind == tokString:
		return p.parseRange(f, fieldDesc)
	}
	return nil, p.expected("=, !=, >, >=, <, <=, IN, EXISTS or a range (lo TO hi) after " + fieldDesc)
}

// unsupported is the error for a Meilisearch operator this parser does not implement.
func (p *parser) unsupported() error {
	msg := "CONTAINS is not supported"
	switch p.tok.val {
	case "IS":
		msg = "IS NULL and IS EMPTY are not supported (EXISTS and NOT EXISTS are)"
	case "STARTS":
		msg = "STARTS WITH is not supported"
	}
	return filterErr(p.tok.pos, msg)
}

// field resolves the current token as a filterable field.
func (p *parser) field() (Field, error) {
	name := p.tok.val
	f, ok := LookupField(name)
	switch {
	case !ok:
		return f, filterErr(p.tok.pos, fmt.Sprintf("unknown field %s (filterable: %s)", quoteShort(name), filterableList()))
	case !f.Filterable:
		return f, filterErr(p.tok.pos, fmt.Sprintf("field %q is not filterable (filterable: %s)", name, filterableList()))
	}
	return f, nil
}

// filterableList names the filterable fields for error messages.
func filterableList() string {
	return strings.Join(FieldNames(func(f Field) bool { return f.Filterable }), ", ")
}

// parseRange parses "lo TO hi"; the current token is lo.
func (p *parser) parseRange(f Field, fieldDesc string) (Expr, error) {
	lo := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.is("TO") {
		if _, ok := parseNumber(lo.val); !ok {
			// Not a range at all: most likely a misspelt operator ("price lt 5").
			return nil, filterErr(lo.pos, fmt.Sprintf("expected =, !=, >, >=, <, <=, IN, EXISTS or a range (lo TO hi) after %s, got %s",
				fieldDesc, p.lex.describe(lo)))
		}
		return nil, p.expected("TO after " + p.lex.describe(lo))
	}
	if f.Type != TypeNumber {
		return nil, filterErr(p.tok.pos, fmt.Sprintf("TO applies to number fields only, and %s is a %s field", f.Name, f.Type))
	}
	loV := makeValue(lo.val)
	if err := checkValue(f, loV, lo.pos); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	hi, err := p.value(f)
	if err != nil {
		return nil, err
	}
	return &Range{Field: f.Name, Lo: loV.Num, Hi: hi.Num}, nil
}

// parseIn parses `IN [v, ...]`; the current token is IN.
func (p *parser) parseIn(f Field) (Expr, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokLBracket {
		return nil, p.expected(`"[" after IN`)
	}
	open := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	var vals []Value
	for {
		switch p.tok.kind {
		case tokRBracket:
			return &In{Field: f.Name, Values: vals}, p.advance()
		case tokEOF:
			return nil, filterErr(open.pos, `unclosed "["`)
		}
		v, err := p.value(f)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		switch p.tok.kind {
		case tokComma:
			if err := p.advance(); err != nil {
				return nil, err
			}
		case tokRBracket:
		case tokEOF:
			return nil, filterErr(open.pos, `unclosed "["`)
		default:
			return nil, p.unexpected(`"," or "]"`)
		}
	}
}

// value parses the current token as a value for field f, after p.prev.
func (p *parser) value(f Field) (Value, error) {
	t := p.tok
	switch t.kind {
	case tokWord, tokString:
		v := makeValue(t.val)
		if err := checkValue(f, v, t.pos); err != nil {
			return Value{}, err
		}
		return v, p.advance()
	case tokKeyword:
		return Value{}, filterErr(t.pos, fmt.Sprintf("expected a value after %s, got keyword %s (quote it to use it as a value)",
			p.lex.describe(p.prev), p.lex.describe(t)))
	}
	return Value{}, p.expected("a value after " + p.lex.describe(p.prev))
}

// checkValue checks that v, written at pos, suits the type of field f.
func checkValue(f Field, v Value, pos int) error {
	switch f.Type {
	case TypeNumber:
		if !v.IsNum {
			return filterErr(pos, fmt.Sprintf("%s is a number field, and %s is not a finite number", f.Name, quoteShort(v.Text)))
		}
	case TypeBool:
		if v.Text != "true" && v.Text != "false" {
			return filterErr(pos, fmt.Sprintf("%s is a bool field: expected true or false, got %s", f.Name, quoteShort(v.Text)))
		}
	}
	return nil
}

// FormatFilter renders e in Meilisearch filter syntax with upper-case keywords, quoting
// values and field names that are not plain words, and parenthesising only where
// precedence needs it. For every e returned by ParseFilter, ParseFilter(FormatFilter(e))
// yields e again, so the result is a canonical form of the filter that both backends read
// the same way. A nil e renders as "".
func FormatFilter(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

// writeExpr appends e to b.
func writeExpr(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case *Or:
		if e == nil {
			return
		}
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(" OR ")
			}
			writeExpr(b, t)
		}
	case *And:
		if e == nil {
			return
		}
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(" AND ")
			}
			writeOperand(b, t)
		}
	case *Not:
		if e == nil {
			return
		}
		switch x := e.X.(type) {
		case *In:
			if x != nil {
				writeIn(b, x, true)
				return
			}
		case *Exists:
			if x != nil {
				writeWord(b, x.Field)
				b.WriteString(" NOT EXISTS")
				return
			}
		}
		b.WriteString("NOT ")
		writeOperand(b, e.X)
	case *Cmp:
		if e == nil {
			return
		}
		writeWord(b, e.Field)
		b.WriteString(" " + e.Op + " ")
		writeWord(b, e.Value.Text)
	case *Range:
		if e == nil {
			return
		}
		writeWord(b, e.Field)
		b.WriteByte(' ')
		writeWord(b, formatNumber(e.Lo))
		b.WriteString(" TO ")
		writeWord(b, formatNumber(e.Hi))
	case *In:
		if e == nil {
			return
		}
		writeIn(b, e, false)
	case *Exists:
		if e == nil {
			return
		}
		writeWord(b, e.Field)
		b.WriteString(" EXISTS")
	}
}

// writeOperand appends e as an operand of AND or NOT, parenthesised if it is an AND or OR.
func writeOperand(b *strings.Builder, e Expr) {
	switch e.(type) {
	case *And, *Or:
		b.WriteByte('(')
		writeExpr(b, e)
		b.WriteByte(')')
	default:
		writeExpr(b, e)
	}
}

// writeIn appends "field [NOT ]IN [v, ...]".
func writeIn(b *strings.Builder, in *In, not bool) {
	writeWord(b, in.Field)
	if not {
		b.WriteString(" NOT")
	}
	b.WriteString(" IN [")
	for i, v := range in.Values {
		if i > 0 {
			b.WriteString(", ")
		}
		writeWord(b, v.Text)
	}
	b.WriteByte(']')
}
