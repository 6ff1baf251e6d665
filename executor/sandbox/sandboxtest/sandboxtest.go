// Package sandboxtest is what a test binary needs to use real sandboxes: the binary is re-run
// as each sandbox's init, so its TestMain must hand that over before running the tests.
//
// It is for tests only.
package sandboxtest

import (
	"os"
	"testing"

	"github.com/sandrun/sandrun/executor/sandbox"
)

// Main is a TestMain for packages whose tests start sandboxes:
//
//	func TestMain(m *testing.M) { sandboxtest.Main(m) }
func Main(m *testing.M) {
	if sandbox.MaybeInit() {
		return
	}
	os.Exit(m.Run())
}
