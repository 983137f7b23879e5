package bleve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

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
	ctx   context.Context
	segs  []*scorch.SegmentSnapshot
	dicts map[string][]segment.TermDictionary
	cache *termCache // dictionary terms, shared across searches
}

func newEvaluator(ctx context.Context, snap *scorch.IndexSnapshot, cache *termCache) *evaluator {
	segs := snap.Segments()
	ids := make([]uint64, len(segs))
	for i, s := range segs {
		ids[i] = s.Id()
	}
	cache.prune(ids)
	return &evaluator{ctx: ctx, segs: segs, dicts: map[string][]segment.TermDictionary{}, cache: cache}
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
		return e.terms(x.FieldVal, []string{x.Term})
	case *query.BoolFieldQuery:
		t := "F"
		if x.Bool {
			t = "T"
		}
		return e.terms(x.FieldVal, []string{t})
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
			out[s] = union(bms)
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
func (e *evaluator) terms(field string, terms []string) (bitsets, error) {
	dicts, err := e.dict(field)
	if err != nil {
		return nil, err
	}
	out := make(bitsets, len(e.segs))
	for s, d := range dicts {
		if out[s], err = anyOf(d, terms); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// numberRange returns the documents of a rangeQuery: per segment, the postings of every
// trie term inside the range's blocks (see rangeQuery.Searcher), united.
func (e *evaluator) numberRange(q *rangeQuery) (bitsets, error) {
	parts := make([][]*roaring.Bitmap, len(e.segs))
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
		end := append(numeric.MustNewPrefixCodedInt64(tr.hi, tr.shift), 0) // the smallest key after hi's
		for s, d := range dicts {
			terms, err := dictTerms(d, start, end)
			if err != nil {
				return nil, err
			}
			bm, err := anyOf(d, terms)
			if err != nil {
				return nil, err
			}
			if bm != nil {
				parts[s] = append(parts[s], bm)
			}
		}
	}
	out := make(bitsets, len(e.segs))
	for s, p := range parts {
		out[s] = union(p)
	}
	return out, nil
}

// anyOf returns the documents of a segment, whose dictionary of the field is d, that hold
// any of terms, deleted ones included; nil when none.
func anyOf(d segment.TermDictionary, terms []string) (*roaring.Bitmap, error) {
	var bms []*roaring.Bitmap
	for _, t := range terms {
		bm, err := postings(d, []byte(t))
		if err != nil {
			return nil, err
		}
		if bm != nil && !bm.IsEmpty() {
			bms = append(bms, bm)
		}
	}
	return union(bms), nil
}

// union unites bms (which it does not modify): nil for none, the bitmap itself for one.
func union(bms []*roaring.Bitmap) *roaring.Bitmap {
	switch len(bms) {
	case 0:
		return nil
	case 1:
		return bms[0]
	}
	return roaring.FastOr(bms...)
}

// dictTerms returns the terms of d in [lo, hi) (nil bounds: unbounded), in order, without
// reading their postings when the dictionary can skip that.
func dictTerms(d segment.TermDictionary, lo, hi []byte) ([]string, error) {
	if d == nil {
		return nil, nil
	}
	var it segment.DictionaryIterator
	if oc, ok := d.(interface {
		AutomatonIteratorOmitCount(segment.Automaton, []byte, []byte) segment.DictionaryIterator
	}); ok {
		it = oc.AutomatonIteratorOmitCount(nil, lo, hi)
	} else {
		it = d.AutomatonIterator(nil, lo, hi)
	}
	ts := []string{}
	for {
		entry, err := it.Next()
		if err != nil {
			return nil, err
		}
		if entry == nil {
			return ts, nil
		}
		ts = append(ts, entry.Term)
	}
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
		terms, err := e.cache.all(e.segs[s].Id(), field, d)
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

// termCache remembers terms of segments' dictionaries: the block terms of number fields
// (for the top-k walk, topk.go) and every term of facet fields (for counting facets).
// Segments never change, so an entry stays right for as long as its segment exists;
// entries of segments that merges replaced are dropped when the cache holds twice as many
// segments as the index.
type termCache struct {
	mu   sync.Mutex
	segs map[uint64]map[string][]string // segment id → field (+ "\x00all") → terms, ascending
}

// all returns every term of field in segment id, whose dictionary of field is d.
func (c *termCache) all(id uint64, field string, d segment.TermDictionary) ([]string, error) {
	return c.cached(id, field+"\x00all", d, nil, nil)
}

// cached returns the terms of d in [lo, hi), remembered under (id, key).
func (c *termCache) cached(id uint64, key string, d segment.TermDictionary, lo, hi []byte) ([]string, error) {
	c.mu.Lock()
	ts, ok := c.segs[id][key]
	c.mu.Unlock()
	if ok {
		return ts, nil
	}
	ts, err := dictTerms(d, lo, hi)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.segs == nil {
		c.segs = map[uint64]map[string][]string{}
	}
	if c.segs[id] == nil {
		c.segs[id] = map[string][]string{}
	}
	c.segs[id][key] = ts
	return ts, nil
}

// prune keeps the entries of the segments live only, once the cache holds more than
// twice as many segments.
func (c *termCache) prune(live []uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.segs) <= 2*len(live) {
		return
	}
	keep := make(map[uint64]bool, len(live))
	for _, id := range live {
		keep[id] = true
	}
	for id := range c.segs {
		if !keep[id] {
			delete(c.segs, id)
		}
	}
}
