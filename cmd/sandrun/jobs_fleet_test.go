package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/hooks"
)

// getJobJSON GETs a job of serve's jobs API, waiting for its end.
func getJobJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url + "?wait=true")
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON(resp)
}

// submitFleetJob POSTs print(6*7) as a job to the serve at base, again until the serve's client
// sees a worker of the fleet, and returns the job's id.
func submitFleetJob(t *testing.T, base string) string {
	t.Helper()
	var code int
	var m map[string]any
	for range 1200 {
		if code, m = postJSON(t, base+"/api/v1/jobs", `{"language":"python","source":"print(6*7)"}`); code == http.StatusAccepted {
			break
		}
		waitALittle()
	}
	id, _ := m["id"].(string)
	if code != http.StatusAccepted || id == "" {
		t.Fatalf("POST /api/v1/jobs: %d %v", code, m)
	}
	return id
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
	id := submitFleetJob(t, first)
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

// hookWitness is what an operator plugs into serve to watch its jobs end: a webhook receiver
// on 127.0.0.1 and a post hook program that appends each job's JSON to a file of its serve.
type hookWitness struct {
	t    *testing.T
	dir  string
	recv *httptest.Server
	got  chan hooks.WebhookEvent // every delivery, as it comes

	mu     sync.Mutex
	events []hooks.WebhookEvent
}

func newHookWitness(t *testing.T) *hookWitness {
	h := &hookWitness{t: t, dir: t.TempDir(), got: make(chan hooks.WebhookEvent, 64)}
	h.recv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev hooks.WebhookEvent
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
		select {
		case h.got <- ev:
		default:
		}
	}))
	t.Cleanup(h.recv.Close)
	return h
}

// flags are serve's flags for the witness, its post hook writing to the file named name.
func (h *hookWitness) flags(name string) []string {
	script := filepath.Join(h.dir, name+".sh")
	body := "#!/bin/sh\ncat >> " + filepath.Join(h.dir, name+".jobs") + "\necho >> " + filepath.Join(h.dir, name+".jobs") + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		h.t.Fatal(err)
	}
	return []string{"--webhook", h.recv.URL + "/hook", "--hook", "post=" + script}
}

// webhooks are the deliveries of job id so far.
func (h *hookWitness) webhooks(id string) []hooks.WebhookEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hooks.WebhookEvent
	for _, ev := range h.events {
		if ev.ID == id {
			out = append(out, ev)
		}
	}
	return out
}

// posts are the objects the post hook of the serve named name got for job id.
func (h *hookWitness) posts(name, id string) []map[string]any {
	b, err := os.ReadFile(filepath.Join(h.dir, name+".jobs"))
	if err != nil && !os.IsNotExist(err) {
		h.t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(string(b), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["id"] == id {
			out = append(out, m)
		}
	}
	return out
}

// TestServeJobOutlivesItsServe: a job a serve of the fleet started goes on when that serve
// stops; the next serve takes it over and gives the fleet's Result. The stopping serve does not
// report the job to its post hooks and webhooks (it did not end); the serve that took it over
// reports it once, with the fleet's Result.
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
	witness := newHookWitness(t)

	first, cmd := startServe(t, append([]string{"--executor", emb.URL(), "--rate", "off"}, witness.flags("first")...)...)
	id := submitFleetJob(t, first)
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
	cmd.Wait() // its post hooks and webhook deliveries ran before it exited
	if got := witness.webhooks(id); len(got) != 0 {
		t.Errorf("the stopping serve's webhook got %+v for the job it handed over; want nothing", got)
	}
	if got := witness.posts("first", id); len(got) != 0 {
		t.Errorf("the stopping serve's post hook got %v for the job it handed over; want nothing", got)
	}

	second, cmd2 := startServe(t, append([]string{"--executor", emb.URL()}, witness.flags("second")...)...)
	resp, err := http.Get(second + "/api/v1/jobs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	_, m := decodeJSON(resp)
	if m["state"] != "running" {
		t.Errorf("the job after its serve stopped: %v; want it running still", m)
	}
	close(ex.gate)
	gateOpen = true
	code, m := getJobJSON(t, second+"/api/v1/jobs/"+id)
	r, _ := m["result"].(map[string]any)
	if code != 200 || m["state"] != "done" || r["stdout"] != "ran: print(6*7)" {
		t.Errorf("the job taken over: %d %v; want the fleet's Result", code, m)
	}
	deadline := time.After(2 * time.Minute) // catches a hang only
	for len(witness.webhooks(id)) == 0 {
		select {
		case <-witness.got:
		case <-deadline:
			t.Fatal("no webhook delivery for the job taken over")
		}
	}
	cmd2.Process.Signal(syscall.SIGTERM)
	cmd2.Wait() // every delivery it would make was made
	got := witness.webhooks(id)
	if len(got) != 1 || got[0].Status != "ok" || got[0].Error != "" || got[0].Result == nil || got[0].Result.Stdout != "ran: print(6*7)" {
		t.Errorf("webhook deliveries of the job: %+v; want one, ok, with the fleet's Result", got)
	}
	posts := witness.posts("second", id)
	if len(posts) != 1 || posts[0]["error"] != nil {
		t.Fatalf("post hook of the serve that took the job over: %v; want the job once, with its Result", posts)
	}
	if r, _ := posts[0]["result"].(map[string]any); r["stdout"] != "ran: print(6*7)" || posts[0]["phase"] != "post" {
		t.Errorf("post hook got %v; want the fleet's Result", posts[0])
	}
	if req, _ := posts[0]["request"].(map[string]any); req["language"] != "python" {
		t.Errorf("post hook got the request %v; want the job's, as submitted to the first serve", posts[0]["request"])
	}
}
