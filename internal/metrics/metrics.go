package metrics

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

// Metrics holds every syncd metric in its own registry.
type Metrics struct {
	reg *prometheus.Registry

	upstreamRequests *prometheus.CounterVec
	upstreamLatency  *prometheus.HistogramVec
	limiterWait      prometheus.Histogram
	retries          *prometheus.CounterVec
	pages            *prometheus.CounterVec
	offers           *prometheus.CounterVec
	runs             *prometheus.CounterVec
	runDuration      *prometheus.HistogramVec
	lastCheckpoint   *prometheus.GaugeVec
	ticksSkipped     *prometheus.CounterVec
	pagesDiscarded   *prometheus.CounterVec
	queriesCapped    *prometheus.CounterVec
	indexWrite       prometheus.Histogram
	indexWriteDocs   prometheus.Counter
	search           *prometheus.HistogramVec
}

// New creates the metrics. documents, when not nil, is called at scrape time for the
// syncd_index_documents gauge.
func New(documents func() float64) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	m.upstreamRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_upstream_requests_total", Help: "Upstream request attempts by endpoint kind and outcome (ok, retry, error, canceled).",
	}, []string{"kind", "outcome"})
	m.upstreamLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "syncd_upstream_request_duration_seconds", Help: "Upstream request attempt latency.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"kind"})
	m.limiterWait = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "syncd_upstream_limiter_wait_seconds", Help: "Time requests waited for the shared rate limiter.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
	})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_upstream_retries_total", Help: "Upstream retries by endpoint kind and reason.",
	}, []string{"kind", "reason"})
	m.pages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_pages_total", Help: "Pages committed to the mirror, per job.",
	}, []string{"job"})
	m.offers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_offers_total", Help: "Offers seen per job and result (new, changed, unchanged, invalid).",
	}, []string{"job", "result"})
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_runs_total", Help: "Finished runs per job and status.",
	}, []string{"job", "status"})
	m.runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "syncd_run_duration_seconds", Help: "Duration of finished runs per job.",
		Buckets: prometheus.ExponentialBuckets(1, 2.5, 12),
	}, []string{"job"})
	m.lastCheckpoint = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "syncd_last_checkpoint_timestamp_seconds", Help: "Unix time of the last committed page per job; checkpoint age = time() - this.",
	}, []string{"job"})
	m.ticksSkipped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_schedule_ticks_skipped_total", Help: "Scheduled ticks skipped because the job was still running.",
	}, []string{"job"})
	m.pagesDiscarded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_pages_discarded_total", Help: "Pages fetched ahead and thrown away because a query ended early (quota spent for nothing).",
	}, []string{"job"})
	m.queriesCapped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "syncd_queries_capped_total", Help: "Queries whose results reached upstream's 2,000-offer cap, per job: offers past it were not mirrored.",
	}, []string{"job"})
	m.indexWrite = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "syncd_index_write_duration_seconds", Help: "Latency of index upserts (until acknowledged).",
		Buckets: prometheus.ExponentialBuckets(0.001, 3, 10),
	})
	m.indexWriteDocs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "syncd_index_documents_written_total", Help: "Documents sent to the index.",
	})
	m.search = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "syncd_search_duration_seconds", Help: "Latency of searches served by the HTTP API, by outcome (ok, bad_query, error).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12),
	}, []string{"outcome"})
	for _, c := range []prometheus.Collector{m.upstreamRequests, m.upstreamLatency, m.limiterWait, m.retries,
		m.pages, m.offers, m.runs, m.runDuration, m.lastCheckpoint, m.ticksSkipped, m.pagesDiscarded, m.queriesCapped, m.indexWrite, m.indexWriteDocs,
		m.search} {
		f(c)
	}
	if documents != nil {
		f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "syncd_index_documents", Help: "Documents in the search index.",
		}, documents))
	}
	return m
}

// Store adds syncd_store_file_bytes, syncd_store_data_bytes and syncd_mirror_offers, read
// from one call of stats per scrape (all -1 when it fails): the state file's size on disk,
// which bbolt grows ahead of its data and never shrinks, the live data in it, and the
// offers in the mirror.
func (m *Metrics) Store(stats func() (checkpoint.StoreStats, error)) {
	m.reg.MustRegister(storeCollector{stats})
}

var (
	storeFileDesc = prometheus.NewDesc("syncd_store_file_bytes", "Size of the state file (bbolt) on disk.", nil, nil)
	storeDataDesc = prometheus.NewDesc("syncd_store_data_bytes", "Live data in the state file: pages written minus pages free for reuse.", nil, nil)
	mirrorDesc    = prometheus.NewDesc("syncd_mirror_offers", "Offers in the mirror.", nil, nil)
)

type storeCollector struct {
	stats func() (checkpoint.StoreStats, error)
}

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeFileDesc
	ch <- storeDataDesc
	ch <- mirrorDesc
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	file, data, offers := -1.0, -1.0, -1.0
	if st, err := c.stats(); err == nil {
		file, data, offers = float64(st.FileSize), float64(st.DataSize), float64(st.Offers)
	}
	ch <- prometheus.MustNewConstMetric(storeFileDesc, prometheus.GaugeValue, file)
	ch <- prometheus.MustNewConstMetric(storeDataDesc, prometheus.GaugeValue, data)
	ch <- prometheus.MustNewConstMetric(mirrorDesc, prometheus.GaugeValue, offers)
}

// SearchPaths adds syncd_search_path_total{path}: searches of the embedded index by how
// their hits were collected ("bitmaps" or "bleve"), read from paths at scrape time.
func (m *Metrics) SearchPaths(paths func() (bitmaps, bleve uint64)) {
	for _, p := range []struct {
		label string
		value func() float64
	}{
		{"bitmaps", func() float64 { b, _ := paths(); return float64(b) }},
		{"bleve", func() float64 { _, b := paths(); return float64(b) }},
	} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "syncd_search_path_total",
			Help:        "Searches of the embedded index by how their hits were collected: bitmaps in sort order, or bleve scoring every match.",
			ConstLabels: prometheus.Labels{"path": p.label},
		}, p.value))
	}
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry, for tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// UpstreamHooks returns the client hooks that feed the upstream metrics.
func (m *Metrics) UpstreamHooks() upstream.Hooks {
	return upstream.Hooks{
		Request: func(kind upstream.Kind, outcome string, d time.Duration) {
			m.upstreamRequests.WithLabelValues(string(kind), outcome).Inc()
			m.upstreamLatency.WithLabelValues(string(kind)).Observe(d.Seconds())
		},
		LimiterWait: func(d time.Duration) { m.limiterWait.Observe(d.Seconds()) },
		Retry: func(kind upstream.Kind, reason string) {
			m.retries.WithLabelValues(string(kind), reason).Inc()
		},
	}
}

// CrawlHooks returns the runner and scheduler hooks that feed the crawl metrics.
func (m *Metrics) CrawlHooks() crawl.Hooks {
	return crawl.Hooks{
		PageCommitted: func(job string, s crawl.PageStats) {
			m.pages.WithLabelValues(job).Inc()
			m.offers.WithLabelValues(job, "new").Add(float64(s.New))
			m.offers.WithLabelValues(job, "changed").Add(float64(s.Changed))
			m.offers.WithLabelValues(job, "unchanged").Add(float64(s.Unchanged))
			m.offers.WithLabelValues(job, "invalid").Add(float64(s.Invalid))
			m.lastCheckpoint.WithLabelValues(job).SetToCurrentTime()
			if s.Capped {
				m.queriesCapped.WithLabelValues(job).Inc()
			}
		},
		RunFinished: func(job string, run checkpoint.Run, d time.Duration) {
			m.runs.WithLabelValues(job, run.Status).Inc()
			m.runDuration.WithLabelValues(job).Observe(d.Seconds())
		},
		IndexWrite: func(d time.Duration, docs int) {
			m.indexWrite.Observe(d.Seconds())
			m.indexWriteDocs.Add(float64(docs))
		},
		PagesDiscarded: func(job string, pages int) {
			m.pagesDiscarded.WithLabelValues(job).Add(float64(pages))
		},
		TickSkipped: func(job string) { m.ticksSkipped.WithLabelValues(job).Inc() },
	}
}

// Searches returns ix with every Search timed into syncd_search_duration_seconds.
func (m *Metrics) Searches(ix index.Searcher) index.Searcher {
	return timedSearcher{Searcher: ix, h: m.search}
}

type timedSearcher struct {
	index.Searcher
	h *prometheus.HistogramVec
}

func (t timedSearcher) Search(ctx context.Context, q index.Query) (*index.Result, error) {
	start := time.Now()
	res, err := t.Searcher.Search(ctx, q)
	outcome := "ok"
	var qe *index.QueryError
	switch {
	case errors.As(err, &qe):
		outcome = "bad_query"
	case err != nil:
		outcome = "error"
	}
	t.h.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	return res, err
}
