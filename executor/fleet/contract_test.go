package fleet

import (
	"context"
	"os"
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
	"github.com/sandrun/sandrun/executor/sandbox"
)

func TestMain(m *testing.M) {
	if sandbox.MaybeInit() {
		return
	}
	os.Exit(m.Run())
}

// TestContract runs the executor contract suite (real programs in the real sandbox) through a
// fleet of one worker over the local executor.
func TestContract(t *testing.T) {
	local, err := executor.NewLocal(executor.LocalOptions{QueueMax: 2 * executortest.Concurrent})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	srv := startServer(t)
	w, err := NewWorker(context.Background(), WorkerOptions{Conn: ConnOptions{URL: srv.URL()}, Executor: local, Languages: []string{"python", "c", "sh"}})
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
