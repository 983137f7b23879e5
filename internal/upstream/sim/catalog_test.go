package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// sameRequests sends one fixed sequence of requests, with a fixed clock and nonce so the
// requests are byte-identical too, and returns the answers.
func sameRequests(t *testing.T, seed int64) [][]byte {
	t.Helper()
	h := newHarness(t, Options{Seed: seed, Now: func() time.Time { return time.UnixMilli(1715669977082) }})
	h.now = h.sim.opts.Now
	queries := []upstream.Query{
		{Kind: upstream.KindKeyword, Keyword: "T恤"},
		{Kind: upstream.KindCategory, CategoryID: "1042754"},
		{Kind: upstream.KindHotlist, RankType: "complex"},
		{Kind: upstream.KindRecommend},
	}
	var out [][]byte
	for _, q := range queries {
		path, body := bodyFor(q, 2, 10)
		status, b := h.do(h.request(path, body))
		if status != http.StatusOK {
			t.Fatalf("HTTP %d", status)
		}
		out = append(out, b)
	}
	return out
}

func TestNew_SameSeed_IdenticalAnswers(t *testing.T) {
	a, b := sameRequests(t, 7), sameRequests(t, 7)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("answer %d differs between two servers with seed 7:\n%s\n%s", i, a[i], b[i])
		}
	}
}

func TestNew_DifferentSeed_DifferentCatalog(t *testing.T) {
	a, b := New(Options{Offers: 1000, Seed: 1}), New(Options{Offers: 1000, Seed: 2})
	same := 0
	for i := range a.cat.offers {
		if a.cat.offers[i].id == b.cat.offers[i].id {
			same++
		}
	}
	if same > 10 {
		t.Fatalf("%d of 1000 offer ids are the same for seeds 1 and 2", same)
	}
	if slices.Equal(a.Sellers(), b.Sellers()) {
		t.Fatal("seeds 1 and 2 have the same sellers")
	}
	q := upstream.Query{Kind: upstream.KindKeyword, Keyword: "t-shirt"}
	if slices.Equal(a.Matches(q), b.Matches(q)) {
		t.Fatal("seeds 1 and 2 answer a query the same way")
	}
}

// TestCatalog_Shape checks the distributions the rest of the project relies on to look
// real: null prices, the jxhy share, price range, the sales long tail, repurchase range,
// and sellers trading in one or two families.
func TestCatalog_Shape(t *testing.T) {
	s := New(Options{Offers: testOffers})
	c := s.cat
	var nullJx, jx, cheap, over10k, under100, over1000 int
	sellerFams := map[int32]map[uint8]bool{}
	for i := range c.offers {
		o := &c.offers[i]
		if o.jxhy < 0 {
			nullJx++
		}
		if o.jx {
			jx++
		}
		if o.price >= 100 && o.price <= 30000 {
			cheap++
		}
		if o.price > 100000 {
			over1000++
		}
		if o.monthSold > 10000 {
			over10k++
		}
		if o.monthSold < 100 {
			under100++
		}
		if o.repurchase > 80 {
			t.Fatalf("repurchase %d%% > 80%%", o.repurchase)
		}
		if sellerFams[o.seller] == nil {
			sellerFams[o.seller] = map[uint8]bool{}
		}
		sellerFams[o.seller][o.family] = true
	}
	n := float64(len(c.offers))
	within := func(name string, got, lo, hi float64) {
		if got < lo || got > hi {
			t.Errorf("%s = %.3f, want %.2f..%.2f", name, got, lo, hi)
		}
	}
	within("share of null jxhyPrice", float64(nullJx)/n, 0.5, 0.7)
	within("share of isJxhy", float64(jx)/n, 0.15, 0.25)
	within("share of prices 1..300", float64(cheap)/n, 0.9, 0.99)
	if over1000 == 0 {
		t.Error("no offer costs over 1,000 yuan")
	}
	within("share of monthSold < 100", float64(under100)/n, 0.85, 0.99)
	if over10k == 0 {
		t.Error("no offer sells over 10,000 a month")
	}
	if want := testOffers / 20; len(c.sellers) != want {
		t.Errorf("%d sellers, want %d", len(c.sellers), want)
	}
	for s, fams := range sellerFams {
		if len(fams) > 2 {
			t.Errorf("seller %d trades in %d families", s, len(fams))
		}
	}
	if len(families) < 8 || len(families) > 12 {
		t.Errorf("%d families, want 8..12", len(families))
	}
}

func TestCatalog_OfferIDsRoundTrip(t *testing.T) {
	s := New(Options{Offers: 5000})
	seen := map[uint64]bool{}
	for i := range s.cat.offers {
		o := &s.cat.offers[i]
		if seen[o.id] {
			t.Fatalf("duplicate id %d", o.id)
		}
		seen[o.id] = true
		id := strconv.FormatUint(o.id, 10)
		if len(id) != 12 {
			t.Fatalf("id %s is not 12 digits", id)
		}
		if ix, ok := s.cat.lookupString(id); !ok || ix != int32(i) {
			t.Fatalf("lookup(%s) = %d, %v; want %d", id, ix, ok, i)
		}
		if ix, ok := s.cat.offerOfImage(s.cat.imageURL(o, ""), ""); !ok || ix != int32(i) {
			t.Fatalf("offerOfImage(%s) = %d, %v; want %d", s.cat.imageURL(o, ""), ix, ok, i)
		}
	}
	if _, ok := s.cat.lookupString("600000000000"); ok && len(s.cat.offers) < 2 {
		t.Fatal("unexpected id")
	}
	if _, ok := s.cat.offerOfImage("https://cbu01.alicdn.com/img/ibank/O1CN01Gf8JoQ20i0lN5N8v2_!!2207943566882-0-cib.jpg", ""); ok {
		t.Fatal("a foreign picture URL was taken for one of ours")
	}
}

func TestVocab_NeedsNoEscaping(t *testing.T) {
	for _, tok := range vocab.tokens {
		if string(tok.zhJSON) != tok.zh || string(tok.enJSON) != tok.en {
			t.Fatalf("token %q/%q needs JSON escaping; subject() assumes it does not", tok.zh, tok.en)
		}
	}
	var titles struct{ A, B string }
	o := offer{family: 0, noun: 1, mods: [maxMods]uint8{1, 4, 8, 47}}
	raw := `{"A":"` + string(appendSubject(nil, &o)) + `","B":"` + string(appendSubjectTrans(nil, &o)) + `"}`
	if err := json.Unmarshal([]byte(raw), &titles); err != nil {
		t.Fatal(err)
	}
	if titles.A != "夏季男士纯棉长袖T恤批发" || titles.B != "Summer men's cotton long sleeve t-shirt wholesale" {
		t.Fatalf("titles %q / %q", titles.A, titles.B)
	}
}

// TestNew_MillionOffers builds the largest catalog the simulator promises to handle. Run it
// with `go test ./internal/upstream/sim -run Million` (skipped with -short or -race).
func TestNew_MillionOffers(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds a 1,000,000-offer catalog; run without -short and -race")
	}
	start := time.Now()
	s := New(Options{Offers: 1_000_000})
	took := time.Since(start)
	t.Logf("built 1,000,000 offers in %s", took)
	if took > 15*time.Second { // generous: CI machines are shared
		t.Errorf("build took %s, want a few seconds", took)
	}
	ids := s.Matches(upstream.Query{Kind: upstream.KindKeyword, Keyword: "纯棉T恤"})
	if len(ids) != MaxResults {
		t.Fatalf("纯棉T恤 matched %d offers, want the cap %d", len(ids), MaxResults)
	}
	q := time.Now()
	s.Matches(upstream.Query{Kind: upstream.KindHotlist, RankType: "goodPrice"})
	t.Logf("hot list goodPrice over 1,000,000 offers in %s", time.Since(q))
}
