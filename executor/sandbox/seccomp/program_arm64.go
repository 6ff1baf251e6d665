//go:build linux && arm64

package seccomp

import "golang.org/x/sys/unix"

// prebuilt is nil on arm64: Program assembles the filter (TestProgramTable writes only the
// architecture it runs on).
var prebuilt []unix.SockFilter
