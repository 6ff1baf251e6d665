package remote

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
)

// interactiveRun runs req on c with a StdinFeed as its StdinStream; its stdout events arrive on
// lines and its end on done.
type interactiveRun struct {
	feed  *executor.StdinFeed
	lines chan string
	done  chan runEnd
	held  string // output read but not yet expected (events are batched, so one may hold several lines)
}

type runEnd struct {
	res executor.Result
	err error
}

func startInteractive(t *testing.T, ctx context.Context, c *Client, req executor.Request) *interactiveRun {
	t.Helper()
	r := &interactiveRun{feed: executor.NewStdinFeed(), lines: make(chan string, 64), done: make(chan runEnd, 1)}
	t.Cleanup(r.feed.Close)
	req.StdinStream = r.feed.Reader()
	go func() {
		res, err := c.Run(ctx, req, func(ev executor.Event) { r.lines <- string(ev.Data) })
		r.done <- runEnd{res, err}
	}()
	return r
}

// expect waits (at most a minute: a bound for hangs) for the next stdout output and checks it.
func (r *interactiveRun) expect(t *testing.T, want string) {
	t.Helper()
	for len(r.held) < len(want) {
		select {
		case got := <-r.lines:
			r.held += got
		case end := <-r.done:
			t.Fatalf("run ended (%+v, %v) before printing %q (printed %q)", end.res, end.err, want, r.held)
		case <-time.After(time.Minute):
			t.Fatalf("no %q within a minute (printed %q)", want, r.held)
		}
	}
	if got := r.held[:len(want)]; got != want {
		t.Fatalf("output %q, want %q", r.held, want)
	}
	r.held = r.held[len(want):]
}

func (r *interactiveRun) feedOK(t *testing.T, data string, eof bool) {
	t.Helper()
	if err := r.feed.Feed([]byte(data), eof); err != nil {
		t.Fatalf("Feed(%q, %v): %v", data, eof, err)
	}
}

func (r *interactiveRun) end(t *testing.T) runEnd {
	t.Helper()
	select {
	case end := <-r.done:
		return end
	case <-time.After(time.Minute):
		t.Fatal("the run did not end within a minute")
		return runEnd{}
	}
}

// inFlight returns the ids of c's runs in flight.
func inFlight(t *testing.T, c *Client) (*session, []string) {
	t.Helper()
	s, err := c.session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.runsMu.Lock()
	defer s.runsMu.Unlock()
	var ids []string
	for id := range s.runs {
		ids = append(ids, id)
	}
	return s, ids
}

// TestInteractive: a run reads Stdin first, then each line sent while it runs, answering one
// before the next is sent; eof ends its stdin; a stdin call after eof is refused.
func TestInteractive(t *testing.T) {
	f := newFake(2, 2)
	addr, _ := startServer(t, f, ServerOptions{})
	c := dial(t, addr, Options{})
	req := script("out ready", "readline", "readline", "readline", "readline", "gate")
	req.Stdin = []byte("first\n")
	r := startInteractive(t, context.Background(), c, req)

	r.expect(t, "ready\n")
	r.expect(t, "got first\n")
	r.feedOK(t, "second\n", false)
	r.expect(t, "got second\n")
	r.feedOK(t, "thi", false)
	r.feedOK(t, "rd\n", false)
	r.expect(t, "got third\n")
	r.feedOK(t, "", true)
	r.expect(t, "got EOF\n")

	s, ids := inFlight(t, c)
	if len(ids) != 1 {
		t.Fatalf("runs in flight %v, want one", ids)
	}
	err := s.call(context.Background(), MethodStdin, StdinParams{RunID: ids[0], Data: []byte("late\n")}, nil)
	var re *executor.RequestError
	if !errors.As(err, &re) || re.Field != "eof" {
		t.Errorf("stdin after eof: %v, want a RequestError on field eof", err)
	}
	close(f.Gate)
	end := r.end(t)
	if end.err != nil {
		t.Fatal(end.err)
	}
	if diff := cmp.Diff("ready\ngot first\ngot second\ngot third\ngot EOF\n", end.res.Stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}

// TestInteractiveFlowControl: a program that does not read holds up the client's pump after
// one chunk: the rest stays in the caller's feed, and one stdin call at a time waits on the
// server. When the program reads, everything arrives.
func TestInteractiveFlowControl(t *testing.T) {
	f := newFake(2, 2)
	addr, srv := startServer(t, f, ServerOptions{})
	c := dial(t, addr, Options{})
	r := startInteractive(t, context.Background(), c, script("out ready", "gate", "drain"))
	r.expect(t, "ready\n")
	const total = 512 << 10
	r.feedOK(t, string(bytes.Repeat([]byte("x"), total)), true)

	waitFor(t, "a stdin call waiting on the server", func() bool { return stdinBusy(srv) })
	if got := r.feed.Backlog(); got < total-stdinChunk {
		t.Errorf("the client took %d bytes from the feed while the program read none; want at most one chunk (%d)", total-got, stdinChunk)
	}
	s, ids := inFlight(t, c)
	err := s.call(context.Background(), MethodStdin, StdinParams{RunID: ids[0], Data: []byte("more")}, nil)
	if !errors.Is(err, executor.ErrBusy) {
		t.Errorf("a second stdin call while one waits: %v, want ErrBusy", err)
	}
	close(f.Gate)
	r.expect(t, "read 524288 bytes\n")
	if end := r.end(t); end.err != nil || end.res.Status != executor.StatusOK {
		t.Errorf("Run: %+v, %v", end.res, end.err)
	}
}

// stdinBusy reports whether some run on srv has a stdin call being written.
func stdinBusy(srv *Server) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for c := range srv.conns {
		c.runsMu.Lock()
		for _, r := range c.runs {
			if r.stdin != nil {
				r.stdin.mu.Lock()
				busy := r.stdin.busy
				r.stdin.mu.Unlock()
				if busy {
					c.runsMu.Unlock()
					return true
				}
			}
		}
		c.runsMu.Unlock()
	}
	return false
}

// TestStdinRefused: stdin for no run, or for a run that is not interactive, is refused with a
// sentence; the runs go on. A run that ends without reading its input ends all the same.
func TestStdinRefused(t *testing.T) {
	f := newFake(2, 2)
	addr, _ := startServer(t, f, ServerOptions{})
	c := dial(t, addr, Options{})
	s, _ := inFlight(t, c)
	err := s.call(context.Background(), MethodStdin, StdinParams{RunID: "nope", Data: []byte("x")}, nil)
	var re *executor.RequestError
	if !errors.As(err, &re) || re.Field != "run_id" {
		t.Errorf("stdin for no run: %v, want a RequestError on run_id", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	started := make(chan struct{}, 1)
	go func() {
		_, err := c.Run(ctx, script("out started", "gate"), func(executor.Event) { started <- struct{}{} })
		done <- err
	}()
	<-started
	_, ids := inFlight(t, c)
	err = s.call(context.Background(), MethodStdin, StdinParams{RunID: ids[0], Data: []byte("x")}, nil)
	if !errors.As(err, &re) || re.Field != "run_id" {
		t.Errorf("stdin for a run that is not interactive: %v, want a RequestError on run_id", err)
	}
	close(f.Gate)
	if err := <-done; err != nil {
		t.Errorf("the run after the refused stdin: %v", err)
	}

	// Nothing is ever fed: the run ends anyway, and Run returns.
	r := startInteractive(t, context.Background(), c, script("out bye"))
	r.expect(t, "bye\n")
	if end := r.end(t); end.err != nil {
		t.Errorf("Run: %v", end.err)
	}
}

// TestInteractiveOldServer: an executor that does not announce interactive input gets no
// interactive run; the client says so instead of running the program with an empty stdin.
func TestInteractiveOldServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	runs := make(chan string, 4)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		st := newFrameStream(nc, frameOptions{maxMessage: 1 << 20})
		for {
			msg, _, err := st.Read(context.Background())
			if err != nil {
				return
			}
			call, ok := msg.(*jsonrpc2.Call)
			if !ok {
				continue
			}
			runs <- call.Method()
			resp, _ := jsonrpc2.NewResponse(call.ID(), AuthResult{Protocol: ProtocolVersion, Version: "0.0.1"}, nil)
			if call.Method() != MethodAuthenticate {
				resp, _ = jsonrpc2.NewResponse(call.ID(), nil, jsonrpc2.NewError(jsonrpc2.InternalError, "unexpected"))
			}
			_, _ = st.Write(context.Background(), resp)
		}
	}()
	c := dial(t, "tcp://"+ln.Addr().String(), Options{})
	req := script("readline")
	feed := executor.NewStdinFeed()
	defer feed.Close()
	req.StdinStream = feed.Reader()
	_, err = c.Run(context.Background(), req, nil)
	var re *executor.RequestError
	if !errors.As(err, &re) || re.Field != "stdin" {
		t.Errorf("interactive run on an old executor: %v, want a RequestError on field stdin", err)
	}
	if m := <-runs; m != MethodAuthenticate {
		t.Errorf("first call %q", m)
	}
	select {
	case m := <-runs:
		t.Errorf("the client sent %q to an executor that cannot take the run", m)
	default:
	}
}
