//go:build linux

package sandbox

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// How a command starts (docs/sandbox.md, "How it is built"):
//
//   - fork: the init clones a child that, with raw system calls only, joins the command's
//     cgroup (cloned into it with CLONE_INTO_CGROUP on cgroup v2; on v1 it writes itself into
//     cgroup.procs first thing), sets the rlimits, drops every privilege, sets no_new_privs,
//     installs the seccomp filter and execve's the command (package internal/rawfork).
//   - stage-2: the init re-executes this binary ahead of the command; it joins the cgroup while
//     it waits and does the same steps in Go. Used only where the fast path lacks something: a
//     cgroup v2 host whose kernel has no CLONE_INTO_CGROUP (Linux < 5.7; a write to cgroup.procs
//     there can cost an RCU grace period on the command's path), or when
//     SANDRUN_SANDBOX_STAGE2=1 asks for it (for comparison).
type startMode struct {
	fork bool
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
	case cgVersion == 2 && !cloneIntoCgroup:
		return startMode{why: "stage-2 re-exec of sandrun per command: cgroup v2 without CLONE_INTO_CGROUP (Linux < 5.7)"}
	case cgVersion == 2:
		return startMode{fork: true, why: "fork+exec from the init, cloned into the command's cgroup (clone3 CLONE_INTO_CGROUP)"}
	case cgVersion == 1:
		return startMode{fork: true, why: "fork+exec from the init; the child joins the command's v1 cgroups before execve"}
	}
	return startMode{fork: true, why: "fork+exec from the init (no cgroup: rlimits only)"}
}

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
