package bleve

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/numeric"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/syncd/syncd/internal/index"
)

// Top-k in sort order, with early termination.
//
// Bleve collects every match and keeps the best offset+limit of them in a heap: the sort
// keys (and the offer id, for the tie-break) of every match are read, so a sorted query
// costs time in proportion to its matches. But the index already holds every number in
// sort order at a coarse grain: the trie terms of a number field at shift blockShift
// (numrange.go) cut the number line into blocks of 1/16 of an octave, and a term's
// postings are the documents whose value lies in that block. Walking the blocks of the
// first sort field in sort order and intersecting each with the matches (bitmaps.go)
// finds the fewest blocks that hold offset+limit matches; every match outside them sorts
// after every match inside, so only the matches inside are read and sorted. A word that
// matches 100,000 offers then reads a few dozen.
//
// It applies when the first sort field is a number every document has (price,
// monthSold, repurchaseRate, firstSeenAt, updatedAt) or there is no sort (monthSold
// descending); other orders are bleve's.

// blockShift is the trie level whose terms are the blocks: 64-48 = 16 bits of the
// float64 pattern, i.e. sign, exponent and 4 mantissa bits.
const blockShift = 48

// orderKey is one key of a result order: a number field's sort key, ascending or
// descending. The offer id breaks the remaining ties.
type orderKey struct {
	field string
	desc  bool
}

// resultOrder is the full order of a query's results: its sorts, then monthSold
// descending (best sellers first). A field already sorted on is left out when it comes
// again: its values are equal wherever the later key would be asked to break a tie.
func resultOrder(sort []index.SortField) []orderKey {
	out := make([]orderKey, 0, len(sort)+1)
	for _, s := range append(slices.Clone(sort), index.SortField{Field: "monthSold", Desc: true}) {
		if !slices.ContainsFunc(out, func(k orderKey) bool { return k.field == s.Field }) {
			out = append(out, orderKey{s.Field, s.Desc})
		}
	}
	return out
}

// blockable reports whether the top-k can walk blocks of order's first field: a number
// field every document has.
func blockable(order []orderKey) bool {
	f, ok := index.LookupField(order[0].field)
	return ok && f.Type == index.TypeNumber && !optional[f.Name]
}

// candidate is a match read for sorting.
type candidate struct {
	seg  int
	doc  uint64
	keys [][]byte // sort keys in order's order; nil when the document has none
	id   string   // offer id, read only to break ties
}

// topK returns the offers at [offset, offset+limit) of the matches m in order.
func (e *evaluator) topK(m bitsets, order []orderKey, offset, limit int) ([]index.Offer, error) {
	need := offset + limit
	cands, err := e.inBlocks(m, order[0], need)
	if err != nil {
		return nil, err
	}
	all, err := e.readKeys(cands, order)
	if err != nil {
		return nil, err
	}
	byKeys := func(a, b candidate) int {
		for i, k := range order {
			ka, kb := a.keys[i], b.keys[i]
			switch {
			case ka == nil && kb == nil:
				continue
			case ka == nil:
				return 1 // missing last, both ways
			case kb == nil:
				return -1
			}
			c := bytes.Compare(ka, kb)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}
	slices.SortFunc(all, byKeys)
	// Ties go to the lower offer id. Ids are read only for candidates that tie (reading
	// one costs about what reading its sort keys does), and only up to the page's end.
	for i := 0; i < len(all) && i < need; {
		j := i + 1
		for j < len(all) && byKeys(all[i], all[j]) == 0 {
			j++
		}
		if j-i > 1 {
			for k := i; k < j; k++ {
				id, err := e.segs[all[k].seg].Segment().DocID(all[k].doc)
				if err != nil {
					return nil, err
				}
				all[k].id = string(id)
			}
			slices.SortFunc(all[i:j], func(a, b candidate) int { return strings.Compare(a.id, b.id) })
		}
		i = j
	}
	if offset >= len(all) {
		return nil, nil
	}
	page := all[offset:min(need, len(all))]
	out := make([]index.Offer, 0, len(page))
	for _, c := range page {
		o, err := e.storedOffer(c.seg, c.doc)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// inBlocks returns, per segment, the matches inside the fewest blocks of key's field, in
// key's order, that together hold need matches (every match if they never do).
func (e *evaluator) inBlocks(m bitsets, key orderKey, need int) (bitsets, error) {
	dicts, err := e.dict(key.field)
	if err != nil {
		return nil, err
	}
	var terms []string
	for i, d := range dicts {
		if d == nil {
			continue
		}
		ts, err := e.cache.blocks(e.segs[i].Id(), key.field, d)
		if err != nil {
			return nil, err
		}
		terms = append(terms, ts...)
	}
	slices.Sort(terms)
	terms = slices.Compact(terms)
	if key.desc {
		slices.Reverse(terms)
	}
	out := make(bitsets, len(e.segs))
	got := 0
	for _, t := range terms {
		for s, d := range dicts {
			if m[s] == nil || d == nil {
				continue
			}
			bm, err := postings(d, []byte(t))
			if err != nil {
				return nil, err
			}
			if bm == nil {
				continue
			}
			in := roaring.And(m[s], bm)
			if in.IsEmpty() {
				continue
			}
			got += int(in.GetCardinality())
			if out[s] == nil {
				out[s] = in
			} else {
				out[s].Or(in)
			}
		}
		if got >= need {
			return out, nil
		}
	}
	return m, nil // fewer matches than need in the blocks: all of them
}

// readKeys reads the sort keys of the candidates c.
func (e *evaluator) readKeys(c bitsets, order []orderKey) ([]candidate, error) {
	fields := make([]string, len(order))
	pos := make(map[string]int, len(order))
	for i, k := range order {
		fields[i] = sortPrefix + k.field
		pos[fields[i]] = i
	}
	var out []candidate
	for s, bm := range c {
		if bm == nil || bm.IsEmpty() {
			continue
		}
		seg := e.segs[s].Segment()
		dv, ok := seg.(segment.DocValueVisitable)
		if !ok {
			return nil, errUnsupported
		}
		var state segment.DocVisitState
		it := bm.Iterator()
		for it.HasNext() {
			doc := uint64(it.Next())
			cand := candidate{seg: s, doc: doc, keys: make([][]byte, len(order))}
			var err error
			state, err = dv.VisitDocValues(doc, fields, func(field string, term []byte) {
				if i, ok := pos[field]; ok && cand.keys[i] == nil {
					cand.keys[i] = slices.Clone(term)
				}
			}, state)
			if err != nil {
				return nil, err
			}
			out = append(out, cand)
		}
	}
	return out, nil
}

// storedOffer rebuilds the offer of document doc of segment s from its _doc field.
func (e *evaluator) storedOffer(s int, doc uint64) (index.Offer, error) {
	var (
		raw   string
		found bool
	)
	err := e.segs[s].Segment().VisitStoredFields(doc, func(field string, _ byte, value []byte, _ []uint64) bool {
		if field == docField {
			raw, found = string(value), true // the copy: value is only valid in this call
			return false
		}
		return true
	})
	if err != nil {
		return index.Offer{}, err
	}
	if !found {
		return index.Offer{}, fmt.Errorf("document %d of segment %d has no stored offer", doc, s)
	}
	return decodeOffer(raw)
}

// blocks returns the block terms of field in segment id, whose dictionary of field is d.
func (c *termCache) blocks(id uint64, field string, d segment.TermDictionary) ([]string, error) {
	lo := numeric.MustNewPrefixCodedInt64(math.MinInt64, blockShift)
	hi := append(numeric.MustNewPrefixCodedInt64(math.MaxInt64, blockShift), 0)
	return c.cached(id, field, d, lo, hi)
}
