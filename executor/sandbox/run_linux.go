//go:build linux

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	defaultOpenFiles = 256
	defaultStack     = 64 << 20
	// cpuPoll is how often the parent reads the command's cgroup CPU time against its limit.
	cpuPoll = 20 * time.Millisecond
	// killGrace is how long the init may take to report a killed command before the whole
	// sandbox is considered broken.
	killGrace = 10 * time.Second
	// minMemory is the least memory limit a command may have: far more than its execve needs
	// (its arguments, a new address space), far less than the least a request may ask for.
	minMemory = 2 << 20
)

// errLastRan is the error of a Run after a Cmd marked Last.
var errLastRan = errors.New("sandbox: run: the command marked Last already ran")

// Run runs cmd inside and waits for it and every process it started to end. When Run returns,
// no process of cmd is left. A non-nil error means the sandbox failed, not the program; after
// ctx ends it is ctx.Err() (the command was killed at once).
//
// Cmd.Stdout and Cmd.Stderr are written from Run's goroutines, never both at the same time.
func (s *Sandbox) Run(ctx context.Context, c Cmd) (Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waitPending()
	if s.closed {
		return Outcome{}, ErrClosed
	}
	if len(c.Args) == 0 {
		return Outcome{}, errors.New("sandbox: run: empty Args: want the command and its arguments")
	}
	if err := ctx.Err(); err != nil {
		return Outcome{}, err
	}
	if s.broken != nil {
		return Outcome{}, s.broken
	}
	lim := c.Limits
	if lim.Memory > 0 && lim.Memory < minMemory {
		// The command's process shares the init's memory until its execve (internal/rawfork):
		// an out-of-memory kill in its cgroup before then would take the init along.
		return Outcome{}, fmt.Errorf("sandbox: run: a memory limit of %d bytes: a command needs at least %d MiB to start", lim.Memory, minMemory>>20)
	}

	stdin, stdinW, err := stdinFile(c.Stdin)
	if err != nil {
		return Outcome{}, fmt.Errorf("sandbox: run: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll([]*os.File{stdin, stdinW})
		return Outcome{}, fmt.Errorf("sandbox: run: %w", err)
	}
	// MergeOutput: the command's fd 1 and 2 are the same pipe, so the order is what it wrote.
	errR, errW := outR, outW
	if !c.MergeOutput {
		if errR, errW, err = os.Pipe(); err != nil {
			closeAll([]*os.File{stdin, stdinW, outR, outW})
			return Outcome{}, fmt.Errorf("sandbox: run: %w", err)
		}
	}
	// The cgroup the waiting stage-2 already joined. If its limits cannot be set, it stays for
	// the next call; once a command was handed over, this cgroup is removed after it and the
	// next command's made in the background (the next call waits for that).
	cg := s.next
	if cg != nil {
		if err := cg.limit(lim); err != nil {
			closeAll([]*os.File{stdin, stdinW, outR, outW, errR, errW})
			return Outcome{}, fmt.Errorf("sandbox: run: %w", err)
		}
	}
	s.next = nil
	defer func() {
		done := make(chan struct{})
		s.pending = done
		go func() {
			defer close(done)
			if cg != nil {
				cg.release()
			}
			if c.Last {
				s.broken = errLastRan
				return
			}
			if err := s.prepareNext(); err != nil {
				s.broken = fmt.Errorf("sandbox: %w", err)
			}
		}()
	}()
	spec := &runSpec{Args: c.Args, Env: c.Env, Dir: c.Dir, UID: s.uid, GID: s.gid, Rootless: s.rootless,
		Rlimits: rlimitsFor(lim, cg != nil && cg.cpu)}
	if cg == nil || !cg.memory {
		// RLIMIT_DATA counts private writable memory when it is mapped, not when it is touched:
		// thread stacks and V8's committed-but-unused heap count in full (Node needs ~300 MiB of
		// it to print hello world). Twice the limit keeps those runtimes working while still
		// bounding a program that really uses its memory.
		spec.DataLimit = uint64(max(lim.Memory, 0)) * 2
	}
	sendErr := s.ctl.send(&msg{Op: "run", Run: spec}, stdin, outW, errW)
	stdin.Close()
	outW.Close()
	errW.Close()
	if sendErr != nil {
		outR.Close()
		errR.Close()
		if stdinW != nil {
			stdinW.Close()
		}
		return Outcome{}, fmt.Errorf("sandbox: run: %w", s.deadErr(sendErr))
	}
	start := time.Now()

	killCh := make(chan struct{}, 2) // an output cap was passed
	var writeMu sync.Mutex
	outs := []*capWriter{
		{w: c.Stdout, limit: lim.Output, mu: &writeMu, over: killCh},
		{w: c.Stderr, limit: lim.Output, mu: &writeMu, over: killCh},
	}
	readers := []*os.File{outR, errR}
	if c.MergeOutput {
		readers = readers[:1]
	}
	var copying sync.WaitGroup
	for i, r := range readers {
		copying.Add(1)
		go func() {
			defer copying.Done()
			defer r.Close()
			outs[i].drain(r)
		}()
	}
	if stdinW != nil {
		go func() {
			_, _ = io.Copy(stdinW, c.Stdin)
			stdinW.Close()
		}()
	}

	replies := make(chan *msg, 4)
	go func() {
		for {
			m, files, err := s.ctl.recv()
			closeAll(files)
			if err != nil {
				replies <- &msg{Op: "error", Err: s.deadErr(err).Error()}
				return
			}
			replies <- m
			if m.Op == "done" {
				return
			}
		}
	}()

	var out Outcome
	var wall <-chan time.Time
	if lim.WallTime > 0 {
		t := time.NewTimer(lim.WallTime)
		defer t.Stop()
		wall = t.C
	}
	var poll <-chan time.Time
	if cg != nil && cg.cpu && lim.CPUTime > 0 {
		t := time.NewTicker(cpuPoll)
		defer t.Stop()
		poll = t.C
	}
	var ctxErr error
	dying := s.dying
	killed := false
	var killDeadline <-chan time.Time
	kill := func() {
		if killed {
			return
		}
		killed = true
		_ = s.ctl.send(&msg{Op: "kill"})
		killDeadline = time.After(killGrace)
	}
	var done *doneInfo
	for done == nil {
		select {
		case m := <-replies:
			switch m.Op {
			case "done":
				done = m.Done
			case "error":
				s.kill()
				finish(stdinW, &copying)
				return Outcome{}, fmt.Errorf("sandbox: run: %s", m.Err)
			}
		case <-ctx.Done():
			ctxErr = ctx.Err()
			kill()
		case <-dying:
			dying = nil // Close killed the init; the reply goroutine reports it.
		case <-wall:
			out.WallLimit = true
			kill()
		case <-killCh:
			out.OutputLimit = true
			kill()
		case <-poll:
			if cpu, ok := cg.cpuTime(); ok && cpu >= lim.CPUTime {
				out.TimeLimit = true
				kill()
			}
		case <-killDeadline:
			s.kill()
			finish(stdinW, &copying)
			return Outcome{}, errors.New("sandbox: run: the sandbox did not end the command within 10s of a kill")
		}
	}
	wallTime := time.Since(start)
	finish(stdinW, &copying)
	if done.StartErr != "" {
		return Outcome{}, fmt.Errorf("sandbox: run: %s", done.StartErr)
	}
	if ctxErr != nil {
		return Outcome{}, ctxErr
	}

	out.ExitCode, out.Signal = done.ExitCode, syscall.Signal(done.Signal)
	out.WallTime = time.Duration(done.WallNano)
	if out.WallTime <= 0 || out.WallTime > wallTime {
		out.WallTime = wallTime
	}
	out.CPUTime, out.MemoryPeak = time.Duration(done.CPUNanos), done.MaxRSS
	if cg != nil {
		st := cg.stats()
		if st.cpuOK && !done.ProgramCPU {
			// The cgroup also counts the stage-2's last steps before execve; the init's
			// figure leaves them out when the stage-2 could report them.
			out.CPUTime = st.cpu
		}
		if st.peakOK {
			out.MemoryPeak = st.peak
		}
		out.MemoryLimit = st.oom
	}
	if lim.CPUTime > 0 && (out.CPUTime >= lim.CPUTime || out.Signal == syscall.SIGXCPU) {
		out.TimeLimit = true
	}
	out.StdoutTruncated, out.StderrTruncated = outs[0].truncated, outs[1].truncated
	if out.StdoutTruncated || out.StderrTruncated {
		out.OutputLimit = true
	}
	return out, nil
}

// finish waits for the output to be drained (every writer is dead by now) and stops feeding stdin.
func finish(stdinW *os.File, copying *sync.WaitGroup) {
	if stdinW != nil {
		stdinW.Close()
	}
	copying.Wait()
}

// stdinFile returns what the command reads: /dev/null when r is nil, else a pipe whose write end
// the caller feeds from r.
func stdinFile(r io.Reader) (rd, wr *os.File, err error) {
	if r == nil {
		f, err := os.Open(os.DevNull)
		return f, nil, err
	}
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			// A regular file is read by the command itself (through its own open file
			// description, so the caller's offset is left alone).
			g, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
			if err == nil {
				return g, nil, nil
			}
		}
	}
	rd, wr, err = os.Pipe()
	return rd, wr, err
}

// rlimitsFor turns Limits into the stage-2's setrlimit calls. RLIMIT_NPROC counts the
// processes of the command's uid (each root-mode sandbox has its own; rootless, those of the
// caller's uid inside this sandbox's user namespace) and backs up the cgroup pids limit.
func rlimitsFor(l Limits, cpuPolled bool) []rlimit {
	var rl []rlimit
	add := func(res int, v uint64) { rl = append(rl, rlimit{Resource: res, Cur: v, Max: v}) }
	if l.CPUTime > 0 {
		// Whole seconds, per process: SIGXCPU at the soft limit, SIGKILL a second later. When
		// the parent polls the cgroup's CPU time it ends the command first, at the exact limit,
		// and the rlimit is only a backstop a second later.
		secs := uint64((l.CPUTime + time.Second - 1) / time.Second)
		if cpuPolled {
			secs++
		}
		rl = append(rl, rlimit{Resource: unix.RLIMIT_CPU, Cur: secs, Max: secs + 1})
	}
	if l.FileSize > 0 {
		add(unix.RLIMIT_FSIZE, uint64(l.FileSize))
	}
	nofile := uint64(defaultOpenFiles)
	if l.OpenFiles > 0 {
		nofile = uint64(l.OpenFiles)
	}
	add(unix.RLIMIT_NOFILE, nofile)
	stack := uint64(defaultStack)
	if l.Stack > 0 {
		stack = uint64(l.Stack)
	}
	add(unix.RLIMIT_STACK, stack)
	add(unix.RLIMIT_CORE, 0)
	add(unix.RLIMIT_MEMLOCK, 64<<10)
	if l.Processes > 0 {
		add(unix.RLIMIT_NPROC, uint64(l.Processes))
	}
	return rl
}

// capWriter copies one output stream to w, at most limit bytes (0: no limit); past it, or when
// w takes less than it is given (the caller's own budget is spent), it flags truncation, asks
// for the command to be killed and discards the rest.
type capWriter struct {
	w         io.Writer
	limit     int64
	mu        *sync.Mutex
	over      chan<- struct{}
	n         int64
	truncated bool
}

func (c *capWriter) drain(r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		k, err := r.Read(buf)
		if k > 0 {
			c.write(buf[:k])
		}
		if err != nil {
			return
		}
	}
}

func (c *capWriter) write(p []byte) {
	if c.truncated {
		return
	}
	if c.limit > 0 && c.n+int64(len(p)) > c.limit {
		p = p[:c.limit-c.n]
		c.truncated = true
		c.over <- struct{}{}
	}
	c.n += int64(len(p))
	if c.w != nil && len(p) > 0 {
		c.mu.Lock()
		n, err := c.w.Write(p)
		c.mu.Unlock()
		if (err != nil || n < len(p)) && !c.truncated {
			c.truncated = true
			c.over <- struct{}{}
		}
	}
}
