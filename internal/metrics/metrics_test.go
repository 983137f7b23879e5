package metrics

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

func TestHooks_FeedTheMetrics(t *testing.T) {
	m := New(func() float64 { return 42 })
	u := m.UpstreamHooks()
	u.Request(upstream.KindKeyword, upstream.OutcomeOK, 30*time.Millisecond)
	u.Request(upstream.KindKeyword, upstream.OutcomeRetry, time.Second)
	u.Retry(upstream.KindKeyword, "http_5xx")
	u.LimiterWait(5 * time.Millisecond)
	c := m.CrawlHooks()
	c.PageCommitted("tees", crawl.PageStats{New: 3, Changed: 2, Unchanged: 5, Invalid: 1})
	c.PageCommitted("tees", crawl.PageStats{New: 1, Capped: true})
	c.RunFinished("tees", checkpoint.Run{Status: checkpoint.RunSucceeded}, 2*time.Second)
	c.IndexWrite(10*time.Millisecond, 6)
	c.PagesDiscarded("tees", 2)
	c.TickSkipped("tees")

	for _, tc := range []struct {
		got, want float64
		name      string
	}{
		{testutil.ToFloat64(m.upstreamRequests.WithLabelValues("keyword", "ok")), 1, "requests ok"},
		{testutil.ToFloat64(m.upstreamRequests.WithLabelValues("keyword", "retry")), 1, "requests retry"},
		{testutil.ToFloat64(m.retries.WithLabelValues("keyword", "http_5xx")), 1, "retries"},
		{testutil.ToFloat64(m.pages.WithLabelValues("tees")), 2, "pages"},
		{testutil.ToFloat64(m.offers.WithLabelValues("tees", "new")), 4, "new"},
		{testutil.ToFloat64(m.offers.WithLabelValues("tees", "changed")), 2, "changed"},
		{testutil.ToFloat64(m.offers.WithLabelValues("tees", "unchanged")), 5, "unchanged"},
		{testutil.ToFloat64(m.offers.WithLabelValues("tees", "invalid")), 1, "invalid"},
		{testutil.ToFloat64(m.runs.WithLabelValues("tees", "succeeded")), 1, "runs"},
		{testutil.ToFloat64(m.indexWriteDocs), 6, "index docs written"},
		{testutil.ToFloat64(m.pagesDiscarded.WithLabelValues("tees")), 2, "discarded"},
		{testutil.ToFloat64(m.ticksSkipped.WithLabelValues("tees")), 1, "ticks skipped"},
		{testutil.ToFloat64(m.queriesCapped.WithLabelValues("tees")), 1, "queries capped"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if ts := testutil.ToFloat64(m.lastCheckpoint.WithLabelValues("tees")); time.Since(time.Unix(int64(ts), 0)) > time.Minute {
		t.Errorf("last checkpoint timestamp %v is not now", ts)
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{"syncd_index_documents 42", "syncd_upstream_request_duration_seconds_bucket",
		"syncd_upstream_limiter_wait_seconds_count 1", "syncd_run_duration_seconds_count{job=\"tees\"} 1", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

// fakeSearcher answers Search with err.
type fakeSearcher struct {
	index.Searcher
	err error
}

func (f fakeSearcher) Search(context.Context, index.Query) (*index.Result, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &index.Result{}, nil
}

func TestSearches_TimedByOutcome(t *testing.T) {
	m := New(nil)
	ctx := context.Background()
	for _, err := range []error{nil, nil, &index.QueryError{Param: "filter", Msg: "bad"}, errors.New("index closed")} {
		s := m.Searches(fakeSearcher{err: err})
		if _, got := s.Search(ctx, index.Query{}); !errors.Is(got, err) {
			t.Fatalf("Search returned %v, want %v", got, err)
		}
	}
	for outcome, want := range map[string]uint64{"ok": 2, "bad_query": 1, "error": 1} {
		var pb dto.Metric
		if err := m.search.WithLabelValues(outcome).(prometheus.Histogram).Write(&pb); err != nil {
			t.Fatal(err)
		}
		if got := pb.GetHistogram().GetSampleCount(); got != want {
			t.Errorf("%s searches observed %d, want %d", outcome, got, want)
		}
	}
}

func TestStore_ReadAtScrape(t *testing.T) {
	m := New(nil)
	var err error
	calls := 0
	m.Store(func() (checkpoint.StoreStats, error) {
		calls++
		return checkpoint.StoreStats{FileSize: 4096, DataSize: 1024, Offers: 12}, err
	})
	gauge := func(name string) float64 {
		t.Helper()
		families, gerr := m.Registry().Gather()
		if gerr != nil {
			t.Fatal(gerr)
		}
		for _, f := range families {
			if f.GetName() == name {
				return f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatalf("no %s", name)
		return 0
	}
	if got := gauge("syncd_store_file_bytes"); got != 4096 {
		t.Errorf("syncd_store_file_bytes = %g, want 4096", got)
	}
	if got := gauge("syncd_mirror_offers"); got != 12 {
		t.Errorf("syncd_mirror_offers = %g, want 12", got)
	}
	if got := gauge("syncd_store_data_bytes"); got != 1024 {
		t.Errorf("syncd_store_data_bytes = %g, want 1024", got)
	}
	if calls != 3 {
		t.Errorf("stats read %d times in 3 scrapes, want once a scrape", calls)
	}
	err = errors.New("store closed")
	if got := gauge("syncd_mirror_offers"); got != -1 {
		t.Errorf("syncd_mirror_offers = %g when stats fail, want -1", got)
	}
}

func TestSearchPaths_ReadAtScrape(t *testing.T) {
	m := New(nil)
	bitmaps, bleve := uint64(0), uint64(0)
	m.SearchPaths(func() (uint64, uint64) { return bitmaps, bleve })
	bitmaps, bleve = 7, 2 // counted after registration: read when scraped
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "syncd_search_path_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "path" {
					got[l.GetValue()] = mt.GetCounter().GetValue()
				}
			}
		}
	}
	if want := map[string]float64{"bitmaps": 7, "bleve": 2}; !maps.Equal(got, want) {
		t.Errorf("syncd_search_path_total = %v, want %v", got, want)
	}
}
