//go:build linux

// Package rawfork starts a command the way the sandbox's init needs it: a raw clone whose child,
// before execve, joins the command's cgroup, sets its rlimits, drops every privilege, sets
// no_new_privs and installs the seccomp filter — with raw system calls only, no Go runtime in
// between. Everything the child needs is prepared by the caller in a Plan; the child only reads it.
//
// The child is a copy of the calling process (fork, not vfork: it never shares the parent's
// memory), made with the runtime's fork hooks (syscall.runtime_BeforeFork and friends, the same
// ones os.StartProcess uses) so that signals are blocked across the clone and any stack growth
// in the child fails loudly instead of corrupting the runtime.
package rawfork

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

//go:linkname runtime_BeforeFork syscall.runtime_BeforeFork
func runtime_BeforeFork()

//go:linkname runtime_AfterFork syscall.runtime_AfterFork
func runtime_AfterFork()

//go:linkname runtime_AfterForkInChild syscall.runtime_AfterForkInChild
func runtime_AfterForkInChild()

// Rlimit is one prlimit64 call of the child.
type Rlimit struct {
	Resource int
	Limit    unix.Rlimit
}

// Plan is everything the child does, prepared by the parent. Pointers must stay valid until
// Start returns (the child has its own copy of them from then on).
type Plan struct {
	Paths []*byte // execve each in turn (a PATH search) until one does not fail with ENOENT, EACCES…
	Argv  []*byte // nil-terminated
	Envv  []*byte // nil-terminated
	Dir   *byte   // chdir here (after the privilege drop: as the command's user)
	Stdio [3]int  // become fds 0, 1, 2; each must be >= 3

	// CgroupFD, when >= 0, is a cgroup v2 directory the child is cloned into (CLONE_INTO_CGROUP,
	// clone3): it is in its cgroup from its first instruction. Otherwise the child writes "0" to
	// each of Procs (cgroup.procs files, v1) first thing, before anything else it does.
	CgroupFD int
	Procs    []int

	CloneFlags uintptr // namespaces for the child, e.g. CLONE_NEWIPC
	Rlimits    []Rlimit
	UID, GID   int
	SetGroups  bool // empty the supplementary groups (not allowed in a user namespace)
	LastCap    int  // the highest capability the kernel knows (/proc/sys/kernel/cap_last_cap)
	Filter     *unix.SockFprog
	// DataLimit, when > 0, is RLIMIT_DATA, set last before execve.
	DataLimit uint64
	// Report is the child's end of a SOCK_SEQPACKET socket (close-on-exec): the child sends its
	// CPU time right before execve (a CPUReport) or, when it fails, a Failure; then execve
	// closes it, and the parent reads EOF.
	Report int
}

// Step names what the child was doing when it failed.
type Step uint32

// The child's steps, in order.
const (
	StepCgroup Step = iota + 1
	StepSetsid
	StepStdio
	StepRlimit
	StepBounding
	StepAmbient
	StepSetgroups
	StepSetgid
	StepSetuid
	StepCapset
	StepChdir
	StepCloseRange
	StepNoNewPrivs
	StepSeccomp
	StepDataLimit
	StepExec
)

func (s Step) String() string {
	names := [...]string{"", "join cgroup", "setsid", "stdio", "setrlimit", "drop capability from the bounding set",
		"clear ambient capabilities", "setgroups", "setresgid", "setresuid", "capset", "chdir", "close_range",
		"no_new_privs", "seccomp", "setrlimit RLIMIT_DATA", "exec"}
	if int(s) < len(names) {
		return names[s]
	}
	return fmt.Sprintf("step %d", s)
}

// Failure is the 8-byte message of a child that could not start its command: the step and the
// errno, little-endian uint32s. The child then exits with status 127.
const FailureLen = 8

// CPUReportLen is the length of the message a child sends right before execve: a 0 byte, then
// its CPU time so far in nanoseconds, little-endian.
const CPUReportLen = 9

// ParseFailure decodes a Failure.
func ParseFailure(b []byte) (Step, syscall.Errno, bool) {
	if len(b) != FailureLen {
		return 0, 0, false
	}
	le := func(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24 }
	return Step(le(b[0:4])), syscall.Errno(le(b[4:8])), true
}

// cloneArgs is struct clone_args of clone3(2), up to the cgroup field (CLONE_ARGS_SIZE_VER2).
type cloneArgs struct {
	flags      uint64
	pidfd      uint64
	childTID   uint64
	parentTID  uint64
	exitSignal uint64
	stack      uint64
	stackSize  uint64
	tls        uint64
	setTID     uint64
	setTIDSize uint64
	cgroup     uint64
}

// capHeader and capData are what capset gets to empty every capability set.
var (
	capHeader = unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	capData   [2]unix.CapUserData
	zero      = [1]byte{'0'}
)

// Start clones the child that carries out p and returns its pid. An error here means no child
// was made; what fails in the child comes as a Failure on p.Report.
func Start(p *Plan) (int, error) {
	for _, fd := range p.Stdio {
		if fd < 3 {
			return 0, fmt.Errorf("rawfork: stdio fd %d is below 3", fd)
		}
	}
	if len(p.Paths) == 0 || len(p.Argv) < 2 || p.Argv[len(p.Argv)-1] != nil || len(p.Envv) < 1 || p.Envv[len(p.Envv)-1] != nil {
		return 0, fmt.Errorf("rawfork: bad plan")
	}
	var ca *cloneArgs
	if p.CgroupFD >= 0 {
		ca = &cloneArgs{flags: uint64(p.CloneFlags) | unix.CLONE_INTO_CGROUP,
			exitSignal: uint64(syscall.SIGCHLD), cgroup: uint64(p.CgroupFD)}
	}
	syscall.ForkLock.Lock()
	pid, errno := forkChild(p, ca)
	syscall.ForkLock.Unlock()
	if errno != 0 {
		if ca != nil {
			return 0, fmt.Errorf("rawfork: clone3 into cgroup: %w", errno)
		}
		return 0, fmt.Errorf("rawfork: clone: %w", errno)
	}
	return pid, nil
}

// forkChild is the clone and, in the child, everything up to execve. The child runs on a copy of
// this goroutine's stack with the runtime's fork hooks in force: it may call only nosplit
// functions (the raw system calls), allocate nothing and touch no lock.
//
//go:noinline
//go:norace
//go:nocheckptr
func forkChild(p *Plan, ca *cloneArgs) (pid int, errno syscall.Errno) {
	var (
		r1   uintptr
		err1 syscall.Errno
		step Step
		i    int
		fail [FailureLen]byte
		cpu  [CPUReportLen]byte
		ts   unix.Timespec
		dl   unix.Rlimit
		n    uint64
	)
	runtime_BeforeFork()
	if ca != nil {
		r1, _, err1 = syscall.RawSyscall(unix.SYS_CLONE3, uintptr(unsafe.Pointer(ca)), unsafe.Sizeof(*ca), 0)
	} else {
		r1, _, err1 = syscall.RawSyscall6(syscall.SYS_CLONE, p.CloneFlags|uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	}
	if err1 != 0 || r1 != 0 {
		// The parent (or no child at all).
		runtime_AfterFork()
		return int(r1), err1
	}

	// The child. From here on: raw system calls only.
	runtime_AfterForkInChild()

	if ca == nil {
		step = StepCgroup
		for i = 0; i < len(p.Procs); i++ {
			if _, _, err1 = syscall.RawSyscall(syscall.SYS_WRITE, uintptr(p.Procs[i]), uintptr(unsafe.Pointer(&zero[0])), 1); err1 != 0 {
				goto failed
			}
		}
	}
	step = StepSetsid
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_SETSID, 0, 0, 0); err1 != 0 {
		goto failed
	}
	step = StepStdio
	for i = 0; i < 3; i++ { // each Stdio fd is >= 3, so none is overwritten before it is used
		if _, _, err1 = syscall.RawSyscall(syscall.SYS_DUP3, uintptr(p.Stdio[i]), uintptr(i), 0); err1 != 0 {
			goto failed
		}
	}
	step = StepRlimit
	for i = 0; i < len(p.Rlimits); i++ {
		if _, _, err1 = syscall.RawSyscall6(unix.SYS_PRLIMIT64, 0, uintptr(p.Rlimits[i].Resource),
			uintptr(unsafe.Pointer(&p.Rlimits[i].Limit)), 0, 0, 0); err1 != 0 {
			goto failed
		}
	}
	// Whatever it execve's can never gain a capability: the bounding and ambient sets go first,
	// while the child still holds CAP_SETPCAP.
	step = StepBounding
	for i = 0; i <= p.LastCap; i++ {
		if _, _, err1 = syscall.RawSyscall6(syscall.SYS_PRCTL, unix.PR_CAPBSET_DROP, uintptr(i), 0, 0, 0, 0); err1 != 0 && err1 != syscall.EINVAL {
			goto failed
		}
	}
	step = StepAmbient
	if _, _, err1 = syscall.RawSyscall6(syscall.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0); err1 != 0 && err1 != syscall.EINVAL {
		goto failed
	}
	if p.SetGroups {
		step = StepSetgroups
		if _, _, err1 = syscall.RawSyscall(syscall.SYS_SETGROUPS, 0, 0, 0); err1 != 0 {
			goto failed
		}
	}
	step = StepSetgid
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_SETRESGID, uintptr(p.GID), uintptr(p.GID), uintptr(p.GID)); err1 != 0 {
		goto failed
	}
	step = StepSetuid
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_SETRESUID, uintptr(p.UID), uintptr(p.UID), uintptr(p.UID)); err1 != 0 {
		goto failed
	}
	step = StepCapset
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&capHeader)), uintptr(unsafe.Pointer(&capData[0])), 0); err1 != 0 {
		goto failed
	}
	step = StepChdir
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_CHDIR, uintptr(unsafe.Pointer(p.Dir)), 0, 0); err1 != 0 {
		goto failed
	}
	// Every fd but stdio is closed by execve (Report included: the parent reads EOF then).
	step = StepCloseRange
	if _, _, err1 = syscall.RawSyscall(unix.SYS_CLOSE_RANGE, 3, ^uintptr(0), unix.CLOSE_RANGE_CLOEXEC); err1 != 0 {
		goto failed
	}
	// Default dispositions and an empty mask, whatever the init had.
	for i = 1; i < 65; i++ {
		if i != int(syscall.SIGKILL) && i != int(syscall.SIGSTOP) {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(i), uintptr(unsafe.Pointer(&sigDfl)), 0, 8, 0, 0)
		}
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&emptySet)), 0, 8, 0, 0)
	step = StepNoNewPrivs
	if _, _, err1 = syscall.RawSyscall6(syscall.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); err1 != 0 {
		goto failed
	}
	// One thread: no TSYNC needed; the filter is inherited by everything the command starts.
	step = StepSeccomp
	if _, _, err1 = syscall.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(p.Filter))); err1 != 0 {
		goto failed
	}
	if p.DataLimit > 0 {
		step = StepDataLimit
		dl = unix.Rlimit{Cur: p.DataLimit, Max: p.DataLimit}
		if _, _, err1 = syscall.RawSyscall6(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_DATA, uintptr(unsafe.Pointer(&dl)), 0, 0, 0); err1 != 0 {
			goto failed
		}
	}
	// The child's own CPU time, so that the command's can leave it out.
	if _, _, err1 = syscall.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_PROCESS_CPUTIME_ID, uintptr(unsafe.Pointer(&ts)), 0); err1 == 0 {
		n = uint64(ts.Sec)*1e9 + uint64(ts.Nsec)
		for i = 0; i < 8; i++ {
			cpu[1+i] = byte(n >> (8 * i))
		}
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(p.Report), uintptr(unsafe.Pointer(&cpu[0])), CPUReportLen)
	}
	// A PATH search as execvp does it: the first candidate that exists and may be executed;
	// a permission error is remembered over "not found".
	step = StepExec
	err1 = syscall.ENOENT
	for i = 0; i < len(p.Paths); i++ {
		_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(p.Paths[i])),
			uintptr(unsafe.Pointer(&p.Argv[0])), uintptr(unsafe.Pointer(&p.Envv[0])))
		switch e {
		case syscall.EACCES:
			err1 = e
		case syscall.ENOENT, syscall.ENOTDIR, syscall.ELOOP, syscall.ENAMETOOLONG:
		default:
			err1 = e
			goto failed
		}
	}

failed:
	for i = 0; i < 4; i++ {
		fail[i] = byte(uint32(step) >> (8 * i))
		fail[4+i] = byte(uint32(err1) >> (8 * i))
	}
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(p.Report), uintptr(unsafe.Pointer(&fail[0])), FailureLen)
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
	}
}

// sigaction as rt_sigaction(2) takes it; the zero value is SIG_DFL with an empty mask.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

var (
	sigDfl   sigaction
	emptySet uint64
)
