package gocache

import (
	"os"
	"path/filepath"
	"testing"
)

// onDisk finds the warmed dir of the same toolchain, today's or else the newest, and trusts
// only a private root.
func TestGoCacheOnDisk(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"abc-20250101", "abc-20250301", "xyz-20991231", ".warm-123"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	g := New(root, nil)
	for name, want := range map[string]string{"abc-20250101": "abc-20250101", "abc-20261207": "abc-20250301",
		"xyz-20200101": "xyz-20991231", "def-20261207": ""} {
		got := g.onDisk(name)
		if want != "" {
			want = filepath.Join(root, want)
		}
		if got != want {
			t.Errorf("onDisk(%s) = %q, want %q", name, got, want)
		}
	}
	if err := os.Chmod(root, 0o777); err != nil {
		t.Fatal(err)
	}
	if got := g.onDisk("abc-20250101"); got != "" {
		t.Errorf("a root others may write: onDisk = %q, want none", got)
	}
}
