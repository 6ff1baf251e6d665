package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sandrun/sandrun/executor"
)

// TestBurst: 200 jobs at once over 3 workers of 2 slots: each runs exactly once and every
// client gets its own output.
func TestBurst(t *testing.T) {
	srv := startServer(t)
	fakes := []*fake{newFake("w1", "python"), newFake("w2", "python"), newFake("w3", "python")}
	for _, f := range fakes {
		startWorker(t, srv.URL(), f, 2)
	}
	c := dial(t, srv.URL())
	waitLive(t, c, 3)
	const n = 200
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := c.Run(ctx, script("python", fmt.Sprintf("out job %d", i), "sleep 5ms"), nil)
			if err != nil {
				errs <- fmt.Errorf("job %d: %w", i, err)
				return
			}
			if want := fmt.Sprintf("job %d\n", i); res.Stdout != want {
				errs <- fmt.Errorf("job %d: stdout %q, want %q", i, res.Stdout, want)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d jobs in %v", n, time.Since(began))
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	for i := 0; i < n; i++ {
		s := fmt.Sprintf("out job %d\nsleep 5ms", i)
		runs := 0
		for _, f := range fakes {
			runs += f.count(s)
		}
		if runs != 1 {
			t.Errorf("job %d ran %d times, want 1", i, runs)
		}
		total += runs
	}
	used := 0
	for _, f := range fakes {
		if len(f.runs) > 0 {
			used++
		}
	}
	t.Logf("%d runs over %d workers", total, used)
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Queued != 0 || len(st.Workers) != 3 {
		t.Errorf("status after the burst: %+v", st)
	}
}

// TestWorkerKilled: a worker that dies mid-run (its connection closed, nothing acked) loses no
// job: another worker runs it again, the client is told to reset, and gets one Result.
func TestWorkerKilled(t *testing.T) {
	srv := startServer(t)
	doomed := newFake("doomed", "python")
	w1, _ := startWorker(t, srv.URL(), doomed, 1)
	c := dial(t, srv.URL())
	waitLive(t, c, 1)

	var evMu sync.Mutex
	var events []executor.Event
	type end struct {
		res executor.Result
		err error
	}
	done := make(chan end, 1)
	go func() {
		res, err := c.Run(context.Background(), script("python", "out first", "who", "block"), func(ev executor.Event) {
			evMu.Lock()
			events = append(events, ev)
			evMu.Unlock()
		})
		done <- end{res, err}
	}()
	<-doomed.started
	w1.abandon()
	// The survivor runs the job's second attempt; its "block" ends only when canceled, so it
	// gets a script that finishes: the same job id cannot change, hence a second fake whose
	// "block" returns at once.
	survivor := newFake("survivor", "python")
	survivor.started = make(chan string, 16)
	go func() {
		<-survivor.started
	}()
	startWorker(t, srv.URL(), &unblocking{survivor}, 1)
	var e end
	select {
	case e = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the job did not complete after its worker died")
	}
	if e.err != nil {
		t.Fatalf("Run: %v", e.err)
	}
	if e.res.Status != executor.StatusOK || !strings.Contains(e.res.Stdout, "survivor") {
		t.Errorf("result %+v; want ok from the survivor", e.res)
	}
	evMu.Lock()
	defer evMu.Unlock()
	var restarts []int
	var text strings.Builder
	for _, ev := range events {
		if ev.Restart > 0 {
			restarts = append(restarts, ev.Restart)
			text.Reset()
		}
		text.Write(ev.Data)
	}
	if len(restarts) != 1 || restarts[0] != 2 {
		t.Errorf("restart events %v; want one, for attempt 2", restarts)
	}
	if got := text.String(); got != "first\nsurvivor\nunblocked\n" {
		t.Errorf("output after the restart %q; want the second attempt's only", got)
	}
}

// unblocking runs a fake with "block" ending at once.
type unblocking struct{ *fake }

func (u *unblocking) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	s := strings.ReplaceAll(string(req.Files[0].Content), "block", "out unblocked")
	req.Files = []executor.File{{Name: req.Files[0].Name, Content: []byte(s)}}
	return u.fake.Run(ctx, req, onEvent)
}

// TestTriedThreeTimes: a job whose worker dies three times ends with internal_error.
func TestTriedThreeTimes(t *testing.T) {
	srv := startServer(t)
	c := dial(t, srv.URL())
	done := make(chan error, 1)
	var res executor.Result
	for i := 1; i <= MaxTries; i++ {
		f := newFake(fmt.Sprint("doomed", i), "python")
		w, _ := startWorker(t, srv.URL(), f, 1)
		if i == 1 {
			waitLive(t, c, 1)
			go func() {
				var err error
				res, err = c.Run(context.Background(), script("python", "block"), nil)
				done <- err
			}()
		}
		select {
		case <-f.started:
		case <-time.After(2 * time.Minute):
			t.Fatalf("attempt %d did not start", i)
		}
		w.abandon()
	}
	startWorker(t, srv.URL(), newFake("last", "python"), 1)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("no result after the third worker died")
	}
	if res.Status != executor.StatusInternalError || !strings.Contains(res.Message, "3 times") {
		t.Errorf("result %s %q; want internal_error saying it was tried 3 times", res.Status, res.Message)
	}
}

// TestRouting: a job goes only to a worker that has its language; one nobody has is refused
// at once with a sentence.
func TestRouting(t *testing.T) {
	srv := startServer(t)
	startWorker(t, srv.URL(), newFake("py", "python"), 2)
	startWorker(t, srv.URL(), newFake("cc", "c", "python"), 2)
	c := dial(t, srv.URL())
	waitLive(t, c, 2)
	for i := 0; i < 6; i++ {
		if res := runOK(t, c, script("c", "who")); res.Stdout != "cc\n" {
			t.Errorf("a C job ran on %q", res.Stdout)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 30 && len(seen) < 2; i++ {
		seen[runOK(t, c, script("py", "who")).Stdout] = true // an alias
	}
	if len(seen) != 2 {
		t.Errorf("python jobs ran on %v; want both workers", seen)
	}
	_, err := c.Run(context.Background(), script("rust", "who"), nil)
	var re *executor.RequestError
	if !errors.As(err, &re) || re.Field != "language" || !strings.Contains(re.Msg, "no executor in the fleet has rust") {
		t.Errorf("rust: %v; want a RequestError \"no executor in the fleet has rust\"", err)
	}
	if _, err := c.Run(context.Background(), script("pyhton", "who"), nil); !errors.As(err, &re) || !strings.Contains(re.Msg, "unknown language") {
		t.Errorf("pyhton: %v; want unknown language", err)
	}
	langs, err := c.Languages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range langs {
		if want := l.ID == "c" || l.ID == "python"; l.Available != want {
			t.Errorf("Languages: %s available=%v, want %v", l.ID, l.Available, want)
		}
	}
}

// TestLargeResultSmallPayload: a Result larger than the servers' max_payload (here 64 KiB, under
// the object store's default 128 KiB chunk) is stored in chunks that fit and reaches the client.
func TestLargeResultSmallPayload(t *testing.T) {
	srv, err := StartEmbedded(EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: t.TempDir(), MaxPayload: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	startWorker(t, srv.URL(), newFake("w", "python"), 1)
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	res := runOK(t, c, script("python", "big 300000"))
	if len(res.Stdout) != 300000 || strings.Trim(res.Stdout, "x") != "" {
		t.Errorf("stdout is %d bytes; want all 300000 x's", len(res.Stdout))
	}
}

// TestDedupe: the same job id submitted twice runs once; both callers get its Result.
func TestDedupe(t *testing.T) {
	srv := startServer(t)
	f := newFake("w", "python")
	startWorker(t, srv.URL(), f, 2)
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	req := script("python", "out once", "sleep 300ms")
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.RunJob(context.Background(), "job-dedupe", req, nil)
			if err != nil || res.Stdout != "once\n" {
				t.Errorf("RunJob: %v %q", err, res.Stdout)
			}
		}()
	}
	wg.Wait()
	if n := f.count("out once\nsleep 300ms"); n != 1 {
		t.Errorf("the job ran %d times, want 1", n)
	}
}

// TestResultAfterReconnect: a client that lost its connection mid-run gets the Result by id.
func TestResultAfterReconnect(t *testing.T) {
	srv := startServer(t)
	f := newFake("w", "python")
	startWorker(t, srv.URL(), f, 1)
	c1 := dial(t, srv.URL())
	waitLive(t, c1, 1)
	errc := make(chan error, 1)
	go func() {
		_, err := c1.RunJob(context.Background(), "job-lost", script("python", "gate", "out kept"), nil)
		errc <- err
	}()
	// The job runs until the client is gone (a pause of 100 ms before closing, and a job of
	// 500 ms, raced on a loaded machine).
	<-f.started
	c1.Close()
	if err := <-errc; err == nil {
		t.Error("RunJob on a closed client succeeded")
	}
	close(f.gate)
	c2 := dial(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	res, err := c2.Result(ctx, "job-lost")
	if err != nil || res.Stdout != "kept\n" {
		t.Fatalf("Result: %v %+v", err, res)
	}
}

// TestQueueFull: jobs wait while the workers are busy; only a full stream answers busy.
func TestQueueFull(t *testing.T) {
	srv := startServer(t)
	// The first connection creates the stream, with a bound of 3.
	cs, err := Dial(context.Background(), ClientOptions{Conn: ConnOptions{URL: srv.URL(), QueueMax: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	f := newFake("w", "python")
	startWorker(t, srv.URL(), f, 1)
	waitLive(t, cs, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			_, err := cs.Run(ctx, script("python", fmt.Sprint("out ", i), "block"), nil)
			errc <- err
		}()
	}
	<-f.started
	// Until the three are in the stream: 100 polls (2s and more) went on to the fourth job
	// before a starved machine had queued them all, and the fourth was let in.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if st, _ := cs.Status(ctx); st.Queued+st.Running == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the three jobs never were in the stream")
		}
	}
	_, err = cs.Run(ctx, script("python", "out 4"), nil)
	if !errors.Is(err, executor.ErrBusy) || !strings.Contains(err.Error(), "queue is full") {
		t.Errorf("a fourth job with a bound of 3: %v; want ErrBusy with a sentence", err)
	}
	cancel()
	for i := 0; i < 3; i++ {
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("canceled job: %v", err)
		}
	}
}

// TestUnreachable: no NATS at the address is a clear error within seconds.
func TestUnreachable(t *testing.T) {
	srv := startServer(t)
	url := srv.URL()
	srv.Close()
	_, err := Dial(context.Background(), ClientOptions{Conn: ConnOptions{URL: url}})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Dial to a stopped server: %v; want ErrUnreachable", err)
	}
	if _, err := Dial(context.Background(), ClientOptions{Conn: ConnOptions{URL: "tcp://x:1"}}); err == nil || !strings.Contains(err.Error(), "nats://") {
		t.Errorf("bad address: %v", err)
	}
}

// TestInteractive: stdin streamed while the job runs reaches the program.
func TestInteractive(t *testing.T) {
	srv := startServer(t)
	startWorker(t, srv.URL(), newFake("w", "python"), 1)
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	feed := executor.NewStdinFeed()
	defer feed.Close()
	req := script("python", "readline", "readline", "readline")
	req.Stdin = []byte("one\n")
	req.StdinStream = feed.Reader()
	got := make(chan string, 16)
	done := make(chan executor.Result, 1)
	go func() {
		res, err := c.Run(context.Background(), req, func(ev executor.Event) { got <- string(ev.Data) })
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	if s := <-got; s != "got one\n" {
		t.Fatalf("first line %q", s)
	}
	_ = feed.Feed([]byte("two\n"), false)
	if s := <-got; s != "got two\n" {
		t.Fatalf("second line %q", s)
	}
	feed.Close()
	if res := <-done; res.Stdout != "got one\ngot two\ngot EOF\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
}

// TestWorkerReconnects: a worker rides out its NATS server's restart and runs the next job.
func TestWorkerReconnects(t *testing.T) {
	store := t.TempDir()
	port := freePorts(t, 1)[0]
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	srv, err := StartEmbedded(EmbeddedOptions{Listen: listen, StoreDir: store})
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, srv.URL(), newFake("w", "python"), 1)
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	runOK(t, c, script("python", "out before"))
	srv.Close()
	srv, err = StartEmbedded(EmbeddedOptions{Listen: listen, StoreDir: store})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for ctx.Err() == nil { // the client itself reconnects too; until it has, Run may fail
		res, err := c.Run(ctx, script("python", "out after"), nil)
		if err == nil {
			if res.Stdout != "after\n" {
				t.Errorf("stdout %q", res.Stdout)
			}
			return
		}
		t.Logf("while NATS restarts: %v", err)
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatal("no job ran after the NATS server restarted")
}

// TestWorkerKilled9: a worker in a child process killed with SIGKILL mid-run; the job completes
// on another worker and the client gets one Result.
func TestWorkerKilled9(t *testing.T) {
	srv := startServer(t)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "SANDRUN_FLEET_TEST_WORKER="+srv.URL())
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	started := make(chan struct{})
	var once sync.Once
	type end struct {
		res executor.Result
		err error
	}
	done := make(chan end, 1)
	var restarts atomic.Int32
	go func() {
		res, err := c.Run(context.Background(), script("python", "who", "block"), func(ev executor.Event) {
			if ev.Restart > 0 {
				restarts.Add(1)
			}
			if string(ev.Data) == "child\n" {
				once.Do(func() { close(started) })
			}
		})
		done <- end{res, err}
	}()
	select {
	case <-started:
	case <-time.After(2 * time.Minute):
		t.Fatal("the job did not start on the child worker")
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	startWorker(t, srv.URL(), &unblocking{newFake("survivor", "python")}, 1)
	select {
	case e := <-done:
		if e.err != nil || e.res.Stdout != "survivor\nunblocked\n" {
			t.Fatalf("after kill -9: %v %+v", e.err, e.res)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the job did not complete after its worker was killed")
	}
	if restarts.Load() != 1 {
		t.Errorf("%d restart events, want 1", restarts.Load())
	}
}

// TestRuntimeRouting: workers pull per runtime. A job naming a runtime (or an alias of one)
// goes only to a worker that has it; a job naming none gets the language's default runtime
// while a worker has it, else another installed one; one nobody has is refused with the
// runtime in the sentence.
func TestRuntimeRouting(t *testing.T) {
	srv := startServer(t)
	startWorker(t, srv.URL(), newFake("node-only", "javascript/node", "python"), 2)
	bunW, _ := startWorker(t, srv.URL(), newFake("bun-only", "javascript/bun"), 2)
	if got := strings.Join(bunW.Runtimes(), " "); got != "javascript/bun" {
		t.Errorf("the bun worker pulls %q", got)
	}
	c := dial(t, srv.URL())
	waitLive(t, c, 2)
	bun := script("javascript", "who", "runtime")
	bun.Runtime = "bun"
	for i := 0; i < 6; i++ {
		if res := runOK(t, c, bun); res.Stdout != "bun-only\nbun\n" {
			t.Errorf("a bun job ran as %q; want on the bun worker", res.Stdout)
		}
		if res := runOK(t, c, script("bun", "who", "runtime")); res.Stdout != "bun-only\nbun\n" { // an alias naming the runtime
			t.Errorf("a job for \"bun\" ran as %q", res.Stdout)
		}
		if res := runOK(t, c, script("js", "who", "runtime")); res.Stdout != "node-only\nnode\n" { // the default runtime
			t.Errorf("a javascript job with no runtime ran as %q; want node on the node worker", res.Stdout)
		}
	}
	deno := script("javascript", "who")
	deno.Runtime = "deno"
	_, err := c.Run(context.Background(), deno, nil)
	var re *executor.RequestError
	if !errors.As(err, &re) || re.Field != "language" || !strings.Contains(re.Msg, "no executor in the fleet has javascript (deno)") {
		t.Errorf("deno: %v; want \"no executor in the fleet has javascript (deno)\"", err)
	}
	deno.Runtime = "spidermonkey"
	if _, err := c.Run(context.Background(), deno, nil); !errors.As(err, &re) || re.Field != "runtime" {
		t.Errorf("an unknown runtime: %v; want a RequestError on runtime", err)
	}
	langs, err := c.Languages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range langs {
		if l.ID != "javascript" {
			continue
		}
		avail := map[string]bool{}
		for _, r := range l.Runtimes {
			avail[r.Runtime] = r.Available
		}
		if !l.Available || l.Runtime != "node" || !avail["node"] || !avail["bun"] || avail["deno"] {
			t.Errorf("Languages: javascript %+v", l)
		}
	}
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range st.Workers {
		if w.ID == bunW.ID() && (len(w.Runtimes) != 1 || w.Runtimes["javascript"]["bun"] == "") {
			t.Errorf("status of the bun worker: runtimes %v", w.Runtimes)
		}
	}
}

// TestDefaultRuntimeElsewhere: with no worker having the language's default runtime, a job
// naming no runtime runs on one that has another of its runtimes.
func TestDefaultRuntimeElsewhere(t *testing.T) {
	srv := startServer(t)
	startWorker(t, srv.URL(), newFake("bun-only", "javascript/bun"), 1)
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	if res := runOK(t, c, script("javascript", "runtime")); res.Stdout != "bun\n" {
		t.Errorf("a javascript job with no runtime ran as %q; want bun", res.Stdout)
	}
}

// TestLegacyJobs: a job published the way clients before runtime routing did (on the
// language's subject) still runs on a worker of this version, so that a fleet can be upgraded
// one machine at a time.
func TestLegacyJobs(t *testing.T) {
	srv := startServer(t)
	startWorker(t, srv.URL(), newFake("w", "python"), 1)
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j := job{ID: "legacy-1", Request: script("python", "out from an old client")}
	if _, err := c.s.js.Publish(ctx, legacySubject("python"), marshal(j), jetstream.WithMsgID(j.ID)); err != nil {
		t.Fatal(err)
	}
	res, err := c.Result(ctx, j.ID)
	if err != nil || res.Stdout != "from an old client\n" {
		t.Fatalf("Result: %v %+v", err, res)
	}
}
