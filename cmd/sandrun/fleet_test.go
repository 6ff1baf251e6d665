package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/internal/testcert"
	"github.com/sandrun/sandrun/languages"
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
	if _, stderr, code := sandrunCLI(t, "", "fleet", "--nats", url); code != 125 || !strings.Contains(stderr, "refused this connection's credentials (Authorization Violation)") {
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
	// It gives up (one connect of at most ConnectTimeout), never retries on: the bound tells the
	// two apart and is no timing, as a race-built sandrun starting on a loaded machine takes its
	// time (20s was within reach).
	began := time.Now()
	_, stderr, code = sandrunCLI(t, "", "run", "--executor", url, "--token-file", tok, py)
	if code != 125 || !strings.Contains(stderr, "cannot reach NATS at") || time.Since(began) > 2*time.Minute {
		t.Errorf("NATS down: exit %d after %v, stderr %q; want 125, not a run that waits for NATS", code, time.Since(began), stderr)
	}
}

// TestFleetUnreachable: a fleet whose NATS does not answer is one sentence naming the address,
// with no repeated prefixes, and exit 125 (sandrun could not do it).
func TestFleetUnreachable(t *testing.T) {
	_, stderr, code := sandrunCLI(t, "", "fleet", "--nats", "nats://127.0.0.1:1")
	want := "sandrun fleet: cannot reach NATS at nats://127.0.0.1:1: no server answered (is one running there?)\n"
	if code != 125 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 125 and %q", code, stderr, want)
	}
}

// TestFleetFlagRules: a NATS token goes over plain TCP only to this machine (refused before any
// dial, unless --insecure-plaintext), and --languages goes with --nats.
func TestFleetFlagRules(t *testing.T) {
	dir := t.TempDir()
	tok := writeFile(t, dir, "nats.tok", "n4ts-s3cret-0123456789abcdef\n")
	py := writeFile(t, dir, "hello.py", "print('hi')\n")
	far := "nats://192.0.2.7:4222" // TEST-NET-1: never dialled
	for _, args := range [][]string{
		{"executor", "--nats", far, "--nats-token-file", tok},
		{"fleet", "--nats", far, "--nats-token-file", tok},
		{"run", "--executor", far, "--token-file", tok, py},
	} {
		if _, stderr, code := sandrunCLI(t, "", args...); code == 0 || !strings.Contains(stderr, "refusing to send the NATS token") || !strings.Contains(stderr, "--insecure-plaintext") {
			t.Errorf("%v: exit %d, stderr %q; want the plaintext refusal", args, code, stderr)
		}
	}
	if _, stderr, code := sandrunCLI(t, "", "executor", "--languages", "python"); code != 2 || !strings.Contains(stderr, "need --nats") {
		t.Errorf("--languages without --nats: exit %d, stderr %q", code, stderr)
	}
}

// TestExecutorWorkerDrain: `sandrun executor --nats … --languages python/cpython` advertises
// that runtime only; on SIGTERM it takes no new job, lets its running job finish where it runs (no restart),
// and then exits 0.
func TestExecutorWorkerDrain(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	emb, err := fleet.StartEmbedded(fleet.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	cmd := exec.Command(os.Args[0], "executor", "--nats", emb.URL(), "--languages", "python/cpython", "--slots", "1", "--grace", "3m")
	cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	c, err := fleet.Dial(context.Background(), fleet.ClientOptions{Conn: fleet.ConnOptions{URL: emb.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	worker := func() (fleet.WorkerInfo, bool) {
		st, err := c.Status(context.Background())
		if err != nil || len(st.Workers) != 1 {
			return fleet.WorkerInfo{}, false
		}
		return st.Workers[0], true
	}
	var w fleet.WorkerInfo
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		var ok bool
		if w, ok = worker(); ok && w.Live {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(w.Runtimes) != 1 || len(w.Runtimes["python"]) != 1 || w.Runtimes["python"]["cpython"] == "" {
		t.Fatalf("the worker pulls %v; want python (cpython) only\nstderr: %s", w.Runtimes, stderr.String())
	}

	feed := executor.NewStdinFeed()
	defer feed.Close()
	req := executor.Request{Language: "python", Files: []executor.File{{Name: "main.py", Content: []byte(
		"import sys\nprint('started', flush=True)\nprint('got ' + sys.stdin.readline().strip(), flush=True)\n")}},
		StdinStream: feed.Reader(), Limits: executor.Limits{WallTimeMs: 170000}}
	started := make(chan struct{})
	var once sync.Once
	type end struct {
		res      executor.Result
		err      error
		restarts int
	}
	done := make(chan end, 1)
	go func() {
		var e end
		e.res, e.err = c.Run(context.Background(), req, func(ev executor.Event) {
			if ev.Restart > 0 {
				e.restarts++
			}
			if strings.Contains(string(ev.Data), "started") {
				once.Do(func() { close(started) })
			}
		})
		done <- e
	}()
	select {
	case <-started:
	case e := <-done:
		t.Fatalf("the job ended before it read its input: %v %+v", e.err, e.res)
	case <-time.After(120 * time.Second):
		t.Fatal("the job did not start")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline) && !w.Draining; {
		time.Sleep(100 * time.Millisecond)
		w, _ = worker()
	}
	if !w.Draining {
		t.Fatalf("the worker did not show as draining after SIGTERM\nstderr: %s", stderr.String())
	}
	_ = feed.Feed([]byte("go\n"), true)
	var e end
	select {
	case e = <-done:
	case <-time.After(120 * time.Second):
		t.Fatal("the running job did not finish on the draining worker")
	}
	if e.err != nil || e.res.Status != executor.StatusOK || e.res.Stdout != "started\ngot go\n" || e.restarts != 0 {
		t.Errorf("the running job: %v, %s %q, %d restarts; want it finished where it ran", e.err, e.res.Status, e.res.Stdout, e.restarts)
	}
	select {
	case err := <-exited:
		exited <- err // for the deferred Kill's wait
		if err != nil {
			t.Errorf("the worker exited with %v; want 0\nstderr: %s", err, stderr.String())
		}
	case <-time.After(120 * time.Second):
		t.Fatalf("the worker did not exit after its last job\nstderr: %s", stderr.String())
	}
	if s := stderr.String(); !strings.Contains(s, "draining") || !strings.Contains(s, "stopped") {
		t.Errorf("stderr %q; want it to say it drains and stopped", s)
	}
}

// TestServeNATSTLS: `serve --nats-listen` with --nats-tls-cert/--nats-tls-key serves NATS over
// TLS only; its own worker (in-process) runs what `run --executor tls://…` submits over TLS
// with the token, and `fleet` reads the status the same way.
func TestServeNATSTLS(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	ca, cert, key := testcert.Write(t, dir)
	tok := writeFile(t, dir, "nats.tok", "n4ts-s3cret-0123456789abcdef\n")
	srv := startServeLog(t, "--nats-listen", "127.0.0.1:0", "--nats-store", t.TempDir(), "--nats-token-file", tok,
		"--nats-tls-cert", cert, "--nats-tls-key", key)
	url := ""
	for _, l := range srv.log() {
		if m := regexp.MustCompile(`"nats":"(tls://127\.0\.0\.1:\d+)"`).FindStringSubmatch(l); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("serve never logged a tls:// NATS URL:\n%s", strings.Join(srv.log(), "\n"))
	}
	// The serving line names what runs the jobs: the fleet, not the default "local".
	if want := `"executor":"fleet at ` + url + `"`; !strings.Contains(srv.serving, want) {
		t.Errorf("serving line %s: want %s", srv.serving, want)
	}

	out := ""
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); { // until serve's own worker has joined
		out, _, _ = sandrunCLI(t, "", "fleet", "--nats", url, "--nats-tls-ca", ca, "--nats-token-file", tok, "--json")
		var st fleet.Status
		if json.Unmarshal([]byte(out), &st) == nil && len(st.Workers) == 1 && st.Workers[0].Live {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out, `"python"`) {
		t.Fatalf("no worker with python in the fleet: %s", out)
	}
	py := writeFile(t, dir, "hello.py", "print('hi over tls')\n")
	if out, stderr, code := sandrunCLI(t, "", "run", "--executor", url, "--tls-ca", ca, "--token-file", tok, py); code != 0 || out != "hi over tls\n" {
		t.Errorf("run over TLS: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	plain := "nats://" + strings.TrimPrefix(url, "tls://")
	if _, stderr, code := sandrunCLI(t, "", "run", "--executor", plain, "--token-file", tok, py); code != 125 {
		t.Errorf("run in plain TCP to a TLS-only server: exit %d, stderr %q; want 125", code, stderr)
	}
}

// TestRuntimeKeys: `sandrun fleet` names a language's default runtime by the language, another
// by its key, and an old worker's languages by id.
func TestRuntimeKeys(t *testing.T) {
	cat, err := languages.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := fleet.WorkerInfo{Languages: map[string]string{"javascript": "20", "python": "3"},
		Runtimes: map[string]map[string]string{"javascript": {"node": "20", "bun": "1.1"}, "python": {"pypy": "7"}}}
	if got := strings.Join(runtimeKeys(w, cat), ","); got != "javascript,javascript/bun,python/pypy" {
		t.Errorf("runtimeKeys = %q", got)
	}
	w.Runtimes = nil
	if got := strings.Join(runtimeKeys(w, cat), ","); got != "javascript,python" {
		t.Errorf("runtimeKeys of an old worker = %q", got)
	}
}

// TestPrintFleetBusy: when the workers' BUSY (their last reports) does not add up to the
// queue's running total, a note says what each counts; when they agree, no note.
func TestPrintFleetBusy(t *testing.T) {
	st := fleet.Status{URL: "nats://127.0.0.1:4222", Running: 2, QueueMax: 10,
		Workers: []fleet.WorkerInfo{{ID: "w1", Host: "a", Slots: 2, Busy: 1, Live: true, LastSeen: time.Now()}}}
	var out strings.Builder
	printFleet(&out, st)
	if !strings.Contains(out.String(), "BUSY (1 in all) is as each worker last reported it (LAST SEEN); running (2) counts") {
		t.Errorf("BUSY 1, running 2, no note:\n%s", out.String())
	}
	st.Workers[0].Busy = 2
	out.Reset()
	printFleet(&out, st)
	if strings.Contains(out.String(), "last reported") {
		t.Errorf("BUSY and running agree, yet a note:\n%s", out.String())
	}
}
