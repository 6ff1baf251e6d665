package web

import (
	"context"
	"net/http"
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

var (
	fleetWorkersDesc = prometheus.NewDesc("sandrun_fleet_workers", "Fleet workers seen within the last 10 s.", nil, nil)
	fleetSlotsDesc   = prometheus.NewDesc("sandrun_fleet_slots", "Slots of the live fleet workers.", nil, nil)
	fleetBusyDesc    = prometheus.NewDesc("sandrun_fleet_busy", "Busy slots of the live fleet workers.", nil, nil)
	fleetQueuedDesc  = prometheus.NewDesc("sandrun_fleet_queued", "Jobs waiting in the fleet's stream for a worker.", nil, nil)
	fleetRunningDesc = prometheus.NewDesc("sandrun_fleet_running", "Jobs a fleet worker holds.", nil, nil)
	fleetJobsDesc    = prometheus.NewDesc("sandrun_fleet_jobs", "Jobs of the listed workers since they started, by outcome (done, failed, redelivered).", []string{"outcome"}, nil)
)

func (c fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{fleetWorkersDesc, fleetSlotsDesc, fleetBusyDesc, fleetQueuedDesc, fleetRunningDesc, fleetJobsDesc} {
		ch <- d
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
	g(fleetWorkersDesc, float64(live))
	g(fleetSlotsDesc, float64(slots))
	g(fleetBusyDesc, float64(busy))
	g(fleetQueuedDesc, float64(st.Queued))
	g(fleetRunningDesc, float64(st.Running))
	g(fleetJobsDesc, float64(st.Done), "done")
	g(fleetJobsDesc, float64(st.Failed), "failed")
	g(fleetJobsDesc, float64(st.Redelivered), "redelivered")
}
