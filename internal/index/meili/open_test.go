package meili

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/meili/meilitest"
)

// newFake starts a fake Meilisearch server (version meilitest.DefaultVersion, no key) for
// the test; the test fails at the end if the client sent anything Meilisearch would reject.
func newFake(t *testing.T) *meilitest.Server {
	t.Helper()
	return meilitest.Start(t, meilitest.Options{})
}

// openFake opens an Index on f with fast polling; mutate adjusts the options first.
func openFake(t *testing.T, f *meilitest.Server, mutate func(*Options)) *Index {
	t.Helper()
	opts := Options{URL: f.URL(), APIKey: f.APIKey(), TaskTimeout: 5 * time.Second, PollInterval: time.Millisecond}
	if mutate != nil {
		mutate(&opts)
	}
	ix, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func ptr(v float64) *float64 { return &v }

// sampleOffers returns n offers using every field, optional ones on every other offer.
func sampleOffers(n int) []index.Offer {
	out := make([]index.Offer, n)
	for i := range out {
		o := index.Offer{
			OfferID:        fmt.Sprintf("6%011d", i),
			Subject:        fmt.Sprintf("纯棉T恤 %d", i),
			SubjectTrans:   fmt.Sprintf("cotton t-shirt %d", i),
			ImageURL:       fmt.Sprintf("https://cbu01.alicdn.com/img/%d.jpg", i),
			Price:          9.5 + float64(i),
			MonthSold:      int64(100 * i),
			RepurchaseRate: 0.41,
			IsJxhy:         i%2 == 0,
			Sources:        []string{"tees"},
			FirstSeenAt:    1700000000 + int64(i),
			UpdatedAt:      1700000100 + int64(i),
		}
		if i%2 == 0 {
			o.JxhyPrice, o.PfJxhyPrice = ptr(8.8), ptr(8.5)
			o.CategoryID, o.SellerOpenID = "1033054", "BBBseller"+fmt.Sprint(i)
			o.Sources = append(o.Sources, "polo")
		}
		out[i] = o
	}
	return out
}

func TestOpen_CreatesIndexAndAppliesSettings(t *testing.T) {
	f := newFake(t)
	openFake(t, f, nil)

	if got := f.IndexUIDs(); len(got) != 1 || got[0] != "offers" {
		t.Fatalf("indexes = %v, want [offers]", got)
	}
	if pk, _ := f.PrimaryKey("offers"); pk != "offerId" {
		t.Errorf("primary key = %q, want offerId", pk)
	}
	if n := len(f.SettingsPatches()); n != 1 {
		t.Fatalf("settings PATCHes = %d, want 1", n)
	}
	var searchable, ranking []string
	mustJSON(t, f.Setting("offers", "searchableAttributes"), &searchable)
	if fmt.Sprint(searchable) != "[subjectTrans subject]" {
		t.Errorf("searchableAttributes = %v", searchable)
	}
	mustJSON(t, f.Setting("offers", "rankingRules"), &ranking)
	if fmt.Sprint(ranking) != "[words sort typo monthSold:desc proximity attribute exactness]" {
		t.Errorf("rankingRules = %v", ranking)
	}
	var localized []localeRule
	mustJSON(t, f.Setting("offers", "localizedAttributes"), &localized)
	if got := localesOf(localized); got != "subject=[cmn];subjectTrans=[eng];" {
		t.Errorf("localizedAttributes = %s", got)
	}
	var filterable []filterRule
	mustJSON(t, f.Setting("offers", "filterableAttributes"), &filterable)
	byAttr := featuresByAttribute(filterable)
	for _, c := range []struct {
		field      string
		comparison bool
	}{
		{"price", true}, {"monthSold", true}, {"repurchaseRate", true}, {"firstSeenAt", true}, {"updatedAt", true},
		{"categoryId", false}, {"sellerOpenId", false}, {"sources", false}, {"isJxhy", false},
	} {
		ft, ok := byAttr[c.field]
		if !ok || !ft.Filter.Equality || ft.Filter.Comparison != c.comparison || ft.FacetSearch {
			t.Errorf("filterable %s = %+v (present %v), want equality, comparison=%v, no facet search", c.field, ft, ok, c.comparison)
		}
	}
	if _, ok := byAttr["subject"]; ok {
		t.Error("subject is filterable")
	}
	var sortable []string
	mustJSON(t, f.Setting("offers", "sortableAttributes"), &sortable)
	if !sameSet(sortable, []string{"price", "jxhyPrice", "pfJxhyPrice", "monthSold", "repurchaseRate", "firstSeenAt", "updatedAt"}) {
		t.Errorf("sortableAttributes = %v", sortable)
	}
	var typo struct {
		Enabled             bool
		DisableOnNumbers    bool
		MinWordSizeForTypos struct{ OneTypo, TwoTypos int }
	}
	mustJSON(t, f.Setting("offers", "typoTolerance"), &typo)
	if !typo.Enabled || !typo.DisableOnNumbers || typo.MinWordSizeForTypos.OneTypo != 6 || typo.MinWordSizeForTypos.TwoTypos != 9 {
		t.Errorf("typoTolerance = %+v, want enabled, disableOnNumbers, one typo from 6 letters, two from 9", typo)
	}
	// Every settings task was waited for: Open returned after it succeeded.
	for _, tk := range f.Tasks("settingsUpdate") {
		if tk.Final != "succeeded" || tk.Statuses[len(tk.Statuses)-1] != "succeeded" {
			t.Errorf("settings task %d: final %q, served %v", tk.UID, tk.Final, tk.Statuses)
		}
	}
}

func TestOpen_SettingsEqual_NotReapplied(t *testing.T) {
	f := newFake(t)
	openFake(t, f, nil)
	openFake(t, f, nil)
	openFake(t, f, nil)
	if n := len(f.SettingsPatches()); n != 1 {
		t.Errorf("settings PATCHes after three Opens = %d, want 1", n)
	}
	if n := f.CallCount("POST /indexes"); n != 1 {
		t.Errorf("index creations = %d, want 1", n)
	}
}

func TestOpen_SettingsDrift_PatchesOnlyDifferences(t *testing.T) {
	f := newFake(t)
	openFake(t, f, nil)
	// Someone edited the index by hand.
	f.SetSetting("offers", "rankingRules", json.RawMessage(`["words","typo","proximity","attribute","sort","exactness"]`))
	f.SetSetting("offers", "typoTolerance", json.RawMessage(`{"enabled":true,"minWordSizeForTypos":{"oneTypo":6,"twoTypos":9},"disableOnNumbers":false}`))
	openFake(t, f, nil)
	patches := f.SettingsPatches()
	if len(patches) != 2 {
		t.Fatalf("settings PATCHes = %d, want 2", len(patches))
	}
	var keys []string
	for k := range patches[1] {
		keys = append(keys, k)
	}
	if !sameSet(keys, []string{"rankingRules", "typoTolerance"}) {
		t.Errorf("second PATCH sets %v, want only rankingRules and typoTolerance", keys)
	}
	// Only the sub-settings syncd manages: enabled, disableOnWords… keep their values.
	if got, want := string(patches[1]["typoTolerance"]), `{"disableOnNumbers":true,"minWordSizeForTypos":{"oneTypo":6,"twoTypos":9}}`; got != want {
		t.Errorf("typoTolerance patch = %s, want %s", got, want)
	}
}

func TestOpen_ExistingIndexWithOtherPrimaryKey(t *testing.T) {
	f := newFake(t)
	f.PutIndex("offers", "id")
	_, err := Open(context.Background(), Options{URL: f.URL(), PollInterval: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), `primary key "id"`) {
		t.Fatalf("Open = %v, want an error naming the primary key", err)
	}
	if n := f.CallCount("PATCH"); n != 0 {
		t.Errorf("settings were changed (%d PATCHes) on an index syncd cannot use", n)
	}
}

func TestOpen_ServerTooOld(t *testing.T) {
	f := meilitest.Start(t, meilitest.Options{Version: "1.12.3"})
	_, err := Open(context.Background(), Options{URL: f.URL()})
	if err == nil || !strings.Contains(err.Error(), "version 1.12.3") || !strings.Contains(err.Error(), MinVersion) {
		t.Fatalf("Open = %v, want an error naming both versions", err)
	}
	if uids := f.IndexUIDs(); len(uids) != 0 {
		t.Errorf("indexes created on a server too old: %v", uids)
	}
}

func TestOpen_Unreachable_NamesURLQuickly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens on the port any more

	start := time.Now()
	_, err = Open(context.Background(), Options{URL: url})
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if want := "meilisearch at " + url + " is unreachable"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open took %v to fail", d)
	}
}

func TestOpen_APIKeyRefused_KeyNeverShown(t *testing.T) {
	const secret = "s3cret-master-key-do-not-print"
	f := meilitest.Start(t, meilitest.Options{APIKey: "the-right-key"})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	_, err := Open(context.Background(), Options{URL: f.URL(), APIKey: secret, Logger: logger})
	if err == nil {
		t.Fatal("Open succeeded with a wrong key")
	}
	want := "meilisearch at " + f.URL() + " refused the API key (check index.meilisearch.api_key)"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%#v", err), secret) {
		t.Errorf("error shows the API key: %v", err)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("logs show the API key: %s", logs.String())
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Code != "invalid_api_key" {
		t.Errorf("error chain has no 403 invalid_api_key *APIError: %#v", ae)
	}
	// The key was sent as a Bearer token, and only there.
	if auth := f.AuthHeaders(); auth[len(auth)-1] != "Bearer "+secret {
		t.Errorf("Authorization = %q", auth[len(auth)-1])
	}
}

func TestOpen_APIKeyMissing(t *testing.T) {
	f := meilitest.Start(t, meilitest.Options{APIKey: "the-right-key"})
	_, err := Open(context.Background(), Options{URL: f.URL()})
	if err == nil || !strings.Contains(err.Error(), "requires an API key (set index.meilisearch.api_key)") {
		t.Fatalf("Open = %v, want an error saying a key is needed", err)
	}
}

func TestOpen_WithAPIKey(t *testing.T) {
	f := meilitest.Start(t, meilitest.Options{APIKey: "the-right-key"})
	ix := openFake(t, f, nil)
	if err := ix.Upsert(context.Background(), sampleOffers(2)); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_BadOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		opts Options
		want string
	}{
		{"no url", Options{}, "no url"},
		{"not http", Options{URL: "127.0.0.1:7700"}, "want http://host:port"},
		{"password redacted", Options{URL: "ftp://user:hunter22@host"}, "user:xxxxx@host"},
		{"bad uid", Options{URL: "http://127.0.0.1:1", Index: "offers/2"}, `index uid "offers/2"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(context.Background(), c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open = %v, want an error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "hunter22") {
				t.Errorf("error shows the URL password: %v", err)
			}
		})
	}
}

func mustJSON(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}
