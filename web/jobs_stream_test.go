package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/hooks"
)

// streamJobGet answers GET /api/v1/jobs/{id} on srv: the status and the job.
func streamJobGet(t *testing.T, srv *httptest.Server, id string) (int, JobView) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/api/v1/jobs/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v JobView
	json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// TestStreamJob: a WebSocket run with "job":true is a job too: "started" and "result" name it,
// and GET /api/v1/jobs/{id} right after the result shows it done with the same Result.
func TestStreamJob(t *testing.T) {
	res := executor.Result{Language: "python", Version: "3.11.2", Status: executor.StatusOK, Stdout: "42\n", ExitCode: 0, WallTimeMs: 7}
	exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		on(executor.Event{Stage: executor.StageRun, Stream: executor.Stdout, Data: []byte("42\n")})
		return res, nil
	})
	// An operator's post hook (serve --hook post=…) hears of the kept run once, under its job id.
	var mu sync.Mutex
	var posted []string
	chain := hooks.New(exec, nil, []hooks.Post{func(d hooks.Done) {
		mu.Lock()
		posted = append(posted, d.ID+" "+d.Result.Stdout)
		mu.Unlock()
	}})
	srv := httptest.NewServer(newTestServer(t, chain, Options{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	conn := dialStream(t, ctx, srv, nil)
	if err := wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": "print(42)", "job": true}); err != nil {
		t.Fatal(err)
	}
	msgs := readUntilClosed(t, ctx, conn)
	if len(msgs) < 2 || msgs[0].Type != "started" || msgs[0].Job == "" {
		t.Fatalf("messages %+v; want a started message with a job id first", msgs)
	}
	id := msgs[0].Job
	last := msgs[len(msgs)-1]
	if last.Type != "result" || last.Job != id {
		t.Fatalf("last message %+v; want the result naming job %s", last, id)
	}
	code, v := streamJobGet(t, srv, id)
	if code != http.StatusOK || v.State != JobDone || v.ID != id || v.Finished == nil {
		t.Fatalf("GET the job: %d %+v; want 200 and the job done", code, v)
	}
	if diff := cmp.Diff(&res, v.Result); diff != "" {
		t.Errorf("the job's Result differs from the streamed one (-want +got):\n%s", diff)
	}

	chain.Close() // waits for the post hooks queued so far
	mu.Lock()
	if want := []string{id + " 42\n"}; !cmp.Equal(posted, want) {
		t.Errorf("the post hook saw %q, want %q", posted, want)
	}
	mu.Unlock()

	// Without "job", no job is named.
	conn = dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": "print(42)"})
	for _, m := range readUntilClosed(t, ctx, conn) {
		if m.Job != "" {
			t.Errorf("a run without \"job\" got job %q in %+v", m.Job, m)
		}
	}
}

// TestStreamJobDelete: DELETE /api/v1/jobs/{id} kills a kept WebSocket run; its client hears
// why, and the job ends canceled.
func TestStreamJobDelete(t *testing.T) {
	exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		on(executor.Event{Stage: executor.StageRun, Stream: executor.Stdout, Data: []byte("looping\n")})
		<-ctx.Done()
		return executor.Result{}, ctx.Err()
	})
	srv := httptest.NewServer(newTestServer(t, exec, Options{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	conn := dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": "while True: pass", "job": true})
	var started streamOut
	if err := wsjson.Read(ctx, conn, &started); err != nil || started.Job == "" {
		t.Fatalf("started: %+v, %v; want a job id", started, err)
	}
	if code, v := streamJobGet(t, srv, started.Job); code != http.StatusOK || v.State != JobRunning {
		t.Fatalf("GET while it runs: %d %+v; want 200 running", code, v)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, srv.URL+"/api/v1/jobs/"+started.Job, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v JobView
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || v.State != JobDone || v.Error != errCanceledRunning {
		t.Errorf("DELETE: %d %+v; want 200, done, %q", resp.StatusCode, v, errCanceledRunning)
	}
	msgs := readUntilClosed(t, ctx, conn)
	if n := len(msgs); n == 0 || msgs[n-1].Type != "error" || !strings.Contains(msgs[n-1].Error, "canceled") {
		t.Errorf("the client heard %+v; want an error saying the job was canceled", msgs)
	}
}

// TestStreamJobInFleet: with a fleet, a kept WebSocket run's job lives in the fleet's store:
// another server of the fleet shows its Result, and a DELETE there kills the run where it runs.
func TestStreamJobInFleet(t *testing.T) {
	fake := newFake(nil)
	fake.Slots, fake.Queue = 0, 0
	c, _ := testFleet(t, t.TempDir(), fake)
	srv := httptest.NewServer(newTestServer(t, c, Options{Fleet: c}))
	defer srv.Close()
	b := newTestServer(t, c, Options{Fleet: c})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()

	conn := dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": "out hello", "job": true})
	msgs := readUntilClosed(t, ctx, conn)
	last := msgs[len(msgs)-1]
	if last.Type != "result" || last.Job == "" || last.Result == nil {
		t.Fatalf("messages %+v; want a result naming its job", msgs)
	}
	if code, v := getJob(t, b, last.Job, false); code != http.StatusOK || v.State != JobDone || v.Result == nil || v.Result.Stdout != "hello\n" {
		t.Fatalf("the kept run on another server: %d %+v", code, v)
	}

	conn = dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": "block", "job": true})
	var started streamOut
	if err := wsjson.Read(ctx, conn, &started); err != nil || started.Job == "" {
		t.Fatalf("started: %+v, %v; want a job id", started, err)
	}
	if w := do(t, b, "DELETE", "/api/v1/jobs/"+started.Job, ""); w.Code != http.StatusOK {
		t.Fatalf("DELETE on another server: %d %s", w.Code, w.Body)
	}
	msgs = readUntilClosed(t, ctx, conn)
	if n := len(msgs); n == 0 || msgs[n-1].Type != "error" || !strings.Contains(msgs[n-1].Error, "canceled") {
		t.Errorf("the client heard %+v; want an error saying the job was canceled", msgs)
	}
	if code, v := getJob(t, b, started.Job, true); code != http.StatusOK || v.State != JobDone || !strings.Contains(v.Error, "canceled") {
		t.Errorf("the canceled run on another server: %d %+v", code, v)
	}
}
