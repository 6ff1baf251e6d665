package local

import (
	"strings"
	"syscall"
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/sandbox"
)

func TestClassify(t *testing.T) {
	lim := executor.DefaultLimits()
	lim.WallTimeMs = 5000
	tests := []struct {
		name    string
		oc      sandbox.Outcome
		want    Status
		message string
	}{
		{"ok", sandbox.Outcome{}, StatusOK, ""},
		{"exit 3", sandbox.Outcome{ExitCode: 3}, StatusRuntimeError, "exited with code 3"},
		{"segv", sandbox.Outcome{ExitCode: -1, Signal: syscall.SIGSEGV}, StatusSignaled, "SIGSEGV"},
		{"cpu", sandbox.Outcome{Signal: syscall.SIGKILL, TimeLimit: true}, StatusTimeLimit, "CPU time limit of 2s"},
		{"wall", sandbox.Outcome{Signal: syscall.SIGKILL, WallLimit: true}, StatusTimeLimit, "wall-clock limit of 5s"},
		{"memory beats time", sandbox.Outcome{MemoryLimit: true, WallLimit: true}, StatusMemoryLimit, "256 MiB"},
		{"output", sandbox.Outcome{OutputLimit: true, StderrTruncated: true}, StatusOutputLimit, "stderr passed the output limit of 1 MiB"},
		{"seccomp", sandbox.Outcome{Signal: syscall.SIGSYS, SeccompSyscall: "ptrace"}, StatusSignaled, "calling ptrace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := ""
			if tt.oc.Signal != 0 {
				sig = "SIG" + strings.ToUpper(tt.name)
				if tt.name == "segv" {
					sig = "SIGSEGV"
				}
			}
			got, msg := classify(tt.oc, lim, sig)
			if got != tt.want || !strings.Contains(msg, tt.message) {
				t.Errorf("classify = %s %q, want %s containing %q", got, msg, tt.want, tt.message)
			}
		})
	}
}

func TestAllocationFailed(t *testing.T) {
	for _, msg := range []string{"Traceback…\nMemoryError\n", "terminate called after throwing an instance of 'std::bad_alloc'", "malloc: Cannot allocate memory", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"} {
		if !allocationFailed(msg) {
			t.Errorf("allocationFailed(%q) = false", msg)
		}
	}
	if allocationFailed("Traceback…\nZeroDivisionError: division by zero\n") {
		t.Error("an ordinary error was taken for a failed allocation")
	}
}
