//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// An overlay shows the host dir, takes writes in the sandbox only, and a reused sandbox sees
// none of the last run's writes; the host dir never changes.
func TestOverlayWritesStayInside(t *testing.T) {
	lower := t.TempDir()
	if err := os.MkdirAll(filepath.Join(lower, "sub"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lower, "sub", "f"), []byte("host\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	// Only the sandbox's uid differs as root: let it write into the dirs of the lower layer.
	for name, mode := range map[string]os.FileMode{"sub": 0o777, "sub/f": 0o666} {
		if err := os.Chmod(filepath.Join(lower, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, lower)
	p := NewPool(PoolOptions{MaxIdle: 1})
	defer p.Close()
	cfg := Config{Overlays: []Overlay{{Lower: lower, Target: "/tmp/cache"}}}
	first, r := getPut(t, p, cfg, Cmd{Args: sh(`
cat /tmp/cache/sub/f; echo run > /tmp/cache/sub/f; echo new > /tmp/cache/sub/g; echo top > /tmp/cache/t
mkdir /tmp/cache/d; rm /tmp/cache/sub/g; echo again > /tmp/cache/sub/g
cat /tmp/cache/sub/f /tmp/cache/sub/g /tmp/cache/t
(echo x > /.overlay/0/sub/h) 2>/dev/null && echo "lower writable"
grep -c ' /tmp/cache overlay ' /proc/self/mounts`)})
	if os.Geteuid() != 0 && strings.HasSuffix(r.stdout, "\n0\n") {
		t.Skip("this kernel refuses unprivileged overlayfs: the target is a plain tmpfs")
	}
	want := "host\nrun\nagain\ntop\n1\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Fatalf("first run (-want +got):\n%s\nstderr: %s", diff, r.stderr)
	}
	waitIdle(t, p, 1)
	second, r := getPut(t, p, cfg, Cmd{Args: sh(`ls -A /tmp/cache /tmp/cache/sub; cat /tmp/cache/sub/f`)})
	if second != first {
		t.Fatal("the pool did not reuse the sandbox")
	}
	want = "/tmp/cache:\nsub\n\n/tmp/cache/sub:\nf\nhost\n"
	if diff := cmp.Diff(want, r.stdout); diff != "" {
		t.Errorf("after the reset (-want +got):\n%s\nstderr: %s", diff, r.stderr)
	}
	if diff := cmp.Diff(before, snapshot(t, lower)); diff != "" {
		t.Errorf("the host dir changed (-want +got):\n%s", diff)
	}
}

// snapshot lists every path of dir with its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		got[strings.TrimPrefix(p, dir)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestResolveOverlays(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []Overlay{
		{Lower: "rel", Target: "/tmp/x"},
		{Lower: dir + "/missing", Target: "/tmp/x"},
		{Lower: dir, Target: "/work/x"},
		{Lower: dir, Target: "/tmp"},
		{Lower: dir, Target: "/tmp/a,b"},
		{Lower: dir, Target: "/tmp/x", Size: -1},
	} {
		if _, err := resolveOverlays([]Overlay{o}); err == nil {
			t.Errorf("resolveOverlays(%+v) accepted it", o)
		}
	}
	if _, err := resolveOverlays([]Overlay{{Lower: dir, Target: "/tmp/x/../y"}}); err != nil {
		t.Errorf("a plain overlay: %v", err)
	}
}
