package fleet

import (
	"context"
	"fmt"
	"time"
)

// Status is the fleet at one moment, for `sandrun fleet`, /api/v1/fleet and /metrics.
type Status struct {
	URL      string       `json:"url"`
	Workers  []WorkerInfo `json:"workers"` // every worker seen within the last minute
	Queued   int          `json:"queued"`  // jobs waiting for a worker
	Running  int          `json:"running"` // jobs a worker holds
	QueueMax int          `json:"queue_max"`
	// Totals over the workers listed: jobs finished, failed (an error or internal_error), and
	// received again after the worker that had them stopped.
	Done        int64 `json:"done"`
	Failed      int64 `json:"failed"`
	Redelivered int64 `json:"redelivered"`
}

// Status reads the workers' entries and the queue.
func (c *Client) Status(ctx context.Context) (Status, error) {
	st := Status{URL: c.nc.ConnectedUrlRedacted(), Workers: []WorkerInfo{}}
	// Read the entries afresh rather than from the watch, so that a status taken right after
	// a run ended counts it.
	keys, err := c.s.workers.ListKeys(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("fleet: status: %w", err)
	}
	for k := range keys.Keys() {
		e, err := c.s.workers.Get(ctx, k)
		if err != nil {
			continue // expired or removed meanwhile
		}
		var w WorkerInfo
		if jsonUnmarshal(e.Value(), &w) != nil {
			continue
		}
		w.LastSeen = e.Created()
		w.Live = time.Since(w.LastSeen) < liveWithin
		st.Workers = append(st.Workers, w)
	}
	sortWorkers(st.Workers)
	for _, w := range st.Workers {
		st.Done += w.Done
		st.Failed += w.Failed
		st.Redelivered += w.Redeliver
	}
	info, err := c.s.stream.Info(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("fleet: status: %w", err)
	}
	st.QueueMax = int(info.Config.MaxMsgs)
	lister := c.s.stream.ListConsumers(ctx)
	for ci := range lister.Info() {
		st.Queued += int(ci.NumPending)
		st.Running += ci.NumAckPending
	}
	if err := lister.Err(); err != nil {
		return Status{}, fmt.Errorf("fleet: status: %w", err)
	}
	return st, nil
}
