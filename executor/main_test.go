package executor

import (
	"os"
	"testing"

	"github.com/sandrun/sandrun/executor/sandbox"
)

// TestMain lets the test binary serve as the sandbox's init (it re-executes itself).
func TestMain(m *testing.M) {
	if sandbox.MaybeInit() {
		return
	}
	os.Exit(m.Run())
}
