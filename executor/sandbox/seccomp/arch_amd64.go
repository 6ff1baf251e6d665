//go:build linux

package seccomp

import "golang.org/x/sys/unix"

// auditArch is the only seccomp_data.arch the filter lets through.
const auditArch = unix.AUDIT_ARCH_X86_64

// x32Bit marks x32-ABI calls on x86_64 (same audit arch, nr | 0x40000000); they are killed.
const x32Bit = 0x40000000

// archOverrides are the x86-only calls Docker allows and the sandbox denies.
var archOverrides = []Rule{
	deny("modify_ldt", unix.SYS_MODIFY_LDT, "segment descriptors: 16-bit code, a kernel attack surface nothing here needs"),
}
