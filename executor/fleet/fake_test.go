package fleet

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// fake is an executor for the queueing tests. The first file is a script, one command a line:
//
//	out TEXT   print TEXT and a newline on stdout
//	sleep D    wait D, or until canceled
//	block      tell the test it started (fake.started) and wait until canceled
//	gate       tell the test it started (fake.started) and wait until fake.gate is closed
//	readline   read a line of stdin and print "got LINE"
//	who        print the fake's name
//	runtime    print the runtime the request names
type fake struct {
	name    string
	langs   []string    // language ids (any runtime) and runtime keys ("javascript/bun")
	started chan string // job scripts that reached "block" or "gate"
	gate    chan struct{}

	mu   sync.Mutex
	runs map[string]int // script -> times run
}

func newFake(name string, langs ...string) *fake {
	return &fake{name: name, langs: langs, started: make(chan string, 16), runs: map[string]int{}, gate: make(chan struct{})}
}

func (f *fake) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	if !contains(f.langs, req.Language) && !contains(f.langs, req.Language+"/"+req.Runtime) {
		return executor.Result{}, executor.Invalid("language", "%s (%s) is not installed on this executor", req.Language, req.Runtime)
	}
	script := string(req.Files[0].Content)
	f.mu.Lock()
	f.runs[script]++
	f.mu.Unlock()
	var out bytes.Buffer
	emit := func(s string) {
		out.WriteString(s)
		if onEvent != nil {
			onEvent(executor.Event{Stage: executor.StageRun, Stream: executor.Stdout, Data: []byte(s)})
		}
	}
	var stdin *bufio.Reader
	if req.StdinStream != nil {
		stdin = bufio.NewReader(io.MultiReader(bytes.NewReader(req.Stdin), req.StdinStream))
	} else {
		stdin = bufio.NewReader(bytes.NewReader(req.Stdin))
	}
	for _, line := range strings.Split(script, "\n") {
		cmd, arg, _ := strings.Cut(line, " ")
		switch cmd {
		case "out":
			emit(arg + "\n")
		case "who":
			emit(f.name + "\n")
		case "big": // big N: N bytes of x, in 16 KiB writes
			n, _ := strconv.Atoi(arg)
			for ; n > 0; n -= 16 << 10 {
				emit(strings.Repeat("x", min(n, 16<<10)))
			}
		case "runtime":
			emit(req.Runtime + "\n")
		case "sleep":
			d, _ := time.ParseDuration(arg)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return executor.Result{}, ctx.Err()
			}
		case "block":
			f.started <- script
			<-ctx.Done()
			return executor.Result{}, ctx.Err()
		case "gate":
			f.started <- script
			select {
			case <-f.gate:
			case <-ctx.Done():
				return executor.Result{}, ctx.Err()
			}
		case "readline":
			l, err := stdin.ReadString('\n')
			if err != nil {
				emit("got EOF\n")
			} else {
				emit("got " + l)
			}
		}
	}
	return executor.Result{Language: req.Language, Status: executor.StatusOK, Stdout: out.String()}, nil
}

func (f *fake) Languages(context.Context) ([]executor.LanguageInfo, error) {
	var out []executor.LanguageInfo
	index := map[string]int{}
	for _, l := range f.langs {
		id, rt, ok := strings.Cut(l, "/")
		i, seen := index[id]
		if !seen {
			i, index[id] = len(out), len(out)
			out = append(out, executor.LanguageInfo{ID: id, Version: "1.0", Available: true})
		}
		if ok { // a runtime key: list the runtimes, as the local executor does
			out[i].Runtimes = append(out[i].Runtimes, executor.RuntimeInfo{Runtime: rt, Version: "1.0-" + rt, Available: true})
		}
	}
	return out, nil
}

func (f *fake) Capacity(context.Context) (executor.Capacity, error) {
	return executor.Capacity{Slots: 2, Version: executor.Version}, nil
}

func (f *fake) count(script string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs[script]
}

// startServer starts an embedded NATS server with JetStream for one test.
func startServer(t *testing.T) *Embedded {
	t.Helper()
	e, err := StartEmbedded(EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// startWorker runs a worker over ex until the test ends (or the returned stop is called).
func startWorker(t *testing.T, url string, ex executor.Executor, slots int) (*Worker, func()) {
	t.Helper()
	return startWorkerWith(t, WorkerOptions{Conn: ConnOptions{URL: url}, Executor: ex, Slots: slots})
}

// startWorkerWith runs a worker with opts until the test ends (or the returned stop is called,
// which returns when the worker has drained).
func startWorkerWith(t *testing.T, opts WorkerOptions) (*Worker, func()) {
	t.Helper()
	if opts.Host == "" {
		opts.Host = "test"
	}
	w, err := NewWorker(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Serve(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return w, stop
}

func dial(t *testing.T, url string) *Client {
	t.Helper()
	c, err := Dial(context.Background(), ClientOptions{Conn: ConnOptions{URL: url}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitLive waits until the client sees n live workers (2 minutes at most: a loaded machine is slow).
func waitLive(t *testing.T, c *Client, n int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if len(c.live()) == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the client sees %d live workers, want %d", len(c.live()), n)
}

func script(lang string, lines ...string) executor.Request {
	return executor.Request{Language: lang, Files: []executor.File{{Name: "main", Content: []byte(strings.Join(lines, "\n"))}}}
}

func runOK(t *testing.T, c *Client, req executor.Request) executor.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := c.Run(ctx, req, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Status != executor.StatusOK {
		t.Fatalf("Run: status %s (%s)", res.Status, res.Message)
	}
	return res
}

var _ = fmt.Sprint
