//go:build linux

package sandbox

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox/internal/initexe"
)

// envInit chooses the init's executable: SANDRUN_SANDBOX_INIT=self re-executes this binary even
// where a small init is embedded, which is how the two are compared and how tests cover both.
const envInit = "SANDRUN_SANDBOX_INIT"

// initExe is what a sandbox's init executes: path, and how it came to be (for doctor).
type initExeMode struct {
	path     string // "/proc/self/fd/N" of the sealed memory file, or "/proc/self/exe"
	embedded bool
	why      string
}

var (
	initExeOnce sync.Once
	initExeM    initExeMode
)

// initExecutable returns the executable a new sandbox's init starts from. The embedded init
// (initexe.Binary) is copied once per process into a memory file (memfd), sealed against every
// change, and reopened read-only (a file open for writing cannot be executed); its descriptor
// stays open, close-on-exec, above the descriptors a child is given, for as long as the process
// lives. Every init of the process executes that one file, through /proc/self/fd. Where the
// build embeds none, or the memory file cannot be made, the init is this binary again
// (/proc/self/exe), which has the same code.
func initExecutable() initExeMode {
	switch {
	case len(initexe.Binary) == 0:
		return initExeMode{path: "/proc/self/exe", why: "this binary, re-executed (it was built without the embedded init: make build embeds it)"}
	case os.Getenv(envInit) == "self":
		return initExeMode{path: "/proc/self/exe", why: "this binary, re-executed (" + envInit + "=self)"}
	}
	initExeOnce.Do(func() {
		fd, err := sealedInit(initexe.Binary)
		if err != nil {
			initExeM = initExeMode{path: "/proc/self/exe", why: "this binary, re-executed (the embedded init could not be loaded: " + err.Error() + ")"}
			return
		}
		initExeM = initExeMode{path: fmt.Sprintf("/proc/self/fd/%d", fd), embedded: true,
			why: fmt.Sprintf("the embedded %s (%.1f MB, executed from a sealed memory file)", initexe.Name, float64(len(initexe.Binary))/(1<<20))}
	})
	return initExeM
}

// sealedInit writes bin into a new sealed memory file and returns a read-only, close-on-exec
// descriptor of it numbered 100 or above (exec.Cmd moves the files it passes to 3, 4, …: a low
// descriptor could be replaced in the child before its execve).
func sealedInit(bin []byte) (int, error) {
	fd, err := unix.MemfdCreate(initexe.Name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(fd)
	for off := 0; off < len(bin); {
		n, err := unix.Write(fd, bin[off:])
		if err != nil {
			return -1, fmt.Errorf("write the memory file: %w", err)
		}
		off += n
	}
	if err := unix.Fchmod(fd, 0o500); err != nil {
		return -1, fmt.Errorf("chmod the memory file: %w", err)
	}
	const seals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return -1, fmt.Errorf("seal the memory file: %w", err)
	}
	ro, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("reopen the memory file read-only: %w", err)
	}
	defer unix.Close(ro)
	hi, err := unix.FcntlInt(uintptr(ro), unix.F_DUPFD_CLOEXEC, 100)
	if err != nil {
		return -1, fmt.Errorf("move the memory file's descriptor: %w", err)
	}
	return hi, nil
}
