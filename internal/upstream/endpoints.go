package upstream

import "sort"

// Kind names one kind of upstream query. The job kinds of the config are Kinds, and so are
// the two non-listing endpoints (detail, categories).
type Kind string

// The kinds syncd knows. Each has one row in the endpoint table.
const (
	KindKeyword      Kind = "keyword"
	KindCategory     Kind = "category"
	KindShop         Kind = "shop"
	KindImage        Kind = "image"
	KindRelated      Kind = "related"
	KindRecommend    Kind = "recommend"
	KindStrict       Kind = "strict"
	KindGlobalStrict Kind = "global-strict"
	KindHotlist      Kind = "hotlist"
	KindDetail       Kind = "detail"
	KindCategories   Kind = "categories"
)

// Param names one query parameter of Query, independent of how an endpoint spells it.
type Param string

// The query parameters. Body field names are the values of Endpoint.Fields.
const (
	ParamKeyword      Param = "keyword"
	ParamCategoryID   Param = "categoryId"
	ParamSellerOpenID Param = "sellerOpenId"
	ParamImageAddress Param = "imageAddress"
	ParamOfferID      Param = "offerId"
	ParamRankType     Param = "rankType"
	ParamPriceStart   Param = "priceStart"
	ParamPriceEnd     Param = "priceEnd"
	ParamSort         Param = "sort"
	ParamFilter       Param = "filter"
)

// Endpoint describes one upstream endpoint: everything the client and the simulator need to
// build or understand a request for a Kind. Adding a kind is adding a row to the table.
type Endpoint struct {
	Kind Kind
	// Path is the default path; the config may override it per kind.
	Path string
	// Paged reports whether the endpoint answers with the paged envelope.
	Paged bool
	// PageField and SizeField name the paging body fields ("beginPage"/"pageNo", "pageSize").
	PageField, SizeField string
	// LangField names the body field that carries the language ("country" or "language").
	LangField string
	// Params lists the query parameters the endpoint takes, beyond paging and language.
	Params []Param
	// Required lists the parameters a query of this kind must set (at least one of them
	// when RequireAny is true).
	Required   []Param
	RequireAny bool
	// IntCategory reports whether categoryId is sent as a JSON integer (image and shop
	// search) rather than a string (keyword search).
	IntCategory bool
	// Documented reports whether path and request come from the PandaPon docs rather than
	// an assumption (DESIGN §4); assumed rows are the first to check when upstream says no.
	Documented bool
}

var searchParams = []Param{ParamKeyword, ParamCategoryID, ParamPriceStart, ParamPriceEnd, ParamSort, ParamFilter}

// endpoints is the one table of upstream endpoints (DESIGN §4).
var endpoints = map[Kind]Endpoint{
	KindKeyword: {Kind: KindKeyword, Path: "/v2/alibaba/product/keywords/query", Paged: true,
		PageField: "beginPage", SizeField: "pageSize", LangField: "country",
		Params: searchParams, Required: []Param{ParamKeyword}, Documented: true},
	KindCategory: {Kind: KindCategory, Path: "/v2/alibaba/product/keywords/query", Paged: true,
		PageField: "beginPage", SizeField: "pageSize", LangField: "country",
		Params: searchParams, Required: []Param{ParamCategoryID}, Documented: true},
	KindShop: {Kind: KindShop, Path: "/v2/alibaba/product/query/selleroffer", Paged: true,
		PageField: "beginPage", SizeField: "pageSize", LangField: "country",
		Params:   []Param{ParamSellerOpenID, ParamKeyword, ParamCategoryID, ParamPriceStart, ParamPriceEnd, ParamSort, ParamFilter},
		Required: []Param{ParamSellerOpenID}, IntCategory: true, Documented: true},
	KindImage: {Kind: KindImage, Path: "/v2/alibaba/product/image/query", Paged: true,
		PageField: "beginPage", SizeField: "pageSize", LangField: "country",
		Params:   []Param{ParamImageAddress, ParamCategoryID, ParamPriceStart, ParamPriceEnd, ParamSort, ParamFilter},
		Required: []Param{ParamImageAddress}, IntCategory: true, Documented: true},
	KindRelated: {Kind: KindRelated, Path: "/v2/alibaba/product/productRelatedRecommendQuery", Paged: true,
		PageField: "pageNo", SizeField: "pageSize", LangField: "language",
		Params: []Param{ParamOfferID}, Required: []Param{ParamOfferID}, Documented: true},
	KindRecommend: {Kind: KindRecommend, Path: "/v2/alibaba/product/recommend/query", Paged: true,
		PageField: "beginPage", SizeField: "pageSize", LangField: "country"},
	KindStrict: {Kind: KindStrict, Path: "/v2/alibaba/product/strict/keywords/query", Paged: true,
		PageField: "beginPage", SizeField: "pageSize", LangField: "country",
		Params: []Param{ParamKeyword}, Required: []Param{ParamKeyword}},
	KindGlobalStrict: {Kind: KindGlobalStrict, Path: "/v2/alibaba/product/global/strict/keywords/query", Paged: true,
		PageField: "beginPage", SizeField: "pageSize", LangField: "country",
		Params: []Param{ParamKeyword}, Required: []Param{ParamKeyword}},
	KindHotlist: {Kind: KindHotlist, Path: "/v2/alibaba/product/hotlist/query", Paged: true,
		PageField: "beginPage", SizeField: "pageSize", LangField: "country",
		Params: []Param{ParamCategoryID, ParamRankType}, Required: []Param{ParamRankType}},
	KindDetail: {Kind: KindDetail, Path: "/v2/alibaba/product/detail/get", LangField: "country",
		Params: []Param{ParamOfferID}, Required: []Param{ParamOfferID}},
	KindCategories: {Kind: KindCategories, Path: "/v2/alibaba/product/category/get", LangField: "country",
		Params: []Param{ParamCategoryID}, Required: []Param{ParamCategoryID}},
}

// RankTypes are the hot-list rankings the hotlist kind accepts.
var RankTypes = []string{"complex", "hot", "goodPrice"}

// Lookup returns the endpoint of kind k.
func Lookup(k Kind) (Endpoint, bool) {
	e, ok := endpoints[k]
	return e, ok
}

// Kinds returns every kind in the table, sorted.
func Kinds() []Kind {
	ks := make([]Kind, 0, len(endpoints))
	for k := range endpoints {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// ListingKinds returns the kinds a job can have: the paged ones, sorted.
func ListingKinds() []Kind {
	var ks []Kind
	for _, k := range Kinds() {
		if endpoints[k].Paged {
			ks = append(ks, k)
		}
	}
	return ks
}

// Takes reports whether the endpoint takes parameter p.
func (e Endpoint) Takes(p Param) bool {
	for _, q := range e.Params {
		if q == p {
			return true
		}
	}
	return false
}
