package upstream

import (
	"encoding/json"
	"fmt"
)

// Envelope is the response wrapper of every endpoint (API.md §1.4). DevelopID is a 19-digit
// number on the wire, larger than 2^53, so it is kept as text whether sent quoted or not.
type Envelope struct {
	RequestID string          `json:"requestId"`
	Code      int             `json:"code"`
	DevelopID json.Number     `json:"developId"`
	Msg       string          `json:"msg"`
	Data      json.RawMessage `json:"data"`
}

// CodeOK is the success code of the envelope.
const CodeOK = 200

// PageData is the paged object of listing endpoints (API.md §1.5).
type PageData struct {
	TotalRecords int       `json:"totalRecords"`
	TotalPage    int       `json:"totalPage"`
	PageSize     int       `json:"pageSize"`
	CurrentPage  int       `json:"currentPage"`
	Data         []RawItem `json:"data"`
}

// RawItem is one offer as listing endpoints send it (API.md §1.9): prices are decimal
// strings or null, the repurchase rate is a percentage string such as "41%". The shop,
// related and assumed endpoints are taken to send the same item, plus the optional
// categoryId and sellerOpenId.
type RawItem struct {
	OfferMapID     json.RawMessage `json:"offerMapId"`
	OfferID        json.RawMessage `json:"offerId,omitempty"`
	Subject        string          `json:"subject"`
	SubjectTrans   string          `json:"subjectTrans"`
	ImageURL       string          `json:"imageUrl"`
	PriceInfo      *RawPriceInfo   `json:"priceInfo"`
	MonthSold      json.RawMessage `json:"monthSold"`
	RepurchaseRate json.RawMessage `json:"repurchaseRate"`
	IsJxhy         json.RawMessage `json:"isJxhy"`
	CategoryID     json.RawMessage `json:"categoryId,omitempty"`
	SellerOpenID   string          `json:"sellerOpenId,omitempty"`
}

// RawPriceInfo holds the price strings of an item; any of them may be null.
type RawPriceInfo struct {
	Price       *string `json:"price"`
	JxhyPrice   *string `json:"jxhyPrice"`
	PfJxhyPrice *string `json:"pfJxhyPrice"`
}

// Offer is one listing item normalised to the document fields of DESIGN §7. Optional
// prices are nil when upstream sent null or nothing.
type Offer struct {
	OfferID        string
	Subject        string
	SubjectTrans   string
	ImageURL       string
	Price          float64
	JxhyPrice      *float64
	PfJxhyPrice    *float64
	MonthSold      int64
	RepurchaseRate float64 // 0..1
	IsJxhy         bool
	CategoryID     string
	SellerOpenID   string
}

// Query is one upstream query of a job, without paging. Only the fields its kind takes
// (Endpoint.Params) are sent.
type Query struct {
	Kind         Kind   `json:"kind"`
	Keyword      string `json:"keyword,omitempty"`
	CategoryID   string `json:"categoryId,omitempty"`
	SellerOpenID string `json:"sellerOpenId,omitempty"`
	ImageAddress string `json:"imageAddress,omitempty"`
	OfferID      string `json:"offerId,omitempty"`
	RankType     string `json:"rankType,omitempty"`
	PriceStart   string `json:"priceStart,omitempty"`
	PriceEnd     string `json:"priceEnd,omitempty"`
	Sort         string `json:"sort,omitempty"`
	Filter       string `json:"filter,omitempty"`
}

// Value returns the value of parameter p in q.
func (q Query) Value(p Param) string {
	switch p {
	case ParamKeyword:
		return q.Keyword
	case ParamCategoryID:
		return q.CategoryID
	case ParamSellerOpenID:
		return q.SellerOpenID
	case ParamImageAddress:
		return q.ImageAddress
	case ParamOfferID:
		return q.OfferID
	case ParamRankType:
		return q.RankType
	case ParamPriceStart:
		return q.PriceStart
	case ParamPriceEnd:
		return q.PriceEnd
	case ParamSort:
		return q.Sort
	case ParamFilter:
		return q.Filter
	}
	return ""
}

// PageRequest asks for one page (from 1) of a query.
type PageRequest struct {
	Query    Query
	Page     int
	PageSize int
}

// Page is one decoded page of a listing endpoint. Offers holds the items that normalised
// cleanly; Invalid reports the others, one entry each, so one bad item never costs a page.
type Page struct {
	RequestID    string
	TotalRecords int
	TotalPage    int
	PageSize     int
	CurrentPage  int
	Offers       []Offer
	Invalid      []ItemError
}

// Last reports whether page, the number of the page requested, is the last page of its
// query (DESIGN §4): it holds no items, or page has reached TotalPage. TotalPage is not
// assumed to equal ceil(TotalRecords/PageSize); when upstream sends no TotalPage (0), only
// an empty page ends the query. A job's max_pages is the caller's third stop.
func (p *Page) Last(page int) bool {
	return len(p.Offers)+len(p.Invalid) == 0 || (p.TotalPage > 0 && page >= p.TotalPage)
}

// ItemError says why one item of a page could not be normalised.
type ItemError struct {
	Index   int    // position in the page's data array
	OfferID string // as sent, if it could be read
	Err     error
}

// Error names the item, its offer id and the fault.
func (e ItemError) Error() string {
	return fmt.Sprintf("item %d (offer %q): %v", e.Index, e.OfferID, e.Err)
}

// Unwrap returns the fault.
func (e ItemError) Unwrap() error { return e.Err }
