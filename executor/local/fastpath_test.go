package local

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor/compilecache"
)

// newTestLocal returns a Local executor on the real sandbox, or skips where a language is missing.
// testWall is the wall clock of runSource's compile and run: on a loaded CI machine a cold Go
// compile (~15 s of CPU) passed its default of 2×CPU+1s. It only catches hangs.
const testWall = 10 * 60 * 1000

func newTestLocal(t *testing.T, opts Options, langs ...string) *Executor {
	t.Helper()
	if opts.Caps.Max.WallTimeMs == 0 {
		opts.Caps.Max.WallTimeMs = testWall
	}
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for _, id := range langs {
		if tc := l.langs.Toolchain(context.Background(), id); !tc.Available {
			t.Skipf("%s is not installed here: %s", id, tc.Missing)
		}
	}
	return l
}

func runSource(t *testing.T, l *Executor, lang, src string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var events []Event
	r, err := l.Run(ctx, Request{Language: lang, Files: []File{{Name: "main." + lang, Content: []byte(src)}},
		Limits: Limits{WallTimeMs: testWall}, CompileLimits: Limits{WallTimeMs: testWall}},
		func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const cppHello = `#include <iostream>
int main() { std::cout << "hello" << std::endl; }
`

const cppWarning = `#include <iostream>
int main() { int unused; std::cout << "warned" << std::endl; }
`

// A second run of an unchanged program takes the compile's output from the cache; changing a
// byte of the source compiles again; a failed compile is never cached.
func TestCompileCache(t *testing.T) {
	l := newTestLocal(t, Options{Slots: 1}, "cpp")
	type step struct {
		name, src  string
		wantStatus Status
		wantCached bool
		wantOut    string
	}
	for _, s := range []step{
		{"first", cppHello, StatusOK, false, "hello\n"},
		{"second", cppHello, StatusOK, true, "hello\n"},
		{"changed", strings.Replace(cppHello, "hello", "hullo", 1), StatusOK, false, "hullo\n"},
		{"changed again", strings.Replace(cppHello, "hello", "hullo", 1), StatusOK, true, "hullo\n"},
		{"broken", "int main( {", StatusCompileError, false, ""},
		{"broken again", "int main( {", StatusCompileError, false, ""},
	} {
		r := runSource(t, l, "cpp", s.src)
		if r.Status != s.wantStatus || r.Compile == nil || r.Compile.Cached != s.wantCached || r.Stdout != s.wantOut {
			t.Errorf("%s: status %s, compile %+v, stdout %q; want %s, cached %v, %q", s.name, r.Status, r.Compile, r.Stdout, s.wantStatus, s.wantCached, s.wantOut)
		}
	}
	// The compiler's warnings come back with a cached compile.
	first := runSource(t, l, "cpp", cppWarning)
	second := runSource(t, l, "cpp", cppWarning)
	if !strings.Contains(first.Compile.Stderr, "unused") || second.Compile.Stderr != first.Compile.Stderr || !second.Compile.Cached {
		t.Errorf("warnings: first %q, second %q (cached %v)", first.Compile.Stderr, second.Compile.Stderr, second.Compile.Cached)
	}
	if s := l.CompileCache().Stats(); s.Hits != 3 || s.Puts != 3 {
		t.Errorf("cache stats %+v, want 3 hits and 3 entries put", s)
	}
}

func TestNoCompileCache(t *testing.T) {
	l := newTestLocal(t, Options{Slots: 1, NoCompileCache: true}, "cpp")
	for i := 0; i < 2; i++ {
		if r := runSource(t, l, "cpp", cppHello); r.Status != StatusOK || r.Compile.Cached {
			t.Errorf("run %d: status %s, cached %v", i, r.Status, r.Compile.Cached)
		}
	}
	if l.CompileCache() != nil {
		t.Error("NoCompileCache left a cache")
	}
}

// A cache on disk serves a second executor (another sandrun process).
func TestCompileCacheOnDisk(t *testing.T) {
	dir := t.TempDir()
	for i, want := range []bool{false, true} {
		c, err := compilecache.New(compilecache.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		l := newTestLocal(t, Options{Slots: 1, CompileCache: c}, "cpp")
		if r := runSource(t, l, "cpp", cppHello); r.Status != StatusOK || r.Compile.Cached != want || r.Stdout != "hello\n" {
			t.Errorf("executor %d: status %s, cached %v, stdout %q; want cached %v", i, r.Status, r.Compile.Cached, r.Stdout, want)
		}
	}
}

// Runs through the pool see nothing of the runs before them: files, processes.
func TestPoolReuseThroughExecutor(t *testing.T) {
	l := newTestLocal(t, Options{Slots: 1, PoolSize: 1}, "sh")
	plant := runSource(t, l, "sh", `echo x > /tmp/left; echo x > /work/left; echo x > /dev/shm/left
setsid sleep 600 </dev/null >/dev/null 2>&1 &
echo planted`)
	if plant.Status != StatusOK || plant.Stdout != "planted\n" {
		t.Fatalf("planting: %+v", plant)
	}
	// Until the used sandbox is reset and idle (a hang only: a starved reset takes its time):
	// else the check below runs in a new sandbox and proves nothing.
	for deadline := time.Now().Add(2 * time.Minute); l.PoolStats().Idle != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("pool stats %+v: the used sandbox was not reset in 2 minutes", l.PoolStats())
		}
	}
	check := runSource(t, l, "sh", `ls -A /tmp /work /dev/shm | grep -c left; grep -l "[s]leep" /proc/[0-9]*/cmdline 2>/dev/null | wc -l`)
	if check.Status != StatusOK || check.Stdout != "0\n0\n" {
		t.Errorf("the second run sees %q (stderr %q), want nothing left", check.Stdout, check.Stderr)
	}
	if s := l.PoolStats(); s.Hits != 1 {
		t.Errorf("pool stats %+v, want the second run served by the pooled sandbox", s)
	}
}

// Times are rounded up: a program that ran never reports a wall time of 0 ms.
func TestTimesRoundedUp(t *testing.T) {
	l := newTestLocal(t, Options{Slots: 1}, "sh")
	r := runSource(t, l, "sh", "true")
	if r.Status != StatusOK || r.WallTimeMs < 1 || r.CPUTimeMs < 1 {
		t.Errorf("status %s, wall %d ms, cpu %d ms; want both at least 1", r.Status, r.WallTimeMs, r.CPUTimeMs)
	}
	for _, tt := range []struct {
		d    time.Duration
		want int64
	}{{0, 0}, {1, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2}} {
		if got := ceilMs(tt.d); got != tt.want {
			t.Errorf("ceilMs(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

// Without a pool (a one-shot `sandrun run`) the run is the sandbox's last command: each request
// still gets a sandbox of its own, fresh, and a compiled language's compile and run both work.
func TestNoPoolLastCommand(t *testing.T) {
	l := newTestLocal(t, Options{Slots: 1, PoolSize: -1}, "sh")
	if !l.closesAfter() {
		t.Fatal("closesAfter is false without a pool")
	}
	for i := 0; i < 2; i++ {
		r := runSource(t, l, "sh", `ls -A /work /tmp | grep -c left; echo x > /tmp/left; echo ran`)
		if r.Status != StatusOK || r.Stdout != "0\nran\n" {
			t.Fatalf("run %d: status %s, stdout %q, stderr %q", i, r.Status, r.Stdout, r.Stderr)
		}
	}
}
