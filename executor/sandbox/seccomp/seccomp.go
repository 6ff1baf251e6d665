// Package seccomp builds and installs the sandbox's system-call filter (classic BPF, pure Go).
//
// The filter, installed in the last process before execve of the user's program and inherited by
// everything that program starts, denies by default:
//
//   - It kills the whole process (SIGSYS) on any system call made through a non-native ABI: a
//     32-bit `int $0x80` or sysenter call (audit arch i386) and x32 calls (nr ≥ 0x40000000) on
//     x86_64, aarch32 calls on arm64. These paths have their own syscall tables, so a filter that
//     only checked numbers could be bypassed through them.
//   - It allows the calls of Docker's default seccomp profile as it applies to a process without
//     capabilities (docker_<arch>.go, generated from github.com/moby/profiles/seccomp; a test
//     fails when it is stale), with Docker's argument conditions (personality only to query or
//     set the default persona, clone without namespace flags, clone3 failing with ENOSYS so
//     libcs fall back to clone, whose flags the filter can see).
//   - It is stricter than Docker where the sandbox needs it (overrides): ptrace and
//     process_vm_* are denied, sockets only for AF_UNIX, AF_INET and AF_INET6, no terminal
//     input injection, no signal that would look like a fault to the Go runtime of the sandbox's
//     init when sent with a forged si_code, and a few calls nothing here needs.
//   - Every other call fails with EPERM, as in Docker; one newer than every call Docker's
//     profile names fails with ENOSYS, so a program probing a call added by a future kernel
//     falls back as it would on an older kernel (runc does the same).
//
// EPERM rather than a kill for denied calls, because language runtimes probe several of them
// (libuv probes io_uring, sanitizers use ptrace) and cope with an error, while a kill would
// break ordinary programs.
//
// Who learns what: a denied call returns EPERM to the program, which names the call in its own
// error ("mount: Operation not permitted"). A non-native-ABI call kills the process with SIGSYS;
// the kernel tells no other process which call it was (the siginfo of a seccomp kill goes only
// to the dying process), so the parent can only say "killed by the seccomp filter". Name turns a
// native syscall number into its name for messages and docs.
//
// It is not for namespaces, rlimits or cgroups (package sandbox).
package seccomp

import (
	"errors"
	"fmt"
	"slices"
)

//go:generate go run gen_names.go

// Action is what the filter does with a call.
type Action int

// The filter's actions.
const (
	Allow Action = iota
	Deny         // fails with EPERM
	NoSys        // fails with ENOSYS, so callers fall back to an older call
	Kill         // kills the whole process with SIGSYS
)

func (a Action) String() string {
	switch a {
	case Allow:
		return "allow"
	case Deny:
		return "EPERM"
	case NoSys:
		return "ENOSYS"
	case Kill:
		return "kill"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Rule is one entry of the policy: the call Syscall gets Action, always or only When a
// condition on its arguments holds, and Otherwise when it does not.
type Rule struct {
	Syscall   string // name, e.g. "mount"
	Nr        int    // number on this architecture
	Action    Action
	When      string // "" for always, else the condition in words, e.g. "flags create a namespace"
	Otherwise Action // when When does not hold
	// Override says the rule is stricter than Docker's profile (which allows the call, or
	// allows it for more arguments), and why.
	Override string
	cond     *cond // nil for always
}

// cond is a test on the low 32 bits of one argument (the kernel reads these arguments as
// 32-bit ints). Exactly one of Mask, In, NotIn is set: the rule applies when arg&Mask != 0, when
// arg is one of In, or when arg is none of NotIn.
type cond struct {
	Arg   int
	Mask  uint32
	In    []uint32
	NotIn []uint32
}

// ErrUnsupported is returned by Install where the filter cannot be built: an OS other than
// Linux or an architecture other than amd64 and arm64.
var ErrUnsupported = errors.New("seccomp: not supported on this OS or architecture (sandrun has filters for linux/amd64 and linux/arm64)")

// Name returns the name of the native system call nr ("ptrace"), or "syscall N" when this
// package does not know it.
func Name(nr int) string {
	if n, ok := names[nr]; ok {
		return n
	}
	return fmt.Sprintf("syscall %d", nr)
}

// Policy returns the filter's rules by syscall number (for docs and `sandrun doctor`): every
// call allowed, always or for some arguments, and every override. Calls not listed fail with
// EPERM (ENOSYS when newer than every call of Docker's profile, or beyond MaxKnown); the
// non-native ABIs are killed.
func Policy() []Rule {
	return slices.Clone(pol().rules)
}

// MaxKnown is the highest native syscall number this package knows; higher numbers fail with
// ENOSYS. It is 0 where the filter is unsupported.
func MaxKnown() int { return pol().maxKnown }

// policySet is the policy on this architecture (rules_linux.go builds it).
type policySet struct {
	rules        []Rule // by number
	dockerMax    int    // the highest number Docker's profile names here
	byNr         map[int]Rule
	untranslated []string // Docker's rules the filter cannot express (a test keeps it empty)
	maxKnown     int      // the highest number in names
}
