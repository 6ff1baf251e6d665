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
	os.Exit(m.Run())
}
