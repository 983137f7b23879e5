package upstream

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// The wire value types below decode one JSON value in each of the shapes upstream is known
// or suspected to send. Their UnmarshalJSON never fails: a value that fits no shape is kept
// (cut short) in bad, so one malformed field costs its item, never the page, and
// encoding/json does not stop half way. They do not allocate on the success path except
// for the text they keep.

// badLen bounds the raw text kept from a malformed value.
const badLen = 40

func clip(b []byte) string {
	if len(b) > badLen {
		b = b[:badLen]
	}
	return string(b)
}

func isNull(b []byte) bool { return string(b) == "null" }

// jsonString returns the text of the JSON string literal b, and false if b is not one.
func jsonString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", false
	}
	return s, true
}

// stringBytes returns the bytes between the quotes of a JSON string literal without escapes,
// for values that must be plain ASCII anyway (numbers, booleans).
func stringBytes(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '"' || bytes.IndexByte(b, '\\') >= 0 {
		return nil, false
	}
	return b[1 : len(b)-1], true
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// wireID is an identifier sent as a string or as an integer (offerId, categoryId,
// developId, requestId). An integer keeps its exact digits: a 19-digit developId is larger
// than 2^53 and must never pass through a float.
type wireID struct {
	text string
	bad  string
}

func (v *wireID) UnmarshalJSON(b []byte) error {
	*v = wireID{}
	switch {
	case isNull(b):
	case isDigits(b):
		v.text = string(b)
	default:
		s, ok := jsonString(b)
		if !ok {
			v.bad = clip(b)
		}
		v.text = s
	}
	return nil
}

// wireText is free text that should be a string (msg); anything else is kept as its JSON.
type wireText struct{ text string }

func (v *wireText) UnmarshalJSON(b []byte) error {
	*v = wireText{}
	if isNull(b) {
		return nil
	}
	s, ok := jsonString(b)
	if !ok {
		s = clip(b)
	}
	v.text = s
	return nil
}

// wireInt is an integer sent as a number or a numeric string (code, paging fields).
type wireInt struct {
	n   int
	bad string
}

func (v *wireInt) UnmarshalJSON(b []byte) error {
	*v = wireInt{}
	if isNull(b) {
		return nil
	}
	digits := b
	if s, ok := stringBytes(b); ok {
		digits = s
	}
	n, err := strconv.Atoi(string(digits))
	if err != nil {
		v.bad = clip(b)
		return nil
	}
	v.n = n
	return nil
}

// wireCount is a non-negative integer sent as a number or a numeric string (monthSold).
// An integral float such as 120.0 or 1e3 is accepted; a fraction is not.
type wireCount struct {
	n   int64
	bad string
}

// maxExactFloat is 2^53, above which floats no longer hold every integer.
const maxExactFloat = 1 << 53

func (v *wireCount) UnmarshalJSON(b []byte) error {
	*v = wireCount{}
	if isNull(b) {
		return nil
	}
	digits := b
	if s, ok := stringBytes(b); ok {
		digits = s
	}
	if isDigits(digits) {
		n, err := strconv.ParseInt(string(digits), 10, 64)
		if err == nil {
			v.n = n
			return nil
		}
	} else if f, ok := parseDecimal(digits); ok && f <= maxExactFloat && f == math.Trunc(f) {
		v.n = int64(f)
		return nil
	}
	v.bad = clip(b)
	return nil
}

// wireRate is a repurchase rate. Upstream sends a percent string ("41%"), taken as
// percent/100 and valid from 0% to 100%. A bare number or numeric string ("0.41", 0.41) is
// taken as the fraction itself and must lie in 0..1: "41" is refused rather than guessed.
// null, "" and a missing field mean 0.
type wireRate struct {
	f   float64
	bad string
}

func (v *wireRate) UnmarshalJSON(b []byte) error {
	*v = wireRate{}
	if isNull(b) {
		return nil
	}
	s := b
	if inner, ok := stringBytes(b); ok {
		s = inner
	}
	if len(s) == 0 && len(b) == 2 { // ""
		return nil
	}
	percent := len(s) > 0 && s[len(s)-1] == '%'
	if percent {
		s = s[:len(s)-1]
	}
	f, ok := parseDecimal(s)
	switch {
	case !ok:
	case percent && f <= 100:
		v.f = f / 100
		return nil
	case !percent && f <= 1:
		v.f = f
		return nil
	}
	v.bad = clip(b)
	return nil
}

// parseDecimal parses a non-negative finite decimal: digits with at most one '.', or a JSON
// number (with exponent). Signs, NaN, Inf, hex and underscores are refused.
func parseDecimal(s []byte) (float64, bool) {
	if len(s) == 0 || ((s[0] < '0' || s[0] > '9') && s[0] != '.') {
		return 0, false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+' {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f < 0 {
		return 0, false
	}
	return f, true
}

// wireFlag is a boolean sent as true/false, "true"/"false", 0/1 or "0"/"1". null and a
// missing field mean false.
type wireFlag struct {
	b   bool
	bad string
}

func (v *wireFlag) UnmarshalJSON(b []byte) error {
	*v = wireFlag{}
	s := b
	if inner, ok := stringBytes(b); ok {
		s = inner
	}
	switch string(s) {
	case "true", "1":
		v.b = true
	case "false", "0", "null":
	default:
		v.bad = clip(b)
	}
	return nil
}

// wirePrice is a price in CNY sent as a decimal string ("16.00") or, leniently, a number.
// null and "" mean absent (set is false).
type wirePrice struct {
	f   float64
	set bool
	bad string
}

func (v *wirePrice) UnmarshalJSON(b []byte) error {
	*v = wirePrice{}
	if isNull(b) {
		return nil
	}
	s := b
	if inner, ok := stringBytes(b); ok {
		if len(inner) == 0 {
			return nil
		}
		s = inner
	}
	f, ok := parseDecimal(s)
	if !ok {
		v.bad = clip(b)
		return nil
	}
	v.f, v.set = f, true
	return nil
}
