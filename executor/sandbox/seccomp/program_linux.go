//go:build linux && (amd64 || arm64)

package seccomp

import (
	"slices"

	"golang.org/x/sys/unix"
)

// Program returns the filter as the kernel takes it (SECCOMP_SET_MODE_FILTER), for a caller
// that installs it itself: package sandbox takes it once in the sandbox's init and installs it
// in each command's forked child, right before execve, where nothing may allocate.
//
// On amd64 it is the filter assembled when this package was generated (prebuilt,
// program_amd64.go; TestProgramTable fails when it no longer matches what build makes): every
// sandbox's init needs it right after its start, and assembling it there cost about 1 ms of a
// one-shot run. Elsewhere it is assembled on each call.
func Program() ([]unix.SockFilter, error) {
	if prebuilt != nil {
		return slices.Clone(prebuilt), nil
	}
	return build(unix.EPERM)
}
