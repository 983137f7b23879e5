package bleve

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/numeric"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/syncd/syncd/internal/index"
)

// How an Offer becomes a bleve document. Documents are built here directly (Batch.
// IndexAdvanced), not by bleve's reflection over a mapping, so every field gets exactly the
// options it needs; the mapping below describes the same layout for bleve's own use and
// for anyone inspecting the index.
//
//   - the document id is offerId; offerId filters use the _id field, so it is not indexed
//     twice;
//   - subject and subjectTrans are indexed (subjectAnalyzer, en), not stored, no term
//     vectors;
//   - a number gets a sort key field "s:<name>" holding only the full-precision
//     prefix-coded term, with doc values, and a field "<name>" holding the coarser terms
//     of an 8-bit-step trie (7 terms, 5 for integer fields; no doc values; see
//     numrange.go); range filters use both. Bleve's own numeric fields index 16 terms per
//     number (a 4-bit step that its range query hard-codes), and their doc values would
//     carry all 16, decoding which is most of the cost of a sorted query
//     (perf/bleve-baseline.md); with the sort keys, sorted queries at 20k documents took
//     about half the time, and with the trie a number costs 6–8 terms to index instead
//     of 17;
//   - isJxhy is a boolean field, categoryId, sellerOpenId and sources are keyword fields,
//     all with doc values for facets;
//   - doc values stay snappy-compressed: with bleve's SkipDVCompression option, zapx
//     v17.2.5 rewrites them wrongly when it merges segments (docValueReader.
//     iterateAllDocValues treats the option as SkipDVChunking), and sorts and facets
//     return garbage; the conformance suite's small batches catch this;
//   - "has" lists which optional fields (those the JSON encoding omits when empty) are
//     present, so EXISTS is one term lookup;
//   - "_doc" stores the whole Offer in a compact binary form (storeddoc.go), not indexed:
//     a hit is rebuilt from one stored field.
const (
	docField      = "_doc"
	hasField      = "has"
	sortPrefix    = "s:"
	schemaKey     = "syncd.schema"
	schemaVersion = "3"
)

// Indexing options per kind of field.
var (
	textOpts    = bleveindex.IndexField
	numberOpts  = bleveindex.IndexField
	sortKeyOpts = bleveindex.IndexField | bleveindex.DocValues | bleveindex.SkipFreqNorm
	facetOpts   = bleveindex.IndexField | bleveindex.DocValues | bleveindex.SkipFreqNorm
	hasOpts     = bleveindex.IndexField | bleveindex.SkipFreqNorm
	storedOpts  = bleveindex.StoreField
)

// optional lists the fields that may be absent from a document: those whose JSON encoding
// omits an empty value, which is what EXISTS means on Meilisearch too.
var optional = map[string]bool{"jxhyPrice": true, "pfJxhyPrice": true, "categoryId": true, "sellerOpenId": true}

// analyzers holds the analyzers documents and queries are built with; they are stateless
// and safe for concurrent use.
type analyzers struct {
	subject      analysis.Analyzer // index side of subject
	subjectQuery analysis.Analyzer // query side of subject
	trans        analysis.Analyzer // both sides of subjectTrans
}

func newAnalyzers(m *mapping.IndexMappingImpl) (*analyzers, error) {
	a := &analyzers{
		subject:      m.AnalyzerNamed(subjectAnalyzer),
		subjectQuery: m.AnalyzerNamed(subjectQueryAnalyzer),
		trans:        m.AnalyzerNamed(transAnalyzer),
	}
	if a.subject == nil || a.subjectQuery == nil || a.trans == nil {
		return nil, fmt.Errorf("build analyzers: missing analyzer in mapping")
	}
	return a, nil
}

// newMapping returns the bleve mapping of the Offer document (see the layout above).
func newMapping() (*mapping.IndexMappingImpl, error) {
	m := mapping.NewIndexMapping()
	for name, mode := range map[string]string{subjectIndexFilter: "index", subjectQueryFilter: "query"} {
		if err := m.AddCustomTokenFilter(name, map[string]interface{}{"type": mixedBigramType, "mode": mode}); err != nil {
			return nil, fmt.Errorf("add token filter %s: %w", name, err)
		}
	}
	for name, filter := range map[string]string{subjectAnalyzer: subjectIndexFilter, subjectQueryAnalyzer: subjectQueryFilter} {
		err := m.AddCustomAnalyzer(name, map[string]interface{}{
			"type":          custom.Name,
			"tokenizer":     unicode.Name,
			"token_filters": []interface{}{cjk.WidthName, lowercase.Name, filter},
		})
		if err != nil {
			return nil, fmt.Errorf("add analyzer %s: %w", name, err)
		}
	}
	m.DefaultAnalyzer = subjectAnalyzer
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false

	dm := mapping.NewDocumentStaticMapping()
	add := func(name string, fm *mapping.FieldMapping) {
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		dm.AddFieldMappingsAt(name, fm)
	}
	keyword := func(docValues bool) *mapping.FieldMapping {
		fm := mapping.NewKeywordFieldMapping()
		fm.Store, fm.DocValues, fm.SkipFreqNorm = false, docValues, true
		return fm
	}
	for _, f := range index.Fields {
		switch {
		case f.Name == "offerId" || f.Name == "imageUrl":
			// offerId is the document id; imageUrl lives in _doc only.
		case f.Searchable:
			fm := mapping.NewTextFieldMapping()
			fm.Analyzer = subjectAnalyzer
			if f.Name == "subjectTrans" {
				fm.Analyzer = transAnalyzer
			}
			fm.Store, fm.DocValues = false, false
			add(f.Name, fm)
		case f.Type == index.TypeNumber:
			add(f.Name, keyword(false)) // trie terms, built by trieAnalyzer
			add(sortPrefix+f.Name, keyword(true))
		case f.Type == index.TypeBool:
			fm := mapping.NewBooleanFieldMapping()
			fm.Store, fm.DocValues = false, f.Facet
			add(f.Name, fm)
		default:
			add(f.Name, keyword(f.Facet))
		}
	}
	add(hasField, keyword(false))
	stored := mapping.NewTextFieldMapping()
	stored.Index, stored.Store, stored.DocValues = false, true, false
	add(docField, stored)
	m.DefaultMapping = dm
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("validate mapping: %w", err)
	}
	return m, nil
}

// sortKey encodes v as the single full-precision term bleve's numeric fields use: it sorts
// bytewise in numeric order and never contains the doc-values separator 0xff.
func sortKey(v float64) []byte {
	return numeric.MustNewPrefixCodedInt64(numeric.Float64ToInt64(canon(v)), 0)
}

// canon maps -0 to 0: bleve encodes them differently, and "price = 0" must match both.
func canon(v float64) float64 {
	if v == 0 {
		return 0
	}
	return v
}

// toDocument builds the bleve document of o.
func (a *analyzers) toDocument(o *index.Offer) (*document.Document, error) {
	raw, err := appendDoc(nil, o)
	if err != nil {
		return nil, fmt.Errorf("encode offer %s: %w", o.OfferID, err)
	}
	d := document.NewDocument(o.OfferID)
	d.Fields = make([]document.Field, 0, 32)
	d.AddField(document.NewTextFieldCustom("subject", nil, []byte(o.Subject), textOpts, a.subject))
	d.AddField(document.NewTextFieldCustom("subjectTrans", nil, []byte(o.SubjectTrans), textOpts, a.trans))

	number := func(name string, v float64) {
		key := sortKey(v)
		d.AddField(document.NewTextFieldCustom(name, nil, key, numberOpts, trieAnalyzer{first: firstShift(name)}))
		d.AddField(document.NewTextFieldCustom(sortPrefix+name, nil, key, sortKeyOpts, nil))
	}
	keyword := func(name, v string, opts bleveindex.FieldIndexingOptions) {
		d.AddField(document.NewTextFieldCustom(name, nil, []byte(v), opts, nil))
	}
	number("price", o.Price)
	if o.JxhyPrice != nil {
		number("jxhyPrice", *o.JxhyPrice)
		keyword(hasField, "jxhyPrice", hasOpts)
	}
	if o.PfJxhyPrice != nil {
		number("pfJxhyPrice", *o.PfJxhyPrice)
		keyword(hasField, "pfJxhyPrice", hasOpts)
	}
	number("monthSold", float64(o.MonthSold))
	number("repurchaseRate", o.RepurchaseRate)
	number("firstSeenAt", float64(o.FirstSeenAt))
	number("updatedAt", float64(o.UpdatedAt))
	d.AddField(document.NewBooleanFieldWithIndexingOptions("isJxhy", nil, o.IsJxhy, facetOpts))
	if o.CategoryID != "" {
		keyword("categoryId", o.CategoryID, facetOpts)
		keyword(hasField, "categoryId", hasOpts)
	}
	if o.SellerOpenID != "" {
		keyword("sellerOpenId", o.SellerOpenID, facetOpts)
		keyword(hasField, "sellerOpenId", hasOpts)
	}
	for _, s := range o.Sources {
		keyword("sources", s, facetOpts)
	}
	d.AddField(document.NewTextFieldWithIndexingOptions(docField, nil, raw, storedOpts))
	return d, nil
}
