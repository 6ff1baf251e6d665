package executortest_test

import (
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// TestLocal runs the contract suite against the local sandbox.
func TestLocal(t *testing.T) {
	local, err := local.New(local.Options{QueueMax: 2 * executortest.Concurrent})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	executortest.Run(t, func(*testing.T) executor.Executor { return local })
}
