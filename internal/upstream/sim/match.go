package sim

import (
	"math/bits"
	"strings"
	"unicode/utf8"
)

// bitset is a set of offer indexes.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) add(i int32)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitset) addAll(list []int32) {
	for _, i := range list {
		b.add(i)
	}
}

func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}

func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// each calls fn for every member in ascending order.
func (b bitset) each(fn func(i int32)) {
	for wi, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(int32(wi*64 + t))
			w &= w - 1
		}
	}
}

// matchKeyword returns the offers whose titles match every word, or nil when there are no
// words. A word matches an offer when the lower-cased Chinese subject contains it as a
// substring, or when it is one of the words of the English title (case-insensitive; the
// parts of hyphenated words count too, so "shirt" finds t-shirts), or when it splits into
// title pieces that all match (see matchWord).
func (c *catalog) matchKeyword(words []string) bitset {
	var acc bitset
	for _, w := range words {
		m := c.matchWord(w)
		if acc == nil {
			acc = m
		} else {
			acc.and(m)
		}
		if acc.empty() {
			break
		}
	}
	return acc
}

// matchWord returns the offers whose titles match one word: literally (matchLiteral), or,
// for a word that reads as a run of title pieces, like 纯棉T恤 or 男士T恤 (titles put other
// words between them: 纯棉宽松短袖T恤), when every piece matches. That stands in for the word
// segmentation of a real search engine.
func (c *catalog) matchWord(w string) bitset {
	m := c.matchLiteral(w)
	pieces := segment(w)
	if len(pieces) < 2 {
		return m
	}
	var all bitset
	for _, p := range pieces {
		pm := c.matchLiteral(p)
		if all == nil {
			all = pm
		} else {
			all.and(pm)
		}
	}
	for i := range m {
		m[i] |= all[i]
	}
	return m
}

// segment splits w greedily into the longest pieces that occur inside a vocabulary token.
// It returns nil unless there are at least two pieces and one of them is two characters
// or longer (single characters alone match too much).
func segment(w string) []string {
	var pieces []string
	long := false
	for rest := w; rest != ""; {
		end := 0
		for i := range rest {
			if i > 0 && inVocabulary(rest[:i]) {
				end = i
			}
		}
		if inVocabulary(rest) {
			end = len(rest)
		}
		if end == 0 {
			return nil
		}
		if utf8.RuneCountInString(rest[:end]) >= 2 {
			long = true
		}
		pieces = append(pieces, rest[:end])
		rest = rest[end:]
	}
	if len(pieces) < 2 || !long {
		return nil
	}
	return pieces
}

// inVocabulary reports whether s occurs inside the lower-cased Chinese text of a token.
func inVocabulary(s string) bool {
	for i := range vocab.tokens {
		if strings.Contains(vocab.tokens[i].zhLower, s) {
			return true
		}
	}
	return false
}

// matchLiteral uses the token posting lists: a substring inside one token, or an English
// word, is answered by unions of posting lists alone. A substring that spans two tokens
// (季纯 in 夏季纯棉) can only occur in offers that have, for each of its characters, a token
// containing that character; those few candidates are checked against the rebuilt title.
func (c *catalog) matchLiteral(w string) bitset {
	n := len(c.offers)
	direct := newBitset(n)
	for id := range vocab.tokens {
		if strings.Contains(vocab.tokens[id].zhLower, w) {
			direct.addAll(c.tokenPost[id])
		}
	}
	for _, id := range vocab.wordTokens[w] {
		direct.addAll(c.tokenPost[id])
	}
	var cand bitset
	seen := map[rune]bool{}
	for _, r := range w {
		if seen[r] {
			continue
		}
		seen[r] = true
		ids := vocab.runeTokens[r]
		if len(ids) == 0 {
			return direct // some character is in no title at all
		}
		u := newBitset(n)
		for _, id := range ids {
			u.addAll(c.tokenPost[id])
		}
		if cand == nil {
			cand = u
		} else {
			cand.and(u)
		}
	}
	if cand == nil {
		return direct
	}
	cand.andNot(direct)
	cand.each(func(i int32) {
		if strings.Contains(subjectLower(&c.offers[i]), w) {
			direct.add(i)
		}
	})
	return direct
}

// keywordWords splits a keyword into lower-cased words.
func keywordWords(kw string) []string {
	return strings.Fields(strings.ToLower(kw))
}
