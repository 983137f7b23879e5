package bleve

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/numeric"
	"github.com/blevesearch/bleve/v2/search/query"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Counting with bitmaps.
//
// Bleve counts matches and facet values by visiting every match: at a million offers a
// common word matches 100,000 of them, and a count costs milliseconds, facets tens of
// milliseconds (perf/bleve-baseline.md). Scorch keeps each term's postings of a segment
// as a roaring bitmap, so the matches of the queries syncd builds (terms, conjunctions,
// disjunctions, negations, number ranges, id lists) are a few bitmap operations per
// segment, their count is a cardinality, and the count of a facet value among them is
// one intersection cardinality per value and segment. The evaluator works on one index
// snapshot; it reports errUnsupported for anything it does not know, and the caller then
// lets bleve count.

// errUnsupported means the evaluator cannot compute a query or facet; bleve must.
var errUnsupported = errors.New("not computable with bitmaps")

// bitsets is a set of documents of a snapshot: one bitmap per segment, nil when empty.
// Bitmaps may be shared with the segment and are never modified.
type bitsets []*roaring.Bitmap

// evaluator computes bitsets of queries on one snapshot.
type evaluator struct {
	ctx    context.Context
	segs   []*scorch.SegmentSnapshot
	dicts  map[string][]segment.TermDictionary
	blocks *blockTerms // shared across searches (topk.go)
}

func newEvaluator(ctx context.Context, snap *scorch.IndexSnapshot, blocks *blockTerms) *evaluator {
	segs := snap.Segments()
	ids := make([]uint64, len(segs))
	for i, s := range segs {
		ids[i] = s.Id()
	}
	blocks.prune(ids)
	return &evaluator{ctx: ctx, segs: segs, dicts: map[string][]segment.TermDictionary{}, blocks: blocks}
}

// matches returns the live documents matching q.
func (e *evaluator) matches(q query.Query) (bitsets, error) {
	b, err := e.eval(q)
	if err != nil {
		return nil, err
	}
	out := make(bitsets, len(b))
	for i, bm := range b {
		if bm == nil || bm.IsEmpty() {
			continue
		}
		if del := e.segs[i].Deleted(); del != nil && !del.IsEmpty() {
			bm = roaring.AndNot(bm, del)
		}
		out[i] = bm
	}
	return out, nil
}

// count is the number of documents in b.
func (b bitsets) count() int {
	var n uint64
	for _, bm := range b {
		if bm != nil {
			n += bm.GetCardinality()
		}
	}
	return int(n)
}

// eval computes q over every document of the snapshot, deleted ones included (matches
// removes them once at the end).
func (e *evaluator) eval(q query.Query) (bitsets, error) {
	if err := e.ctx.Err(); err != nil {
		return nil, err
	}
	switch x := q.(type) {
	case *query.TermQuery:
		return e.terms(x.FieldVal, [][]byte{[]byte(x.Term)})
	case *query.BoolFieldQuery:
		t := "F"
		if x.Bool {
			t = "T"
		}
		return e.terms(x.FieldVal, [][]byte{[]byte(t)})
	case *query.MatchAllQuery:
		return e.all(), nil
	case *query.MatchNoneQuery:
		return make(bitsets, len(e.segs)), nil
	case *query.DocIDQuery:
		out := make(bitsets, len(e.segs))
		for i, s := range e.segs {
			bm, err := s.Segment().DocNumbers(x.IDs)
			if err != nil {
				return nil, err
			}
			out[i] = bm
		}
		return out, nil
	case *query.ConjunctionQuery:
		return e.combine(x.Conjuncts, and)
	case *query.DisjunctionQuery:
		if x.Min > 1 {
			return nil, errUnsupported
		}
		return e.combine(x.Disjuncts, or)
	case *query.BooleanQuery:
		if x.Should != nil {
			return nil, errUnsupported
		}
		var parts []query.Query
		for _, p := range []query.Query{x.Must, x.Filter} {
			if p != nil {
				parts = append(parts, p)
			}
		}
		if len(parts) == 0 {
			return nil, errUnsupported // bleve: a boolean query of only negations matches nothing
		}
		b, err := e.combine(parts, and)
		if err != nil || x.MustNot == nil {
			return b, err
		}
		not, err := e.eval(x.MustNot)
		if err != nil {
			return nil, err
		}
		for i := range b {
			if b[i] != nil && not[i] != nil {
				b[i] = roaring.AndNot(b[i], not[i])
			}
		}
		return b, nil
	case *rangeQuery:
		return e.numberRange(x)
	}
	return nil, errUnsupported
}

type op int

const (
	and op = iota
	or
)

// combine evaluates qs and intersects (and) or unites (or) them per segment.
func (e *evaluator) combine(qs []query.Query, o op) (bitsets, error) {
	if len(qs) == 0 {
		if o == and {
			return e.all(), nil
		}
		return make(bitsets, len(e.segs)), nil
	}
	parts := make([]bitsets, len(qs))
	for i, q := range qs {
		b, err := e.eval(q)
		if err != nil {
			return nil, err
		}
		parts[i] = b
	}
	out := make(bitsets, len(e.segs))
	bms := make([]*roaring.Bitmap, 0, len(qs))
	for s := range e.segs {
		bms = bms[:0]
		empty := false
		for _, p := range parts {
			if p[s] == nil || p[s].IsEmpty() {
				empty = true
				continue
			}
			bms = append(bms, p[s])
		}
		switch {
		case o == and && empty, len(bms) == 0:
		case len(bms) == 1:
			out[s] = bms[0]
		case o == and:
			// Smallest first: every step can only shrink the result.
			slices.SortFunc(bms, func(a, b *roaring.Bitmap) int {
				return int(int64(a.GetCardinality()) - int64(b.GetCardinality()))
			})
			out[s] = roaring.FastAnd(bms...)
		default:
			out[s] = roaring.FastOr(bms...)
		}
	}
	return out, nil
}

// all is every document of every segment.
func (e *evaluator) all() bitsets {
	out := make(bitsets, len(e.segs))
	for i, s := range e.segs {
		if n := s.Segment().Count(); n > 0 {
			bm := roaring.New()
			bm.AddRange(0, n)
			out[i] = bm
		}
	}
	return out
}

// dict returns the term dictionaries of field, one per segment.
func (e *evaluator) dict(field string) ([]segment.TermDictionary, error) {
	if d, ok := e.dicts[field]; ok {
		return d, nil
	}
	d := make([]segment.TermDictionary, len(e.segs))
	for i, s := range e.segs {
		td, err := s.Segment().Dictionary(field)
		if err != nil {
			return nil, fmt.Errorf("dictionary of %s: %w", field, err)
		}
		d[i] = td
	}
	e.dicts[field] = d
	return d, nil
}

// postings returns the documents of segment s whose field holds term, deleted ones
// included; nil when none.
func postings(d segment.TermDictionary, term []byte) (*roaring.Bitmap, error) {
	if d == nil {
		return nil, nil
	}
	pl, err := d.PostingsList(term, nil, nil)
	if err != nil || pl == nil {
		return nil, err
	}
	it, ok := pl.Iterator(false, false, false, nil).(segment.OptimizablePostingsIterator)
	if !ok {
		return nil, errUnsupported
	}
	if n, ok := it.DocNum1Hit(); ok {
		return roaring.BitmapOf(uint32(n)), nil
	}
	return it.ActualBitmap(), nil
}

// terms returns the documents whose field holds any of terms.
func (e *evaluator) terms(field string, terms [][]byte) (bitsets, error) {
	dicts, err := e.dict(field)
	if err != nil {
		return nil, err
	}
	out := make(bitsets, len(e.segs))
	bms := make([]*roaring.Bitmap, 0, len(terms))
	for s, d := range dicts {
		bms = bms[:0]
		for _, t := range terms {
			bm, err := postings(d, t)
			if err != nil {
				return nil, err
			}
			if bm != nil && !bm.IsEmpty() {
				bms = append(bms, bm)
			}
		}
		switch len(bms) {
		case 0:
		case 1:
			out[s] = bms[0]
		default:
			out[s] = roaring.FastOr(bms...)
		}
	}
	return out, nil
}

// numberRange returns the documents of a rangeQuery: per segment, the postings of every
// trie term inside the range's blocks (see rangeQuery.Searcher), united.
func (e *evaluator) numberRange(q *rangeQuery) (bitsets, error) {
	out := make(bitsets, len(e.segs))
	var bms [][]*roaring.Bitmap = make([][]*roaring.Bitmap, len(e.segs))
	for _, tr := range splitRange(q.lo, q.hi, trieLevels(q.field)) {
		field := q.field
		if tr.shift == 0 {
			field = sortPrefix + q.field
		}
		dicts, err := e.dict(field)
		if err != nil {
			return nil, err
		}
		start := numeric.MustNewPrefixCodedInt64(tr.lo, tr.shift)
		end := numeric.MustNewPrefixCodedInt64(tr.hi, tr.shift)
		endExcl := append(slices.Clone(end), 0) // the smallest key after end
		for s, d := range dicts {
			if d == nil {
				continue
			}
			it := d.AutomatonIterator(nil, start, endExcl)
			for {
				entry, err := it.Next()
				if err != nil {
					return nil, err
				}
				if entry == nil {
					break
				}
				bm, err := postings(d, []byte(entry.Term))
				if err != nil {
					return nil, err
				}
				if bm != nil && !bm.IsEmpty() {
					bms[s] = append(bms[s], bm)
				}
			}
		}
	}
	for s, list := range bms {
		switch len(list) {
		case 0:
		case 1:
			out[s] = list[0]
		default:
			out[s] = roaring.FastOr(list...)
		}
	}
	return out, nil
}

// facetTermsPerMatch bounds the bitmap way of counting facets: it costs about one
// postings lookup and one intersection per value and segment, bleve's way one doc-values
// visit per match; with more than one value-segment pair per facetTermsPerMatch matches,
// bleve's way is cheaper.
var facetTermsPerMatch = 8 // a variable so that tests can force either way

// facet counts the values of field among m: the max most frequent, ties in term order (as
// bleve reports them), as raw index terms.
func (e *evaluator) facet(field string, m bitsets, limit int) (map[string]int, error) {
	dicts, err := e.dict(field)
	if err != nil {
		return nil, err
	}
	pairs := 0
	for _, d := range dicts {
		if d != nil {
			pairs += d.Cardinality()
		}
	}
	if pairs*facetTermsPerMatch > m.count() {
		return nil, errUnsupported
	}
	counts := map[string]int{}
	for s, d := range dicts {
		if d == nil || m[s] == nil || m[s].IsEmpty() {
			continue
		}
		terms, err := e.blocks.allTerms(e.segs[s].Id(), field, d)
		if err != nil {
			return nil, err
		}
		// Intersecting the matches with each value's postings would scan the matches once
		// per value; a bitset of the matches makes each value cost its own postings only.
		in := newBitset(m[s], e.segs[s].Segment().Count())
		for _, t := range terms {
			bm, err := postings(d, []byte(t))
			if err != nil {
				return nil, err
			}
			if bm == nil {
				continue
			}
			if n := in.countIn(bm); n > 0 {
				counts[t] += n
			}
		}
	}
	if len(counts) <= limit {
		return counts, nil
	}
	type tc struct {
		term  string
		count int
	}
	all := make([]tc, 0, len(counts))
	for t, c := range counts {
		all = append(all, tc{t, c})
	}
	slices.SortFunc(all, func(a, b tc) int {
		if a.count != b.count {
			return b.count - a.count
		}
		if a.term < b.term {
			return -1
		}
		return 1
	})
	top := make(map[string]int, limit)
	for _, x := range all[:limit] {
		top[x.term] = x.count
	}
	return top, nil
}

// bitset is a set of document numbers of one segment, for membership tests.
type bitset []uint64

func newBitset(bm *roaring.Bitmap, n uint64) bitset {
	b := make(bitset, (n+63)/64)
	it := bm.ManyIterator()
	buf := make([]uint32, 256)
	for k := it.NextMany(buf); k > 0; k = it.NextMany(buf) {
		for _, d := range buf[:k] {
			if int(d>>6) < len(b) {
				b[d>>6] |= 1 << (d & 63)
			}
		}
	}
	return b
}

// countIn counts the documents of bm in b.
func (b bitset) countIn(bm *roaring.Bitmap) int {
	n := 0
	it := bm.ManyIterator()
	var buf [256]uint32
	for k := it.NextMany(buf[:]); k > 0; k = it.NextMany(buf[:]) {
		for _, d := range buf[:k] {
			if int(d>>6) < len(b) && b[d>>6]&(1<<(d&63)) != 0 {
				n++
			}
		}
	}
	return n
}
