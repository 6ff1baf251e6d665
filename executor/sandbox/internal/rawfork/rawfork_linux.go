//go:build linux

// Package rawfork starts commands the way the sandbox's init needs it, with no Go runtime
// between the init and the command. Prefork clones a child ahead of its command (off the
// command's path): it joins the command's cgroup (cloned into it on cgroup v2; on v1 it writes
// itself into cgroup.procs) and waits. Hand gives it the command's stdio, the command itself
// having been written to memory shared with it (Region.Put); then, with raw system calls only,
// it sets the rlimits, drops every privilege, sets no_new_privs, installs the seccomp filter and
// execve's.
//
// On amd64 the child shares the calling process's memory (CLONE_VM, as vfork, but the parent
// goes on at once): the clone copies no page table and the child's execve has no copy of the
// parent's memory to tear down, which was most of what a command's start cost the init. It runs
// on a stack of its own outside the Go heap (a slot, reused once the kernel has cleared the
// child's tid at its execve or exit), touches nothing of the parent's memory but what Prefork
// copied into its slot and the Region, stores no pointer and never enters the Go runtime; the
// runtime's fork hooks (syscall.runtime_BeforeFork and AfterFork, the ones os.StartProcess uses)
// block signals across the clone, and the child keeps them blocked until every disposition is
// back to the default, so no handler of the parent ever runs in it. The init is not dumpable, and
// the mm is the init's until the child's execve, so nothing can ptrace the child or read its
// memory before then. Elsewhere the child is a copy of the calling process (fork).
package rawfork

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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

// Plan is what the waiting child is made with (Prefork): what is the same for every command of
// a sandbox, and where the command will come from. Prefork copies what the child needs of it
// (the filter too), but the Region must stay mapped until the child has exec'd or exited.
type Plan struct {
	// CgroupFD, when >= 0, is a cgroup v2 directory the child is cloned into (CLONE_INTO_CGROUP,
	// clone3): it is in its cgroup from its first instruction. Otherwise the child writes "0" to
	// each of Procs (cgroup.procs or, v1, tasks files: it is one thread) first thing, before it
	// waits for its command.
	CgroupFD int
	Procs    []int

	CloneFlags uintptr // namespaces for the child, e.g. CLONE_NEWIPC
	UID, GID   int
	SetGroups  bool // empty the supplementary groups (not allowed in a user namespace)
	LastCap    int  // the highest capability the kernel knows (/proc/sys/kernel/cap_last_cap)
	Filter     *unix.SockFprog
	Region     *Region // where the command will be (Region.Put)
	// Sock is the child's end of a SOCK_SEQPACKET socket pair (close-on-exec). The child
	// waits on it for one message with the command's stdin, stdout and stderr attached (Hand);
	// it answers with its CPU time right before execve (a CPUReport) or, when it fails, a
	// Failure; then execve closes it, and the parent reads EOF. When the parent closes its end
	// instead, the child exits 0.
	Sock int
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

// Region is memory shared with the waiting child (MAP_SHARED): the parent writes the command
// there (Put) before it hands the stdio over, and the child reads it after. The child's mapping
// goes with its execve, so the command never sees it.
type Region struct {
	mem []byte
	hdr *command // at the start of mem
}

// maxPaths and maxRlimits bound a command's PATH candidates and rlimits.
const (
	maxPaths   = 128
	maxRlimits = 16
)

// command is the header of a Region: addresses (as uintptr: they point into the Region, which
// the Go heap does not manage) and the fixed-size parts.
type command struct {
	argv, envv uintptr // nil-terminated arrays of C strings
	dir        uintptr // C string
	paths      [maxPaths]uintptr
	npaths     int
	rlimits    [maxRlimits]Rlimit
	nrlimits   int
	dataLimit  uint64
}

// NewRegion maps a Region of size bytes.
func NewRegion(size int) (*Region, error) {
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("rawfork: map shared memory: %w", err)
	}
	return &Region{mem: mem, hdr: (*command)(unsafe.Pointer(&mem[0]))}, nil
}

// Command is one command as Put writes it.
type Command struct {
	Paths []string // execve each in turn (a PATH search) until one does not fail with ENOENT, EACCES…
	Args  []string
	Env   []string
	Dir   string // chdir here (after the privilege drop: as the command's user)
	// Rlimits are set before the privilege drop; DataLimit, when > 0, is RLIMIT_DATA, set last
	// before execve.
	Rlimits   []Rlimit
	DataLimit uint64
}

// Put writes c into the region, for the child waiting on it.
func (r *Region) Put(c *Command) error {
	if len(c.Paths) == 0 || len(c.Paths) > maxPaths || len(c.Args) == 0 || len(c.Rlimits) > maxRlimits {
		return fmt.Errorf("rawfork: bad command (%d paths, %d args, %d rlimits)", len(c.Paths), len(c.Args), len(c.Rlimits))
	}
	base := uintptr(unsafe.Pointer(&r.mem[0]))
	off := int(unsafe.Sizeof(command{}))
	tooBig := fmt.Errorf("rawfork: the command's arguments and environment are over %d bytes", len(r.mem))
	str := func(s string) (uintptr, bool) {
		if strings.IndexByte(s, 0) >= 0 || off+len(s)+1 > len(r.mem) {
			return 0, false
		}
		a := base + uintptr(off)
		copy(r.mem[off:], s)
		r.mem[off+len(s)] = 0
		off += len(s) + 1
		return a, true
	}
	array := func(ss []string) (uintptr, error) {
		addrs := make([]uintptr, 0, len(ss)+1)
		for _, s := range ss {
			a, ok := str(s)
			if !ok {
				if strings.IndexByte(s, 0) >= 0 {
					return 0, fmt.Errorf("rawfork: %q holds a NUL byte", s)
				}
				return 0, tooBig
			}
			addrs = append(addrs, a)
		}
		addrs = append(addrs, 0)
		off = (off + 7) &^ 7
		if off+8*len(addrs) > len(r.mem) {
			return 0, tooBig
		}
		a := base + uintptr(off)
		for _, p := range addrs {
			binary.NativeEndian.PutUint64(r.mem[off:], uint64(p))
			off += 8
		}
		return a, nil
	}
	h := r.hdr
	var err error
	if h.argv, err = array(c.Args); err != nil {
		return err
	}
	if h.envv, err = array(c.Env); err != nil {
		return err
	}
	var ok bool
	if h.dir, ok = str(c.Dir); !ok {
		return fmt.Errorf("rawfork: bad dir %q", c.Dir)
	}
	for i, p := range c.Paths {
		if h.paths[i], ok = str(p); !ok {
			return fmt.Errorf("rawfork: bad path %q", p)
		}
	}
	h.npaths = len(c.Paths)
	copy(h.rlimits[:], c.Rlimits)
	h.nrlimits = len(c.Rlimits)
	h.dataLimit = c.DataLimit
	return nil
}

// Hand gives the waiting child on sock its stdin, stdout and stderr: it starts the command that
// was Put in its region.
func Hand(sock int, stdio [3]int) error {
	return syscall.Sendmsg(sock, []byte{1}, syscall.UnixRights(stdio[0], stdio[1], stdio[2]), nil, 0)
}

// Prefork clones the child that carries out p: it joins its cgroup, waits for its command
// (Hand), then runs it. It returns the child's pid. An error here means no child was made; what
// fails in the child comes as a Failure on the socket.
func Prefork(p *Plan) (int, error) {
	if p.Region == nil || p.Filter == nil || len(p.Procs) > maxProcs {
		return 0, fmt.Errorf("rawfork: bad plan")
	}
	var s *slot
	a := new(child)
	if vmClone {
		var err error
		if s, err = freeSlot(); err != nil {
			return 0, err
		}
		a = s.child()
	}
	*a = child{tid: a.tid, sock: p.Sock, uid: p.UID, gid: p.GID, setGroups: p.SetGroups, lastCap: p.LastCap,
		nprocs: len(p.Procs), filter: p.Filter, c: p.Region.hdr}
	if p.CgroupFD >= 0 {
		a.nprocs = 0 // cloned into its cgroup
	}
	copy(a.procs[:], p.Procs)
	if s != nil {
		// The child reads its filter after Prefork returned: a copy in its slot.
		if int(p.Filter.Len) > maxFilter {
			atomic.StoreUint32(&a.tid, 0)
			return 0, fmt.Errorf("rawfork: a filter of %d instructions", p.Filter.Len)
		}
		prog := s.filter()
		copy(prog, unsafe.Slice(p.Filter.Filter, p.Filter.Len))
		a.fprog = unix.SockFprog{Len: p.Filter.Len, Filter: &prog[0]}
		a.filter = &a.fprog
	}
	a.iov.Base = &a.one[0]
	a.iov.SetLen(1)
	a.msg.Iov = &a.iov
	a.msg.SetIovlen(1)
	a.msg.Control = &a.oob[0]
	a.msg.SetControllen(len(a.oob))

	var ca *cloneArgs
	if p.CgroupFD >= 0 {
		ca = &cloneArgs{flags: uint64(p.CloneFlags) | unix.CLONE_INTO_CGROUP,
			exitSignal: uint64(syscall.SIGCHLD), cgroup: uint64(p.CgroupFD)}
	}
	syscall.ForkLock.Lock()
	var pid int
	var errno syscall.Errno
	if vmClone {
		pid, errno = cloneVM(p, a, s, ca)
	} else {
		pid, errno = forkChild(p, a, ca)
	}
	syscall.ForkLock.Unlock()
	runtime.KeepAlive(p)
	if errno != 0 {
		if s != nil {
			atomic.StoreUint32(&s.child().tid, 0)
		}
		if ca != nil {
			return 0, fmt.Errorf("rawfork: clone3 into cgroup: %w", errno)
		}
		return 0, fmt.Errorf("rawfork: clone: %w", errno)
	}
	return pid, nil
}

// maxProcs bounds the cgroup.procs files a child writes itself to (one per v1 hierarchy).
const maxProcs = 16

// child is what the child reads and writes: a copy of its Plan, and room for its messages.
// Where it shares the parent's memory (CLONE_VM) it lives in the child's slot, outside the Go
// heap, and the child stores no pointer (a store could need the runtime's write barrier): the
// pointers in msg and iov are set by the parent before the clone.
type child struct {
	tid       uint32 // CLONE_CHILD_CLEARTID: the kernel zeroes it when the child execs or exits
	procs     [maxProcs]int
	nprocs    int
	sock      int
	uid, gid  int
	lastCap   int
	setGroups bool
	filter    *unix.SockFprog
	fprog     unix.SockFprog // in a slot: what filter points to
	c         *command
	stdio     [3]int
	one       [1]byte
	oob       [64]byte
	iov       unix.Iovec
	msg       unix.Msghdr
	fail      [FailureLen]byte
	cpu       [CPUReportLen]byte
	ts        unix.Timespec
	dl        unix.Rlimit
}

// slotSize is the memory of one CLONE_VM child: its child struct, a copy of its seccomp filter
// (at most maxFilter instructions, the kernel's own bound), then its stack.
const (
	slotSize  = 64 << 10
	maxFilter = 4096
	filterOff = 1024
	stackOff  = filterOff + maxFilter*8
)

// slot is the memory of one CLONE_VM child, mapped once and reused once the kernel has zeroed
// its tid (the child exec'd or exited: it no longer runs on it).
type slot struct{ mem []byte }

// The child struct fits before the filter.
var _ [filterOff - unsafe.Sizeof(child{})]byte

func (s *slot) child() *child { return (*child)(unsafe.Pointer(&s.mem[0])) }

func (s *slot) filter() []unix.SockFilter {
	return unsafe.Slice((*unix.SockFilter)(unsafe.Pointer(&s.mem[filterOff])), maxFilter)
}

var slots struct {
	sync.Mutex
	all []*slot
}

// freeSlot returns a slot no child runs on, marked taken (tid 1), mapping a new one when every
// slot is in use.
func freeSlot() (*slot, error) {
	slots.Lock()
	defer slots.Unlock()
	for _, s := range slots.all {
		if atomic.CompareAndSwapUint32(&s.child().tid, 0, 1) {
			return s, nil
		}
	}
	mem, err := unix.Mmap(-1, 0, slotSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("rawfork: map a child's stack: %w", err)
	}
	s := &slot{mem: mem}
	s.child().tid = 1
	slots.all = append(slots.all, s)
	return s, nil
}

// cloneVM clones a child that shares this process's memory (CLONE_VM, as vfork does, but the
// parent goes on): no page table is copied, and the child's execve has nothing to tear down. The
// child runs childMain on its slot's stack. The runtime's fork hooks block signals across the
// clone, so the child starts with every signal blocked and keeps them blocked until it has set
// every disposition to the default (the handlers it inherits are the Go runtime's, which must
// never run in it).
//
//go:norace
//go:nocheckptr
func cloneVM(p *Plan, a *child, s *slot, ca *cloneArgs) (int, syscall.Errno) {
	base := uintptr(unsafe.Pointer(&s.mem[0]))
	stackLow := base + stackOff
	tid := uintptr(unsafe.Pointer(&a.tid))
	var r1, e uintptr
	runtime_BeforeFork()
	if ca != nil {
		ca.flags |= unix.CLONE_VM | unix.CLONE_CHILD_CLEARTID
		ca.childTID = uint64(tid)
		ca.stack = uint64(stackLow)
		ca.stackSize = uint64(base + slotSize - stackLow)
		r1, e = rawClone(unix.SYS_CLONE3, uintptr(unsafe.Pointer(ca)), unsafe.Sizeof(*ca), 0, 0, 0, childMainPC, unsafe.Pointer(a))
	} else {
		r1, e = rawClone(syscall.SYS_CLONE, p.CloneFlags|unix.CLONE_VM|unix.CLONE_CHILD_CLEARTID|uintptr(syscall.SIGCHLD),
			base+slotSize, 0, tid, 0, childMainPC, unsafe.Pointer(a))
	}
	runtime_AfterFork()
	return int(r1), syscall.Errno(e)
}

// childMainPC is childMain's entry with the register ABI: the code pointer of its func value.
var childMainPC = func() uintptr {
	f := childMain
	return **(**uintptr)(unsafe.Pointer(&f))
}()

// forkChild is the clone of a child with a copy of this process's memory (where there is no
// rawClone). The child runs on a copy of this goroutine's stack with the runtime's fork hooks in
// force, then childMain.
//
//go:noinline
//go:norace
//go:nocheckptr
func forkChild(p *Plan, a *child, ca *cloneArgs) (pid int, errno syscall.Errno) {
	var r1 uintptr
	var err1 syscall.Errno
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
	runtime_AfterForkInChild()
	childMain(a)
	return 0, 0
}

// childMain is the child, everything up to execve. It may call only nosplit functions (the raw
// system calls), allocate nothing, touch no lock and store no pointer; it never returns.
//
//go:nosplit
//go:norace
//go:nocheckptr
func childMain(a *child) {
	var (
		r1      uintptr
		err1    syscall.Errno
		joinErr syscall.Errno
		step    Step
		i       int
		fd      int
		n       uint64
		cmsg    *unix.Cmsghdr
		c       *command
	)
	cmsg = (*unix.Cmsghdr)(unsafe.Pointer(&a.oob[0]))
	c = a.c

	for i = 0; i < a.nprocs; i++ {
		if _, _, err1 = syscall.RawSyscall(syscall.SYS_WRITE, uintptr(a.procs[i]), uintptr(unsafe.Pointer(&zero[0])), 1); err1 != 0 && joinErr == 0 {
			joinErr = err1
		}
	}
	// Nothing of the parent's stays open while it waits but its socket (0-2 are /dev/null or
	// the init's stderr, replaced by the command's stdio).
	if a.sock > 3 {
		syscall.RawSyscall(unix.SYS_CLOSE_RANGE, 3, uintptr(a.sock-1), 0)
	}
	syscall.RawSyscall(unix.SYS_CLOSE_RANGE, uintptr(a.sock+1), ^uintptr(0), 0)

	// Wait for the command: one byte with three fds.
	for {
		r1, _, err1 = syscall.RawSyscall(syscall.SYS_RECVMSG, uintptr(a.sock), uintptr(unsafe.Pointer(&a.msg)), syscall.MSG_CMSG_CLOEXEC)
		if err1 != syscall.EINTR {
			break
		}
	}
	if err1 != 0 || r1 == 0 {
		for { // the parent went away: no command will come
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
		}
	}
	step = StepStdio
	err1 = syscall.EBADMSG
	if cmsg.Level != syscall.SOL_SOCKET || cmsg.Type != syscall.SCM_RIGHTS || uintptr(cmsg.Len) != unix.SizeofCmsghdr+3*4 {
		goto failed
	}
	for i = 0; i < 3; i++ {
		fd = unix.SizeofCmsghdr + 4*i
		a.stdio[i] = int(int32(uint32(a.oob[fd]) | uint32(a.oob[fd+1])<<8 | uint32(a.oob[fd+2])<<16 | uint32(a.oob[fd+3])<<24))
		if a.stdio[i] < 3 {
			goto failed
		}
	}
	if joinErr != 0 {
		step, err1 = StepCgroup, joinErr
		goto failed
	}
	step = StepSetsid
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_SETSID, 0, 0, 0); err1 != 0 {
		goto failed
	}
	step = StepStdio
	for i = 0; i < 3; i++ { // each fd received is >= 3, so none is overwritten before it is used
		if _, _, err1 = syscall.RawSyscall(syscall.SYS_DUP3, uintptr(a.stdio[i]), uintptr(i), 0); err1 != 0 {
			goto failed
		}
	}
	step = StepRlimit
	for i = 0; i < c.nrlimits; i++ {
		if _, _, err1 = syscall.RawSyscall6(unix.SYS_PRLIMIT64, 0, uintptr(c.rlimits[i].Resource),
			uintptr(unsafe.Pointer(&c.rlimits[i].Limit)), 0, 0, 0); err1 != 0 {
			goto failed
		}
	}
	// Whatever it execve's can never gain a capability: the bounding and ambient sets go first,
	// while the child still holds CAP_SETPCAP.
	step = StepBounding
	for i = 0; i <= a.lastCap; i++ {
		if _, _, err1 = syscall.RawSyscall6(syscall.SYS_PRCTL, unix.PR_CAPBSET_DROP, uintptr(i), 0, 0, 0, 0); err1 != 0 && err1 != syscall.EINVAL {
			goto failed
		}
	}
	step = StepAmbient
	if _, _, err1 = syscall.RawSyscall6(syscall.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0); err1 != 0 && err1 != syscall.EINVAL {
		goto failed
	}
	if a.setGroups {
		step = StepSetgroups
		if _, _, err1 = syscall.RawSyscall(syscall.SYS_SETGROUPS, 0, 0, 0); err1 != 0 {
			goto failed
		}
	}
	step = StepSetgid
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_SETRESGID, uintptr(a.gid), uintptr(a.gid), uintptr(a.gid)); err1 != 0 {
		goto failed
	}
	step = StepSetuid
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_SETRESUID, uintptr(a.uid), uintptr(a.uid), uintptr(a.uid)); err1 != 0 {
		goto failed
	}
	step = StepCapset
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&capHeader)), uintptr(unsafe.Pointer(&capData[0])), 0); err1 != 0 {
		goto failed
	}
	step = StepChdir
	if _, _, err1 = syscall.RawSyscall(syscall.SYS_CHDIR, c.dir, 0, 0); err1 != 0 {
		goto failed
	}
	// Every fd but stdio is closed by execve (the socket included: the parent reads EOF then).
	step = StepCloseRange
	if _, _, err1 = syscall.RawSyscall(unix.SYS_CLOSE_RANGE, 3, ^uintptr(0), unix.CLOSE_RANGE_CLOEXEC); err1 != 0 {
		goto failed
	}
	// Default dispositions, then an empty mask, whatever the init had: until here every signal
	// is blocked (the runtime's fork hooks), so none reaches a handler of the init's.
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
	if _, _, err1 = syscall.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(a.filter))); err1 != 0 {
		goto failed
	}
	if c.dataLimit > 0 {
		step = StepDataLimit
		a.dl.Cur, a.dl.Max = c.dataLimit, c.dataLimit
		if _, _, err1 = syscall.RawSyscall6(unix.SYS_PRLIMIT64, 0, unix.RLIMIT_DATA, uintptr(unsafe.Pointer(&a.dl)), 0, 0, 0); err1 != 0 {
			goto failed
		}
	}
	// The child's own CPU time, so that the command's can leave it out.
	if _, _, err1 = syscall.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_PROCESS_CPUTIME_ID, uintptr(unsafe.Pointer(&a.ts)), 0); err1 == 0 {
		n = uint64(a.ts.Sec)*1e9 + uint64(a.ts.Nsec)
		a.cpu[0] = 0
		for i = 0; i < 8; i++ {
			a.cpu[1+i] = byte(n >> (8 * i))
		}
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(a.sock), uintptr(unsafe.Pointer(&a.cpu[0])), CPUReportLen)
	}
	// A PATH search as execvp does it: the first candidate that exists and may be executed;
	// a permission error is remembered over "not found".
	step = StepExec
	err1 = syscall.ENOENT
	for i = 0; i < c.npaths; i++ {
		_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE, c.paths[i], c.argv, c.envv)
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
		a.fail[i] = byte(uint32(step) >> (8 * i))
		a.fail[4+i] = byte(uint32(err1) >> (8 * i))
	}
	syscall.RawSyscall(syscall.SYS_WRITE, uintptr(a.sock), uintptr(unsafe.Pointer(&a.fail[0])), FailureLen)
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
