//go:build linux

package sandbox

import (
	"os"
	"slices"
)

func unenforced() []string {
	var out []string
	h := hostCgroups()
	if h.version == 0 {
		out = append(out, "no usable cgroup ("+h.why+"), so limits fall back to rlimits")
	}
	if !slices.Contains(h.ctrls, "memory") {
		out = append(out, "memory: only RLIMIT_DATA (private writable memory): an allocation over the limit fails inside the program (memory_limit when its runtime says so, else its own error)")
	}
	if !slices.Contains(h.ctrls, "pids") {
		out = append(out, "processes: only RLIMIT_NPROC of the sandbox's uid")
	}
	if !slices.Contains(h.ctrls, "cpuacct") && h.version != 2 {
		out = append(out, "cpu time: only RLIMIT_CPU per process, in whole seconds (a program that forks busy children is stopped by the wall clock)")
	}
	if os.Geteuid() != 0 {
		out = append(out, "rootless: every sandbox runs as your uid (they are kept apart by namespaces, not by uid)")
	}
	return out
}

func memoryByRlimit() bool { return !slices.Contains(hostCgroups().ctrls, "memory") }
