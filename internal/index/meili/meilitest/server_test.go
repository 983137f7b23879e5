package meilitest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/index/meili/meilitest"
)

// call sends one request to the server at base and decodes its JSON answer into out (when
// not nil); it returns the status.
func call(t *testing.T, base, key, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode answer: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// write sends a request answered with a task, polls the task until it ends and returns its
// final object.
func write(t *testing.T, s *meilitest.Server, method, path string, body any) map[string]any {
	t.Helper()
	var sum struct {
		TaskUID int64  `json:"taskUid"`
		Status  string `json:"status"`
	}
	if code := call(t, s.URL(), s.APIKey(), method, path, body, &sum); code != 202 || sum.Status != "enqueued" {
		t.Fatalf("%s %s: status %d, task %+v, want 202 enqueued", method, path, code, sum)
	}
	for range 10 {
		var task map[string]any
		call(t, s.URL(), s.APIKey(), "GET", fmt.Sprintf("/tasks/%d", sum.TaskUID), nil, &task)
		if st := task["status"]; st == "succeeded" || st == "failed" {
			return task
		}
	}
	t.Fatalf("task %d of %s %s never finished", sum.TaskUID, method, path)
	return nil
}

// offer is a document of the shape syncd writes, which the fake checks.
func offer(id, subject, subjectTrans string) map[string]any {
	return map[string]any{"offerId": id, "subject": subject, "subjectTrans": subjectTrans,
		"imageUrl": "https://img.example/" + id + ".jpg", "price": 9.9, "monthSold": 10, "repurchaseRate": 0.3,
		"isJxhy": true, "sources": []string{"tees"}, "firstSeenAt": 1700000000, "updatedAt": 1700000000}
}

// loaded is a server whose index "offers" holds four offers and syncd's searchable
// attributes.
func loaded(t *testing.T) *meilitest.Server {
	t.Helper()
	s := meilitest.Start(t, meilitest.Options{})
	write(t, s, "POST", "/indexes", map[string]any{"uid": "offers", "primaryKey": "offerId"})
	write(t, s, "PATCH", "/indexes/offers/settings", map[string]any{
		"searchableAttributes": []string{"subjectTrans", "subject"},
		"filterableAttributes": []string{"isJxhy", "sources"},
	})
	write(t, s, "POST", "/indexes/offers/documents?primaryKey=offerId", []map[string]any{
		offer("4", "纯棉T恤男", "Cotton T-Shirt Men"),
		offer("1", "polo衫男翻领", "Men's Polo Shirt"),
		offer("3", "雪纺连衣裙", "Chiffon Dress"),
		offer("2", "儿童卡通T恤", "Kids Cartoon T-Shirt"),
	})
	return s
}

type searchAnswer struct {
	Hits []struct {
		OfferID string `json:"offerId"`
	} `json:"hits"`
	EstimatedTotalHits int                       `json:"estimatedTotalHits"`
	Limit              int                       `json:"limit"`
	Offset             int                       `json:"offset"`
	FacetDistribution  map[string]map[string]int `json:"facetDistribution"`
}

func (a searchAnswer) ids() []string {
	out := []string{}
	for _, h := range a.Hits {
		out = append(out, h.OfferID)
	}
	return out
}

func TestSearch_MatchesWordsPagesAndCounts(t *testing.T) {
	s := loaded(t)
	for _, c := range []struct {
		name  string
		req   map[string]any
		ids   []string
		total int
	}{
		{"placeholder: every document in primary-key order", map[string]any{}, []string{"1", "2", "3", "4"}, 4},
		{"English, any case", map[string]any{"q": "t-SHIRT"}, []string{"2", "4"}, 2},
		{"Chinese substring", map[string]any{"q": "T恤"}, []string{"2", "4"}, 2},
		{"all words must match", map[string]any{"q": "cotton shirt", "matchingStrategy": "all"}, []string{"4"}, 1},
		{"all: no document has every word", map[string]any{"q": "cotton dress", "matchingStrategy": "all"}, []string{}, 0},
		{"last drops words from the end", map[string]any{"q": "cotton dress"}, []string{"4"}, 1},
		{"limit and offset", map[string]any{"q": "shirt", "limit": 1, "offset": 1}, []string{"2"}, 3},
		{"offset past the end", map[string]any{"offset": 10}, []string{}, 4},
		{"filter and sort are not applied", map[string]any{"filter": "isJxhy = false", "sort": []string{"price:desc"}},
			[]string{"1", "2", "3", "4"}, 4},
		{"only searchable attributes", map[string]any{"q": "img.example"}, []string{}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var a searchAnswer
			if code := call(t, s.URL(), "", "POST", "/indexes/offers/search", c.req, &a); code != 200 {
				t.Fatalf("status %d", code)
			}
			if !reflect.DeepEqual(a.ids(), c.ids) || a.EstimatedTotalHits != c.total {
				t.Errorf("hits %v, estimatedTotalHits %d; want %v, %d", a.ids(), a.EstimatedTotalHits, c.ids, c.total)
			}
		})
	}
}

func TestSearch_TotalCappedAtMaxTotalHits(t *testing.T) {
	s := loaded(t)
	write(t, s, "PATCH", "/indexes/offers/settings", map[string]any{"pagination": map[string]any{"maxTotalHits": 2}})
	var a searchAnswer
	call(t, s.URL(), "", "POST", "/indexes/offers/search", map[string]any{"offset": 1, "limit": 5}, &a)
	if a.EstimatedTotalHits != 2 || !reflect.DeepEqual(a.ids(), []string{"2"}) {
		t.Errorf("hits %v, estimatedTotalHits %d; want [2] of 2", a.ids(), a.EstimatedTotalHits)
	}
}

func TestSearch_FacetsOverMatchesOfFilterableAttributes(t *testing.T) {
	s := loaded(t)
	var a searchAnswer
	call(t, s.URL(), "", "POST", "/indexes/offers/search", map[string]any{"q": "T恤", "facets": []string{"isJxhy", "sources"}}, &a)
	want := map[string]map[string]int{"isJxhy": {"true": 2}, "sources": {"tees": 2}}
	if !reflect.DeepEqual(a.FacetDistribution, want) {
		t.Errorf("facetDistribution = %v, want %v", a.FacetDistribution, want)
	}
	var e meilitest.APIError
	code := call(t, s.URL(), "", "POST", "/indexes/offers/search", map[string]any{"facets": []string{"price"}}, &e)
	if code != 400 || e.Code != "invalid_search_facets" {
		t.Errorf("facet on a non-filterable attribute: status %d, %+v", code, e)
	}
}

func TestTasks_TakeEffectOnlyWhenSucceeded(t *testing.T) {
	s := loaded(t)
	var sum struct {
		TaskUID int64 `json:"taskUid"`
	}
	call(t, s.URL(), "", "POST", "/indexes/offers/documents/delete-batch", []string{"1", "2"}, &sum)
	var statuses []string
	for range 3 { // the third poll finishes the task
		if got := s.DocumentIDs("offers"); len(got) != 4 {
			t.Fatalf("documents %v deleted while the task reported %v", got, statuses)
		}
		var task map[string]any
		call(t, s.URL(), "", "GET", fmt.Sprintf("/tasks/%d", sum.TaskUID), nil, &task)
		statuses = append(statuses, task["status"].(string))
	}
	if !reflect.DeepEqual(statuses, []string{"enqueued", "processing", "succeeded"}) {
		t.Errorf("statuses = %v", statuses)
	}
	if got := s.DocumentIDs("offers"); !reflect.DeepEqual(got, []string{"3", "4"}) {
		t.Errorf("documents after the deletion = %v", got)
	}

	s.FailTasks("documentDeletion", &meilitest.APIError{Message: "disk full", Code: "no_space_left_on_device", Type: "system"})
	task := write(t, s, "POST", "/indexes/offers/documents/delete-batch", []string{"3"})
	if task["status"] != "failed" || task["error"].(map[string]any)["code"] != "no_space_left_on_device" {
		t.Errorf("task = %v, want failed with the error", task)
	}
	if got := s.DocumentIDs("offers"); !reflect.DeepEqual(got, []string{"3", "4"}) {
		t.Errorf("a failed task deleted documents: %v", got)
	}
}

func TestAuth(t *testing.T) {
	s := meilitest.Start(t, meilitest.Options{APIKey: "master"})
	var e meilitest.APIError
	if code := call(t, s.URL(), "", "GET", "/health", nil, nil); code != 200 {
		t.Errorf("/health without a key: %d, want 200", code)
	}
	if code := call(t, s.URL(), "", "GET", "/version", nil, &e); code != 401 || e.Code != "missing_authorization_header" {
		t.Errorf("no key: %d %+v", code, e)
	}
	if code := call(t, s.URL(), "other", "GET", "/version", nil, &e); code != 403 || e.Code != "invalid_api_key" {
		t.Errorf("wrong key: %d %+v", code, e)
	}
	var v struct{ PkgVersion string }
	if code := call(t, s.URL(), "master", "GET", "/version", nil, &v); code != 200 || v.PkgVersion != meilitest.DefaultVersion {
		t.Errorf("right key: %d %+v", code, v)
	}
}

// What Meilisearch would reject, or the fake does not implement, is a problem.
func TestProblems(t *testing.T) {
	s := meilitest.New(meilitest.Options{})
	hs := httptest.NewServer(s)
	defer hs.Close()
	call(t, hs.URL, "", "POST", "/indexes", map[string]any{"uid": "offers"}, nil)
	call(t, hs.URL, "", "GET", "/tasks/0", nil, nil) // enqueued
	call(t, hs.URL, "", "GET", "/tasks/0", nil, nil) // processing
	call(t, hs.URL, "", "GET", "/tasks/0", nil, nil) // succeeded
	var e meilitest.APIError
	if code := call(t, hs.URL, "", "POST", "/indexes/offers/search", map[string]any{"qq": "x"}, &e); code != 400 || e.Code != "bad_request" {
		t.Errorf("unknown search parameter: %d %+v", code, e)
	}
	call(t, hs.URL, "", "POST", "/indexes/offers/search", map[string]any{"attributesToHighlight": []string{"*"}}, nil)
	call(t, hs.URL, "", "GET", "/keys", nil, nil)
	call(t, hs.URL, "", "POST", "/indexes/offers/documents?primaryKey=offerId", []map[string]any{{"offerId": "1"}}, nil)

	got := strings.Join(s.Problems(), "\n")
	for _, want := range []string{`unknown parameter "qq"`, `"attributesToHighlight" is not implemented`,
		"unexpected request GET /keys", "documents[0]: subject is missing"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not mention %q:\n%s", want, got)
		}
	}
}
