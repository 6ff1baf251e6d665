//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stage2Main runs in a child of the init, inside the sandbox's root, started ahead of the
// command it will become: fd 3 is a SOCK_SEQPACKET socket on which the init sends the runSpec
// with the command's stdio and cgroup.procs files attached. On success it never returns
// (execve, which closes fd 3: the init reads EOF); on failure it sends the reason and exits 127.
func stage2Main() {
	runtime.LockOSThread()      // credentials, capabilities, no_new_privs and seccomp are per thread
	syscall.CloseOnExec(specFd) // dup2 into place cleared it; the command must not inherit it
	// Join the command's cgroups now, while waiting: "0" moves the writer. The files were opened
	// by the host, whose credentials the kernel checks.
	var joinErr error
	n, _ := strconv.Atoi(os.Getenv(envCgroups))
	for fd := specFd + 1; fd <= specFd+n; fd++ {
		if _, err := syscall.Write(fd, []byte("0")); err != nil && joinErr == nil {
			joinErr = fmt.Errorf("join cgroup: %w", err)
		}
		syscall.Close(fd)
	}
	// Drop the bounding and ambient capabilities now too (this thread keeps its effective
	// ones until the request), and run the request's code paths once, so that the command's
	// start does not pay for them.
	if err := dropBounding(); err != nil && joinErr == nil {
		joinErr = err
	}
	warmUp()
	err := stage2(joinErr)
	if err == errNoRequest {
		os.Exit(0)
	}
	_, _ = syscall.Write(specFd, []byte(err.Error()))
	os.Exit(127)
}

// errNoRequest: the init went away (or the sandbox closed) before handing over a command.
var errNoRequest = errors.New("no request")

func stage2(joinErr error) error {
	buf := make([]byte, maxMsg)
	oob := make([]byte, syscall.CmsgSpace(64*4))
	n, oobn, flags, _, err := syscall.Recvmsg(specFd, buf, oob, 0)
	for err == syscall.EINTR {
		n, oobn, flags, _, err = syscall.Recvmsg(specFd, buf, oob, 0)
	}
	if err != nil || n == 0 {
		return errNoRequest
	}
	if flags&(syscall.MSG_TRUNC|syscall.MSG_CTRUNC) != 0 {
		return errors.New("read spec: truncated")
	}
	var fds []int
	if cms, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, cm := range cms {
			if got, err := syscall.ParseUnixRights(&cm); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	var s runSpec
	if err := json.Unmarshal(buf[:n], &s); err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	if len(fds) != 3 || len(s.Args) == 0 {
		return errors.New("read spec: bad request")
	}
	if joinErr != nil {
		return joinErr
	}
	for i := 0; i < 3; i++ { // the command's stdio; dup3 leaves them open across execve
		if err := syscall.Dup3(fds[i], i, 0); err != nil {
			return fmt.Errorf("stdio: %w", err)
		}
		syscall.Close(fds[i])
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
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("/work", dir)
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
	// RLIMIT_DATA (rootless without a memory cgroup) comes last: the Go runtime of this process
	// must not need to map more memory under it. From here on nothing allocates.
	if s.DataLimit > 0 {
		rl := unix.Rlimit{Cur: s.DataLimit, Max: s.DataLimit}
		if _, _, e := syscall.RawSyscall6(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_DATA, uintptr(unsafe.Pointer(&rl)), 0, 0, 0); e != 0 {
			return fmt.Errorf("setrlimit RLIMIT_DATA: %w", e)
		}
	}
	reportCPU()
	_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(pathp)),
		uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
	return fmt.Errorf("exec %s: %w", s.Args[0], e)
}

// cpuReport starts the message in which the stage-2 tells the init its own CPU time (8 bytes,
// little-endian nanoseconds) right before execve, so that the command's CPU time can leave it out.
const cpuReport = 0

// reportCPU sends the stage-2's CPU time so far (every thread: CLOCK_PROCESS_CPUTIME_ID) on the
// spec socket. Raw system calls only: nothing may allocate here.
func reportCPU() {
	var ts unix.Timespec
	if _, _, e := syscall.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_PROCESS_CPUTIME_ID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return
	}
	var b [9]byte
	b[0] = cpuReport
	n := uint64(ts.Sec)*1e9 + uint64(ts.Nsec)
	for i := 0; i < 8; i++ {
		b[1+i] = byte(n >> (8 * i))
	}
	syscall.RawSyscall(syscall.SYS_WRITE, specFd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
}

// dropPrivileges leaves the thread with the sandbox uid/gid, no supplementary groups and no
// capability at all (bounding, ambient, permitted, effective, inheritable).
// (dropBounding did the bounding and ambient sets already.)
func dropPrivileges(uid, gid int, rootless bool) error {
	// Raw syscalls change only this thread's credentials (the libc-style wrappers signal every
	// thread, which costs a millisecond): this thread is the one that execve's, and execve ends
	// the others.
	if !rootless { // in a user namespace setgroups is denied and the uid is already the one mapped
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETGROUPS, 0, 0, 0); e != 0 {
			return fmt.Errorf("setgroups: %w", e)
		}
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); e != 0 {
		return fmt.Errorf("setresgid %d: %w", gid, e)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		return fmt.Errorf("setresuid %d: %w", uid, e)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// dropBounding empties this thread's bounding and ambient capability sets: whatever it
// execve's can never gain a capability. Its effective capabilities stay until dropPrivileges.
func dropBounding() error {
	for c := 0; c <= lastCap(); c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	return nil
}

// warmUp runs the request's decoding and path lookup once on a dummy, while the stage-2 waits:
// the code and the reflection caches are then in place when the real request comes.
func warmUp() {
	var s runSpec
	_ = json.Unmarshal([]byte(`{"args":["sh"],"env":["PATH=/usr/bin:/bin"],"dir":"/work","uid":1,"gid":1,"rlimits":[{"resource":7,"cur":1,"max":1}]}`), &s)
	_, _ = lookPath(s.Args[0], s.Env)
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
