package index

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind classifies a token of a filter expression.
type tokenKind int

const (
	tokNone     tokenKind = iota // zero value: no token yet
	tokEOF                       // end of input
	tokWord                      // bare word: field name, number, true/false or unquoted text
	tokString                    // quoted string; val holds the unescaped content
	tokKeyword                   // reserved word; val holds it upper-cased
	tokOp                        // comparison operator: = != > >= < <=
	tokLParen                    // (
	tokRParen                    // )
	tokLBracket                  // [
	tokRBracket                  // ]
	tokComma                     // ,
)

// token is one lexeme; pos and end delimit it in the source.
type token struct {
	kind     tokenKind
	pos, end int
	val      string
}

// filterKeywords are the reserved words, matched case-insensitively. AND, OR, NOT, TO, IN
// and EXISTS are the grammar; the rest are Meilisearch operators this parser rejects with a
// clear error (IS NULL, IS EMPTY, CONTAINS, STARTS WITH). An unquoted value may not be a
// keyword: it has to be quoted.
var filterKeywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "TO": true, "IN": true, "EXISTS": true,
	"IS": true, "NULL": true, "EMPTY": true, "CONTAINS": true, "STARTS": true, "WITH": true,
}

// keyword returns the upper-cased keyword w spells, if it is one. Matching is
// case-insensitive (Meilisearch's own parser wants upper case; this is the one place to
// change to match it). Only ASCII letters fold, so that no non-ASCII word (Turkish "ın",
// Kelvin sign) turns into a keyword.
func keyword(w string) (string, bool) {
	if len(w) > len("CONTAINS") {
		return "", false
	}
	var buf [8]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case 'A' <= c && c <= 'Z':
		default:
			return "", false
		}
		buf[i] = c
	}
	up := string(buf[:len(w)])
	return up, filterKeywords[up]
}

// isWordRune reports whether r may appear in a bare word. This is Meilisearch's set
// (alphanumeric, '_', '-', '.'), so a word this lexer accepts Meilisearch accepts too.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			r == '_' || r == '-' || r == '.'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Other_Alphabetic, r)
}

// isFilterSpace reports whether c separates tokens (Meilisearch's multispace).
func isFilterSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// lexer splits a filter expression into tokens on demand, so that the first problem
// reported is the leftmost one.
type lexer struct {
	src string
	pos int
}

// next returns the next token, or a *QueryError for a malformed one.
func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && isFilterSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tokEOF, pos: start, end: start}, nil
	}
	single := func(k tokenKind, n int) (token, error) {
		l.pos += n
		return token{kind: k, pos: start, end: l.pos, val: l.src[start:l.pos]}, nil
	}
	c := l.src[start]
	switch c {
	case '(':
		return single(tokLParen, 1)
	case ')':
		return single(tokRParen, 1)
	case '[':
		return single(tokLBracket, 1)
	case ']':
		return single(tokRBracket, 1)
	case ',':
		return single(tokComma, 1)
	case '=':
		return single(tokOp, 1)
	case '<', '>':
		if strings.HasPrefix(l.src[start+1:], "=") {
			return single(tokOp, 2)
		}
		return single(tokOp, 1)
	case '!':
		if strings.HasPrefix(l.src[start+1:], "=") {
			return single(tokOp, 2)
		}
		return token{}, filterErr(start, `unexpected "!" (the operators are != and NOT)`)
	case '&':
		return token{}, filterErr(start, `unexpected "&" (use AND)`)
	case '|':
		return token{}, filterErr(start, `unexpected "|" (use OR)`)
	case '"', '\'':
		return l.quoted(c)
	}
	r, size := utf8.DecodeRuneInString(l.src[start:])
	if r == utf8.RuneError && size == 1 {
		return token{}, filterErr(start, "invalid UTF-8")
	}
	if !isWordRune(r) {
		return token{}, filterErr(start, fmt.Sprintf("unexpected character %q", r))
	}
	for l.pos < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		if !isWordRune(r) { // also stops at invalid UTF-8: U+FFFD is not a word rune
			break
		}
		l.pos += size
	}
	w := l.src[start:l.pos]
	if kw, ok := keyword(w); ok {
		return token{kind: tokKeyword, pos: start, end: l.pos, val: kw}, nil
	}
	return token{kind: tokWord, pos: start, end: l.pos, val: w}, nil
}

// quoted lexes a string opened by quote at l.pos. A backslash escapes the next character:
// \\, \", \', \n, \r and \t are accepted (Meilisearch reads them the same way); any other
// escape is an error rather than a guess.
func (l *lexer) quoted(quote byte) (token, error) {
	start := l.pos
	var b strings.Builder
	i := start + 1
	for {
		if i >= len(l.src) {
			kind := "double"
			if quote == '\'' {
				kind = "single"
			}
			return token{}, filterErr(start, fmt.Sprintf("unclosed %s-quoted string", kind))
		}
		c := l.src[i]
		switch {
		case c == quote:
			l.pos = i + 1
			return token{kind: tokString, pos: start, end: l.pos, val: b.String()}, nil
		case c == '\\':
			if i+1 >= len(l.src) {
				i++
				continue // reported as unclosed
			}
			switch e := l.src[i+1]; e {
			case '\\', '"', '\'':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				r, _ := utf8.DecodeRuneInString(l.src[i+1:])
				return token{}, filterErr(i, fmt.Sprintf(`unknown escape \%c in string (known: \\ \" \' \n \r \t)`, r))
			}
			i += 2
		default:
			r, size := utf8.DecodeRuneInString(l.src[i:])
			if r == utf8.RuneError && size == 1 {
				return token{}, filterErr(i, "invalid UTF-8")
			}
			b.WriteString(l.src[i : i+size])
			i += size
		}
	}
}

// filterErr is a filter syntax or type error at byte offset pos.
func filterErr(pos int, msg string) *QueryError {
	return &QueryError{Param: "filter", Pos: pos, Msg: msg}
}

// describe renders t for an error message, quoting it as written and shortening long ones.
func (l *lexer) describe(t token) string {
	switch t.kind {
	case tokNone, tokEOF:
		return "end of filter"
	case tokString:
		return "string " + quoteShort(t.val)
	}
	return quoteShort(l.src[t.pos:t.end])
}

// quoteShort quotes s, cut to 40 bytes on a rune boundary.
func quoteShort(s string) string {
	const limit = 40
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// Literals, in both directions: what reads as a number, and how FormatFilter writes words
// and numbers so that the lexer reads them back unchanged.

// makeValue builds the Value of literal text, numeric when it is a finite number.
func makeValue(text string) Value {
	n, ok := parseNumber(text)
	return Value{Text: text, Num: n, IsNum: ok}
}

// parseNumber parses s as a finite decimal number: optional sign, digits with an optional
// fraction (either side of the point may be empty, not both), optional exponent. This is
// what Meilisearch's float parsing accepts, minus inf and NaN; Go's extras (hex, "_",
// "Inf") are refused so both backends agree on what is a number.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := i
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		}
		if i == exp {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false // overflow: ParseFloat reports ErrRange with ±Inf
	}
	return n, true
}

// writeWord appends s bare when the lexer reads it back as the same word, else quoted.
// Words starting with "_geo" are quoted because Meilisearch reserves them for its geo
// functions.
func writeWord(b *strings.Builder, s string) {
	bare := s != "" && !strings.HasPrefix(s, "_geo")
	if bare {
		for _, r := range s {
			if !isWordRune(r) {
				bare = false
				break
			}
		}
	}
	if bare {
		if _, kw := keyword(s); !kw {
			b.WriteString(s)
			return
		}
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// formatNumber renders n so that parsing the text gives n back exactly, in plain decimal
// unless the magnitude makes that long.
func formatNumber(n float64) string {
	if a := math.Abs(n); a == 0 || a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return strconv.FormatFloat(n, 'g', -1, 64)
}
