package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// With the warmed cache a hello world compiles far cheaper than cold, and a program cannot
// change the host cache nor leave anything for the next run.
func TestGoBuildCache(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Go's std packages (~15 s of CPU)")
	}
	root := t.TempDir()
	l := newTestLocal(t, Options{Slots: 1, NoCompileCache: true, GoBuildCache: root}, "go")
	cold := runSource(t, l, "go", goHello)
	if cold.Compile == nil || cold.Compile.Status != StatusOK {
		t.Fatalf("cold run: %s %s %q", cold.Status, cold.Message, cold.Stderr)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for l.gocache.readyDir() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the Go build cache was not warmed in 5 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	warm := runSource(t, l, "go", goHello)
	if warm.Compile == nil || warm.Compile.Status != StatusOK {
		t.Fatalf("warm run: %s %s %q", warm.Status, warm.Message, warm.Stderr)
	}
	t.Logf("compile of a hello world: cold %d ms CPU, %d ms wall; warm %d ms CPU, %d ms wall",
		cold.Compile.CPUTimeMs, cold.Compile.WallTimeMs, warm.Compile.CPUTimeMs, warm.Compile.WallTimeMs)
	if warm.Compile.CPUTimeMs*3 > cold.Compile.CPUTimeMs {
		t.Errorf("warm compile took %d ms of CPU, cold %d: the cache was not used", warm.Compile.CPUTimeMs, cold.Compile.CPUTimeMs)
	}
	// A new executor (a fresh `sandrun run` process) uses the cache warmed on disk from its
	// first Go run on.
	fresh := newTestLocal(t, Options{Slots: 1, NoCompileCache: true, GoBuildCache: root}, "go")
	first := runSource(t, fresh, "go", goHello)
	if first.Compile == nil || first.Compile.Status != StatusOK || first.Compile.CPUTimeMs*3 > cold.Compile.CPUTimeMs {
		t.Errorf("a new executor's first Go compile: %+v, cold took %d ms of CPU: the cache on disk was not used", first.Compile, cold.Compile.CPUTimeMs)
	}
	if warm.Status != StatusOK && os.Geteuid() != 0 && strings.Contains(warm.Stderr, "failed to reserve") {
		t.Skipf("rootless, a Go program cannot start under the RLIMIT_DATA memory limit: %s", strings.SplitN(warm.Stderr, "\n", 2)[0])
	}
	if warm.Stdout != "Hello, world!\n" {
		t.Fatalf("warm run: %s %s %q", warm.Status, warm.Message, warm.Stderr)
	}

	dir := l.gocache.readyDir()
	if !strings.HasPrefix(dir, root+"/") {
		t.Fatalf("the cache is at %s, want it under %s", dir, root)
	}
	before := tree(t, dir)
	const vandal = `package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	c := os.Getenv("GOCACHE")
	_, err := os.Stat(filepath.Join(c, "planted"))
	fmt.Println("planted before:", err == nil)
	fmt.Println(os.WriteFile(filepath.Join(c, "planted"), []byte("x"), 0o644))
	fmt.Println(os.WriteFile(filepath.Join(c, "trim.txt"), []byte("0"), 0o644))
	fmt.Println(os.RemoveAll(filepath.Join(c, "00")))
	entries, _ := os.ReadDir(c)
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	fmt.Println("dirs:", n)
}
`
	want := "planted before: false\n<nil>\n<nil>\n<nil>\ndirs: 255\n"
	for i := 0; i < 2; i++ {
		r := runSource(t, l, "go", vandal)
		if diff := cmp.Diff(want, r.Stdout); diff != "" {
			t.Errorf("run %d (-want +got):\n%s\n%s %s %+v", i, diff, r.Message, r.Stderr, r.Compile)
		}
	}
	if diff := cmp.Diff(before, tree(t, dir)); diff != "" {
		t.Errorf("the host cache changed (-want +got):\n%s", diff)
	}
}

// tree maps every path under dir to its mode, size and modification time.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		got[p] = fi.Mode().String() + " " + fi.ModTime().String()
		if fi.Mode().IsRegular() {
			got[p] += fmt.Sprintf(" %d bytes", fi.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// onDisk finds the warmed dir of the same toolchain, today's or else the newest, and trusts
// only a private root.
func TestGoCacheOnDisk(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"abc-20250101", "abc-20250301", "xyz-20991231", ".warm-123"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	g := &goCache{root: root}
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
