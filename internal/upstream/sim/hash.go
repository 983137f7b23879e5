package sim

import (
	"math/rand/v2"
	"strconv"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62Max is 62^8: the values that fit in eight base-62 digits.
const base62Max = 62 * 62 * 62 * 62 * 62 * 62 * 62 * 62

// mix64 is the splitmix64 finaliser: a cheap, well-spread hash of x.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hashString is FNV-1a of s, finished with mix64.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}

func randomBase62(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = base62[r.IntN(len(base62))]
	}
	return string(b)
}

// appendBase62 appends v as exactly width base-62 digits, most significant first.
func appendBase62(b []byte, v uint64, width int) []byte {
	start := len(b)
	for i := 0; i < width; i++ {
		b = append(b, 0)
	}
	for i := width - 1; i >= 0; i-- {
		b[start+i] = base62[v%62]
		v /= 62
	}
	return b
}

// parseBase62 reads s as base-62 digits.
func parseBase62(s string) (uint64, bool) {
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'A' && c <= 'Z':
			d = uint64(c-'A') + 10
		case c >= 'a' && c <= 'z':
			d = uint64(c-'a') + 36
		default:
			return 0, false
		}
		v = v*62 + d
	}
	return v, true
}

// appendHex32 appends 32 lower-case hex digits made from two 64-bit values.
func appendHex32(b []byte, hi, lo uint64) []byte {
	const digits = "0123456789abcdef"
	for _, v := range [2]uint64{hi, lo} {
		for shift := 60; shift >= 0; shift -= 4 {
			b = append(b, digits[(v>>uint(shift))&0xf])
		}
	}
	return b
}

// appendFen appends an amount in fen as a yuan decimal with two places: 1234 → 12.34.
func appendFen(b []byte, fen int32) []byte {
	b = strconv.AppendInt(b, int64(fen/100), 10)
	c := fen % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}

// formatFen is appendFen as a string.
func formatFen(fen int32) string { return string(appendFen(nil, fen)) }
