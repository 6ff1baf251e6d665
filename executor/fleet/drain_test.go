package fleet

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// waitDraining waits until the fleet's status shows worker id draining (2 minutes at most).
func waitDraining(t *testing.T, c *Client, id string) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		st, err := c.Status(context.Background())
		if err == nil {
			for _, w := range st.Workers {
				if w.ID == id && w.Draining {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("worker %s never showed as draining", id)
}

// TestDrain: a worker told to stop takes no new job and lets its running job finish: the job
// ends there with no restart, and a job submitted meanwhile runs on another worker.
func TestDrain(t *testing.T) {
	srv := startServer(t)
	old := newFake("old", "python")
	w, stop := startWorkerWith(t, WorkerOptions{Conn: ConnOptions{URL: srv.URL()}, Executor: old, Slots: 2, Grace: time.Hour})
	c := dial(t, srv.URL())
	waitLive(t, c, 1)

	type end struct {
		res      executor.Result
		err      error
		restarts int
	}
	first := make(chan end, 1)
	go func() {
		var e end
		e.res, e.err = c.Run(context.Background(), script("python", "who", "gate", "out finished"), func(ev executor.Event) {
			if ev.Restart > 0 {
				e.restarts++
			}
		})
		first <- e
	}()
	<-old.started
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	waitDraining(t, c, w.ID())

	startWorker(t, srv.URL(), newFake("new", "python"), 1)
	waitLive(t, c, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := c.Run(ctx, script("python", "who"), nil)
	if err != nil || res.Stdout != "new\n" {
		t.Errorf("a job submitted while the old worker drains: %v %q; want it on the new worker", err, res.Stdout)
	}
	select {
	case <-stopped:
		t.Fatal("the draining worker stopped before its running job ended")
	default:
	}

	close(old.gate)
	var e end
	select {
	case e = <-first:
	case <-time.After(2 * time.Minute):
		t.Fatal("the running job did not finish on the draining worker")
	}
	if e.err != nil || e.res.Stdout != "old\nfinished\n" || e.restarts != 0 {
		t.Errorf("the running job: %v %q, %d restarts; want it finished where it ran", e.err, e.res.Stdout, e.restarts)
	}
	select {
	case <-stopped:
	case <-time.After(2 * time.Minute):
		t.Fatal("the worker did not stop after its last job")
	}
	if n := old.count("who\ngate\nout finished"); n != 1 {
		t.Errorf("the job ran %d times on the old worker", n)
	}
}

// TestHandBackIsNoTry: a job handed back by stopping workers (no grace, a second signal, the
// grace over, HandBack without a stop) runs again elsewhere, and those hand-backs do not count
// as tries: after more than MaxTries of them the job still runs to its Result instead of
// failing with internal_error.
func TestHandBackIsNoTry(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv.URL())
	var mu sync.Mutex
	restarts := 0
	done := make(chan error, 1)
	var res executor.Result
	const handBacks = MaxTries + 1
	for i := 1; i <= handBacks; i++ {
		f := newFake("stopping", "python")
		opts := WorkerOptions{Conn: ConnOptions{URL: srv.URL()}, Executor: f, Slots: 1}
		switch i {
		case 1:
			opts.Grace = -1 // hand back at once
		case 2:
			opts.Grace = time.Hour // until HandBack
		case 3:
			opts.Grace = time.Millisecond // the grace runs out
		case 4:
			opts.Grace = time.Hour // HandBack stops the worker by itself
		}
		w, stop := startWorkerWith(t, opts)
		if i == 1 {
			waitLive(t, c, 1)
			go func() {
				var err error
				res, err = c.Run(context.Background(), script("python", "gate"), func(ev executor.Event) {
					if ev.Restart > 0 {
						mu.Lock()
						restarts++
						mu.Unlock()
					}
				})
				done <- err
			}()
		}
		select {
		case <-f.started:
		case <-time.After(2 * time.Minute):
			t.Fatalf("attempt %d did not start", i)
		}
		switch i {
		case 2:
			stopped := make(chan struct{})
			go func() { stop(); close(stopped) }()
			waitDraining(t, c, w.ID())
			w.HandBack()
			<-stopped
		case 4:
			w.HandBack()
			stop()
		default:
			stop()
		}
	}
	last := newFake("last", "python")
	close(last.gate)
	startWorker(t, srv.URL(), last, 1)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("no result after the hand-backs")
	}
	if res.Status != executor.StatusOK {
		t.Errorf("result %s %q; want ok: hand-backs are not tries", res.Status, res.Message)
	}
	mu.Lock()
	defer mu.Unlock()
	if restarts != handBacks {
		t.Errorf("%d restart events, want %d", restarts, handBacks)
	}
	if !strings.Contains(last.name, "last") || last.count("gate") != 1 {
		t.Errorf("the last worker ran the job %d times", last.count("gate"))
	}
}

// TestDrainingNotRouted: a draining worker counts for neither routing nor capacity: a job for a
// runtime only it has is refused at once with a sentence that says so, and Capacity leaves out
// its slots, while its running job still finishes.
func TestDrainingNotRouted(t *testing.T) {
	srv := startServer(t)
	old := newFake("old", "python")
	w, stop := startWorkerWith(t, WorkerOptions{Conn: ConnOptions{URL: srv.URL()}, Executor: old, Slots: 2, Grace: time.Hour})
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	running := make(chan error, 1)
	go func() {
		_, err := c.Run(context.Background(), script("python", "gate"), nil)
		running <- err
	}()
	<-old.started
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	waitDraining(t, c, w.ID())
	for deadline := time.Now().Add(2 * time.Minute); ; { // until the client's view has it too
		if ws := c.live(); len(ws) == 1 && ws[0].Draining {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the client never saw the worker draining")
		}
		time.Sleep(20 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := c.Run(ctx, script("python", "who"), nil)
	var re *executor.RequestError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "the only executor in the fleet with python") || !strings.Contains(err.Error(), "is stopping") {
		t.Errorf("a job only a draining worker could run: %v; want it refused at once", err)
	}
	cp, err := c.Capacity(ctx)
	if err != nil || cp.Slots != 0 {
		t.Errorf("Capacity with only a draining worker: %+v %v; want no slots", cp, err)
	}

	close(old.gate)
	select {
	case err := <-running:
		if err != nil {
			t.Errorf("the running job on the draining worker: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the running job did not finish on the draining worker")
	}
	select {
	case <-stopped:
	case <-time.After(2 * time.Minute):
		t.Fatal("the worker did not stop after its last job")
	}
}
