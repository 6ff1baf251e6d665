//go:build linux

#include "textflag.h"

// func rawClone(trap, a1, a2, a3, a4, a5, fn uintptr, arg unsafe.Pointer) (r1, errno uintptr)
//
// clone or clone3 with a new stack for a child sharing this process's memory (CLONE_VM). The
// parent returns the child's pid (or -1 and the errno). The child, on the new stack the kernel
// gave it, calls fn(arg) and, should that ever return, exits with status 127. Nothing of the
// caller's frame is used after the system call: the child has none of it. fn is the entry of a
// Go function with the register ABI (a func value's code pointer), called directly: an ABI0
// wrapper would call into the race runtime in a -race build.
TEXT ·rawClone(SB),NOSPLIT|NOFRAME,$0-80
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	MOVQ	fn+48(FP), R13
	MOVQ	arg+56(FP), R12
	MOVQ	trap+0(FP), AX
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	MOVQ	$-1, r1+64(FP)
	NEGQ	AX
	MOVQ	AX, errno+72(FP)
	RET
ok:
	MOVQ	AX, r1+64(FP)
	MOVQ	$0, errno+72(FP)
	RET
child:
	// The new stack, 16-byte aligned, with the spill slot of fn's argument; the argument in AX
	// and X15 zero, as the register ABI has them.
	ANDQ	$~15, SP
	SUBQ	$16, SP
	MOVQ	R12, AX
	XORPS	X15, X15
	CALL	R13
	MOVQ	$127, DI
	MOVQ	$231, AX // exit_group
	SYSCALL
	INT	$3
