//go:build linux

package sandbox

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if MaybeInit() {
		return
	}
	// This package's inits are the test binary itself (under -race, race-checked too) unless a
	// test asks for the embedded one (TestEmbeddedInit).
	if os.Getenv(envInit) == "" {
		os.Setenv(envInit, "self")
	}
	credCacheFile = "" // the walks' answers stay in memory: no test writes the user's cache dir
	os.Exit(m.Run())
}
