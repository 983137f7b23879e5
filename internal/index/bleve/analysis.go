package bleve

import (
	"fmt"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/registry"
)

// Why not bleve's own "cjk" analyzer: it bigrams runs of ideographs only, so a title like
// "纯棉T恤男短袖" is indexed as 纯棉, t, 恤男, 男短, 短袖 while the query "T恤" analyses to
// t, 恤: the unigram 恤 is in no document and the 2-character query never matches. 1688
// titles mix Latin letters and digits into Chinese words all the time (T恤, polo衫, 3D,
// 2024新款), so the subject analyzer treats a Latin word that touches an ideograph as one
// more character of the run and bigrams across the boundary: 纯棉, 棉t, t恤, 恤男, 男短, 短袖.

// Names registered with bleve's registry. They are stored in the index mapping, so they
// must never change meaning: bump schemaVersion instead.
const (
	mixedBigramType      = "syncd_mixed_bigram"
	subjectIndexFilter   = "syncd_subject_index_bigram"
	subjectQueryFilter   = "syncd_subject_query_bigram"
	subjectAnalyzer      = "syncd_subject"
	subjectQueryAnalyzer = "syncd_subject_query"
	transAnalyzer        = en.AnalyzerName
)

func init() {
	if err := registry.RegisterTokenFilter(mixedBigramType, newMixedBigramFilter); err != nil {
		panic(err)
	}
}

func newMixedBigramFilter(config map[string]interface{}, _ *registry.Cache) (analysis.TokenFilter, error) {
	mode, _ := config["mode"].(string)
	switch mode {
	case "index":
		return &mixedBigramFilter{query: false}, nil
	case "query":
		return &mixedBigramFilter{query: true}, nil
	}
	return nil, fmt.Errorf("%s: mode %q is not index or query", mixedBigramType, mode)
}

// mixedBigramFilter turns the tokens of the unicode tokenizer into the terms of the subject
// field. Tokens are split into units (one per ideograph, one per other token); a chain is a
// run of units that touch in the text where every touching pair has at least one
// ideograph. Latin words that touch nothing Chinese pass through unchanged.
//
// Index mode emits, for every chain, each unit on its own (Latin words, and single
// ideographs so a 1-character query can match) and every adjacent pair. Query mode emits
// the fewest pairs that cover the chain (pairs 0-1, 2-3, …, plus the last pair when the
// chain has odd length), or the unit itself for a chain of one. A query therefore matches a
// title that contains each of its 2-character words, in any order: "T恤纯棉" matches
// "纯棉T恤" the way a word-segmenting engine would, without a dictionary.
type mixedBigramFilter struct {
	query bool
}

type unit struct {
	term       []byte
	start, end int  // byte offsets in the original text (approximate inside a token)
	ideo       bool // an ideograph (Han or Kana)
	joined     bool // touches the previous unit and belongs to its chain
}

// Filter implements analysis.TokenFilter.
func (f *mixedBigramFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	units := make([]unit, 0, len(input)+8)
	prevEnd, prevIdeo := -1, false
	for _, tok := range input {
		ideo := tok.Type == analysis.Ideographic
		// Offsets are those of the original text, so touching is decided on them even
		// when an earlier filter (width folding) rewrote the term.
		joined := tok.Start == prevEnd && (ideo || prevIdeo)
		prevEnd, prevIdeo = tok.End, ideo
		if !ideo {
			units = append(units, unit{term: tok.Term, start: tok.Start, end: tok.End, joined: joined})
			continue
		}
		// The tokenizer may hand over several ideographs in one token: one unit each.
		for i := 0; i < len(tok.Term); {
			_, n := utf8.DecodeRune(tok.Term[i:])
			u := unit{term: tok.Term[i : i+n], start: tok.Start, end: tok.End, ideo: true, joined: joined || i > 0}
			if tok.End-tok.Start == len(tok.Term) {
				u.start, u.end = tok.Start+i, tok.Start+i+n
			}
			units = append(units, u)
			i += n
		}
	}

	out := make(analysis.TokenStream, 0, 2*len(units))
	pos := 1
	emit := func(term []byte, start, end int, typ analysis.TokenType) {
		out = append(out, &analysis.Token{Term: term, Start: start, End: end, Position: pos, Type: typ})
		pos++
	}
	pair := func(a, b unit) {
		term := make([]byte, 0, len(a.term)+len(b.term))
		term = append(append(term, a.term...), b.term...)
		emit(term, a.start, b.end, analysis.Double)
	}

	for i := 0; i < len(units); {
		j := i + 1
		for j < len(units) && units[j].joined {
			j++
		}
		chain := units[i:j]
		i = j

		if len(chain) == 1 {
			u := chain[0]
			typ := analysis.AlphaNumeric
			if u.ideo {
				typ = analysis.Single
			}
			emit(u.term, u.start, u.end, typ)
			continue
		}
		if f.query {
			n := len(chain)
			for k := 0; k+1 < n; k += 2 {
				pair(chain[k], chain[k+1])
			}
			if n%2 == 1 {
				pair(chain[n-2], chain[n-1])
			}
			continue
		}
		for k, u := range chain {
			typ := analysis.AlphaNumeric
			if u.ideo {
				typ = analysis.Single
			}
			emit(u.term, u.start, u.end, typ)
			if k > 0 {
				pair(chain[k-1], u)
			}
		}
	}
	return out
}
