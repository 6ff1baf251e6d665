//go:build linux && (amd64 || arm64)

package seccomp

import "golang.org/x/sys/unix"

// Program returns the filter as the kernel takes it (SECCOMP_SET_MODE_FILTER), for a caller
// that installs it itself: package sandbox builds it once in the sandbox's init and installs it
// in each command's forked child, right before execve, where nothing may allocate.
func Program() ([]unix.SockFilter, error) { return build(unix.EPERM) }
