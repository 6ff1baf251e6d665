//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox/internal/rawfork"
	"github.com/sandrun/sandrun/executor/sandbox/seccomp"
)

// commandRegion is the size of the memory a forked command is written to: its args and env
// (at most maxMsg bytes as JSON) and their pointer arrays.
const commandRegion = 4 * maxMsg

// The sandbox re-executes /proc/self/exe as the init (pid 1 of the new namespaces, one per
// Sandbox) and, where commands are not forked from the init (start_linux.go), for every command
// as a short-lived stage-2 that drops privileges and execve's the command. Both are recognised
// by argv[0] and an env var together, so neither can be triggered by accident.
const (
	envRole     = "_SANDRUN_SANDBOX_ROLE"
	envCgroups  = "_SANDRUN_SANDBOX_CGROUPS"  // stage-2: how many cgroup.procs fds follow fd 3
	envRootless = "_SANDRUN_SANDBOX_ROOTLESS" // init: "1" when started in a user namespace (rootless)
	initArg0    = "sandrun-sandbox-init"
	stage2Arg0  = "sandrun-sandbox-exec"
	ctlFd       = 3 // the init's control socket
	specFd      = 3 // the stage-2's spec/error socket
)

func maybeInit() bool {
	if len(os.Args) == 0 {
		return false
	}
	switch {
	case os.Args[0] == initArg0 && os.Getenv(envRole) == "init":
		initMain()
	case os.Args[0] == stage2Arg0 && os.Getenv(envRole) == "stage2":
		stage2Main()
	default:
		return false
	}
	os.Exit(0)
	return true
}

// The init's name in ps and top: executed through /proc/self/fd/N, it would be "N".
// PR_SET_NAME names the calling thread only, and ps shows the main thread's name; package
// init functions are the one place Go runs on the main thread for certain (main and every
// other goroutine may move between threads), so it is done here.
func init() {
	if len(os.Args) > 0 && os.Args[0] == initArg0 && os.Getenv(envRole) == "init" {
		if name, err := unix.BytePtrFromString("sandrun-init"); err == nil {
			_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
		}
	}
}

// initProc is the state of a sandbox's init.
type initProc struct {
	ctl   *conn
	exe   *os.File // this binary, kept open to re-exec as stage-2 after pivot_root
	setup *setupSpec
	warm  chan *warmStage2 // the next command's process, waiting (nil if it could not start)
	// Where commands are forked (setup.Fork): the seccomp program each installs, built once,
	// and the memory the command is written to for the waiting child.
	filter  *unix.SockFprog
	prog    []unix.SockFilter
	lastCap int
	region  *rawfork.Region
	noInto  atomic.Bool // CLONE_INTO_CGROUP failed here once: commands join through cgroup.procs
	// netBase is the network namespace's state right after set-up (see doReset).
	netBase []byte
	// limitBase is the init's own resource limits right after set-up (see doReset).
	limitBase []unix.Rlimit
	// checkpoint is the /work that Checkpoint took away (an open dir of its detached tmpfs,
	// which no path reaches) and every "restore" copies back; nil when there is none.
	checkpoint *os.File
	// rootless is how the host started the init (envRootless); its set-up request says the same.
	rootless bool
	// sigReady is closed once every signal is relayed (initMain): no command starts before.
	sigReady chan struct{}
	// baseErr is what went wrong in early (the set-up that needs nothing from the host), which
	// the "setup" request then reports.
	baseErr error
}

// initMain serves the host's requests until the control socket closes, then exits, which
// kills every process left in the PID namespace.
func initMain() {
	// No signal from inside may end or crash the init (rootless, commands share its uid and
	// may signal it). As pid 1 of its PID namespace the kernel already drops SIGKILL and SIGSTOP
	// from inside, and every signal left at its default action; the Go runtime handles the
	// others, and would die of SIGHUP, SIGINT, SIGTERM, SIGABRT, SIGQUIT or a SIGSEGV, SIGBUS,
	// SIGFPE, SIGILL, SIGTRAP or SIGSYS sent with kill. Relaying every signal to a channel
	// nobody acts on makes them all harmless. (A forged fault, the same signals sent by
	// rt_sigqueueinfo with a made-up si_code, would still look like a real fault to the runtime:
	// the seccomp filter refuses those signals to the sigqueue calls.) Commands get default
	// dispositions back at their execve.
	//
	// signal.Notify of every signal is a round trip with the runtime's signal thread per
	// signal, ~65 of them: 1 ms on an idle machine, 5 ms on a busy one. Nothing inside can send
	// a signal before a command runs, so it is done beside the set-up, and startRun waits for
	// it (sigReady).
	sigs := make(chan os.Signal, 16)
	sigReady := make(chan struct{})
	go func() {
		signal.Notify(sigs)
		close(sigReady)
		for range sigs {
		}
	}()
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)

	ctl, err := newConn(os.NewFile(ctlFd, "control"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox init:", err)
		os.Exit(1)
	}
	in := &initProc{ctl: ctl, warm: make(chan *warmStage2, 1), sigReady: sigReady, rootless: os.Getenv(envRootless) == "1"}
	// Whatever does not depend on the host's set-up request is done before reading it: a host
	// that started the init ahead (Prestart) is meanwhile choosing its configuration.
	in.baseErr = in.early()
	if err := in.serve(); !errors.Is(err, errPeerGone) {
		fmt.Fprintln(os.Stderr, "sandbox init:", err)
		os.Exit(1)
	}
}

// serve returns when the host is gone (errPeerGone) or sent something it cannot serve.
func (in *initProc) serve() error {
	var running *initRun
	for {
		m, files, err := in.ctl.recv()
		if err != nil {
			return err
		}
		switch m.Op {
		case "setup":
			err := in.doSetup(m.Setup)
			reply := &msg{Op: "setup"}
			if err != nil {
				reply.Err = err.Error()
			}
			if err := in.ctl.send(reply); err != nil {
				return err
			}
			if reply.Err != "" {
				return errors.New(reply.Err)
			}
		case "prepare":
			if in.setup == nil {
				closeAll(files)
				return errors.New("prepare before setup")
			}
			in.prepare(files, m.Into)
			files = nil
		case "create", "open":
			f, err := in.openWork(m)
			reply := &msg{Op: m.Op}
			if err != nil {
				reply.Err = err.Error()
				err = in.ctl.send(reply)
			} else {
				err = in.ctl.send(reply, f)
				f.Close()
			}
			if err != nil {
				return err
			}
		case "run":
			if running != nil && !running.finished() {
				closeAll(files)
				if err := in.ctl.send(&msg{Op: "done", Done: &doneInfo{StartErr: "a command is already running"}}); err != nil {
					return err
				}
				continue
			}
			running = in.startRun(m.Run, files)
		case "list":
			list, err := listWork(m.Max)
			reply := &msg{Op: "list", List: list}
			if err != nil {
				reply.List, reply.Err = nil, err.Error()
			}
			if err := in.ctl.send(reply); err != nil {
				return err
			}
		case "reset":
			reply := &msg{Op: "reset"}
			if err := in.doReset(running); err != nil {
				reply.Err = err.Error()
			}
			if err := in.ctl.send(reply); err != nil {
				return err
			}
		case "checkpoint", "restore":
			reply := &msg{Op: m.Op}
			if err := in.doCheckpoint(running, m.Op == "restore"); err != nil {
				reply.Err = err.Error()
			}
			if err := in.ctl.send(reply); err != nil {
				return err
			}
		case "kill":
			if running != nil && !running.finished() {
				killAll()
			}
		default:
			closeAll(files)
			return fmt.Errorf("unknown op %q", m.Op)
		}
		closeAll(files)
	}
}

// early is the set-up every sandbox has: its own executable kept open, the host name, lo up,
// the base of the root filesystem (buildBase), and what forked commands need (the seccomp
// program, the shared region); the last only matters where commands are forked (setupSpec.Fork),
// and is cheap.
func (in *initProc) early() error {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return fmt.Errorf("setup: open own executable: %w", err)
	}
	// A high fd, so that the stage-2's fds (0…3+cgroups) never land on it before its execve.
	hi, err := unix.FcntlInt(exe.Fd(), unix.F_DUPFD_CLOEXEC, 100)
	exe.Close()
	if err != nil {
		return fmt.Errorf("setup: dup own executable: %w", err)
	}
	in.exe = os.NewFile(uintptr(hi), "exe")
	if err := unix.Sethostname([]byte("sandrun")); err != nil {
		return fmt.Errorf("setup: sethostname: %w", err)
	}
	if err := loopbackUp(); err != nil {
		return fmt.Errorf("setup: bring lo up: %w", err)
	}
	// The network namespace's state once it is set up (see doReset); nothing uses it before
	// a command runs. /proc/net is this namespace's, read through the host's /proc still here.
	if in.netBase, err = netState(); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if in.limitBase, err = limitState(); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if err := buildBase(in.rootless); err != nil {
		return err
	}
	if in.prog, err = seccomp.Program(); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	in.filter = &unix.SockFprog{Len: uint16(len(in.prog)), Filter: &in.prog[0]}
	in.lastCap = lastCap()
	if in.region, err = rawfork.NewRegion(commandRegion); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	return nil
}

func (in *initProc) doSetup(s *setupSpec) error {
	if s == nil {
		return errors.New("setup: empty spec")
	}
	if in.setup != nil {
		return errors.New("setup: already done")
	}
	if in.baseErr != nil {
		return in.baseErr
	}
	if s.Rootless != in.rootless {
		return fmt.Errorf("setup: the init was started rootless=%v, the set-up says rootless=%v", in.rootless, s.Rootless)
	}
	in.setup = s
	return buildRest(s)
}

// killAll kills every process of the namespace but the init (kill(-1) from pid 1).
func killAll() { _ = syscall.Kill(-1, syscall.SIGKILL) }

// loopbackUp brings up lo in the new network namespace: programs may talk to themselves over
// 127.0.0.1, and nothing else exists.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
