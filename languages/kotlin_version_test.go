package languages

import (
	"context"
	"strings"
	"testing"
)

// TestKotlinVersion: Debian's kotlinc says "1.3-SNAPSHOT"; the version shown is the real one.
func TestKotlinVersion(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tc := set.Toolchain(context.Background(), "kotlin")
	if !tc.Available {
		t.Skipf("kotlin is not installed here: %s", tc.Missing)
	}
	if strings.Contains(tc.Version, "SNAPSHOT") || strings.Count(tc.Version, ".") < 2 {
		t.Errorf("kotlin version %q, want a release such as 1.3.31", tc.Version)
	}
}
