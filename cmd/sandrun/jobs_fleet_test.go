package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
)

// getJobJSON GETs a job of serve's jobs API, waiting for its end.
func getJobJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url + "?wait=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestServeJobsInFleet: serve in front of a fleet keeps its jobs in the fleet's JetStream: a
// second serve of the fleet answers for a job the first took, and so does a serve started after
// the first stopped.
func TestServeJobsInFleet(t *testing.T) {
	emb, err := fleet.StartEmbedded(fleet.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	w, err := fleet.NewWorker(context.Background(), fleet.WorkerOptions{Conn: fleet.ConnOptions{URL: emb.URL()}, Executor: fleetEcho{}, Host: "jobs-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	first, cmd := startServe(t, "--executor", emb.URL(), "--rate", "off")
	var code int
	var m map[string]any
	for range 1200 { // until the serve's client sees the worker
		if code, m = postJSON(t, first+"/api/v1/jobs", `{"language":"python","source":"print(6*7)"}`); code == http.StatusAccepted {
			break
		}
		waitALittle()
	}
	id, _ := m["id"].(string)
	if code != http.StatusAccepted || id == "" {
		t.Fatalf("POST /api/v1/jobs: %d %v", code, m)
	}
	want := "ran: print(6*7)"
	result := func(m map[string]any) string {
		r, _ := m["result"].(map[string]any)
		s, _ := r["stdout"].(string)
		return s
	}
	if code, m := getJobJSON(t, first+"/api/v1/jobs/"+id); code != 200 || m["state"] != "done" || result(m) != want {
		t.Fatalf("the job on its serve: %d %v", code, m)
	}
	second, _ := startServe(t, "--executor", emb.URL())
	if code, m := getJobJSON(t, second+"/api/v1/jobs/"+id); code != 200 || result(m) != want {
		t.Errorf("the job on a second serve of the fleet: %d %v", code, m)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	third, _ := startServe(t, "--executor", emb.URL())
	if code, m := getJobJSON(t, third+"/api/v1/jobs/"+id); code != 200 || result(m) != want {
		t.Errorf("the job after its serve stopped: %d %v", code, m)
	}
}

// gatedEcho is fleetEcho that waits for gate (or its run's end) before it answers, and says
// on started that a run began.
type gatedEcho struct {
	fleetEcho
	gate    chan struct{}
	started chan struct{}
}

func (g gatedEcho) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	select {
	case g.started <- struct{}{}:
	default:
	}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return executor.Result{}, ctx.Err()
	}
	return g.fleetEcho.Run(ctx, req, onEvent)
}

// TestServeJobOutlivesItsServe: a job a serve of the fleet started goes on when that serve
// stops; the next serve takes it over and gives the fleet's Result.
func TestServeJobOutlivesItsServe(t *testing.T) {
	emb, err := fleet.StartEmbedded(fleet.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	ex := gatedEcho{gate: make(chan struct{}), started: make(chan struct{}, 1)}
	w, err := fleet.NewWorker(context.Background(), fleet.WorkerOptions{Conn: fleet.ConnOptions{URL: emb.URL()}, Executor: ex, Host: "jobs-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	gateOpen := false
	defer func() {
		if !gateOpen {
			close(ex.gate)
		}
	}()

	first, cmd := startServe(t, "--executor", emb.URL(), "--rate", "off")
	var code int
	var m map[string]any
	for range 1200 { // until the serve's client sees the worker
		if code, m = postJSON(t, first+"/api/v1/jobs", `{"language":"python","source":"print(6*7)"}`); code == http.StatusAccepted {
			break
		}
		waitALittle()
	}
	id, _ := m["id"].(string)
	if code != http.StatusAccepted || id == "" {
		t.Fatalf("POST /api/v1/jobs: %d %v", code, m)
	}
	<-ex.started
	c, err := fleet.Dial(t.Context(), fleet.ClientOptions{Conn: fleet.ConnOptions{URL: emb.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bucket, err := c.OpenBucket(t.Context(), "jobs", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for range 2400 { // until the job's record says where the fleet's stream holds it
		e, err := bucket.Get(t.Context(), "job."+id)
		var rec struct{ Seq uint64 }
		if err == nil && json.Unmarshal(e.Value, &rec) == nil && rec.Seq != 0 {
			break
		}
		waitALittle()
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()

	second, _ := startServe(t, "--executor", emb.URL())
	resp, err := http.Get(second + "/api/v1/jobs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	m = nil
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["state"] != "running" {
		t.Errorf("the job after its serve stopped: %v; want it running still", m)
	}
	close(ex.gate)
	gateOpen = true
	code, m = getJobJSON(t, second+"/api/v1/jobs/"+id)
	r, _ := m["result"].(map[string]any)
	if code != 200 || m["state"] != "done" || r["stdout"] != "ran: print(6*7)" {
		t.Errorf("the job taken over: %d %v; want the fleet's Result", code, m)
	}
}
