//go:build linux && (amd64 || arm64)

package seccomp

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Install sets no_new_privs and installs the filter on every thread of the calling process
// (SECCOMP_FILTER_FLAG_TSYNC), so whichever thread calls execve next, the program starts
// filtered and cannot remove the filter. Call it in the sandbox's last process, right before
// execve. It locks the calling goroutine to its OS thread and leaves it locked.
func Install() error {
	runtime.LockOSThread()
	return install(unix.EPERM)
}

func install(denyErrno unix.Errno) error {
	prog, err := build(denyErrno)
	if err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("seccomp: set no_new_privs: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	switch {
	case errno != 0:
		return fmt.Errorf("seccomp: install filter: %w", errno)
	case r != 0:
		return fmt.Errorf("seccomp: install filter: thread %d could not be synchronized", r)
	}
	return nil
}

// Available reports whether this kernel can install the filter: seccomp filters and the
// kill-process action. A nil error means Install will work (given no_new_privs is allowed).
func Available() error {
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("seccomp: kernel has no seccomp support: %w", err)
	}
	action := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	if errno != 0 {
		return fmt.Errorf("seccomp: kernel lacks seccomp filters or the kill-process action: %w", errno)
	}
	return nil
}
