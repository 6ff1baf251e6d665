package fleet

import (
	"context"
	"os"
	"testing"
	"testing/fstest"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/sandbox"
	"github.com/sandrun/sandrun/languages"
)

func TestMain(m *testing.M) {
	if sandbox.MaybeInit() {
		return
	}
	if url := os.Getenv("SANDRUN_FLEET_TEST_WORKER"); url != "" {
		childWorker(url) // never returns: the test kills it
	}
	os.Exit(m.Run())
}

// childWorker is a worker in a child process, for TestWorkerKilled9.
func childWorker(url string) {
	w, err := NewWorker(context.Background(), WorkerOptions{Conn: ConnOptions{URL: url}, Executor: newFake("child", "python"), Slots: 1, Host: "child"})
	if err != nil {
		os.Exit(3)
	}
	_ = w.Serve(context.Background())
	os.Exit(4)
}

// TestContract runs the executor contract suite (real programs in the real sandbox) through a
// fleet of one worker over the local executor.
func TestContract(t *testing.T) {
	// Only the suite's languages, so that the worker does not wait for every toolchain's version.
	defs := fstest.MapFS{}
	for _, f := range []string{"python.toml", "c.toml"} {
		b, err := os.ReadFile("../../languages/defs/" + f)
		if err != nil {
			t.Fatal(err)
		}
		defs[f] = &fstest.MapFile{Data: b}
	}
	set, err := languages.LoadFS(defs)
	if err != nil {
		t.Fatal(err)
	}
	lx, err := local.New(local.Options{QueueMax: 2 * executortest.Concurrent, Languages: set})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lx.Close() })
	srv := startServer(t)
	w, err := NewWorker(context.Background(), WorkerOptions{Conn: ConnOptions{URL: srv.URL()}, Executor: lx})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	c := dial(t, srv.URL())
	waitLive(t, c, 1)
	executortest.Run(t, func(*testing.T) executor.Executor { return c })
}
