package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox"
)

// output fans a run's output chunks out to onEvent one at a time, in arrival order, and keeps
// the request's output budget (Request.OutputBudget) across its stages and cases.
type output struct {
	mu      sync.Mutex
	onEvent func(Event)

	budgetMu sync.Mutex
	budget   int64 // bytes the request may still write; meaningful when limited
	limited  bool
	spent    bool // a write was refused: the budget is gone
}

func newOutput(onEvent func(Event), budget int64) *output {
	return &output{onEvent: onEvent, budget: budget, limited: budget > 0}
}

// take returns how many of n bytes the budget allows (all of them when there is no budget).
func (o *output) take(n int) int {
	o.budgetMu.Lock()
	defer o.budgetMu.Unlock()
	if !o.limited {
		return n
	}
	if int64(n) > o.budget {
		n = int(max(o.budget, 0))
		o.spent = true
	}
	o.budget -= int64(n)
	return n
}

// overBudget reports whether a write was refused for the budget.
func (o *output) overBudget() bool {
	o.budgetMu.Lock()
	defer o.budgetMu.Unlock()
	return o.spent
}

func (o *output) emit(stage Stage, stream Stream, p []byte) {
	if o.onEvent == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.onEvent(Event{Stage: stage, Stream: stream, Data: bytes.Clone(p)})
}

// capture keeps what one stream wrote and forwards each chunk as an Event. The sandbox caps how
// much it writes, so buf stays bounded by the output limit.
type capture struct {
	out    *output
	stage  Stage
	stream Stream
	buf    bytes.Buffer
}

// Write keeps p, as much of it as the request's output budget allows; a short count tells the
// sandbox to stop the command for its output.
func (c *capture) Write(p []byte) (int, error) {
	n := c.out.take(len(p))
	c.buf.Write(p[:n])
	if n > 0 {
		c.out.emit(c.stage, c.stream, p[:n])
	}
	if n < len(p) {
		return n, errBudgetSpent
	}
	return n, nil
}

// errBudgetSpent is a write refused because the request's output budget is spent.
var errBudgetSpent = errors.New("the request's output budget is spent")

func (c *capture) String() string { return ValidUTF8(c.buf.Bytes()) }

// ValidUTF8 returns b as a string with each byte that is not part of valid UTF-8 replaced by
// U+FFFD, so the JSON of a Result is always valid and the count of bad bytes stays visible.
func ValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return sb.String()
}

// stage runs one command in sb and shapes its Outcome into a Result (without language fields).
// With merge, stdout and stderr are one descriptor and all output is the Result's Stdout.
//
// With last, no command follows in sb (it is closed after): it prepares nothing for a next one.
func stage(ctx context.Context, sb Sandbox, out *output, st Stage, argv, env []string, stdin io.Reader, lim Limits, merge, last bool) (Result, error) {
	stdout := &capture{out: out, stage: st, stream: Stdout}
	stderr := &capture{out: out, stage: st, stream: Stderr}
	oc, err := sb.Run(ctx, sandbox.Cmd{
		Args:        argv,
		Env:         env,
		Stdin:       stdin,
		Stdout:      stdout,
		Stderr:      stderr,
		MergeOutput: merge,
		Last:        last,
		Limits: sandbox.Limits{
			CPUTime:   lim.CPUTime(),
			WallTime:  lim.WallTime(),
			Memory:    lim.MemoryBytes,
			Processes: lim.Processes,
			Output:    lim.OutputBytes,
			FileSize:  lim.FileBytes,
		},
	})
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		return Result{}, err
	}
	r := Result{
		ExitCode:        oc.ExitCode,
		Stdout:          stdout.String(),
		Stderr:          stderr.String(),
		StdoutTruncated: oc.StdoutTruncated,
		StderrTruncated: oc.StderrTruncated,
		CPUTimeMs:       ceilMs(oc.CPUTime),
		WallTimeMs:      ceilMs(oc.WallTime),
		MemoryKiB:       oc.MemoryPeak / kib,
	}
	if oc.Signal != 0 {
		r.Signal = unix.SignalName(oc.Signal)
		if r.Signal == "" {
			r.Signal = fmt.Sprintf("SIG%d", int(oc.Signal))
		}
	}
	r.Status, r.Message = classify(oc, lim, r.Signal)
	if r.Status == StatusOutputLimit && out.overBudget() {
		r.Message = "the request's output passed its total budget (stdout and stderr of every stage and case together); the program was stopped"
	}
	if r.Status == StatusRuntimeError || r.Status == StatusSignaled {
		if sandbox.MemoryByRlimit() && allocationFailed(r.Stderr) {
			r.Status = StatusMemoryLimit
			r.Message = fmt.Sprintf("the program could not allocate memory within its limit of %s (this host bounds memory with RLIMIT_DATA, not a cgroup, so the program saw its allocation fail: %s)", FormatBytes(lim.MemoryBytes), r.Message)
		}
	}
	if st == StageCompile {
		// The command of the compile stage is the compiler: "the compiler ran longer than its
		// wall-clock limit", not the user's program.
		r.Message = strings.Replace(r.Message, "the program", "the compiler", 1)
	}
	return r, nil
}

// ceilMs rounds up to whole milliseconds: a program that ran at all never reports 0 ms.
//
// What the times cover: wall_time_ms runs from the hand-over of the command inside the sandbox
// (privilege drop, execve: what a shell's fork+exec costs too) until its main process exits;
// cpu_time_ms is the user+system CPU time of every process of the program from its execve on,
// the execve included (the sandbox's preparation before it is left out; see docs/performance.md).
func ceilMs(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// classify names how a command ended. When several limits fire at once, the first in this
// order wins: output, memory, CPU time, wall time, signal, exit code.
func classify(oc sandbox.Outcome, lim Limits, sig string) (Status, string) {
	switch {
	case oc.OutputLimit:
		which := "stdout"
		if oc.StderrTruncated && !oc.StdoutTruncated {
			which = "stderr"
		}
		return StatusOutputLimit, fmt.Sprintf("%s passed the output limit of %s; the program was stopped", which, FormatBytes(lim.OutputBytes))
	case oc.MemoryLimit:
		return StatusMemoryLimit, fmt.Sprintf("the program used more than its memory limit of %s and was stopped", FormatBytes(lim.MemoryBytes))
	case oc.TimeLimit:
		return StatusTimeLimit, fmt.Sprintf("the program used more than its CPU time limit of %s and was stopped", fmtMs(lim.CPUTimeMs))
	case oc.WallLimit:
		return StatusTimeLimit, fmt.Sprintf("the program ran longer than its wall-clock limit of %s and was stopped", fmtMs(lim.WallTimeMs))
	case oc.Signal != 0:
		msg := fmt.Sprintf("the program was killed by %s (%s)", sig, signalText(oc.Signal))
		if oc.Signal == syscall.SIGSYS && oc.SeccompSyscall != "" {
			msg = fmt.Sprintf("the program was killed by the sandbox for calling %s, which is not allowed", oc.SeccompSyscall)
		}
		return StatusSignaled, msg
	case oc.ExitCode != 0:
		return StatusRuntimeError, fmt.Sprintf("the program exited with code %d", oc.ExitCode)
	}
	return StatusOK, ""
}

// allocationFailed recognises the messages runtimes print when an allocation fails. It is used
// only where memory is bounded by RLIMIT_DATA, which fails allocations instead of killing.
func allocationFailed(stderr string) bool { return allocationFailedRe().MatchString(stderr) }

// allocationFailedRe is compiled on first use, not in every sandrun process's start.
var allocationFailedRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`MemoryError|Cannot allocate memory|[Oo]ut of memory|std::bad_alloc|OutOfMemoryError|failed to allocate|[Mm]emory allocation failed|fatal error: runtime: cannot allocate|JavaScript heap out of memory|memory exhausted`)
})

func signalText(s syscall.Signal) string {
	switch s {
	case syscall.SIGSYS:
		return "a forbidden system call"
	}
	return s.String()
}
