package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Decoding runs once per page, so it takes a fast path: one json.Unmarshal of the whole body
// into pooled structs whose field types never fail (lenient.go). Only when the JSON has the
// wrong structure somewhere (an item that is not an object, a string field holding a number)
// does encoding/json report a type error, and the slow path below decodes the body again item
// by item to find the culprits. Syntax errors (truncated or non-JSON bodies) are transient.

// envelopeHead is the envelope without data (API.md §1.4).
type envelopeHead struct {
	RequestID wireID   `json:"requestId"`
	Code      wireInt  `json:"code"`
	DevelopID wireID   `json:"developId"`
	Msg       wireText `json:"msg"`
}

// check returns nil for a success code and an *APIError (without Kind, Path and Retryable,
// which the caller knows) for any other.
func (h *envelopeHead) check(secret string) error {
	if h.Code.bad != "" {
		return fmt.Errorf("%w: code %s is not an integer", ErrUnexpectedShape, sanitize(h.Code.bad, secret))
	}
	if h.Code.n == CodeOK {
		return nil
	}
	return &APIError{Code: h.Code.n, Msg: sanitize(h.Msg.text, secret), RequestID: sanitize(h.RequestID.text, secret)}
}

// wireItem is RawItem with lenient field types.
type wireItem struct {
	OfferMapID     wireID        `json:"offerMapId"`
	OfferID        wireID        `json:"offerId"`
	Subject        string        `json:"subject"`
	SubjectTrans   string        `json:"subjectTrans"`
	ImageURL       string        `json:"imageUrl"`
	PriceInfo      wirePriceInfo `json:"priceInfo"`
	MonthSold      wireCount     `json:"monthSold"`
	RepurchaseRate wireRate      `json:"repurchaseRate"`
	IsJxhy         wireFlag      `json:"isJxhy"`
	CategoryID     wireID        `json:"categoryId"`
	SellerOpenID   string        `json:"sellerOpenId"`
}

type wirePriceInfo struct {
	Price       wirePrice `json:"price"`
	JxhyPrice   wirePrice `json:"jxhyPrice"`
	PfJxhyPrice wirePrice `json:"pfJxhyPrice"`
}

// wirePage is PageData with lenient field types.
type wirePage struct {
	TotalRecords wireInt    `json:"totalRecords"`
	TotalPage    wireInt    `json:"totalPage"`
	PageSize     wireInt    `json:"pageSize"`
	CurrentPage  wireInt    `json:"currentPage"`
	Data         []wireItem `json:"data"`
}

type pageEnvelope struct {
	envelopeHead
	Data wirePage `json:"data"`
}

// pagePool recycles the item array, which would otherwise be grown by doubling on every page.
var pagePool = sync.Pool{New: func() any { return new(pageEnvelope) }}

// maxPooledItems keeps a hostile page of a million items from staying in the pool.
const maxPooledItems = 256

func putPageEnvelope(env *pageEnvelope) {
	items := env.Data.Data
	if cap(items) > maxPooledItems {
		items = nil
	}
	clear(items[:cap(items)]) // encoding/json decodes into stale elements otherwise
	*env = pageEnvelope{}
	env.Data.Data = items[:0]
	pagePool.Put(env)
}

// decodePage decodes the body of a listing response. Errors are *APIError for a non-success
// code, a *transientError for a body that is not complete JSON, or wrap ErrUnexpectedShape.
func decodePage(body []byte, secret string) (*Page, error) {
	env := pagePool.Get().(*pageEnvelope)
	defer putPageEnvelope(env)
	if err := json.Unmarshal(body, env); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return decodePageSlow(body, secret)
		}
		return nil, bodyError(err)
	}
	if err := env.check(secret); err != nil {
		return nil, err
	}
	return buildPage(&env.envelopeHead, &env.Data, nil, secret)
}

// decodePageSlow decodes a body whose JSON is well formed but not of the expected structure,
// item by item, so that the faulty items are reported and the others kept.
func decodePageSlow(body []byte, secret string) (*Page, error) {
	var env struct {
		envelopeHead
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: the response is not a JSON object", ErrUnexpectedShape)
	}
	if err := env.check(secret); err != nil {
		return nil, err
	}
	var raw struct {
		TotalRecords wireInt           `json:"totalRecords"`
		TotalPage    wireInt           `json:"totalPage"`
		PageSize     wireInt           `json:"pageSize"`
		CurrentPage  wireInt           `json:"currentPage"`
		Data         []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(env.Data, &raw); err != nil {
		return nil, fmt.Errorf("%w: data is not a page object with an array of items", ErrUnexpectedShape)
	}
	wp := wirePage{TotalRecords: raw.TotalRecords, TotalPage: raw.TotalPage, PageSize: raw.PageSize,
		CurrentPage: raw.CurrentPage, Data: make([]wireItem, len(raw.Data))}
	errs := make([]error, len(raw.Data))
	for i, item := range raw.Data {
		if err := json.Unmarshal(item, &wp.Data[i]); err != nil {
			errs[i] = describeTypeError(err)
		}
	}
	return buildPage(&env.envelopeHead, &wp, errs, secret)
}

// describeTypeError turns an encoding/json type error into a message about the field.
func describeTypeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return fmt.Errorf("item is a JSON %s, not an object", typeErr.Value)
		}
		return fmt.Errorf("field %s is a JSON %s, want %s", typeErr.Field, typeErr.Value, typeErr.Type)
	}
	return err
}

// buildPage normalises a decoded page. errs, when not nil, holds a decoding error per item.
func buildPage(h *envelopeHead, wp *wirePage, errs []error, secret string) (*Page, error) {
	for _, f := range []struct {
		name string
		v    wireInt
	}{{"totalRecords", wp.TotalRecords}, {"totalPage", wp.TotalPage}, {"pageSize", wp.PageSize}, {"currentPage", wp.CurrentPage}} {
		if f.v.bad != "" || f.v.n < 0 {
			return nil, fmt.Errorf("%w: %s is not a non-negative integer", ErrUnexpectedShape, f.name)
		}
	}
	p := &Page{
		RequestID:    sanitize(h.RequestID.text, secret),
		TotalRecords: wp.TotalRecords.n,
		TotalPage:    wp.TotalPage.n,
		PageSize:     wp.PageSize.n,
		CurrentPage:  wp.CurrentPage.n,
		Offers:       make([]Offer, 0, len(wp.Data)),
	}
	// The optional prices of the whole page share one array instead of one allocation each.
	prices := make([]float64, 0, 2*len(wp.Data))
	for i := range wp.Data {
		w := &wp.Data[i]
		var err error
		if errs != nil && errs[i] != nil {
			err = errs[i]
		} else {
			var o Offer
			if o, err = w.offer(&prices); err == nil {
				p.Offers = append(p.Offers, o)
				continue
			}
		}
		p.Invalid = append(p.Invalid, ItemError{Index: i, OfferID: sanitize(w.id(), secret), Err: redact(err, secret)})
	}
	return p, nil
}

// id returns the offer id as sent: offerMapId, or offerId when there is none.
func (w *wireItem) id() string {
	if w.OfferMapID.text != "" {
		return w.OfferMapID.text
	}
	return w.OfferID.text
}

// offer normalises w. Optional prices are appended to *prices, which must have room for
// them so that earlier offers' pointers stay put.
func (w *wireItem) offer(prices *[]float64) (Offer, error) {
	for _, f := range []struct {
		name, bad string
	}{
		{"offerMapId", w.OfferMapID.bad}, {"offerId", w.OfferID.bad}, {"categoryId", w.CategoryID.bad},
		{"priceInfo.price", w.PriceInfo.Price.bad}, {"priceInfo.jxhyPrice", w.PriceInfo.JxhyPrice.bad},
		{"priceInfo.pfJxhyPrice", w.PriceInfo.PfJxhyPrice.bad},
		{"monthSold", w.MonthSold.bad}, {"repurchaseRate", w.RepurchaseRate.bad}, {"isJxhy", w.IsJxhy.bad},
	} {
		if f.bad != "" {
			return Offer{}, fmt.Errorf("invalid %s %s: %s", f.name, f.bad, fieldRule[f.name])
		}
	}
	id := w.id()
	if id == "" {
		return Offer{}, errors.New("no offerMapId or offerId")
	}
	if len(id) > MaxOfferIDLen {
		// Kept, it would fail its whole page at the store or the index on every retry.
		return Offer{}, fmt.Errorf("offer id of %d bytes: want at most %d", len(id), MaxOfferIDLen)
	}
	if i := strings.IndexFunc(id, notOfferIDRune); i >= 0 {
		// The same: Meilisearch refuses such a primary key and fails the whole batch.
		r, _ := utf8.DecodeRuneInString(id[i:])
		return Offer{}, fmt.Errorf("offer id %q has %q at byte %d: want only A-Z, a-z, 0-9, '-' and '_'", id, r, i)
	}
	if !w.PriceInfo.Price.set {
		return Offer{}, errors.New("no priceInfo.price")
	}
	o := Offer{
		OfferID:        id,
		Subject:        w.Subject,
		SubjectTrans:   w.SubjectTrans,
		ImageURL:       w.ImageURL,
		Price:          w.PriceInfo.Price.f,
		MonthSold:      w.MonthSold.n,
		RepurchaseRate: w.RepurchaseRate.f,
		IsJxhy:         w.IsJxhy.b,
		CategoryID:     w.CategoryID.text,
		SellerOpenID:   w.SellerOpenID,
	}
	o.JxhyPrice = optionalPrice(w.PriceInfo.JxhyPrice, prices)
	o.PfJxhyPrice = optionalPrice(w.PriceInfo.PfJxhyPrice, prices)
	return o, nil
}

func optionalPrice(v wirePrice, prices *[]float64) *float64 {
	if !v.set {
		return nil
	}
	if len(*prices) == cap(*prices) { // not expected: the caller sized the array
		f := v.f
		return &f
	}
	*prices = append(*prices, v.f)
	return &(*prices)[len(*prices)-1]
}

// MaxOfferIDLen is the longest offer id an item may carry: the most any index backend
// takes as a primary key (Meilisearch: 511 bytes; bbolt keys: 32 KiB). An item with a
// longer id is invalid, so it costs its item, never the job. Ids are also limited to the
// characters Meilisearch takes in a primary key (notOfferIDRune): numeric offerIds and
// the URL-safe tokens of offerMapId are made of them.
const MaxOfferIDLen = 511

// notOfferIDRune reports a character an offer id may not contain: anything but ASCII
// letters, digits, '-' and '_'.
func notOfferIDRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// fieldRule says what a field must look like, for item errors.
var fieldRule = map[string]string{
	"offerMapId":            "want a string or an integer",
	"offerId":               "want a string or an integer",
	"categoryId":            "want a string or an integer",
	"priceInfo.price":       "want a non-negative decimal string",
	"priceInfo.jxhyPrice":   "want a non-negative decimal string or null",
	"priceInfo.pfJxhyPrice": "want a non-negative decimal string or null",
	"monthSold":             "want a non-negative integer",
	"repurchaseRate":        `want a percentage from "0%" to "100%" or a fraction from 0 to 1`,
	"isJxhy":                "want a boolean, 0 or 1",
}

// detailEnvelope is the envelope of the detail endpoint, whose data is one item.
type detailEnvelope struct {
	envelopeHead
	Data *wireItem `json:"data"`
}

// errNoData is returned by decodeDetail for a success envelope without data.
var errNoData = errors.New("upstream answered without data")

// decodeDetail decodes the body of a detail response into one offer. An item that does not
// normalise is returned as an ItemError wrapped in ErrUnexpectedShape.
func decodeDetail(body []byte, secret string) (*Offer, error) {
	var env detailEnvelope
	itemErr := error(nil)
	if err := json.Unmarshal(body, &env); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			return nil, bodyError(err)
		}
		var head envelopeHead
		if json.Unmarshal(body, &head) != nil {
			return nil, fmt.Errorf("%w: the response is not a JSON object", ErrUnexpectedShape)
		}
		env = detailEnvelope{envelopeHead: head}
		itemErr = describeTypeError(err)
	}
	if err := env.check(secret); err != nil {
		return nil, err
	}
	if itemErr == nil && env.Data == nil {
		return nil, fmt.Errorf("%w: %w", ErrUnexpectedShape, errNoData)
	}
	var o Offer
	if itemErr == nil {
		prices := make([]float64, 0, 2)
		o, itemErr = env.Data.offer(&prices)
	}
	if itemErr != nil {
		id := ""
		if env.Data != nil {
			id = sanitize(env.Data.id(), secret)
		}
		return nil, fmt.Errorf("%w: %w", ErrUnexpectedShape, ItemError{OfferID: id, Err: redact(itemErr, secret)})
	}
	return &o, nil
}

// bodyError marks a body that is not complete JSON (truncated, an HTML error page) as
// transient.
func bodyError(err error) error {
	return &transientError{reason: "body", err: fmt.Errorf("decode upstream response: %w", err)}
}

// redact returns err with the secret key cut out of its text. Item errors quote what
// upstream sent for a bad value, and a broken upstream or proxy may echo anything.
func redact(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[redacted]"))
}
