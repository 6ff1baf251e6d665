// Package executortest is the one contract suite every executor.Executor must pass: the local
// sandbox, a tcp:// executor, and any later one. It runs real programs (Python and C), so the
// test package that calls Run needs
//
//	func TestMain(m *testing.M) { if sandbox.MaybeInit() { return }; os.Exit(m.Run()) }
//
// and a host where python3 and gcc are installed.
//
// It is not for transport details (authentication, framing, faults): those are tested where
// the transport lives.
package executortest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

// Concurrent is how many runs the suite starts at once: newExecutor must give an executor whose
// slots plus queue hold at least this many.
const Concurrent = 24

// Run runs the contract suite against executors made by newExecutor (called once per subtest,
// which may share one executor; it must clean up with t.Cleanup).
func Run(t *testing.T, newExecutor func(t *testing.T) executor.Executor) {
	t.Run("Languages", func(t *testing.T) { testLanguages(t, newExecutor(t)) })
	t.Run("Capacity", func(t *testing.T) { testCapacity(t, newExecutor(t)) })
	t.Run("Statuses", func(t *testing.T) { testStatuses(t, newExecutor(t)) })
	t.Run("StreamOrder", func(t *testing.T) { testStreamOrder(t, newExecutor(t)) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, newExecutor(t)) })
	t.Run("Interactive", func(t *testing.T) { testInteractive(t, newExecutor(t)) })
	t.Run("BadRequest", func(t *testing.T) { testBadRequest(t, newExecutor(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newExecutor(t)) })
	t.Run("CasesIsolated", func(t *testing.T) { testCasesIsolated(t, newExecutor(t)) })
}

// source makes a one-file request.
func source(lang, name, text string) executor.Request {
	return executor.Request{Language: lang, Files: []executor.File{{Name: name, Content: []byte(text)}}}
}

// collect gathers a run's events.
type collect struct{ events []executor.Event }

func (c *collect) on(ev executor.Event) { c.events = append(c.events, ev) }

// text joins the data of the events of one stage and stream.
func (c *collect) text(stage executor.Stage, stream executor.Stream) string {
	var b []byte
	for _, ev := range c.events {
		if ev.Stage == stage && ev.Stream == stream {
			b = append(b, ev.Data...)
		}
	}
	return string(b)
}

func testLanguages(t *testing.T, ex executor.Executor) {
	langs, err := ex.Languages(context.Background())
	if err != nil {
		t.Fatalf("Languages: %v", err)
	}
	for _, id := range []string{"python", "c"} {
		i := slices.IndexFunc(langs, func(l executor.LanguageInfo) bool { return l.ID == id })
		if i < 0 {
			t.Errorf("Languages has no %q", id)
			continue
		}
		if l := langs[i]; !l.Available || l.Version == "" {
			t.Errorf("Languages: %s available=%v version=%q; the suite needs it installed, with its version", id, l.Available, l.Version)
		}
	}
}

func testCapacity(t *testing.T, ex executor.Executor) {
	cp, err := ex.Capacity(context.Background())
	if err != nil {
		t.Fatalf("Capacity: %v", err)
	}
	if cp.Slots < 1 || cp.Running < 0 || cp.Queued < 0 || cp.QueueMax < 0 || cp.Version != executor.Version {
		t.Errorf("Capacity = %+v; want slots ≥ 1, no negative count, version %q", cp, executor.Version)
	}
	if cp.Slots+cp.QueueMax < Concurrent {
		t.Errorf("Capacity = %+v; the suite needs slots+queue_max ≥ %d", cp, Concurrent)
	}
}

func testBadRequest(t *testing.T, ex executor.Executor) {
	_, err := ex.Run(context.Background(), source("pyhton", "main.py", "print(1)"), nil)
	var re *executor.RequestError
	if !errors.As(err, &re) || re.Field != "language" {
		t.Fatalf("unknown language: got %v (%T), want *executor.RequestError on field \"language\"", err, err)
	}
	req := source("python", "../escape.py", "print(1)")
	if _, err := ex.Run(context.Background(), req, nil); !errors.As(err, &re) || re.Field != "files[0].name" {
		t.Errorf("file name with ..: got %v, want *executor.RequestError on files[0].name", err)
	}
}

// testCancel: canceling ctx kills the run at once and Run returns ctx's error.
func testCancel(t *testing.T, ex executor.Executor) {
	// The guard is far above "at once", even on a loaded machine, and below the program's own
	// wall clock (the longest a request may ask for, 3 minutes).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	started := make(chan struct{})
	var once bool
	req := source("python", "main.py", "import time\nprint('started', flush=True)\ntime.sleep(600)\nprint('never')")
	req.Limits = executor.Limits{CPUTimeMs: 5000, WallTimeMs: executor.MaxLimits().WallTimeMs}
	done := make(chan error, 1)
	go func() {
		_, err := ex.Run(runCtx, req, func(executor.Event) {
			if !once {
				once = true
				close(started)
			}
		})
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("run ended before its first output: %v", err)
	case <-ctx.Done():
		t.Fatal("no output within 2 minutes")
	}
	stop()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel: got %v, want context.Canceled", err)
		}
		// The run is dead, and its slot free, by the time Run returns.
		if cp, err := ex.Capacity(ctx); err != nil || cp.Running != 0 {
			t.Errorf("Capacity right after the canceled Run returned: %+v, %v; want nothing running", cp, err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return within 2 minutes of its context being canceled")
	}
}

// testStreamOrder: events arrive in the order the program wrote them. Within a stream that is
// exact; across stdout and stderr (two pipes read side by side) only for writes that happened
// after the one before had arrived: here the program waits for a line of input, sent when an
// event arrived, before each next write (a pause of 250 ms was not enough on a loaded machine).
func testStreamOrder(t *testing.T, ex executor.Executor) {
	prog := `import sys
for i in range(6):
    s = sys.stdout if i % 2 == 0 else sys.stderr
    s.write(f"{i}\n"); s.flush()
    sys.stdin.readline()
`
	req := source("python", "main.py", prog)
	feed := executor.NewStdinFeed()
	defer feed.Close()
	req.StdinStream = feed.Reader()
	var c collect
	var mu sync.Mutex
	res, err := ex.Run(context.Background(), req, func(ev executor.Event) {
		mu.Lock()
		defer mu.Unlock()
		c.on(ev)
		if bytes.HasSuffix(ev.Data, []byte("\n")) {
			feed.Feed([]byte("next\n"), false)
		}
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var got []string
	for _, ev := range c.events {
		got = append(got, string(ev.Stream)+":"+string(ev.Data))
	}
	want := []string{"stdout:0\n", "stderr:1\n", "stdout:2\n", "stderr:3\n", "stdout:4\n", "stderr:5\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if res.Stdout != "0\n2\n4\n" || res.Stderr != "1\n3\n5\n" {
		t.Errorf("Result stdout %q stderr %q", res.Stdout, res.Stderr)
	}
}
