package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

const testSecret = "test-secret-DO-NOT-LEAK-7f3a9c"

// pageBody wraps items in a success envelope of one page.
func pageBody(items ...string) []byte {
	return []byte(`{"requestId":"657eee317da94075bf4301116f7d61d9","code":200,"developId":1110890638347337996,"msg":"成功",` +
		`"data":{"totalRecords":2000,"totalPage":401,"pageSize":5,"currentPage":1,"data":[` + strings.Join(items, ",") + `]}}`)
}

// seedItem is the item of the image-search example (API.md §1.9).
const seedItem = `{"imageUrl":"https://cbu01.alicdn.com/O1CN01ddr4sG20i0lNyQDzs_!!2207943566882-0-cib.jpg",` +
	`"subject":"国潮男装t恤230g重磅短袖男女纯棉体恤宽松圆领团服打底衫衣服潮","subjectTrans":"T-shirt men's national tide 230g heavy cotton",` +
	`"offerMapId":"wmNAp5CyEQ2fatKAZGGMWQ","isJxhy":true,"priceInfo":{"price":"16.00","jxhyPrice":null,"pfJxhyPrice":null},` +
	`"repurchaseRate":"41%","monthSold":97822}`

func TestDecodePage_SeedItem(t *testing.T) {
	p, err := decodePage(pageBody(seedItem), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if p.RequestID != "657eee317da94075bf4301116f7d61d9" || p.TotalRecords != 2000 || p.TotalPage != 401 ||
		p.PageSize != 5 || p.CurrentPage != 1 {
		t.Errorf("page fields = %+v", p)
	}
	if len(p.Offers) != 1 || len(p.Invalid) != 0 {
		t.Fatalf("offers %d invalid %v", len(p.Offers), p.Invalid)
	}
	o := p.Offers[0]
	want := Offer{OfferID: "wmNAp5CyEQ2fatKAZGGMWQ", Subject: "国潮男装t恤230g重磅短袖男女纯棉体恤宽松圆领团服打底衫衣服潮",
		SubjectTrans: "T-shirt men's national tide 230g heavy cotton",
		ImageURL:     "https://cbu01.alicdn.com/O1CN01ddr4sG20i0lNyQDzs_!!2207943566882-0-cib.jpg",
		Price:        16, MonthSold: 97822, RepurchaseRate: 0.41, IsJxhy: true}
	if fmt.Sprint(o) != fmt.Sprint(want) {
		t.Errorf("offer =\n%+v\nwant\n%+v", o, want)
	}
}

// item returns seedItem with fields replaced (a value of "" removes the field).
func item(fields map[string]string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(seedItem), &m); err != nil {
		panic(err)
	}
	for k, v := range fields {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = json.RawMessage(v)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func ptr(f float64) *float64 { return &f }

func TestDecodePage_Fields(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]string
		check  func(Offer) bool
		bad    string // substring of the item error; "" means the item is valid
	}{
		{"offerMapId number", map[string]string{"offerMapId": `706627393257`}, func(o Offer) bool { return o.OfferID == "706627393257" }, ""},
		{"offerId fallback", map[string]string{"offerMapId": "", "offerId": `"abc"`}, func(o Offer) bool { return o.OfferID == "abc" }, ""},
		{"offerId 19 digits", map[string]string{"offerMapId": `null`, "offerId": `1110890638347337996`}, func(o Offer) bool { return o.OfferID == "1110890638347337996" }, ""},
		{"no id", map[string]string{"offerMapId": ""}, nil, "no offerMapId or offerId"},
		{"empty id", map[string]string{"offerMapId": `""`}, nil, "no offerMapId or offerId"},
		{"id float", map[string]string{"offerMapId": `1.5`}, nil, "invalid offerMapId 1.5"},
		{"id object", map[string]string{"offerMapId": `{}`}, nil, "invalid offerMapId"},
		{"escaped subject", map[string]string{"subject": `"a\"b\u00e9"`}, func(o Offer) bool { return o.Subject == `a"bé` }, ""},
		{"null subject", map[string]string{"subject": `null`}, func(o Offer) bool { return o.Subject == "" }, ""},
		{"subject number", map[string]string{"subject": `12`}, nil, "field subject is a JSON number"},
		{"jxhy prices", map[string]string{"priceInfo": `{"price":"16.5","jxhyPrice":"15.00","pfJxhyPrice":"14"}`},
			func(o Offer) bool {
				return o.Price == 16.5 && o.JxhyPrice != nil && *o.JxhyPrice == 15 && o.PfJxhyPrice != nil && *o.PfJxhyPrice == 14
			}, ""},
		{"price number", map[string]string{"priceInfo": `{"price":3.25}`}, func(o Offer) bool { return o.Price == 3.25 && o.JxhyPrice == nil }, ""},
		{"price zero", map[string]string{"priceInfo": `{"price":"0"}`}, func(o Offer) bool { return o.Price == 0 }, ""},
		{"empty jxhy price", map[string]string{"priceInfo": `{"price":"1","jxhyPrice":""}`}, func(o Offer) bool { return o.JxhyPrice == nil }, ""},
		{"price null", map[string]string{"priceInfo": `{"price":null}`}, nil, "no priceInfo.price"},
		{"price empty", map[string]string{"priceInfo": `{"price":""}`}, nil, "no priceInfo.price"},
		{"priceInfo null", map[string]string{"priceInfo": `null`}, nil, "no priceInfo.price"},
		{"priceInfo missing", map[string]string{"priceInfo": ""}, nil, "no priceInfo.price"},
		{"priceInfo string", map[string]string{"priceInfo": `"16.00"`}, nil, "priceInfo is a JSON string"},
		{"price negative", map[string]string{"priceInfo": `{"price":"-1"}`}, nil, "invalid priceInfo.price"},
		{"price NaN", map[string]string{"priceInfo": `{"price":"NaN"}`}, nil, "invalid priceInfo.price"},
		{"price Inf", map[string]string{"priceInfo": `{"price":"Inf"}`}, nil, "invalid priceInfo.price"},
		{"price overflow", map[string]string{"priceInfo": `{"price":"1e999"}`}, nil, "invalid priceInfo.price"},
		{"price hex", map[string]string{"priceInfo": `{"price":"0x10"}`}, nil, "invalid priceInfo.price"},
		{"price range", map[string]string{"priceInfo": `{"price":"16.00-20.00"}`}, nil, "invalid priceInfo.price"},
		{"jxhy price bad", map[string]string{"priceInfo": `{"price":"1","jxhyPrice":"x"}`}, nil, "invalid priceInfo.jxhyPrice"},
		{"monthSold string", map[string]string{"monthSold": `"97822"`}, func(o Offer) bool { return o.MonthSold == 97822 }, ""},
		{"monthSold integral float", map[string]string{"monthSold": `12.0`}, func(o Offer) bool { return o.MonthSold == 12 }, ""},
		{"monthSold null", map[string]string{"monthSold": `null`}, func(o Offer) bool { return o.MonthSold == 0 }, ""},
		{"monthSold fraction", map[string]string{"monthSold": `1.5`}, nil, "invalid monthSold"},
		{"monthSold negative", map[string]string{"monthSold": `-3`}, nil, "invalid monthSold"},
		{"monthSold words", map[string]string{"monthSold": `"1万+"`}, nil, "invalid monthSold"},
		{"monthSold huge", map[string]string{"monthSold": `99999999999999999999`}, nil, "invalid monthSold"},
		{"rate 5%", map[string]string{"repurchaseRate": `"5%"`}, func(o Offer) bool { return o.RepurchaseRate == 0.05 }, ""},
		{"rate 100%", map[string]string{"repurchaseRate": `"100%"`}, func(o Offer) bool { return o.RepurchaseRate == 1 }, ""},
		{"rate 0%", map[string]string{"repurchaseRate": `"0%"`}, func(o Offer) bool { return o.RepurchaseRate == 0 }, ""},
		{"rate 12.5%", map[string]string{"repurchaseRate": `"12.5%"`}, func(o Offer) bool { return o.RepurchaseRate == 0.125 }, ""},
		{"rate fraction string", map[string]string{"repurchaseRate": `"0.41"`}, func(o Offer) bool { return o.RepurchaseRate == 0.41 }, ""},
		{"rate fraction number", map[string]string{"repurchaseRate": `0.41`}, func(o Offer) bool { return o.RepurchaseRate == 0.41 }, ""},
		{"rate empty", map[string]string{"repurchaseRate": `""`}, func(o Offer) bool { return o.RepurchaseRate == 0 }, ""},
		{"rate missing", map[string]string{"repurchaseRate": ""}, func(o Offer) bool { return o.RepurchaseRate == 0 }, ""},
		{"rate 200%", map[string]string{"repurchaseRate": `"200%"`}, nil, `invalid repurchaseRate "200%"`},
		{"rate negative", map[string]string{"repurchaseRate": `"-5%"`}, nil, "invalid repurchaseRate"},
		{"rate bare 41", map[string]string{"repurchaseRate": `"41"`}, nil, "invalid repurchaseRate"},
		{"rate NaN%", map[string]string{"repurchaseRate": `"NaN%"`}, nil, "invalid repurchaseRate"},
		{"rate %", map[string]string{"repurchaseRate": `"%"`}, nil, "invalid repurchaseRate"},
		{"isJxhy false", map[string]string{"isJxhy": `false`}, func(o Offer) bool { return !o.IsJxhy }, ""},
		{"isJxhy string", map[string]string{"isJxhy": `"true"`}, func(o Offer) bool { return o.IsJxhy }, ""},
		{"isJxhy 1", map[string]string{"isJxhy": `1`}, func(o Offer) bool { return o.IsJxhy }, ""},
		{"isJxhy 0", map[string]string{"isJxhy": `0`}, func(o Offer) bool { return !o.IsJxhy }, ""},
		{"isJxhy null", map[string]string{"isJxhy": `null`}, func(o Offer) bool { return !o.IsJxhy }, ""},
		{"isJxhy 2", map[string]string{"isJxhy": `2`}, nil, "invalid isJxhy 2"},
		{"isJxhy yes", map[string]string{"isJxhy": `"yes"`}, nil, "invalid isJxhy"},
		{"categoryId number", map[string]string{"categoryId": `1033054`}, func(o Offer) bool { return o.CategoryID == "1033054" }, ""},
		{"categoryId string", map[string]string{"categoryId": `"72"`}, func(o Offer) bool { return o.CategoryID == "72" }, ""},
		{"categoryId bool", map[string]string{"categoryId": `true`}, nil, "invalid categoryId"},
		{"sellerOpenId", map[string]string{"sellerOpenId": `"BBBgGWh2O6JFI6v1aQuZVgRIA"`}, func(o Offer) bool { return o.SellerOpenID == "BBBgGWh2O6JFI6v1aQuZVgRIA" }, ""},
		{"unknown fields ignored", map[string]string{"traceInfo": `{"x":[1,2]}`}, func(o Offer) bool { return o.OfferID == "wmNAp5CyEQ2fatKAZGGMWQ" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The item sits between two good ones: its fault must cost only itself.
			p, err := decodePage(pageBody(seedItem, item(tt.fields), seedItem), testSecret)
			if err != nil {
				t.Fatalf("page error: %v", err)
			}
			if tt.bad == "" {
				if len(p.Invalid) != 0 || len(p.Offers) != 3 {
					t.Fatalf("invalid = %v, offers = %d", p.Invalid, len(p.Offers))
				}
				if !tt.check(p.Offers[1]) {
					t.Errorf("offer = %+v", p.Offers[1])
				}
				return
			}
			if len(p.Invalid) != 1 || len(p.Offers) != 2 {
				t.Fatalf("invalid = %v, offers = %d", p.Invalid, len(p.Offers))
			}
			ie := p.Invalid[0]
			if ie.Index != 1 || !strings.Contains(ie.Error(), tt.bad) {
				t.Errorf("item error = %v (index %d), want it to contain %q", ie, ie.Index, tt.bad)
			}
		})
	}
}

func TestDecodePage_InvalidItemKeepsID(t *testing.T) {
	p, err := decodePage(pageBody(item(map[string]string{"monthSold": `"many"`})), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Invalid) != 1 || p.Invalid[0].OfferID != "wmNAp5CyEQ2fatKAZGGMWQ" {
		t.Fatalf("invalid = %+v", p.Invalid)
	}
}

func TestDecodePage_NonObjectItems(t *testing.T) {
	p, err := decodePage(pageBody(seedItem, `null`, `42`, `"x"`, `[1]`, seedItem), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Offers) != 2 {
		t.Errorf("offers = %d, want 2", len(p.Offers))
	}
	var idx []int
	for _, ie := range p.Invalid {
		idx = append(idx, ie.Index)
	}
	if fmt.Sprint(idx) != "[1 2 3 4]" {
		t.Errorf("invalid indexes = %v, want [1 2 3 4]: %v", idx, p.Invalid)
	}
}

func TestDecodePage_DevelopID(t *testing.T) {
	for _, dev := range []string{`1110890638347337996`, `"1110890638347337996"`, `null`, `""`, `"n/a"`, `1.5e3`} {
		body := []byte(`{"requestId":"r","code":200,"developId":` + dev + `,"msg":"成功","data":{"totalPage":1,"data":[` + seedItem + `]}}`)
		p, err := decodePage(body, testSecret)
		if err != nil || len(p.Offers) != 1 {
			t.Errorf("developId %s: err %v", dev, err)
		}
	}
	// The exported Envelope keeps the 19 digits exactly, quoted or not.
	for _, dev := range []string{`1110890638347337996`, `"1110890638347337996"`} {
		var env Envelope
		if err := json.Unmarshal([]byte(`{"code":200,"developId":`+dev+`}`), &env); err != nil {
			t.Fatal(err)
		}
		if env.DevelopID.String() != "1110890638347337996" {
			t.Errorf("Envelope.DevelopID = %s", env.DevelopID)
		}
	}
	var h envelopeHead
	if err := json.Unmarshal([]byte(`{"developId":1110890638347337996}`), &h); err != nil || h.DevelopID.text != "1110890638347337996" {
		t.Errorf("developId = %q, %v", h.DevelopID.text, err)
	}
}

func TestDecodePage_Envelope(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		offers    int
		code      int  // an *APIError with this code
		transient bool // a transient body error
		shape     bool // wraps ErrUnexpectedShape
	}{
		{name: "empty page", body: `{"code":200,"data":{"totalPage":3,"data":[]}}`},
		{name: "null data", body: `{"code":200,"data":null}`},
		{name: "no data", body: `{"code":200}`},
		{name: "null items", body: `{"code":200,"data":{"data":null}}`},
		{name: "code as string", body: `{"code":"200","data":{"data":[` + seedItem + `]}}`, offers: 1},
		{name: "paging as strings", body: `{"code":200,"data":{"totalPage":"3","currentPage":"1","data":[` + seedItem + `]}}`, offers: 1},
		{name: "quota", body: `{"requestId":"r1","code":429,"msg":"too many requests","data":null}`, code: 429},
		{name: "bad signature", body: `{"code":401,"msg":"sign error","data":"ignored"}`, code: 401},
		{name: "error with odd data", body: `{"code":500,"msg":{"x":1},"data":[1,2]}`, code: 500},
		{name: "missing code", body: `{"data":{"data":[]}}`, code: 0},
		{name: "truncated", body: string(pageBody(seedItem))[:150], transient: true},
		{name: "empty", body: ``, transient: true},
		{name: "html", body: `<html><body>502 Bad Gateway</body></html>`, transient: true},
		{name: "array", body: `[]`, shape: true},
		{name: "items not array", body: `{"code":200,"data":{"data":{"a":1}}}`, shape: true},
		{name: "data is string", body: `{"code":200,"data":"oops"}`, shape: true},
		{name: "code not int", body: `{"code":"ok","data":null}`, shape: true},
		{name: "negative totalPage", body: `{"code":200,"data":{"totalPage":-1,"data":[]}}`, shape: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodePage([]byte(tt.body), testSecret)
			var ae *APIError
			switch {
			case tt.code != 0 || strings.Contains(tt.name, "missing code"):
				if !errors.As(err, &ae) || ae.Code != tt.code {
					t.Fatalf("err = %v, want APIError code %d", err, tt.code)
				}
			case tt.transient:
				if _, transient := classify(err); err == nil || !transient {
					t.Fatalf("err = %v, want a transient error", err)
				}
			case tt.shape:
				if !errors.Is(err, ErrUnexpectedShape) || !IsPermanent(err) {
					t.Fatalf("err = %v, want a permanent ErrUnexpectedShape", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Offers) != tt.offers || len(p.Invalid) != 0 {
					t.Errorf("offers %d invalid %v, want %d offers", len(p.Offers), p.Invalid, tt.offers)
				}
			}
		})
	}
}

func TestDecodePage_PoolReuseDoesNotLeakFields(t *testing.T) {
	// A later page whose item lacks fields must not inherit them from a pooled earlier page.
	full := item(map[string]string{"categoryId": `"77"`, "sellerOpenId": `"S1"`,
		"priceInfo": `{"price":"1","jxhyPrice":"2","pfJxhyPrice":"3"}`})
	sparse := `{"offerMapId":"x","priceInfo":{"price":"5"}}`
	for range 3 {
		if _, err := decodePage(pageBody(full, full, full), testSecret); err != nil {
			t.Fatal(err)
		}
		p, err := decodePage(pageBody(sparse), testSecret)
		if err != nil {
			t.Fatal(err)
		}
		o := p.Offers[0]
		if o.CategoryID != "" || o.SellerOpenID != "" || o.JxhyPrice != nil || o.Subject != "" || o.MonthSold != 0 || o.IsJxhy {
			t.Fatalf("stale fields in %+v", o)
		}
	}
}

func TestDecodePage_PricesDoNotAlias(t *testing.T) {
	a := item(map[string]string{"offerMapId": `"a"`, "priceInfo": `{"price":"1","jxhyPrice":"2","pfJxhyPrice":"3"}`})
	b := item(map[string]string{"offerMapId": `"b"`, "priceInfo": `{"price":"4","jxhyPrice":"5","pfJxhyPrice":"6"}`})
	p, err := decodePage(pageBody(a, b), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(*p.Offers[0].JxhyPrice, *p.Offers[0].PfJxhyPrice, *p.Offers[1].JxhyPrice, *p.Offers[1].PfJxhyPrice)
	if got != "2 3 5 6" {
		t.Errorf("optional prices = %s, want 2 3 5 6", got)
	}
}

func TestDecodePage_Allocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	items := make([]string, 50)
	for i := range items {
		items[i] = item(map[string]string{"offerMapId": fmt.Sprintf(`"id%d"`, i),
			"priceInfo": `{"price":"16.00","jxhyPrice":"15.50","pfJxhyPrice":null}`, "categoryId": `1033054`})
	}
	body := pageBody(items...)
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := decodePage(body, testSecret); err != nil {
			t.Fatal(err)
		}
	})
	// Per item: offer id, subject, subjectTrans, imageUrl, categoryId. Per page: the Page,
	// its Offers, the price array, the request id and a few for encoding/json itself.
	const perItem, perPage = 5, 20
	if limit := float64(perItem*len(items) + perPage); allocs > limit {
		t.Errorf("decodePage of %d items: %.0f allocations, want at most %.0f", len(items), allocs, limit)
	}
	t.Logf("decodePage of %d items: %.0f allocations", len(items), allocs)
}

func TestDecodeDetail(t *testing.T) {
	o, err := decodeDetail([]byte(`{"code":200,"developId":1034048464150856547,"data":{"offerId":706627393257,"categoryId":1033054,`+
		`"subject":"PVC插页文件夹","priceInfo":{"price":"3.10"}}}`), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if o.OfferID != "706627393257" || o.CategoryID != "1033054" || o.Price != 3.1 {
		t.Errorf("offer = %+v", o)
	}
	_, err = decodeDetail([]byte(`{"code":200,"data":{"offerId":"x"}}`), testSecret)
	var ie ItemError
	if !errors.As(err, &ie) || ie.OfferID != "x" || !IsPermanent(err) {
		t.Errorf("err = %v, want a permanent ItemError for offer x", err)
	}
	if _, err = decodeDetail([]byte(`{"code":200,"data":null}`), testSecret); !errors.Is(err, ErrUnexpectedShape) {
		t.Errorf("null data: err = %v", err)
	}
	if _, err = decodeDetail([]byte(`{"code":200,"data":"x"}`), testSecret); !errors.Is(err, ErrUnexpectedShape) {
		t.Errorf("string data: err = %v", err)
	}
	var ae *APIError
	if _, err = decodeDetail([]byte(`{"code":404,"msg":"offer not found","data":"x"}`), testSecret); !errors.As(err, &ae) || ae.Code != 404 {
		t.Errorf("404: err = %v", err)
	}
}

func TestParseDecimal(t *testing.T) {
	for s, want := range map[string]float64{"16.00": 16, "0": 0, "0.5": 0.5, ".5": 0.5, "1e3": 1000, "633.69": 633.69} {
		if f, ok := parseDecimal([]byte(s)); !ok || f != want {
			t.Errorf("parseDecimal(%q) = %v, %v; want %v", s, f, ok, want)
		}
	}
	for _, s := range []string{"", "-1", "+1", "NaN", "Inf", "inf", "1e400", "0x1p3", "1_000", " 1", "1.2.3", "e5", "."} {
		if f, ok := parseDecimal([]byte(s)); ok {
			t.Errorf("parseDecimal(%q) = %v, want refused", s, f)
		}
	}
	if f, ok := parseDecimal([]byte("1e-400")); ok && (math.IsNaN(f) || f < 0) {
		t.Errorf("parseDecimal(1e-400) = %v", f)
	}
}

// BenchmarkDecodePage measures decoding alone: one page of 50 offers.
func BenchmarkDecodePage(b *testing.B) {
	items := make([]string, 50)
	for i := range items {
		items[i] = item(map[string]string{"offerMapId": fmt.Sprintf(`"id%d"`, i), "categoryId": `"1031912"`,
			"sellerOpenId": `"BBBrUDqOjeKiMsYNCLXDKoobx"`, "priceInfo": `{"price":"16.00","jxhyPrice":"15.50","pfJxhyPrice":null}`})
	}
	body := pageBody(items...)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePage(body, testSecret); err != nil {
			b.Fatal(err)
		}
	}
}

// An offer id no index takes as a primary key would fail its page at the store or the
// index on every retry, wedging the job: the item is invalid instead, and the page goes on.
func TestDecodePage_OversizedOfferIDIsInvalidItem(t *testing.T) {
	long := strings.Repeat("a", MaxOfferIDLen+1)
	p, err := decodePage(pageBody(item(map[string]string{"offerMapId": `"` + long + `"`}), seedItem), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Offers) != 1 || len(p.Invalid) != 1 || p.Invalid[0].Index != 0 ||
		!strings.Contains(p.Invalid[0].Error(), "offer id of 512 bytes") {
		t.Fatalf("offers %d, invalid %v", len(p.Offers), p.Invalid)
	}
	ok := strings.Repeat("a", MaxOfferIDLen)
	if p, err := decodePage(pageBody(item(map[string]string{"offerMapId": `"` + ok + `"`})), testSecret); err != nil || len(p.Offers) != 1 {
		t.Fatalf("id of %d bytes: err %v, page %+v", MaxOfferIDLen, err, p)
	}
}

// Meilisearch refuses a primary key with other characters than A-Z, a-z, 0-9, - and _ and
// fails the whole batch: such an item is invalid, and the rest of its page goes on.
func TestDecodePage_OfferIDCharacters(t *testing.T) {
	for _, tt := range []struct {
		id, field string
		ok        bool
	}{
		{`"f6vE-dfY1NV37oG_fz9WSA"`, "offerMapId", true},
		{`706627393257`, "offerId", true},
		{`"a b"`, "offerMapId", false},
		{`"abc/def+g=="`, "offerMapId", false},
		{`"商品1"`, "offerMapId", false},
		{`"id.1"`, "offerId", false},
	} {
		p, err := decodePage(pageBody(item(map[string]string{"offerMapId": `""`, tt.field: tt.id}), seedItem), testSecret)
		if err != nil {
			t.Fatal(err)
		}
		if tt.ok {
			if len(p.Offers) != 2 || len(p.Invalid) != 0 {
				t.Errorf("id %s: %d offers, invalid %v; want it kept", tt.id, len(p.Offers), p.Invalid)
			}
			continue
		}
		if len(p.Offers) != 1 || len(p.Invalid) != 1 || p.Invalid[0].Index != 0 ||
			!strings.Contains(p.Invalid[0].Error(), "want only A-Z, a-z, 0-9") {
			t.Errorf("id %s: %d offers, invalid %v; want the item invalid and the other kept", tt.id, len(p.Offers), p.Invalid)
		}
	}
}

// Item errors quote the bad value upstream sent; one that echoes the secret key must not
// carry it into logs.
func TestDecodePage_ItemErrorNeverQuotesSecret(t *testing.T) {
	body := pageBody(item(map[string]string{"monthSold": `"` + testSecret + `"`}))
	p, err := decodePage(body, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Invalid) != 1 {
		t.Fatalf("invalid = %v", p.Invalid)
	}
	if msg := p.Invalid[0].Error(); strings.Contains(msg, testSecret) || !strings.Contains(msg, "monthSold") {
		t.Errorf("item error %q", msg)
	}
	_, err = decodeDetail([]byte(`{"code":200,"data":`+item(map[string]string{"monthSold": `"` + testSecret + `"`})+`}`), testSecret)
	if err == nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("detail error %v", err)
	}
}
