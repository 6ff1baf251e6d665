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

// TestOutputBudget: one budget across every capture of a request; a write past it is cut short
// (which makes the sandbox stop the command) and every later write gets nothing.
func TestOutputBudget(t *testing.T) {
	var events int
	out := newOutput(func(Event) { events++ }, 10)
	a := &capture{out: out, stage: StageCompile, stream: Stdout}
	b := &capture{out: out, stage: StageRun, stream: Stderr}
	if n, err := a.Write([]byte("123456")); n != 6 || err != nil {
		t.Fatalf("first write: %d, %v", n, err)
	}
	if n, err := b.Write([]byte("abcdef")); n != 4 || err == nil {
		t.Fatalf("write past the budget: %d, %v; want 4 and an error", n, err)
	}
	if n, _ := a.Write([]byte("x")); n != 0 {
		t.Fatalf("write after the budget: %d bytes taken", n)
	}
	if a.String()+b.String() != "123456abcd" || !out.overBudget() || events != 2 {
		t.Errorf("kept %q, over %v, %d events", a.String()+b.String(), out.overBudget(), events)
	}
	unlimited := newOutput(nil, 0)
	c := &capture{out: unlimited}
	if n, err := c.Write(make([]byte, 1<<20)); n != 1<<20 || err != nil || unlimited.overBudget() {
		t.Errorf("no budget: %d, %v", n, err)
	}
}
