//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stage2Main runs in a fresh child of the init, inside the sandbox's root: fd 0-2 are the
// command's stdio, fd 3 a socket carrying the runSpec in and an exec error out, fd 4… the
// cgroup.procs files to join. On success it never returns (execve); on failure it reports the
// reason on fd 3 and exits 127.
func stage2Main() {
	runtime.LockOSThread()      // credentials, capabilities, no_new_privs and seccomp are per thread
	syscall.CloseOnExec(specFd) // dup2 into place cleared it; the command must not inherit it
	sock := os.NewFile(specFd, "spec")
	err := stage2(sock)
	fmt.Fprint(sock, err)
	os.Exit(127)
}

func stage2(sock *os.File) error {
	b, err := io.ReadAll(io.LimitReader(sock, maxMsg))
	if err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	var s runSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	// Join the command's cgroups: "0" moves the writer; the files were opened by the host.
	for i := 0; i < s.NCgroup; i++ {
		f := os.NewFile(uintptr(specFd+1+i), "cgroup.procs")
		if _, err := f.Write([]byte("0")); err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
		f.Close()
	}
	for _, rl := range s.Rlimits {
		if err := unix.Setrlimit(rl.Resource, &unix.Rlimit{Cur: rl.Cur, Max: rl.Max}); err != nil {
			return fmt.Errorf("setrlimit %d: %w", rl.Resource, err)
		}
	}
	if err := dropPrivileges(s.UID, s.GID, s.Rootless); err != nil {
		return err
	}
	dir := s.Dir
	if dir == "" {
		dir = "/work"
	}
	if err := os.Chdir(dir); err != nil {
		return fmt.Errorf("chdir %s: %w", dir, err)
	}
	path, err := lookPath(s.Args[0], s.Env)
	if err != nil {
		return err
	}
	pathp, err := syscall.BytePtrFromString(path)
	if err != nil {
		return fmt.Errorf("exec %s: %w", s.Args[0], err)
	}
	argv, err := syscall.SlicePtrFromStrings(s.Args)
	if err != nil {
		return fmt.Errorf("exec %s: %w", s.Args[0], err)
	}
	envv, err := syscall.SlicePtrFromStrings(s.Env)
	if err != nil {
		return fmt.Errorf("exec %s: environment: %w", s.Args[0], err)
	}
	// Every fd but stdio (and fd 3, already close-on-exec) is closed by execve.
	if err := unix.CloseRange(specFd+1, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close_range: %w", err)
	}
	resetSignals()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if err := installFilter(); err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	// RLIMIT_AS (rootless without a memory cgroup) comes last: the Go runtime of this process
	// must not need to map more memory under it. From here on nothing allocates.
	if s.AddressSpace > 0 {
		rl := unix.Rlimit{Cur: s.AddressSpace, Max: s.AddressSpace}
		if _, _, e := syscall.RawSyscall6(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_AS, uintptr(unsafe.Pointer(&rl)), 0, 0, 0); e != 0 {
			return fmt.Errorf("setrlimit RLIMIT_AS: %w", e)
		}
	}
	_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(pathp)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	return fmt.Errorf("exec %s: %w", s.Args[0], e)
}

// dropPrivileges leaves the thread with the sandbox uid/gid, no supplementary groups and no
// capability at all (bounding, ambient, permitted, effective, inheritable).
func dropPrivileges(uid, gid int, rootless bool) error {
	for c := 0; c <= lastCap(); c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	if !rootless { // in a user namespace setgroups is denied and the uid is already the one mapped
		if err := syscall.Setgroups(nil); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
	}
	if err := syscall.Setresgid(gid, gid, gid); err != nil {
		return fmt.Errorf("setresgid %d: %w", gid, err)
	}
	if err := syscall.Setresuid(uid, uid, uid); err != nil {
		return fmt.Errorf("setresuid %d: %w", uid, err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// resetSignals gives the command default signal dispositions and an empty signal mask, whatever
// the Go runtime or the init had set.
func resetSignals() {
	type sigaction struct {
		handler  uintptr
		flags    uint64
		restorer uintptr
		mask     uint64
	}
	var dfl sigaction // SIG_DFL
	for sig := 1; sig < 65; sig++ {
		if sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
			continue
		}
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	}
	var empty uint64
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&empty)), 0, 8, 0, 0)
}

// lookPath finds file like a shell would, in the PATH of env (not the host's).
func lookPath(file string, env []string) (string, error) {
	if file == "" {
		return "", errors.New("exec: empty command name")
	}
	if strings.Contains(file, "/") {
		if err := executable(file); err != nil {
			return "", fmt.Errorf("exec %s: %w", file, err)
		}
		return file, nil
	}
	pathEnv := "/usr/local/bin:/usr/bin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv = v
		}
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec %s: executable file not found in PATH %s", file, pathEnv)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	return unix.Access(p, unix.X_OK)
}

// lastCap is the highest capability number this kernel knows.
func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 63
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 63
	}
	return n
}
