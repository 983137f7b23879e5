package bleve

import (
	"context"
	"math"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/numeric"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	bleveindex "github.com/blevesearch/bleve_index_api"
)

// Numbers are indexed as a trie of prefix-coded terms like bleve's numeric fields, but with
// a precision step of precisionStep bits instead of bleve's fixed 4 (which bleve's own
// NumericRangeQuery assumes and no option changes): the full-precision term (shift 0) is
// the sort key field "s:<name>", and the field "<name>" holds the terms for shifts
// precisionStep, 2·precisionStep, … 56. That is 8 terms per number instead of bleve's 16
// plus the sort key's 1, and about half the distinct terms, which is most of what numbers
// cost to index (perf/bleve-baseline.md). Range filters are answered by rangeQuery, which
// splits a range into whole blocks per level the way bleve does and looks up only the
// terms that exist in each level's dictionary.
//
// Integer fields (monthSold and the timestamps) start their trie at shift 24: bleve encodes
// numbers as float64 bits, and an integer below 2^32 leaves at least the 20 lowest mantissa
// bits zero, so their terms at shifts 8 and 16 would be one-to-one with the full-precision
// ones: pure indexing cost (distinct terms), no help to range queries. That leaves them 5
// trie terms, 6 with the sort key. Correctness does not depend on it: a range query only
// uses levels the field has and enumerates the terms that exist in each block.
const precisionStep = 8

// integerFields are the number fields whose values are always integers.
var integerFields = map[string]bool{"monthSold": true, "firstSeenAt": true, "updatedAt": true}

// firstShift is the finest trie level (above the sort key) of a number field.
func firstShift(field string) uint {
	if integerFields[field] {
		return 24
	}
	return precisionStep
}

// trieLevels lists the shifts a range query on field may use: 0 (the sort key), then the
// trie from firstShift up to 56.
func trieLevels(field string) []uint {
	levels := []uint{0}
	for s := firstShift(field); s < 64; s += precisionStep {
		levels = append(levels, s)
	}
	return levels
}

// trieAnalyzer turns a number's sort key into the terms of its coarser levels, from
// shift first up.
type trieAnalyzer struct{ first uint }

// Analyze implements analysis.Analyzer: input is a sort key (sortKey), the output the
// coarser terms of the same number.
func (a trieAnalyzer) Analyze(input []byte) analysis.TokenStream {
	i, err := numeric.PrefixCoded(input).Int64()
	if err != nil {
		return nil
	}
	out := make(analysis.TokenStream, 0, 8)
	for shift := a.first; shift < 64; shift += precisionStep {
		t := numeric.MustNewPrefixCodedInt64(i, shift)
		out = append(out, &analysis.Token{Term: t, Start: 0, End: len(input), Position: len(out) + 1, Type: analysis.Numeric})
	}
	return out
}

// rangeQuery matches documents whose number field lies in [lo, hi] (bounds in bleve's
// int64 encoding of float64, inclusive). It is a filter: its scores are meaningless.
type rangeQuery struct {
	field  string
	lo, hi int64
}

// newRangeQuery builds the query for lo/hi (nil: unbounded) with the given inclusivity.
func newRangeQuery(field string, lo, hi *float64, loIncl, hiIncl bool) *rangeQuery {
	q := &rangeQuery{field: field, lo: math.MinInt64, hi: math.MaxInt64}
	if lo != nil {
		q.lo = numeric.Float64ToInt64(canon(*lo))
		if !loIncl {
			if q.lo == math.MaxInt64 {
				q.lo, q.hi = 1, 0 // empty
				return q
			}
			q.lo++
		}
	}
	if hi != nil {
		q.hi = numeric.Float64ToInt64(canon(*hi))
		if !hiIncl {
			if q.hi == math.MinInt64 {
				q.lo, q.hi = 1, 0
				return q
			}
			q.hi--
		}
	}
	return q
}

// Searcher implements query.Query.
func (q *rangeQuery) Searcher(ctx context.Context, r bleveindex.IndexReader, _ mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	var fine, coarse [][]byte // terms of s:<field> (shift 0) and of <field>
	for _, tr := range splitRange(q.lo, q.hi, trieLevels(q.field)) {
		field := q.field
		if tr.shift == 0 {
			field = sortPrefix + q.field
		}
		start := numeric.MustNewPrefixCodedInt64(tr.lo, tr.shift)
		end := numeric.MustNewPrefixCodedInt64(tr.hi, tr.shift)
		d, err := r.FieldDictRange(field, start, end)
		if err != nil {
			return nil, err
		}
		for {
			e, err := d.Next()
			if err != nil {
				d.Close()
				return nil, err
			}
			if e == nil {
				break
			}
			if tr.shift == 0 {
				fine = append(fine, []byte(e.Term))
			} else {
				coarse = append(coarse, []byte(e.Term))
			}
		}
		if err := d.Close(); err != nil {
			return nil, err
		}
	}
	var ss []search.Searcher
	closeAll := func() {
		for _, s := range ss {
			s.Close()
		}
	}
	for _, p := range []struct {
		field string
		terms [][]byte
	}{{sortPrefix + q.field, fine}, {q.field, coarse}} {
		if len(p.terms) == 0 {
			continue
		}
		s, err := searcher.NewMultiTermSearcherBytes(ctx, r, p.terms, p.field, 1, opts, false)
		if err != nil {
			closeAll()
			return nil, err
		}
		ss = append(ss, s)
	}
	switch len(ss) {
	case 0:
		return searcher.NewMatchNoneSearcher(r)
	case 1:
		return ss[0], nil
	}
	s, err := searcher.NewDisjunctionSearcher(ctx, r, ss, 0, opts)
	if err != nil {
		closeAll()
		return nil, err
	}
	return s, nil
}

var _ query.Query = (*rangeQuery)(nil)

// NumericRangeQuery is the query syncd's filters use for a range of a number field (nil
// bounds are open). It is exported for the benchmark's bare-bleve side, which must query
// the same index layout.
func NumericRangeQuery(field string, lo, hi *float64, loIncl, hiIncl bool) query.Query {
	return newRangeQuery(field, lo, hi, loIncl, hiIncl)
}

// termRange is the block [lo, hi] of values at one shift: every term of that level from
// prefix(lo) to prefix(hi).
type termRange struct {
	lo, hi int64
	shift  uint
}

// splitRange splits [lo, hi] into the fewest blocks of the trie with the given levels
// (Lucene's splitRange, generalised to uneven steps), from the finest level up. levels
// starts with 0 and ends with 56.
func splitRange(lo, hi int64, levels []uint) []termRange {
	var out []termRange
	if lo > hi {
		return nil
	}
	for li, shift := range levels {
		if li == len(levels)-1 {
			return append(out, termRange{lo, hi, shift})
		}
		next := levels[li+1]
		diff := int64(1) << next
		mask := (int64(1)<<next - 1) &^ (int64(1)<<shift - 1)
		hasLower := lo&mask != 0
		hasUpper := hi&mask != mask
		nextLo, nextHi := lo&^mask, hi&^mask
		if hasLower {
			nextLo = (lo + diff) &^ mask
		}
		if hasUpper {
			nextHi = (hi - diff) &^ mask
		}
		if nextLo > nextHi || nextLo < lo || nextHi > hi {
			return append(out, termRange{lo, hi, shift})
		}
		if hasLower {
			out = append(out, termRange{lo, lo | mask, shift})
		}
		if hasUpper {
			out = append(out, termRange{hi &^ mask, hi, shift})
		}
		lo, hi = nextLo, nextHi
	}
	return out
}
