package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"syscall"
	"testing"

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
