package languages

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestKotlinVersion: Debian's kotlinc says "1.3-SNAPSHOT"; the version shown is the real one.
func TestKotlinVersion(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	// kotlinc starts a JVM: on a loaded machine it outlived the 20 s a server waits for a
	// version (and the version was then unknown). This test is about the version, not the wait.
	set.versionTimeout = 5 * time.Minute
	tc := set.Toolchain(context.Background(), "kotlin")
	if !tc.Available {
		t.Skipf("kotlin is not installed here: %s", tc.Missing)
	}
	if strings.Contains(tc.Version, "SNAPSHOT") || strings.Count(tc.Version, ".") < 2 {
		t.Errorf("kotlin version %q, want a release such as 1.3.31", tc.Version)
	}
}
