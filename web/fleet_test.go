package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor/fleet"
)

type fakeFleet struct{}

func (fakeFleet) Status(context.Context) (fleet.Status, error) {
	return fleet.Status{URL: "nats://127.0.0.1:4222", Queued: 3, Running: 2, QueueMax: 5000, Done: 7, Failed: 1, Redelivered: 2,
		Workers: []fleet.WorkerInfo{{ID: "a-1", Host: "a", Slots: 4, Busy: 2, Languages: map[string]string{"python": "3.11"}, Live: true, LastSeen: time.Now()}}}, nil
}

// TestFleetStatus: /api/v1/fleet and /metrics report the fleet the server fronts; without
// one, /api/v1/fleet is a 404 that says so.
func TestFleetStatus(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	if w := do(t, s, "GET", "/api/v1/fleet", ""); w.Code != 404 || !strings.Contains(w.Body.String(), "does not front a fleet") {
		t.Errorf("without a fleet: %d %s", w.Code, w.Body)
	}
	s = newTestServer(t, nil, Options{Fleet: fakeFleet{}})
	w := do(t, s, "GET", "/api/v1/fleet", "")
	var st fleet.Status
	if err := json.Unmarshal(w.Body.Bytes(), &st); w.Code != 200 || err != nil || st.Queued != 3 || len(st.Workers) != 1 {
		t.Errorf("with a fleet: %d %s", w.Code, w.Body)
	}
	w = do(t, s, "GET", "/metrics", "")
	for _, want := range []string{"sandrun_fleet_workers 1", "sandrun_fleet_queued 3", `sandrun_fleet_jobs{outcome="redelivered"} 2`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
}
