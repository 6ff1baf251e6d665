package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sandrun/sandrun/executor/fleet"
)

// Fleet is what the server asks of a NATS fleet it fronts (a *fleet.Client).
type Fleet interface {
	Status(ctx context.Context) (fleet.Status, error)
}

// handleFleet answers GET /api/v1/fleet: the fleet's workers, queue and job totals; 404 when
// the server runs its executor without a fleet.
func (s *Server) handleFleet(w http.ResponseWriter, r *http.Request) {
	if s.opts.Fleet == nil {
		writeError(w, r, http.StatusNotFound, "", "this server does not front a fleet; start it with --executor nats://HOST:PORT or --nats-listen HOST:PORT")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	st, err := s.opts.Fleet.Status(ctx)
	if err != nil {
		writeError(w, r, http.StatusServiceUnavailable, "", "fleet: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// fleetCollector exports the fleet's status once per scrape.
type fleetCollector struct{ f Fleet }

// fleetDescs describes the fleet's gauges; made on first use, not in every sandrun process's
// start.
var fleetDescs = sync.OnceValue(func() (d struct{ workers, slots, busy, queued, running, jobs *prometheus.Desc }) {
	d.workers = prometheus.NewDesc("sandrun_fleet_workers", "Fleet workers seen within the last 10 s.", nil, nil)
	d.slots = prometheus.NewDesc("sandrun_fleet_slots", "Slots of the live fleet workers.", nil, nil)
	d.busy = prometheus.NewDesc("sandrun_fleet_busy", "Busy slots of the live fleet workers.", nil, nil)
	d.queued = prometheus.NewDesc("sandrun_fleet_queued", "Jobs waiting in the fleet's stream for a worker.", nil, nil)
	d.running = prometheus.NewDesc("sandrun_fleet_running", "Jobs a fleet worker holds.", nil, nil)
	d.jobs = prometheus.NewDesc("sandrun_fleet_jobs", "Jobs of the listed workers since they started, by outcome (done, failed, redelivered).", []string{"outcome"}, nil)
	return d
})

func (c fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	d := fleetDescs()
	for _, desc := range []*prometheus.Desc{d.workers, d.slots, d.busy, d.queued, d.running, d.jobs} {
		ch <- desc
	}
}

func (c fleetCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.f.Status(ctx)
	if err != nil {
		return
	}
	var live, slots, busy int
	for _, w := range st.Workers {
		if w.Live {
			live++
			slots += w.Slots
			busy += w.Busy
		}
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	d := fleetDescs()
	g(d.workers, float64(live))
	g(d.slots, float64(slots))
	g(d.busy, float64(busy))
	g(d.queued, float64(st.Queued))
	g(d.running, float64(st.Running))
	g(d.jobs, float64(st.Done), "done")
	g(d.jobs, float64(st.Failed), "failed")
	g(d.jobs, float64(st.Redelivered), "redelivered")
}
