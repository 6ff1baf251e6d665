package remote

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/sandbox"
)

// childEnv makes the test binary, re-executed, serve a fake executor and print its address.
const childEnv = "SANDRUN_REMOTE_TEST_CHILD"

func TestMain(m *testing.M) {
	if sandbox.MaybeInit() {
		return
	}
	if os.Getenv(childEnv) == "1" {
		serveChild()
		return
	}
	os.Exit(m.Run())
}

func serveChild() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	err = NewServer(newFake(4, 4), ServerOptions{Token: testToken}).Serve(ln)
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// startChild runs an executor in a child process; the test kills it at the end.
func startChild(t *testing.T) (addr string, proc *os.Process) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("child executor: %v", err)
	}
	return "tcp://" + strings.TrimSpace(line), cmd.Process
}

// runUntilStarted starts a blocking run and returns once its first output arrived.
func runUntilStarted(t *testing.T, c *Client, ctx context.Context) <-chan error {
	t.Helper()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, script("out started", "block"), func(executor.Event) { close(started) })
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("run ended before it started: %v", err)
	}
	return done
}

func TestExecutorKilledMidRun(t *testing.T) {
	addr, proc := startChild(t)
	c := dial(t, addr, Options{})
	// The client must report a dead executor (ErrDisconnected), never hang: the deadline
	// catches a hang only, and would end the run with another error.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := runUntilStarted(t, c, ctx)
	if err := proc.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	err := <-done
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("Run after the executor was killed: got %v, want an error wrapping ErrDisconnected", err)
	}
	t.Logf("client reported: %v", err)
	// Later calls fail too (the redial finds no executor), instead of hanging. The exact error
	// depends on what holds the port now on a busy machine.
	if _, err := c.Capacity(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Capacity after the executor died: got %v, want a prompt error", err)
	}
}

// An executor that stops answering without closing the connection (here: stopped with
// SIGSTOP) is noticed by the heartbeat.
func TestSilentExecutor(t *testing.T) {
	addr, proc := startChild(t)
	// The timeout leaves a starved child executor time to answer the heartbeats sent while the
	// run starts, before it is stopped (3s was within reach of a loaded CI machine's stalls); it
	// is how long the test then waits for the heartbeat to fail.
	c := dial(t, addr, Options{Heartbeat: 100 * time.Millisecond, HeartbeatTimeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := runUntilStarted(t, c, ctx)
	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	err := <-done
	if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), "did not answer a heartbeat") {
		t.Fatalf("Run on a silent executor: got %v, want ErrDisconnected saying the heartbeat went unanswered", err)
	}
}

// The client dials again when the executor closed an idle connection.
func TestRedialAfterIdleClose(t *testing.T) {
	// The idle clock runs from the accept: the client's login (in Dial) and, after the redial,
	// its run must reach the executor before it fires, or the executor closes the connection
	// under them. 100ms was less than a starved client can take for that; the test waits once
	// for the idle close, so the timeout is what it costs.
	addr, srv := startServer(t, newFake(2, 2), ServerOptions{IdleTimeout: 3 * time.Second})
	c := dial(t, addr, Options{})
	waitFor(t, "the idle connection to close", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.conns) == 0
	})
	waitFor(t, "the client to notice", func() bool { return !c.sess.alive() })
	if res, err := c.Run(context.Background(), script("out back"), nil); err != nil || res.Stdout != "back\n" {
		t.Fatalf("run after the idle close: %q, %v", res.Stdout, err)
	}
}

func TestShutdown(t *testing.T) {
	t.Run("runs in flight finish", func(t *testing.T) {
		f := newFake(4, 4)
		addr, srv := startServer(t, f, ServerOptions{})
		c := dial(t, addr, Options{})
		done := make(chan error, 1)
		go func() {
			res, err := c.Run(context.Background(), script("gate", "out finished"), nil)
			if err == nil && res.Stdout != "finished\n" {
				err = fmt.Errorf("stdout %q", res.Stdout)
			}
			done <- err
		}()
		waitFor(t, "the run to start", func() bool { s, _ := f.Stats(); return s == 1 })
		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(context.Background()) }()
		waitFor(t, "shutdown to begin", srv.isClosing)
		if _, err := c.Run(context.Background(), script("out late"), nil); !errors.Is(err, executor.ErrBusy) || !strings.Contains(err.Error(), "shutting down") {
			t.Errorf("run during shutdown: got %v, want busy: shutting down", err)
		}
		if _, err := net.Dial("tcp", strings.TrimPrefix(addr, "tcp://")); err == nil {
			t.Errorf("the executor still accepts connections during shutdown")
		}
		// The run in flight ends only now: a run that ends by itself (it slept 300ms) could
		// end, and the shutdown with it, before a starved test made the checks above.
		close(f.Gate)
		if err := <-done; err != nil {
			t.Errorf("run in flight during shutdown: %v", err)
		}
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	t.Run("grace period ends", func(t *testing.T) {
		f := newFake(4, 4)
		addr, srv := startServer(t, f, ServerOptions{})
		c := dial(t, addr, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
		defer cancel()
		done := runUntilStarted(t, c, ctx)
		grace, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer stop()
		if err := srv.Shutdown(grace); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown with a run that never ends: got %v, want DeadlineExceeded", err)
		}
		if _, canceled := f.Stats(); canceled != 1 {
			t.Errorf("runs canceled by the shutdown = %d, want 1", canceled)
		}
		if err := <-done; err == nil {
			t.Errorf("the canceled run reported no error")
		}
	})
}

// A peer that accepts but never answers (not an executor, or a hung one) fails Dial within
// DialTimeout.
func TestDialTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, err = Dial(context.Background(), ln.Addr().String(), Options{Token: testToken, DialTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms; is "+ln.Addr().String()+" a sandrun executor?") {
		t.Fatalf("Dial to a silent peer: got %v", err)
	}
}
