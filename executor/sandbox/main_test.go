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
	credCacheFile = "" // the walks' answers stay in memory: no test writes the user's cache dir
	os.Exit(m.Run())
}
