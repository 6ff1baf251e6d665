package hostile

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandrun/sandrun/executor/sandbox"
)

func TestMain(m *testing.M) {
	if sandbox.MaybeInit() {
		return
	}
	if os.Getenv(guardEnv) == "1" && os.Getpid() == 1 {
		os.Exit(reaper())
	}
	os.Exit(m.Run())
}

// guardEnv is set by guard.sh, which starts this binary as pid 1 of a fresh PID namespace
// inside a pids- and memory-limited cgroup; reapedEnv is set by reaper for the tests it runs.
const (
	guardEnv  = "SANDRUN_HOSTILE_GUARD"
	reapedEnv = "SANDRUN_HOSTILE_REAPED"
)

// reaper is pid 1 of the protective namespace, as an init must be: it runs the tests in a child
// (this binary again) and reaps every process orphaned to it, so that the leftover checks see
// only what is really left running. It returns the child's exit code.
func reaper() int {
	newCmd := func() *exec.Cmd {
		cmd := exec.Command("/proc/self/exe", os.Args[1:]...)
		cmd.Env = append(os.Environ(), reapedEnv+"=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		return cmd
	}
	// On cgroup v2 the tests start alone in a cgroup of their own (CLONE_INTO_CGROUP), where the
	// sandbox can hand controllers to its runs; where that is not allowed (rootless) they start
	// beside the reaper.
	cmd := newCmd()
	if dir := os.Getenv("SANDRUN_HOSTILE_TEST_CGROUP"); dir != "" {
		if f, err := os.Open(dir); err == nil {
			defer f.Close()
			cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}
		}
	}
	err := cmd.Start()
	if err != nil && cmd.SysProcAttr != nil {
		fmt.Fprintln(os.Stderr, "hostile reaper: the tests start beside the reaper, not in a cgroup of their own:", err)
		cmd = newCmd()
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile reaper:", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for sig := range sigs {
			cmd.Process.Signal(sig)
		}
	}()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			fmt.Fprintln(os.Stderr, "hostile reaper:", err)
			return 1
		case pid != cmd.Process.Pid:
			continue // an orphan, reaped
		case ws.Signaled():
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

// initPidNS is the initial PID namespace's fixed inode (PROC_PID_INIT_INO).
const initPidNS = "pid:[4026531836]"

// guarded says why this process is not inside the protective namespace, or nil.
func guarded() error {
	if os.Getenv(guardEnv) != "1" || os.Getenv(reapedEnv) != "1" {
		return fmt.Errorf("%s is not set: the hostile suite runs only through `make test-hostile` (test/hostile/guard.sh), inside a protective PID namespace and cgroup", guardEnv)
	}
	if ns, _ := os.Readlink("/proc/self/ns/pid"); os.Getppid() != 1 || ns == initPidNS {
		return fmt.Errorf("this process (pid %d, parent %d, %s) is not the child of pid 1 of a PID namespace of its own: run it through test/hostile/guard.sh", os.Getpid(), os.Getppid(), ns)
	}
	return nil
}

// suite is the host-side state every case uses.
type suite struct {
	tok      string   // random, in the names of every marker and secret file
	secret   string   // random, the content of every secret (files and sandrun's environment)
	secrets  []string // host files planted for the program to look for
	sentinel *exec.Cmd
	listener net.Listener
	accepted atomic.Int32 // connections the host listener saw
	programs string       // directory of the hostile C sources
	rootless bool
	// rlimitsOnly: rootless with no cgroup delegated to it, so memory and processes are bounded
	// by rlimits and the cases' weaker rootless checks apply. Rootless in a delegated cgroup v2
	// subtree has the cgroup limits and must pass the same checks as root.
	rlimitsOnly bool
	results     []result

	int80    sync.Once // int80Signal's probe of the host
	int80Sig string
	int80Err error
}

// result is one case's line in the report.
type result struct {
	Case, Outcome string
	Holds         bool
}

func newSuite(t *testing.T) *suite {
	t.Helper()
	if err := guarded(); err != nil {
		t.Skip(err)
	}
	s := &suite{rootless: os.Geteuid() != 0}
	s.rlimitsOnly = s.rootless && sandbox.MemoryByRlimit()
	b := make([]byte, 8)
	rand.Read(b)
	s.tok = hex.EncodeToString(b)
	rand.Read(b)
	s.secret = "secret-" + hex.EncodeToString(b)
	s.programs = os.Getenv("HOSTILE_PROGRAMS")
	if s.programs == "" {
		s.programs = filepath.Join("..", "..", "testdata", "hostile")
	}
	if _, err := os.Stat(filepath.Join(s.programs, "busy_loop.c")); err != nil {
		t.Fatalf("hostile programs not found: %v (set HOSTILE_PROGRAMS to testdata/hostile)", err)
	}

	// Safety first: a harmless canary must prove isolation before anything hostile runs.
	ctx, cancel := context.WithTimeout(context.Background(), slow(time.Minute))
	defer cancel()
	c, err := sandbox.RunCanary(ctx)
	if err != nil {
		t.Fatalf("refusing to run hostile programs: the canary did not run: %v", err)
	}
	if p := c.Problems(s.rootless); len(p) > 0 {
		t.Fatalf("refusing to run hostile programs: the canary saw the sandbox leak: %v", p)
	}
	t.Logf("canary: uid %d, %d processes, interfaces %v, seccomp %s, in %v", c.UID, c.Processes, c.Interfaces, c.Status["Seccomp"], c.Elapsed)

	// The environment of sandrun holds a secret that must never reach a program.
	t.Setenv("SANDRUN_HOSTILE_SECRET", s.secret)

	// Host secrets, a sentinel process and a listener on the host's loopback.
	dirs := []string{os.TempDir()}
	if !s.rootless {
		dirs = append(dirs, "/root")
	}
	for _, d := range dirs {
		p := filepath.Join(d, "sandrun-secret-"+s.tok)
		if err := os.WriteFile(p, []byte(s.secret+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s.secrets = append(s.secrets, p)
		t.Cleanup(func() { os.Remove(p) })
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	s.sentinel = &exec.Cmd{Path: sleep, Args: []string{"sandrun-sentinel-" + s.tok, "100000"}}
	if err := s.sentinel.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sentinel.Process.Kill(); s.sentinel.Wait() })
	if s.listener, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.listener.Close() })
	go func() {
		for {
			c, err := s.listener.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				s.accepted.Add(1)
				c.Close()
			}
		}
	}()
	return s
}

// ran is how one hostile program ended.
type ran struct {
	sandbox.Outcome
	Stdout, Stderr string
}

// status names the outcome the way Result.status does, with the limit that ended it.
func (r ran) status() string {
	switch {
	case r.OutputLimit:
		return "output_limit"
	case r.MemoryLimit:
		return "memory_limit"
	case r.TimeLimit:
		return "time_limit (cpu)"
	case r.WallLimit:
		return "time_limit (wall)"
	case r.Signal != 0:
		return "signaled " + unix.SignalName(r.Signal)
	case r.ExitCode != 0:
		return fmt.Sprintf("runtime_error (exit %d)", r.ExitCode)
	}
	return "ok"
}

// sandboxConfig sizes /work, /tmp and /dev/shm (64 MiB each) so the disk fills have a known cap.
var sandboxConfig = sandbox.Config{WorkSize: 64 << 20, TmpSize: 64 << 20, ShmSize: 64 << 20}

// slowLimits is l with its time limits scaled by slow.
func slowLimits(l sandbox.Limits) sandbox.Limits {
	l.CPUTime, l.WallTime = slow(l.CPUTime), slow(l.WallTime)
	return l
}

// compileLimits bound gcc inside the sandbox.
var compileLimits = sandbox.Limits{CPUTime: 20 * time.Second, WallTime: time.Minute, Memory: 512 << 20,
	Processes: 32, Output: 64 << 10, FileSize: 64 << 20}

// run compiles and runs one hostile C program in a fresh sandbox (gcc runs inside it too).
func (s *suite) run(t *testing.T, name string, args []string, stdin []byte, lim sandbox.Limits, onOut func([]byte)) ran {
	t.Helper()
	r, err := s.runE(name, args, stdin, lim, onOut)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// runE is run for goroutines other than the test's: it returns what went wrong.
func (s *suite) runE(name string, args []string, stdin []byte, lim sandbox.Limits, onOut func([]byte)) (ran, error) {
	src, err := os.ReadFile(filepath.Join(s.programs, name))
	if err != nil {
		return ran{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), slow(2*time.Minute))
	defer cancel()
	sb, err := sandbox.New(ctx, sandboxConfig)
	if err != nil {
		return ran{}, fmt.Errorf("%s: new sandbox: %w", name, err)
	}
	defer sb.Close()
	if err := sb.WriteFiles([]sandbox.File{{Path: "main.c", Data: src}}); err != nil {
		return ran{}, fmt.Errorf("%s: %w", name, err)
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	var cout bytes.Buffer
	o, err := sb.Run(ctx, sandbox.Cmd{Args: []string{"gcc", "-O1", "-pthread", "-o", "main", "main.c"},
		Env: env, Stdout: &cout, Stderr: &cout, Limits: slowLimits(compileLimits)})
	if err != nil || o.ExitCode != 0 {
		return ran{}, fmt.Errorf("%s: compile: %v %+v: %s", name, err, o, cout.String())
	}
	var out, errb bytes.Buffer
	var stdout io.Writer = &out
	if onOut != nil {
		stdout = writerFunc(func(p []byte) (int, error) { onOut(p); return out.Write(p) })
	}
	o, err = sb.Run(ctx, sandbox.Cmd{Args: append([]string{"./main"}, args...), Env: env,
		Stdin: bytes.NewReader(stdin), Stdout: stdout, Stderr: &errb, Limits: lim})
	if err != nil {
		return ran{}, fmt.Errorf("%s: run: %w", name, err)
	}
	if err := sb.Close(); err != nil {
		return ran{}, fmt.Errorf("%s: close: %w", name, err)
	}
	return ran{Outcome: o, Stdout: out.String(), Stderr: errb.String()}, nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// source reads one hostile program.
func (s *suite) source(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.programs, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
