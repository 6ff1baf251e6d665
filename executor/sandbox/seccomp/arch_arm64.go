//go:build linux

package seccomp

import "golang.org/x/sys/unix"

// auditArch is the only seccomp_data.arch the filter lets through (aarch32 calls are killed).
const auditArch = unix.AUDIT_ARCH_AARCH64

// x32Bit is 0: arm64 has no x32-style ABI sharing its audit arch.
const x32Bit = 0

// archOverrides are the arm64-only calls Docker allows and the sandbox denies (none).
var archOverrides []Rule
