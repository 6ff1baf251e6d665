package remote

import (
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
	"github.com/sandrun/sandrun/executor/local"
)

// TestContractTCP runs the contract suite against the local sandbox served over TCP on
// 127.0.0.1, through a Client: same Results, same streamed output as the local executor.
func TestContractTCP(t *testing.T) {
	local, err := local.New(local.Options{QueueMax: 2 * executortest.Concurrent})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	addr, _ := startServer(t, local, ServerOptions{})
	c := dial(t, addr, Options{})
	executortest.Run(t, func(*testing.T) executor.Executor { return c })
}
