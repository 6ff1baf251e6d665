// Package sandbox runs commands inside an isolated Linux environment: new user (rootless) or
// root-mode, mount, PID, network, IPC, UTS and cgroup namespaces; a tmpfs root with read-only
// binds of the system and toolchain dirs; an unprivileged uid; rlimits, cgroup limits, seccomp.
//
// A Sandbox is one isolated environment with a writable /work (and /tmp) tmpfs. The caller puts
// files in (WriteFiles) before anything runs, then runs one or more commands in it (Run: compile,
// then run), then Closes it, which kills every process and frees every resource.
//
// It is not for choosing commands or languages (package languages) or for shaping results
// (package executor).
package sandbox

import (
	"io"
	"os"
	"syscall"
	"time"
)

// Limits bound one command. Zero means "no limit of that kind" (callers always set them).
type Limits struct {
	CPUTime   time.Duration // cgroup/rusage accounting, RLIMIT_CPU as a backstop
	WallTime  time.Duration // enforced by the parent
	Memory    int64         // bytes: cgroup memory limit (swap off or accounted); 0 or at least 2 MiB
	Processes int           // pids limit (cgroup pids.max, RLIMIT_NPROC as a backstop)
	Output    int64         // bytes per stream (stdout, stderr each); past it the command is killed
	FileSize  int64         // RLIMIT_FSIZE
	OpenFiles int           // RLIMIT_NOFILE; 0 means a sane default
	Stack     int64         // RLIMIT_STACK; 0 means a sane default
}

// Bind is an extra read-only bind mount (e.g. a toolchain dir such as /usr/local/go).
type Bind struct {
	Source string // host path; must exist
	Target string // path inside; "" means Source
}

// Overlay is a writable view of a read-only host dir (e.g. a pre-warmed build cache): reads
// come from Lower, writes go to a size-capped tmpfs of the sandbox's own that every reset
// replaces, so nothing a program does reaches the host dir or another run. Where the kernel
// refuses overlayfs (rootless before Linux 5.11), Target is a plain empty tmpfs instead.
type Overlay struct {
	Lower  string // host dir; must exist
	Target string // path inside, under /tmp
	Size   int64  // bytes for the writes; 0 means a default (64 MiB)
}

// Config shapes a Sandbox's filesystem.
type Config struct {
	Binds    []Bind    // on top of the system dirs (/usr, /lib*, /bin, /sbin, /etc essentials)
	Overlays []Overlay // mounted after /tmp, in order
	WorkSize int64     // size of the /work tmpfs in bytes; 0 means a default
	TmpSize  int64     // size of the /tmp tmpfs in bytes; 0 means a default
	ShmSize  int64     // size of the /dev/shm tmpfs in bytes; 0 means a default
}

// File is a file to place under /work before anything runs.
type File struct {
	Path string // relative to /work, cleaned, no ".." (WriteFiles rejects others)
	Data []byte
	Mode os.FileMode // 0 means 0644
}

// Cmd is one command to run inside a Sandbox.
type Cmd struct {
	Args   []string // Args[0] is looked up in PATH from Env
	Env    []string // the whole environment; nothing of the host's is added
	Dir    string   // working dir inside; "" means /work, a relative path is under /work
	Stdin  io.Reader
	Stdout io.Writer // receives output as it is read, never more than Limits.Output bytes
	Stderr io.Writer
	Limits Limits
	// MergeOutput gives the command one pipe for both stdout and stderr, read into Stdout, so
	// their order is the order it wrote them; Stderr is not used.
	MergeOutput bool
	// Last says no command follows in this sandbox (it is closed after this one): nothing is
	// prepared for a next command, and a later Run fails.
	Last bool
}

// Outcome is how a command ended. Which limit ended it is in the *Limit fields; the caller
// turns this into a status.
type Outcome struct {
	ExitCode   int            // -1 when killed by a signal
	Signal     syscall.Signal // 0 when it exited
	CPUTime    time.Duration
	WallTime   time.Duration
	MemoryPeak int64 // bytes

	TimeLimit       bool // CPU limit passed
	WallLimit       bool // wall-clock limit passed
	MemoryLimit     bool // OOM-killed by the memory limit (or could not allocate under it)
	OutputLimit     bool // stdout or stderr passed Limits.Output
	StdoutTruncated bool
	StderrTruncated bool
	// SeccompSyscall names the syscall a seccomp kill was for, when it can be known.
	SeccompSyscall string
}

// Ensure the interface stays usable from other OSes' stubs.
var _ = syscall.SIGKILL

// MaybeInit must be called first thing in main. When the process was started by the sandbox as
// its init (a re-exec of /proc/self/exe), it runs the init and never returns normally (it exits);
// otherwise it returns false at once.
func MaybeInit() bool { return maybeInit() }
