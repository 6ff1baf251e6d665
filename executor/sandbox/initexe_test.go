//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox/internal/initexe"
)

// TestEmbeddedInit: where the build embeds the init (make's test targets do), a sandbox's init
// executes it — from a read-only copy in the user's cache dir, or with SANDRUN_SANDBOX_INIT=memfd
// (and wherever the copy cannot be made) from a sealed memory file — not this binary, and runs
// commands like any other. The copy is read-only (0500), the memory file sealed.
// SANDRUN_SANDBOX_INIT=self goes back to this binary.
func TestEmbeddedInit(t *testing.T) {
	if len(initexe.Binary) == 0 {
		t.Skip("this test binary embeds no init: build it with -tags sandrun_initexe after make initexe (make test-go does)")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	initExeMu.Lock()
	initExeDisk = nil // tried again, in this cache dir
	initExeMu.Unlock()
	t.Cleanup(func() {
		initExeMu.Lock()
		initExeDisk = nil
		initExeMu.Unlock()
	})
	initPath := func(s *Sandbox) string {
		t.Helper()
		exe, err := os.Readlink("/proc/" + strconv.Itoa(s.init.Process.Pid) + "/exe")
		if err != nil {
			t.Fatal(err)
		}
		return exe
	}
	check := func(s *Sandbox) {
		t.Helper()
		r := run(t, s, Cmd{Args: []string{"sh", "-c", "id -u; hostname"}})
		if r.ExitCode != 0 || !strings.HasSuffix(r.stdout, "\nsandrun\n") || strings.HasPrefix(r.stdout, "0\n") {
			t.Fatalf("exit %d, stdout %q, stderr %q: want a uid other than 0 and the host name sandrun", r.ExitCode, r.stdout, r.stderr)
		}
	}
	t.Setenv(envInit, "")
	ie := initExecutable()
	want := filepath.Join(cache, "sandrun", initexe.Name+"-"+initexe.Sum[:16])
	if !ie.embedded || !ie.cached {
		t.Fatalf("init executable %+v: want the cached copy %s", ie, want)
	}
	fi, err := os.Lstat(want)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o500 || fi.Size() != int64(len(initexe.Binary)) {
		t.Fatalf("the cached copy %s: %v, %v; want a 0500 file of %d bytes", want, fi, err, len(initexe.Binary))
	}
	s := newSandbox(t, Config{})
	if got := initPath(s); got != want {
		t.Fatalf("the init executes %q, want the cached copy %q", got, want)
	}
	if comm, err := os.ReadFile("/proc/" + strconv.Itoa(s.init.Process.Pid) + "/comm"); err != nil || string(comm) != "sandrun-init\n" {
		t.Errorf("the init's name is %q (%v), want sandrun-init (not the number of the descriptor it was executed through)", comm, err)
	}
	check(s)

	// A value the variable does not take is the default, and doctor says it was ignored.
	t.Setenv(envInit, "fast")
	if ie := initExecutable(); !ie.cached || !strings.Contains(ie.why, `SANDRUN_SANDBOX_INIT="fast" is neither memfd nor self: ignored`) {
		t.Fatalf("with %s=fast: %+v, want the cached copy and a word on the ignored value", envInit, ie)
	}

	t.Setenv(envInit, "memfd")
	ie = initExecutable()
	if !ie.embedded || ie.cached {
		t.Fatalf("with %s=memfd: %+v, want the memory file", envInit, ie)
	}
	s = newSandbox(t, Config{})
	if got := initPath(s); !strings.HasPrefix(got, "/memfd:"+initexe.Name) {
		t.Fatalf("the init executes %q: want the memory file /memfd:%s", got, initexe.Name)
	}
	check(s)
	// Sealed: not even this process, as root, can change it.
	f, err := os.OpenFile(ie.path, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.Write([]byte("x"))
		f.Close()
	}
	if err == nil {
		t.Fatal("the embedded init's memory file took a write")
	}

	// A copy that is not what it should be (here: writable by others) is not used.
	t.Setenv(envInit, "")
	initExeMu.Lock()
	initExeDisk = nil
	initExeMu.Unlock()
	if err := os.Chmod(want, 0o522); err != nil {
		t.Fatal(err)
	}
	if ie := initExecutable(); ie.cached {
		t.Fatalf("a cached copy writable by others was used: %+v", ie)
	} else if !ie.embedded || !strings.Contains(ie.why, "not a read-only file") {
		t.Fatalf("with a bad cached copy: %+v, want the memory file and why", ie)
	}

	// A copy that cannot be executed (its dir on a noexec mount): the sandbox still starts,
	// from the memory file, and later ones skip the copy.
	if os.Geteuid() == 0 {
		noexec := t.TempDir()
		if err := unix.Mount("tmpfs", noexec, "tmpfs", unix.MS_NOEXEC|unix.MS_NOSUID|unix.MS_NODEV, "size=16m,mode=0700"); err != nil {
			t.Fatalf("mount a noexec tmpfs: %v", err)
		}
		t.Cleanup(func() { unix.Unmount(noexec, unix.MNT_DETACH) })
		t.Setenv("XDG_CACHE_HOME", noexec)
		initExeMu.Lock()
		initExeDisk = nil
		initExeMu.Unlock()
		if ie := initExecutable(); !ie.cached {
			t.Fatalf("on a noexec mount: %+v, want the copy tried first", ie)
		}
		s = newSandbox(t, Config{})
		if got := initPath(s); !strings.HasPrefix(got, "/memfd:"+initexe.Name) {
			t.Fatalf("with a copy that cannot be executed the init executes %q, want the memory file", got)
		}
		check(s)
		if ie := initExecutable(); ie.cached || !strings.Contains(ie.why, "could not be executed") {
			t.Fatalf("after the copy failed: %+v, want the memory file and why", ie)
		}
	}

	t.Setenv(envInit, "self")
	if ie := initExecutable(); ie.embedded || ie.path != "/proc/self/exe" {
		t.Fatalf("with %s=self: %+v, want this binary", envInit, ie)
	}
	s = newSandbox(t, Config{})
	if self, _ := os.Readlink("/proc/self/exe"); initPath(s) != self {
		t.Fatalf("with %s=self the init executes %q, want this binary %q", envInit, initPath(s), self)
	}
	check(s)
}
