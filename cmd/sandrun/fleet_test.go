package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
)

// fleetEcho is a fleet worker's executor for the CLI test: python only, it prints the source.
type fleetEcho struct{}

func (fleetEcho) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	out := "ran: " + string(req.Files[0].Content)
	if onEvent != nil {
		onEvent(executor.Event{Stage: executor.StageRun, Stream: executor.Stdout, Data: []byte(out)})
	}
	return executor.Result{Language: "python", Status: executor.StatusOK, Stdout: out}, nil
}

func (fleetEcho) Languages(context.Context) ([]executor.LanguageInfo, error) {
	return []executor.LanguageInfo{{ID: "python", Version: "3", Available: true}}, nil
}

func (fleetEcho) Capacity(context.Context) (executor.Capacity, error) {
	return executor.Capacity{Slots: 1}, nil
}

// TestFleetCLI: run and fleet against an embedded NATS server with a token and one worker;
// a language no worker has is a usage error; no NATS is exit 125 within seconds.
func TestFleetCLI(t *testing.T) {
	dir := t.TempDir()
	tok := writeFile(t, dir, "nats.tok", "n4ts-s3cret-0123456789abcdef\n")
	emb, err := fleet.StartEmbedded(fleet.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: t.TempDir(), TokenFile: tok})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	url := emb.URL()

	out, stderr, code := sandrunCLI(t, "", "fleet", "--nats", url, "--nats-token-file", tok, "--json")
	var st fleet.Status
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Workers) != 0 || st.QueueMax != fleet.DefaultQueueMax {
		t.Fatalf("fleet --json with no worker: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if _, stderr, code := sandrunCLI(t, "", "fleet", "--nats", url); code != 1 || !strings.Contains(stderr, "nats:") {
		t.Errorf("fleet without the token: exit %d, stderr %q", code, stderr)
	}

	w, err := fleet.NewWorker(context.Background(), fleet.WorkerOptions{Conn: fleet.ConnOptions{URL: url, TokenFile: tok}, Executor: fleetEcho{}, Host: "cli-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	for i := 0; i < 100; i++ {
		out, _, _ = sandrunCLI(t, "", "fleet", "--nats", url, "--nats-token-file", tok)
		if strings.Contains(out, "cli-test") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out, "cli-test") || !strings.Contains(out, "python") {
		t.Fatalf("fleet does not list the worker:\n%s", out)
	}

	py := writeFile(t, dir, "hello.py", "print('hi')\n")
	out, stderr, code = sandrunCLI(t, "", "run", "--executor", url, "--token-file", tok, py)
	if code != 0 || out != "ran: print('hi')\n" {
		t.Errorf("run on the fleet: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	c := writeFile(t, dir, "hello.c", "int main(){}\n")
	if _, stderr, code := sandrunCLI(t, "", "run", "--executor", url, "--token-file", tok, c); code != 2 || !strings.Contains(stderr, "no executor in the fleet has c") {
		t.Errorf("a language no worker has: exit %d, stderr %q", code, stderr)
	}

	emb.Close()
	began := time.Now()
	_, stderr, code = sandrunCLI(t, "", "run", "--executor", url, "--token-file", tok, py)
	if code != 125 || !strings.Contains(stderr, "NATS unreachable") || time.Since(began) > 20*time.Second {
		t.Errorf("NATS down: exit %d after %v, stderr %q; want 125 within seconds", code, time.Since(began), stderr)
	}
}
