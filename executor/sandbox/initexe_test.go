//go:build linux

package sandbox

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sandrun/sandrun/executor/sandbox/internal/initexe"
)

// TestEmbeddedInit: where the build embeds the init (make's test targets do), a sandbox's init
// executes it from a sealed memory file, not this binary, and runs commands like any other;
// the memory file cannot be written, even by its owner. SANDRUN_SANDBOX_INIT=self goes back
// to this binary.
func TestEmbeddedInit(t *testing.T) {
	if len(initexe.Binary) == 0 {
		t.Skip("this test binary embeds no init: build it with -tags sandrun_initexe after make initexe (make test-go does)")
	}
	t.Setenv(envInit, "")
	ie := initExecutable()
	if !ie.embedded || !strings.HasPrefix(ie.path, "/proc/self/fd/") {
		t.Fatalf("init executable %+v: want the embedded init", ie)
	}
	s := newSandbox(t, Config{})
	exe, err := os.Readlink("/proc/" + strconv.Itoa(s.init.Process.Pid) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(exe, "/memfd:"+initexe.Name) {
		t.Fatalf("the init executes %q: want the memory file /memfd:%s", exe, initexe.Name)
	}
	r := run(t, s, Cmd{Args: []string{"sh", "-c", "id -u; hostname"}})
	if r.ExitCode != 0 || !strings.HasSuffix(r.stdout, "\nsandrun\n") || strings.HasPrefix(r.stdout, "0\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q: want a uid other than 0 and the host name sandrun", r.ExitCode, r.stdout, r.stderr)
	}
	// The memory file is sealed: not even this process can change it.
	f, err := os.OpenFile(ie.path, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.Write([]byte("x"))
		f.Close()
	}
	if err == nil {
		t.Fatal("the embedded init's memory file took a write")
	}

	t.Setenv(envInit, "self")
	if ie := initExecutable(); ie.embedded || ie.path != "/proc/self/exe" {
		t.Fatalf("with %s=self: %+v, want this binary", envInit, ie)
	}
	s2 := newSandbox(t, Config{})
	exe2, err := os.Readlink("/proc/" + strconv.Itoa(s2.init.Process.Pid) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	if self, _ := os.Readlink("/proc/self/exe"); exe2 != self {
		t.Fatalf("with %s=self the init executes %q, want this binary %q", envInit, exe2, self)
	}
}
