//go:build linux

package rawfork

import "unsafe"

// vmClone: this architecture has rawClone, so children share the parent's memory (CLONE_VM)
// instead of copying it.
const vmClone = true

// SharesMemory says whether a child shares the parent's memory (CLONE_VM) until its execve.
const SharesMemory = vmClone

// rawClone is in clone_amd64.s.
//
//go:noescape
func rawClone(trap, a1, a2, a3, a4, a5, fn uintptr, arg unsafe.Pointer) (r1, errno uintptr)
