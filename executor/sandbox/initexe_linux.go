//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox/internal/initexe"
)

// envInit chooses the init's executable: by default the embedded init, from the user's cache
// dir or else a sealed memory file; SANDRUN_SANDBOX_INIT=memfd always from a memory file;
// SANDRUN_SANDBOX_INIT=self re-executes this binary. It is how the three are compared and how
// tests cover each.
const envInit = "SANDRUN_SANDBOX_INIT"

// initExeMode is what a sandbox's init executes: its path, and how it came to be (for doctor).
type initExeMode struct {
	path     string // "/proc/self/fd/N" of the embedded init, or "/proc/self/exe"
	embedded bool
	cached   bool // the file is the user's cache dir's copy (startInit falls back if it fails)
	why      string
}

var (
	initExeMu    sync.Mutex
	initExeDisk  *initExeMode // the cached copy's mode, once tried (path "" when unusable)
	initExeMemfd *initExeMode // the memory file's mode, once tried
)

// initExecutable returns the executable a new sandbox's init starts from. The embedded init
// (initexe.Binary) is executed from a read-only copy in the user's cache dir
// (~/.cache/sandrun/init-<sha256 prefix>, written once, 0500), opened without following a link
// and checked (a regular file of the right size, owned by this user and writable by no one
// else, in a dir likewise), else from a sealed memory file (memfd) it is copied into once per
// process. Either is kept open, close-on-exec, above the descriptors a child is given, for as
// long as the process lives, and every init executes it through /proc/self/fd. The cached
// copy spares each new process the copy: ~3 ms of a one-shot `sandrun run`. Where the build
// embeds none, or neither can be made, the init is this binary again (/proc/self/exe), which
// has the same code.
func initExecutable() initExeMode {
	self := initExeMode{path: "/proc/self/exe"}
	mode := os.Getenv(envInit)
	switch {
	case len(initexe.Binary) == 0:
		self.why = "this binary, re-executed (it was built without the embedded init: make build embeds it)"
		return self
	case mode == "self":
		self.why = "this binary, re-executed (" + envInit + "=self)"
		return self
	}
	initExeMu.Lock()
	defer initExeMu.Unlock()
	var diskWhy string
	if mode != "memfd" {
		if initExeDisk == nil {
			initExeDisk = loadCachedInit()
		}
		if initExeDisk.path != "" {
			m := *initExeDisk
			if mode != "" { // a value the variable does not take: said, not obeyed
				m.why += fmt.Sprintf(" (%s=%q is neither memfd nor self: ignored)", envInit, mode)
			}
			return m
		}
		diskWhy = initExeDisk.why
	}
	if initExeMemfd == nil {
		initExeMemfd = loadMemfdInit()
	}
	m := *initExeMemfd
	if m.path == "" {
		m = self
		m.why = "this binary, re-executed (the embedded init could not be loaded: " + initExeMemfd.why + ")"
	}
	if diskWhy != "" {
		m.why += "; not from the cache dir: " + diskWhy
	}
	return m
}

// initExeFailed is startInit's report that the cached copy could not be executed (a noexec
// mount, a damaged file): later inits of this process use the memory file. A copy the kernel
// cannot read as a program is removed.
func initExeFailed(m initExeMode, err error) {
	if !m.cached {
		return
	}
	initExeMu.Lock()
	defer initExeMu.Unlock()
	if initExeDisk != nil && initExeDisk.path == m.path {
		if dir, name, ok := initCachePath(); ok && errors.Is(err, unix.ENOEXEC) {
			_ = os.Remove(filepath.Join(dir, name)) // damaged: the next process writes it again
		}
		initExeDisk = &initExeMode{why: "the cached copy could not be executed: " + err.Error()}
	}
}

func loadMemfdInit() *initExeMode {
	fd, err := sealedInit(initexe.Binary)
	if err != nil {
		return &initExeMode{why: err.Error()}
	}
	return &initExeMode{path: fmt.Sprintf("/proc/self/fd/%d", fd), embedded: true,
		why: fmt.Sprintf("the embedded %s (%.1f MB, executed from a sealed memory file)", initexe.Name, float64(len(initexe.Binary))/(1<<20))}
}

// initCachePath is the cached copy's dir and file name.
func initCachePath() (dir, name string, ok bool) {
	base, err := os.UserCacheDir()
	if err != nil || len(initexe.Sum) < 16 {
		return "", "", false
	}
	return filepath.Join(base, "sandrun"), initexe.Name + "-" + initexe.Sum[:16], true
}

// loadCachedInit opens (writing it first when missing) the cached copy of the embedded init.
func loadCachedInit() *initExeMode {
	dir, name, ok := initCachePath()
	if !ok {
		return &initExeMode{why: "no cache dir (or no checksum of the embedded init)"}
	}
	if err := ownDir(dir); err != nil {
		return &initExeMode{why: err.Error()}
	}
	fd, err := openCachedInit(dir, name)
	if errors.Is(err, unix.ENOENT) {
		if err = writeCachedInit(dir, name); err == nil {
			fd, err = openCachedInit(dir, name)
		}
	}
	if err != nil {
		return &initExeMode{why: err.Error()}
	}
	return &initExeMode{path: fmt.Sprintf("/proc/self/fd/%d", fd), embedded: true, cached: true,
		why: fmt.Sprintf("the embedded %s (%.1f MB), executed from its read-only copy %s", initexe.Name, float64(len(initexe.Binary))/(1<<20), filepath.Join(dir, name))}
}

// ownDir makes dir (0700) unless it exists, and checks that it is a dir of this user that no
// one else may write.
func ownDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cache dir: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("cache dir: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
		return fmt.Errorf("cache dir %s is not a dir of uid %d closed to others", dir, os.Geteuid())
	}
	return nil
}

// openCachedInit opens dir/name read-only, not following a link, checks it, and returns its
// descriptor moved to 100 or above.
func openCachedInit(dir, name string) (int, error) {
	fd, err := unix.Open(filepath.Join(dir, name), unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return -1, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o222 != 0 || st.Size != int64(len(initexe.Binary)) {
		return -1, fmt.Errorf("%s is not a read-only file of uid %d of %d bytes", filepath.Join(dir, name), os.Geteuid(), len(initexe.Binary))
	}
	hi, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 100)
	if err != nil {
		return -1, fmt.Errorf("move the cached init's descriptor: %w", err)
	}
	return hi, nil
}

// writeCachedInit writes the embedded init to dir/name through a temporary file renamed into
// place (two processes doing it at once each write a whole file, and the last rename wins),
// and removes other versions' copies not written for a day.
func writeCachedInit(dir, name string) error {
	tmp, err := os.CreateTemp(dir, name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write the cached init: %w", err)
	}
	_, err = tmp.Write(initexe.Binary)
	if err == nil {
		err = tmp.Chmod(0o500)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write the cached init: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, initexe.Name+"-*"))
	for _, p := range old {
		if fi, err := os.Lstat(p); err == nil && filepath.Base(p) != name && time.Since(fi.ModTime()) > 24*time.Hour {
			os.Remove(p)
		}
	}
	return nil
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
