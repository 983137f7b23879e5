package sim

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/upstream"
)

// TestEnvelope_WireShape checks an answer byte by byte where API.md is specific: the
// envelope fields, developId as a bare 19-digit number, and the item fields and formats.
func TestEnvelope_WireShape(t *testing.T) {
	h := newHarness(t, Options{})
	path, body := bodyFor(upstream.Query{Kind: upstream.KindKeyword, Keyword: "T恤"}, 1, 50)
	_, raw := h.do(h.request(path, body))
	if !regexp.MustCompile(`^\{"requestId":"[0-9a-f]{32}","code":200,"developId":[1-9][0-9]{18},"msg":"成功","data":\{"totalRecords":`).Match(raw) {
		t.Fatalf("envelope: %.200s", raw)
	}
	env := decodeEnvelope(t, raw)
	if len(env.DevelopID.String()) != 19 {
		t.Fatalf("developId %s", env.DevelopID)
	}
	_, raw2 := h.do(h.request(path, body))
	if env2 := decodeEnvelope(t, raw2); env2.RequestID == env.RequestID || env2.DevelopID != env.DevelopID {
		t.Fatalf("requestIds %s %s, developIds %s %s", env.RequestID, env2.RequestID, env.DevelopID, env2.DevelopID)
	}
	var pd struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(env.Data, &pd); err != nil {
		t.Fatal(err)
	}
	str := func(item map[string]json.RawMessage, field string, re string) string {
		var s string
		if err := json.Unmarshal(item[field], &s); err != nil || !regexp.MustCompile(re).MatchString(s) {
			t.Fatalf("%s = %s, want a string matching %s", field, item[field], re)
		}
		return s
	}
	nulls := 0
	for _, it := range pd.Data {
		str(it, "offerMapId", `^[0-9]{12}$`)
		str(it, "subject", `T恤`)
		str(it, "subjectTrans", `^[A-Z0-9].* t-shirt`)
		str(it, "imageUrl", `^https://cbu01\.alicdn\.com/img/ibank/O1CN01[0-9A-Za-z]{17}_!!22[0-9]{11}-0-cib\.jpg$`)
		str(it, "repurchaseRate", `^[0-9]{1,2}%$`)
		str(it, "categoryId", `^[0-9]+$`)
		str(it, "sellerOpenId", `^BBB[0-9A-Za-z]{22}$`)
		if s := string(it["isJxhy"]); s != "true" && s != "false" {
			t.Fatalf("isJxhy %s", s)
		}
		if !regexp.MustCompile(`^[0-9]+$`).Match(it["monthSold"]) {
			t.Fatalf("monthSold %s", it["monthSold"])
		}
		var pi map[string]*string
		if err := json.Unmarshal(it["priceInfo"], &pi); err != nil || len(pi) != 3 || pi["price"] == nil {
			t.Fatalf("priceInfo %s", it["priceInfo"])
		}
		for k, v := range pi {
			if v == nil {
				nulls++
				continue
			}
			if !regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`).MatchString(*v) {
				t.Fatalf("priceInfo.%s = %q", k, *v)
			}
		}
	}
	if nulls == 0 {
		t.Fatal("no null jxhyPrice on a page of 50")
	}
	if !strings.Contains(string(raw), `"jxhyPrice":null`) {
		t.Fatal("null prices are not sent as null")
	}
}
