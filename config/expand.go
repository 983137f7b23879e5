package config

import (
	"fmt"
	"slices"
	"strings"
)

// expansion is the result of expanding one scalar.
type expansion struct {
	value string
	// unset lists the variables referenced with ${VAR} (no default) that were unset or
	// empty, in order of appearance, without repeats.
	unset []string
}

// expand replaces ${VAR} and ${VAR:-default} in s with values from getenv, and $$ with a
// single $. Any other $ is kept as it is, so a secret such as "ab$cd" needs no escaping.
//
// ${VAR} with VAR unset or empty expands to "" and records VAR in unset; ${VAR:-default}
// expands to default in that case (default is literal text up to the first "}"; it is not
// expanded again). VAR must match [A-Za-z_][A-Za-z0-9_]*. An unterminated "${" or an
// invalid name is an error. The result is never parsed as YAML again, so a value cannot
// add keys or structure to the document.
func expand(s string, getenv func(string) string) (expansion, error) {
	if !strings.Contains(s, "$") {
		return expansion{value: s}, nil
	}
	var (
		b   strings.Builder
		out expansion
	)
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' || i+1 == len(s) || (s[i+1] != '$' && s[i+1] != '{') {
			b.WriteByte(c)
			i++
			continue
		}
		if s[i+1] == '$' {
			b.WriteByte('$')
			i += 2
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return expansion{}, fmt.Errorf("unterminated ${ at offset %d (write $$ for a literal $)", i)
		}
		ref := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validVarName(name) {
			return expansion{}, fmt.Errorf("invalid variable name %q in ${%s} (want [A-Za-z_][A-Za-z0-9_]*; write $$ for a literal $)", name, ref)
		}
		v := getenv(name)
		switch {
		case v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			if !slices.Contains(out.unset, name) {
				out.unset = append(out.unset, name)
			}
		}
		i += 2 + end + 1
	}
	out.value = b.String()
	return out, nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// escapeDollars is the inverse of expand for text without references: it doubles every $
// so that expanding the result gives s back.
func escapeDollars(s string) string { return strings.ReplaceAll(s, "$", "$$") }
