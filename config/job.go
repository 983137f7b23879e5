package config

import (
	"slices"

	"github.com/syncd/syncd/internal/upstream"
)

// Job is one entry of jobs: a named, optionally scheduled set of upstream queries of one
// kind. The query lists a kind needs and accepts are in the package doc; Queries expands
// them.
type Job struct {
	// Name matches [a-z0-9-]+ and is unique among jobs; it keys the job's cursor and run
	// history and is what offers list in their sources.
	Name string `yaml:"name"`
	// Kind is one of upstream.ListingKinds().
	Kind upstream.Kind `yaml:"kind"`
	// Schedule is a robfig/cron spec ("@every 6h", "0 3 * * *"); empty runs the job only
	// when asked (backfill, HTTP trigger).
	Schedule string `yaml:"schedule,omitempty"`

	// The query lists. Which ones a kind needs or accepts is fixed per kind (package doc).
	Keywords      []string `yaml:"keywords,omitempty"`
	CategoryIDs   []string `yaml:"category_ids,omitempty"`
	SellerOpenIDs []string `yaml:"seller_open_ids,omitempty"`
	ImageURLs     []string `yaml:"image_urls,omitempty"`
	OfferIDs      []string `yaml:"offer_ids,omitempty"`
	RankTypes     []string `yaml:"rank_types,omitempty"`

	// PageSize is the page size asked of upstream, 1..50.
	PageSize int `yaml:"page_size"`
	// MaxPages caps the pages fetched per query; 0 means no cap beyond what upstream
	// reports (an empty page or totalPage ends a query anyway).
	MaxPages int `yaml:"max_pages"`
	// PriceStart and PriceEnd bound the price in CNY, as decimal strings ("5", "12.50").
	PriceStart string `yaml:"price_start,omitempty"`
	PriceEnd   string `yaml:"price_end,omitempty"`
	// Sort is upstream's sort, a JSON object of field: "asc"|"desc" ('{"monthSold":"desc"}').
	Sort string `yaml:"sort,omitempty"`
	// Filter is passed through to upstream's filter flags as written.
	Filter string `yaml:"filter,omitempty"`
}

// defaultJob is what every jobs[] entry starts from before its keys are decoded.
func defaultJob() Job {
	return Job{PageSize: DefaultPageSize, MaxPages: DefaultMaxPages}
}

func (j Job) clone() Job {
	j.Keywords = slices.Clone(j.Keywords)
	j.CategoryIDs = slices.Clone(j.CategoryIDs)
	j.SellerOpenIDs = slices.Clone(j.SellerOpenIDs)
	j.ImageURLs = slices.Clone(j.ImageURLs)
	j.OfferIDs = slices.Clone(j.OfferIDs)
	j.RankTypes = slices.Clone(j.RankTypes)
	return j
}

// queryList is one of the per-kind query lists of a job.
type queryList struct {
	key   string         // yaml key
	param upstream.Param // the query parameter each value fills
	get   func(*Job) []string
	set   func(*upstream.Query, string)
}

// queryLists in expansion order, outermost first: the list a kind requires always comes
// before the ones that narrow it (seller × keyword × category, rank type × category).
var queryLists = []queryList{
	{"seller_open_ids", upstream.ParamSellerOpenID, func(j *Job) []string { return j.SellerOpenIDs }, func(q *upstream.Query, v string) { q.SellerOpenID = v }},
	{"image_urls", upstream.ParamImageAddress, func(j *Job) []string { return j.ImageURLs }, func(q *upstream.Query, v string) { q.ImageAddress = v }},
	{"offer_ids", upstream.ParamOfferID, func(j *Job) []string { return j.OfferIDs }, func(q *upstream.Query, v string) { q.OfferID = v }},
	{"rank_types", upstream.ParamRankType, func(j *Job) []string { return j.RankTypes }, func(q *upstream.Query, v string) { q.RankType = v }},
	{"keywords", upstream.ParamKeyword, func(j *Job) []string { return j.Keywords }, func(q *upstream.Query, v string) { q.Keyword = v }},
	{"category_ids", upstream.ParamCategoryID, func(j *Job) []string { return j.CategoryIDs }, func(q *upstream.Query, v string) { q.CategoryID = v }},
}

// accepts reports whether a job of endpoint e may set list l: the endpoint takes its
// parameter, except that a category job has no keywords (DESIGN §4: "keyword empty"; a
// keyword job with category_ids is the way to search a keyword inside categories).
func accepts(e upstream.Endpoint, l queryList) bool {
	if e.Kind == upstream.KindCategory && l.param == upstream.ParamKeyword {
		return false
	}
	return e.Takes(l.param)
}

// requires reports whether a job of endpoint e must set list l.
func requires(e upstream.Endpoint, l queryList) bool {
	return slices.Contains(e.Required, l.param)
}

// Queries expands j into the upstream queries one run of it makes: the cross product of
// its query lists, in a stable order (the kind's required list outermost, then keywords,
// then category_ids), each carrying the job's price range, sort and filter when the kind
// takes them. A recommend job yields one query with no parameters. The order only changes
// when the lists do, so a cursor's query index stays meaningful across restarts.
//
// Queries assumes j passed validation; for an unknown kind it returns nil.
func (j *Job) Queries() []upstream.Query {
	e, ok := upstream.Lookup(j.Kind)
	if !ok || !e.Paged {
		return nil
	}
	base := upstream.Query{Kind: j.Kind}
	if e.Takes(upstream.ParamPriceStart) {
		base.PriceStart = j.PriceStart
	}
	if e.Takes(upstream.ParamPriceEnd) {
		base.PriceEnd = j.PriceEnd
	}
	if e.Takes(upstream.ParamSort) {
		base.Sort = j.Sort
	}
	if e.Takes(upstream.ParamFilter) {
		base.Filter = j.Filter
	}
	qs := []upstream.Query{base}
	for _, l := range queryLists {
		vals := l.get(j)
		if len(vals) == 0 || !accepts(e, l) {
			continue
		}
		next := make([]upstream.Query, 0, len(qs)*len(vals))
		for _, q := range qs {
			for _, v := range vals {
				q2 := q
				l.set(&q2, v)
				next = append(next, q2)
			}
		}
		qs = next
	}
	return qs
}
