package upstream

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// FuzzDecodePage feeds arbitrary bodies to the page decoder. Run it with
//
//	go test ./internal/upstream -run '^$' -fuzz FuzzDecodePage -fuzztime 60s
//
// It checks that decoding never panics and that a decoded page keeps its invariants: every
// item of data.data is either an offer or an ItemError, once; rates lie in 0..1; prices
// and counts are finite and non-negative; every offer has an id. A failure is one of the
// three documented kinds.
func FuzzDecodePage(f *testing.F) {
	for _, seed := range []string{
		string(pageBody(seedItem)),
		string(pageBody(seedItem, item(map[string]string{"offerMapId": `706627393257`, "monthSold": `"12"`, "isJxhy": `1`,
			"priceInfo": `{"price":"1.5","jxhyPrice":"1.20","pfJxhyPrice":null}`, "categoryId": `1033054`}))),
		string(pageBody(item(map[string]string{"repurchaseRate": `"200%"`}), `null`, `7`, item(map[string]string{"subject": `1`}))),
		string(pageBody(item(map[string]string{"priceInfo": `{"price":"NaN"}`}), item(map[string]string{"monthSold": `-1`}))),
		string(pageBody(item(map[string]string{"priceInfo": `"16.00"`, "repurchaseRate": `0.41`}))),
		`{"requestId":"r","code":200,"developId":"1110890638347337996","msg":"成功","data":{"totalRecords":"2000","totalPage":401,"data":[]}}`,
		`{"code":200,"data":null}`,
		`{"code":200,"data":{"data":{"a":1}}}`,
		`{"code":429,"msg":"over quota","data":null}`,
		`{"code":"x"}`,
		`{"code":200,"data":{"totalPage":-1}}`,
		`[1,2,3]`,
		`<html>502 Bad Gateway</html>`,
		string(pageBody(seedItem))[:120],
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePage(body, testSecret)
		if err != nil {
			var ae *APIError
			_, transient := classify(err)
			if !errors.As(err, &ae) && !errors.Is(err, ErrUnexpectedShape) && !transient {
				t.Fatalf("undocumented error %T: %v", err, err)
			}
			if p != nil {
				t.Fatal("a page and an error")
			}
			return
		}
		var raw struct {
			Data struct {
				Data []json.RawMessage `json:"data"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatalf("decoded a body whose items encoding/json cannot find: %v", err)
		}
		n := len(raw.Data.Data)
		if len(p.Offers)+len(p.Invalid) != n {
			t.Fatalf("%d items became %d offers and %d invalid", n, len(p.Offers), len(p.Invalid))
		}
		last := -1
		for _, ie := range p.Invalid {
			if ie.Index <= last || ie.Index >= n || ie.Err == nil {
				t.Fatalf("bad item error %+v after index %d of %d", ie, last, n)
			}
			last = ie.Index
		}
		valid := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) && f >= 0 }
		for _, o := range p.Offers {
			if o.OfferID == "" || len(o.OfferID) > MaxOfferIDLen || strings.IndexFunc(o.OfferID, notOfferIDRune) >= 0 || !valid(o.Price) || o.MonthSold < 0 ||
				!(o.RepurchaseRate >= 0 && o.RepurchaseRate <= 1) ||
				(o.JxhyPrice != nil && !valid(*o.JxhyPrice)) || (o.PfJxhyPrice != nil && !valid(*o.PfJxhyPrice)) {
				t.Fatalf("offer breaks an invariant: %+v", o)
			}
		}
		if p.TotalPage < 0 || p.TotalRecords < 0 || p.PageSize < 0 || p.CurrentPage < 0 {
			t.Fatalf("negative paging fields: %+v", p)
		}
	})
}
