//go:build linux

package sandbox

import "github.com/sandrun/sandrun/executor/sandbox/seccomp"

// installFilter installs the seccomp filter of the command (package seccomp: dangerous calls
// fail with EPERM, non-native ABIs are killed). It is called in the stage-2 process right before
// execve, on a locked OS thread, after no_new_privs was set and every privilege dropped. (When
// the host cannot enforce a memory cgroup, a raw prlimit64(RLIMIT_DATA) and the execve follow it.)
//
// It fails closed: where the filter cannot be installed (a kernel without seccomp, an
// architecture without a filter), the command does not start. (Where commands are forked from
// the init, the init builds the filter once with seccomp.Program and each forked child installs
// it with a raw seccomp(2) call: initfork_linux.go.)
func installFilter() error { return seccomp.Install() }
