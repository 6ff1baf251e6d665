package web

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sandrun/sandrun/executor"
)

// metrics are what /metrics exports, in the Server's own registry (no process-wide globals).
type metrics struct {
	runs     *prometheus.CounterVec   // by language and status
	duration *prometheus.HistogramVec // by language
	requests *prometheus.CounterVec   // by route and code
}

// runBuckets are the run duration histogram's upper bounds in seconds: round numbers a person
// reads at a glance (le="0.25", not le="0.010062908051221288"), from 5 ms to the longest wall
// clock a run may have (180 s).
var runBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 180}

func newMetrics(reg *prometheus.Registry, exec executor.Executor) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sandrun_runs_total",
			Help: "Runs asked of the executor, by language and outcome (a Result status, or rejected, busy, canceled, error).",
		}, []string{"language", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sandrun_run_duration_seconds",
			Help:    "Time from handing a run to the executor to its Result, queueing and compiling included.",
			Buckets: runBuckets,
		}, []string{"language"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sandrun_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sandrun_build_info", Help: "Always 1; the version label is sandrun's version.",
		ConstLabels: prometheus.Labels{"version": executor.Version},
	})
	build.Set(1)
	reg.MustRegister(m.runs, m.duration, m.requests, build, capacityCollector{exec},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observeRun(language, status string, d time.Duration) {
	m.runs.WithLabelValues(language, status).Inc()
	m.duration.WithLabelValues(language).Observe(d.Seconds())
}

func (m *metrics) observeHTTP(route string, code int) {
	if route == "" {
		route = "none"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}

// capacityCollector asks the executor for its load once per scrape.
type capacityCollector struct{ exec executor.Executor }

// capacityDescs describes the capacity gauges; made on first use, not in every sandrun process's
// start.
var capacityDescs = sync.OnceValue(func() (d struct{ queue, running, slots, qmax *prometheus.Desc }) {
	d.queue = prometheus.NewDesc("sandrun_queue_length", "Runs waiting for a free slot.", nil, nil)
	d.running = prometheus.NewDesc("sandrun_runs_in_progress", "Runs executing now.", nil, nil)
	d.slots = prometheus.NewDesc("sandrun_slots", "Runs that may execute at once.", nil, nil)
	d.qmax = prometheus.NewDesc("sandrun_queue_max", "Queue length past which runs are refused as busy.", nil, nil)
	return d
})

func (c capacityCollector) Describe(ch chan<- *prometheus.Desc) {
	d := capacityDescs()
	ch <- d.queue
	ch <- d.running
	ch <- d.slots
	ch <- d.qmax
}

func (c capacityCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d := capacityDescs()
	capa, err := c.exec.Capacity(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(d.queue, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(d.queue, prometheus.GaugeValue, float64(capa.Queued))
	ch <- prometheus.MustNewConstMetric(d.running, prometheus.GaugeValue, float64(capa.Running))
	ch <- prometheus.MustNewConstMetric(d.slots, prometheus.GaugeValue, float64(capa.Slots))
	ch <- prometheus.MustNewConstMetric(d.qmax, prometheus.GaugeValue, float64(capa.QueueMax))
}

// metricsHandler serves the registry in Prometheus' text format.
func (s *Server) metricsHandler() http.HandlerFunc {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{ErrorLog: nil, ErrorHandling: promhttp.ContinueOnError}).ServeHTTP
}
