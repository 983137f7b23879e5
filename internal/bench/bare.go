package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	blevesearch "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/syncd/syncd/internal/upstream"
)

// bareDoc is an offer as perf/bleve-baseline.md indexed it with bleve alone.
type bareDoc struct {
	Subject        string  `json:"subject"`
	SubjectTrans   string  `json:"subjectTrans"`
	ImageURL       string  `json:"imageUrl"`
	Price          float64 `json:"price"`
	MonthSold      float64 `json:"monthSold"`
	RepurchaseRate float64 `json:"repurchaseRate"`
	LastSeen       float64 `json:"lastSeen"`
	CategoryID     string  `json:"categoryId"`
	IsJxhy         bool    `json:"isJxhy"`
}

// bareMapping is the baseline's mapping: cjk Chinese title, en English title, numbers,
// categoryId keyword, isJxhy boolean, imageUrl stored only; the 5 result fields stored.
func bareMapping() *mapping.IndexMappingImpl {
	m := mapping.NewIndexMapping()
	dm := mapping.NewDocumentStaticMapping()
	text := func(an string) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeInAll, f.IncludeTermVectors = an, true, false, false
		return f
	}
	num := func(store bool) *mapping.FieldMapping {
		f := mapping.NewNumericFieldMapping()
		f.Store, f.IncludeInAll = store, false
		return f
	}
	dm.AddFieldMappingsAt("subject", text(cjk.AnalyzerName))
	dm.AddFieldMappingsAt("subjectTrans", text(en.AnalyzerName))
	img := mapping.NewTextFieldMapping()
	img.Index, img.Store, img.DocValues = false, true, false
	dm.AddFieldMappingsAt("imageUrl", img)
	dm.AddFieldMappingsAt("price", num(true))
	dm.AddFieldMappingsAt("monthSold", num(true))
	dm.AddFieldMappingsAt("repurchaseRate", num(false))
	dm.AddFieldMappingsAt("lastSeen", num(false))
	cat := mapping.NewTextFieldMapping()
	cat.Analyzer, cat.Store, cat.IncludeInAll = keyword.Name, false, false
	dm.AddFieldMappingsAt("categoryId", cat)
	b := mapping.NewBooleanFieldMapping()
	b.Store, b.IncludeInAll = false, false
	dm.AddFieldMappingsAt("isJxhy", b)
	m.DefaultMapping = dm
	m.StoreDynamic, m.IndexDynamic = false, false
	return m
}

// BareResult is what bleve alone did.
type BareResult struct {
	Docs    int
	Elapsed time.Duration
	DiskMB  float64
}

// Rate is documents per second.
func (r BareResult) Rate() float64 { return float64(r.Docs) / r.Elapsed.Seconds() }

// BareIndex indexes every offer of qs with bleve alone (the baseline mapping, durable
// batches of batch documents) into a new index under dir, then removes it.
func BareIndex(ctx context.Context, s *Sim, qs []PlannedQuery, dir string, batch int) (BareResult, error) {
	path := filepath.Join(dir, "bare.bleve")
	defer os.RemoveAll(path)
	idx, err := blevesearch.NewUsing(path, bareMapping(), "scorch", "scorch", map[string]interface{}{"unsafe_batch": false})
	if err != nil {
		return BareResult{}, fmt.Errorf("create bare bleve index: %w", err)
	}
	defer idx.Close()
	now := float64(time.Now().Unix())
	var res BareResult
	b := idx.NewBatch()
	start := time.Now()
	flush := func() error {
		if b.Size() == 0 {
			return nil
		}
		if err := idx.Batch(b); err != nil {
			return fmt.Errorf("bare bleve batch: %w", err)
		}
		b.Reset()
		return nil
	}
	err = forEachOffer(ctx, s, qs, func(o upstream.Offer) error {
		d := bareDoc{Subject: o.Subject, SubjectTrans: o.SubjectTrans, ImageURL: o.ImageURL, Price: o.Price,
			MonthSold: float64(o.MonthSold), RepurchaseRate: o.RepurchaseRate, LastSeen: now,
			CategoryID: o.CategoryID, IsJxhy: o.IsJxhy}
		if err := b.Index(o.OfferID, d); err != nil {
			return err
		}
		res.Docs++
		if b.Size() >= batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	res.Elapsed = time.Since(start)
	res.DiskMB = dirMB(path)
	return res, err
}

// forEachOffer calls fn with every offer the queries return, read from the simulator's
// catalog without HTTP (the reference side does not pay for the upstream).
func forEachOffer(ctx context.Context, s *Sim, qs []PlannedQuery, fn func(upstream.Offer) error) error {
	for _, q := range qs {
		for _, id := range s.Matches(q.Query) {
			if err := ctx.Err(); err != nil {
				return err
			}
			o, ok := s.Offer(id)
			if !ok {
				return fmt.Errorf("simulator has no offer %s", id)
			}
			if err := fn(o); err != nil {
				return err
			}
		}
	}
	return nil
}

func dirMB(dir string) float64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return float64(n) / (1 << 20)
}
