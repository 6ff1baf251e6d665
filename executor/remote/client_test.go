package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

const testToken = "s3cret-token-for-tests"

// startServer serves exec on 127.0.0.1:0 with opts (Token defaults to testToken) until the test ends.
func startServer(t testing.TB, exec executor.Executor, opts ServerOptions) (string, *Server) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(exec, opts)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return "tcp://" + ln.Addr().String(), srv
}

// dial connects a Client (Token defaults to testToken) closed when the test ends.
func dial(t testing.TB, addr string, opts Options) *Client {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	c, err := Dial(context.Background(), addr, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRun(t *testing.T) {
	addr, _ := startServer(t, newFake(4, 4), ServerOptions{})
	c := dial(t, addr, Options{})
	tests := []struct {
		name       string
		req        executor.Request
		want       executor.Result
		wantEvents []string
	}{
		{
			name:       "hello",
			req:        script("out hello", "err oops", "out world"),
			want:       executor.Result{Language: "fake", Version: "1.0", Status: executor.StatusOK, Stdout: "hello\nworld\n", Stderr: "oops\n"},
			wantEvents: []string{"stdout:hello\n", "stderr:oops\n", "stdout:world\n"},
		},
		{
			name: "stdin and args",
			req: func() executor.Request {
				r := script("cat", "args")
				r.Stdin, r.Args = []byte("in\x00put\xff\n"), []string{"a b", "ü"}
				return r
			}(),
			want:       executor.Result{Language: "fake", Version: "1.0", Status: executor.StatusOK, Stdout: "in\x00put\uFFFD\na b\nü\n"},
			wantEvents: []string{"stdout:in\x00put\xff\na b\nü\n"},
		},
		{
			name: "exit code",
			req:  script("exit 3"),
			want: executor.Result{Language: "fake", Version: "1.0", Status: executor.StatusRuntimeError, ExitCode: 3, Message: "exited with code 3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Events of one stream in a row are joined: the server batches them, however it splits.
			var got []string
			res, err := c.Run(context.Background(), tt.req, func(ev executor.Event) {
				prefix := string(ev.Stream) + ":"
				if n := len(got); n > 0 && strings.HasPrefix(got[n-1], prefix) {
					got[n-1] += string(ev.Data)
					return
				}
				got = append(got, prefix+string(ev.Data))
			})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.want, res); diff != "" {
				t.Errorf("Result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEvents, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorsKeepTheirKind(t *testing.T) {
	f := newFake(1, 0)
	addr, _ := startServer(t, f, ServerOptions{})
	c := dial(t, addr, Options{BusyRetry: -1})

	_, err := c.Run(context.Background(), executor.Request{Language: "pyhton", Files: []executor.File{{Name: "a"}}}, nil)
	var re *executor.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("unknown language: got %v (%T), want *executor.RequestError", err, err)
	}
	want := &executor.RequestError{Field: "language", Msg: `unknown language "pyhton"; this fake knows "fake"`}
	if diff := cmp.Diff(want, re); diff != "" {
		t.Errorf("RequestError (-want +got):\n%s", diff)
	}

	// One slot, no queue: a second run while the first blocks is busy, at once (no retry).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx, script("block"), nil)
	waitFor(t, "the blocking run to start", func() bool { s, _ := f.Stats(); return s == 1 })
	if _, err := c.Run(context.Background(), script("out x"), nil); err != executor.ErrBusy {
		t.Errorf("second run: got %v, want executor.ErrBusy itself", err)
	}
}

func TestLanguagesAndCapacity(t *testing.T) {
	f := newFake(3, 5)
	addr, _ := startServer(t, f, ServerOptions{})
	c := dial(t, addr, Options{})
	langs, err := c.Languages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.Languages(context.Background())
	if diff := cmp.Diff(want, langs); diff != "" {
		t.Errorf("languages (-want +got):\n%s", diff)
	}
	cp, err := c.Capacity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(executor.Capacity{Slots: 3, QueueMax: 5, Version: executor.Version}, cp); diff != "" {
		t.Errorf("capacity (-want +got):\n%s", diff)
	}
}

func TestCancel(t *testing.T) {
	f := newFake(2, 0)
	addr, _ := startServer(t, f, ServerOptions{})
	c := dial(t, addr, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, script("out started", "block"), func(executor.Event) { close(started) })
		done <- err
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: got %v, want context.Canceled", err)
	}
	// Run waits for the executor to confirm, so the remote run has ended by now.
	if _, canceled := f.Stats(); canceled != 1 {
		t.Errorf("remote runs canceled = %d, want 1", canceled)
	}
	// The connection goes on serving.
	if res, err := c.Run(context.Background(), script("out again"), nil); err != nil || res.Stdout != "again\n" {
		t.Errorf("run after cancel: %q, %v", res.Stdout, err)
	}
}

// Fifty runs at once through one client and one executor: each gets its own output and result.
func TestConcurrentRuns(t *testing.T) {
	const n = 50
	addr, _ := startServer(t, newFake(8, n), ServerOptions{})
	c := dial(t, addr, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprintf("run %d\n", i)
			var streamed strings.Builder
			res, err := c.Run(context.Background(), script("sleep 20ms", "out run "+fmt.Sprint(i)), func(ev executor.Event) { streamed.Write(ev.Data) })
			switch {
			case err != nil:
				errs <- fmt.Errorf("run %d: %v", i, err)
			case res.Stdout != want || streamed.String() != want:
				errs <- fmt.Errorf("run %d: stdout %q, streamed %q, want %q", i, res.Stdout, streamed.String(), want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRunsPerConnectionLimit(t *testing.T) {
	f := newFake(10, 10)
	addr, _ := startServer(t, f, ServerOptions{MaxRunsPerConn: 2})
	c := dial(t, addr, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 2 {
		go c.Run(ctx, script("block"), nil)
	}
	waitFor(t, "two runs in flight", func() bool { s, _ := f.Stats(); return s == 2 })
	_, err := c.Run(context.Background(), script("out x"), nil)
	if !errors.Is(err, executor.ErrBusy) || !strings.Contains(err.Error(), "this connection already has 2 runs in flight") {
		t.Errorf("third run on one connection: got %v, want busy with the per-connection limit", err)
	}
	// Another connection is not limited by the first one's runs.
	if res, err := dial(t, addr, Options{}).Run(context.Background(), script("out y"), nil); err != nil || res.Stdout != "y\n" {
		t.Errorf("run on a second connection: %q, %v", res.Stdout, err)
	}
}

// A request larger than the executor reads is refused by the client itself, as a request
// error; the connection and its other runs go on.
func TestRequestTooLarge(t *testing.T) {
	addr, _ := startServer(t, newFake(2, 2), ServerOptions{MaxMessageBytes: 64 << 10})
	c := dial(t, addr, Options{})
	req := script("cat")
	req.Stdin = make([]byte, 60<<10) // 80 KiB in base64
	_, err := c.Run(context.Background(), req, nil)
	var re *executor.RequestError
	if !errors.As(err, &re) || !strings.Contains(re.Msg, "accepts at most "+executor.FormatBytes(64<<10)) {
		t.Fatalf("oversized request: got %v, want a *executor.RequestError naming the limit", err)
	}
	req.Stdin = make([]byte, 30<<10)
	if res, err := c.Run(context.Background(), req, nil); err != nil || len(res.Stdout) != 30<<10 {
		t.Errorf("request under the limit on the same connection: %d bytes, %v", len(res.Stdout), err)
	}
}

// TestBurstQueues: 48 runs from 16 clients against 2 slots and a short queue all complete:
// clients retry a full queue with backoff.
func TestBurstQueues(t *testing.T) {
	f := newFake(2, 4)
	addr, _ := startServer(t, f, ServerOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 48)
	for range 16 {
		// A client retries for BusyRetry (10s by default) before it reports busy: on a starved
		// machine the other 15 clients can hold the slots that long. This bound catches hangs.
		c := dial(t, addr, Options{BusyRetry: 2 * time.Minute})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := c.Run(context.Background(), script("sleep 20ms", "out x"), nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
