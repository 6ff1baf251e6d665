//go:build linux

package sandbox

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox/internal/rawfork"
)

// How a command starts (docs/sandbox.md, "How it is built"):
//
//   - fork: the init clones, ahead of the command, a child that joins the command's cgroup
//     (cloned into it with CLONE_INTO_CGROUP on cgroup v2 where the kernel has it and the init's
//     cgroup namespace holds the cgroup; else it writes itself into cgroup.procs first thing) and
//     waits; then, with raw system calls only, it sets the rlimits, drops every privilege, sets
//     no_new_privs, installs the seccomp filter and execve's the command (internal/rawfork).
//   - stage-2: the init re-executes this binary ahead of the command; it joins the cgroup while
//     it waits and does the same steps in Go. Every host the sandbox runs on has what the fork
//     needs, so it is used only when SANDRUN_SANDBOX_STAGE2=1 asks for it (for comparison, or
//     should the fork misbehave on some host).
type startMode struct {
	fork bool
	into bool   // cgroup v2 and a kernel with CLONE_INTO_CGROUP (Linux >= 5.7)
	why  string // a sentence for `sandrun doctor`
}

var (
	startOnce sync.Once
	startM    startMode
)

// envStage2 forces the stage-2 (SANDRUN_SANDBOX_STAGE2=1), for measurements and diagnosis.
const envStage2 = "SANDRUN_SANDBOX_STAGE2"

// commandStart says how this process's sandboxes start commands.
func commandStart() startMode {
	startOnce.Do(func() {
		startM = detectStart(hostCgroups().version, kernelAtLeast(5, 7))
	})
	return startM
}

func detectStart(cgVersion int, cloneIntoCgroup bool) startMode {
	switch {
	case os.Getenv(envStage2) == "1":
		return startMode{why: "stage-2 re-exec of sandrun per command (" + envStage2 + "=1)"}
	case cgVersion == 2 && cloneIntoCgroup:
		return startMode{fork: true, into: true, why: forkHow + ", the command's process made ahead: cloned into its v2 cgroup (CLONE_INTO_CGROUP), or where the sandbox's cgroup namespace does not hold it, joined through cgroup.procs"}
	case cgVersion != 0:
		return startMode{fork: true, why: fmt.Sprintf(forkHow+", the command's process made ahead and joined to its v%d cgroup before it waits", cgVersion)}
	}
	return startMode{fork: true, why: forkHow + ", the command's process made ahead (no cgroup: rlimits only)"}
}

// forkHow names how the command's process is cloned from the init (internal/rawfork).
var forkHow = map[bool]string{
	true:  "fork+exec from the init (a clone sharing its memory, CLONE_VM)",
	false: "fork+exec from the init",
}[rawfork.SharesMemory]

// kernelAtLeast reports whether the running kernel's version is at least major.minor.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var ma, mi int
	rel := unix.ByteSliceToString(u.Release[:])
	i := 0
	for ; i < len(rel) && rel[i] >= '0' && rel[i] <= '9'; i++ {
		ma = ma*10 + int(rel[i]-'0')
	}
	if i < len(rel) && rel[i] == '.' {
		for i++; i < len(rel) && rel[i] >= '0' && rel[i] <= '9'; i++ {
			mi = mi*10 + int(rel[i]-'0')
		}
	}
	return ma > major || ma == major && mi >= minor
}
