//go:build linux && !amd64

package rawfork

import (
	"syscall"
	"unsafe"
)

// vmClone: no rawClone for this architecture; children are forked (a copy of the memory).
const vmClone = false

// SharesMemory says whether a child shares the parent's memory (CLONE_VM) until its execve.
const SharesMemory = vmClone

func rawClone(trap, a1, a2, a3, a4, a5, fn uintptr, arg unsafe.Pointer) (r1, errno uintptr) {
	return ^uintptr(0), uintptr(syscall.ENOSYS)
}
