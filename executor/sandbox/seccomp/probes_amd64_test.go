//go:build linux

package seccomp

import "golang.org/x/sys/unix"

func init() {
	probes["iopl"] = [6]uintptr{unix.SYS_IOPL, 4}
	probes["ioperm"] = [6]uintptr{unix.SYS_IOPERM, 0x10000, 1, 1}
	probes["modify_ldt"] = [6]uintptr{unix.SYS_MODIFY_LDT, 0xff, 0, 0}
	probes["uselib"] = [6]uintptr{unix.SYS_USELIB, 0}
}
