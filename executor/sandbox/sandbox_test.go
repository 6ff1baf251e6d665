//go:build linux

package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testEnv = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"}

// testLimits are generous limits for commands that should end on their own.
var testLimits = Limits{CPUTime: 10 * time.Second, WallTime: 20 * time.Second, Memory: 512 << 20,
	Processes: 64, Output: 1 << 20, FileSize: 64 << 20}

// hangWall is the wall clock of a command a CPU limit must end: on a loaded CI machine (load
// average 40-90 on 2 cores) a busy loop gets a few percent of a core, so a wall clock a few times
// its CPU limit ends it first. This one only catches a CPU limit that never fires.
const hangWall = 3 * time.Minute

func newSandbox(t *testing.T, cfg Config) *Sandbox {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

type result struct {
	Outcome
	stdout, stderr string
}

func run(t *testing.T, s *Sandbox, c Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if c.Env == nil {
		c.Env = testEnv
	}
	if c.Limits == (Limits{}) {
		c.Limits = testLimits
	}
	o, err := s.Run(context.Background(), c)
	if err != nil {
		t.Fatalf("Run %q: %v", c.Args, err)
	}
	return result{Outcome: o, stdout: out.String(), stderr: errb.String()}
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

// ending is the part of an Outcome that says how a command ended.
type ending struct {
	ExitCode                                     int
	Signal                                       syscall.Signal
	TimeLimit, WallLimit, MemoryLimit, OutputLim bool
}

func endingOf(o Outcome) ending {
	return ending{o.ExitCode, o.Signal, o.TimeLimit, o.WallLimit, o.MemoryLimit, o.OutputLimit}
}

// memoryCgroup reports whether memory limits are enforced by a cgroup here (else by RLIMIT_DATA,
// under which an allocation fails instead of the process being OOM-killed).
func memoryCgroup() bool { return hostCgroups().version != 0 }

func TestEndings(t *testing.T) {
	s := newSandbox(t, Config{})
	short := testLimits
	short.CPUTime, short.WallTime = time.Second, hangWall
	wallOnly := testLimits
	wallOnly.WallTime = 300 * time.Millisecond
	small := testLimits
	small.Memory = 32 << 20
	tests := []struct {
		name   string
		args   []string
		limits Limits
		want   ending
		stdout string
	}{
		{"echo", []string{"echo", "hi"}, testLimits, ending{}, "hi\n"},
		{"exit 3", sh("exit 3"), testLimits, ending{ExitCode: 3}, ""},
		{"SIGSEGV", sh("kill -SEGV $$"), testLimits, ending{ExitCode: -1, Signal: syscall.SIGSEGV}, ""},
		{"busy loop", sh("while :; do :; done"), short, ending{ExitCode: -1, Signal: syscall.SIGKILL, TimeLimit: true}, ""},
		{"sleep", []string{"sleep", "60"}, wallOnly, ending{ExitCode: -1, Signal: syscall.SIGKILL, WallLimit: true}, ""},
		{"memory hog", []string{"python3", "-c", "b = bytearray(256 << 20); print(len(b))"}, small,
			ending{ExitCode: -1, Signal: syscall.SIGKILL, MemoryLimit: true}, ""},
	}
	if !memoryCgroup() { // RLIMIT_DATA: the allocation fails, Python raises MemoryError
		tests[len(tests)-1].want = ending{ExitCode: 1}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, s, Cmd{Args: tt.args, Limits: tt.limits})
			if tt.want.TimeLimit && r.Signal == syscall.SIGXCPU {
				tt.want.Signal = syscall.SIGXCPU // RLIMIT_CPU ended it before the parent did
			}
			if diff := cmp.Diff(tt.want, endingOf(r.Outcome)); diff != "" {
				t.Errorf("ending (-want +got):\n%s\nstderr: %s", diff, r.stderr)
			}
			if r.stdout != tt.stdout {
				t.Errorf("stdout = %q, want %q", r.stdout, tt.stdout)
			}
		})
	}
}

func TestLimitMeasures(t *testing.T) {
	s := newSandbox(t, Config{})
	l := testLimits
	l.CPUTime, l.WallTime = 700*time.Millisecond, hangWall
	r := run(t, s, Cmd{Args: sh("while :; do :; done"), Limits: l})
	if !r.TimeLimit || r.CPUTime < l.CPUTime || r.CPUTime > 3*time.Second {
		t.Errorf("busy loop under a %v CPU limit: TimeLimit=%v CPUTime=%v", l.CPUTime, r.TimeLimit, r.CPUTime)
	}
	r = run(t, s, Cmd{Args: []string{"python3", "-c", "b = bytearray(64 << 20); b[::4096] = b'x' * len(b[::4096])"}})
	if r.ExitCode != 0 || r.MemoryPeak < 64<<20 || r.MemoryPeak > 256<<20 {
		t.Errorf("64 MiB allocation: exit %d, peak %d bytes, want about 64 MiB; stderr %s", r.ExitCode, r.MemoryPeak, r.stderr)
	}
}

func TestOutputFlood(t *testing.T) {
	s := newSandbox(t, Config{})
	l := testLimits
	l.Output = 100 << 10
	r := run(t, s, Cmd{Args: []string{"yes", "flood"}, Limits: l})
	if !r.OutputLimit || !r.StdoutTruncated || r.StderrTruncated {
		t.Errorf("OutputLimit=%v StdoutTruncated=%v StderrTruncated=%v, want true true false", r.OutputLimit, r.StdoutTruncated, r.StderrTruncated)
	}
	if len(r.stdout) != int(l.Output) {
		t.Errorf("got %d bytes of stdout, want exactly the %d byte cap", len(r.stdout), l.Output)
	}
	// stderr is capped on its own.
	r = run(t, s, Cmd{Args: sh("yes err >&2"), Limits: l})
	if !r.OutputLimit || r.StdoutTruncated || !r.StderrTruncated || len(r.stderr) != int(l.Output) {
		t.Errorf("stderr flood: OutputLimit=%v truncated=%v/%v, %d bytes", r.OutputLimit, r.StdoutTruncated, r.StderrTruncated, len(r.stderr))
	}
}

func TestStdinAndEnv(t *testing.T) {
	s := newSandbox(t, Config{})
	env := []string{"PATH=/usr/bin:/bin", "ONLY=this"}
	r := run(t, s, Cmd{Args: []string{"env"}, Env: env})
	if diff := cmp.Diff(strings.Join(env, "\n")+"\n", r.stdout); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	in := strings.Repeat("line of input\n", 100000) // 1.4 MB: more than a pipe holds
	var out bytes.Buffer
	o, err := s.Run(context.Background(), Cmd{Args: []string{"wc", "-l"}, Env: env, Stdin: strings.NewReader(in),
		Stdout: &out, Limits: testLimits})
	if err != nil || o.ExitCode != 0 || strings.TrimSpace(out.String()) != "100000" {
		t.Errorf("wc -l of 100000 lines: %v, exit %d, output %q", err, o.ExitCode, out.String())
	}
}

// TestMergeOutput: with MergeOutput, fd 1 and fd 2 are one pipe, read into Stdout in the order
// the command wrote; Stderr gets nothing.
func TestMergeOutput(t *testing.T) {
	s := newSandbox(t, Config{})
	script := "for i in 1 2 3 4 5 6 7 8 9 10; do echo out $i; echo err $i >&2; done"
	var out, errb bytes.Buffer
	_, err := s.Run(context.Background(), Cmd{Args: []string{"sh", "-c", script}, Env: []string{"PATH=/usr/bin:/bin"},
		Stdout: &out, Stderr: &errb, MergeOutput: true, Limits: testLimits})
	var want strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&want, "out %d\nerr %d\n", i, i)
	}
	if err != nil || out.String() != want.String() || errb.Len() != 0 {
		t.Errorf("merged: %v, stdout %q, stderr %q; want %q and nothing", err, out.String(), errb.String(), want.String())
	}
}

func TestIdentity(t *testing.T) {
	s := newSandbox(t, Config{})
	r := run(t, s, Cmd{Args: sh(`id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; hostname; ls /proc | grep -c '^[0-9]'`)})
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 6 {
		t.Fatalf("unexpected output %q (stderr %q)", r.stdout, r.stderr)
	}
	if lines[0] == "0" {
		t.Errorf("runs as uid 0")
	}
	want := []string{"CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1", "sandrun"}
	if diff := cmp.Diff(want, lines[1:5]); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
	// sh, ls and grep, and no host process; as root not even the init (rootless, it shares the
	// command's uid and hidepid is off).
	want5 := "3"
	if os.Geteuid() != 0 {
		want5 = "4"
	}
	if lines[5] != want5 {
		t.Errorf("the command sees %s processes in /proc, want %s", lines[5], want5)
	}
}

func TestCompiledC(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed")
	}
	s := newSandbox(t, Config{})
	src := "#include <stdio.h>\nint main(void){int n; if (scanf(\"%d\", &n) != 1) return 2; printf(\"%d\\n\", n*n); return 0;}\n"
	if err := s.WriteFiles([]File{{Path: "src/main.c", Data: []byte(src)}}); err != nil {
		t.Fatal(err)
	}
	r := run(t, s, Cmd{Args: []string{"gcc", "-O2", "-o", "main", "src/main.c"}})
	if r.ExitCode != 0 {
		t.Fatalf("gcc: exit %d: %s", r.ExitCode, r.stderr)
	}
	var out bytes.Buffer
	o, err := s.Run(context.Background(), Cmd{Args: []string{"./main"}, Env: testEnv, Stdin: strings.NewReader("12\n"),
		Stdout: &out, Limits: testLimits})
	if err != nil || o.ExitCode != 0 || out.String() != "144\n" {
		t.Errorf("./main: %v exit %d output %q", err, o.ExitCode, out.String())
	}
	bin, err := s.ReadFile("main", 10<<20)
	if err != nil || !bytes.HasPrefix(bin, []byte("\x7fELF")) {
		t.Errorf("ReadFile(main): %v, %d bytes", err, len(bin))
	}
}

func TestPython(t *testing.T) {
	s := newSandbox(t, Config{})
	if err := s.WriteFiles([]File{{Path: "main.py", Data: []byte("import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n")}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o, err := s.Run(context.Background(), Cmd{Args: []string{"python3", "main.py"}, Env: testEnv,
		Stdin: strings.NewReader("1 2 3 4"), Stdout: &out, Limits: testLimits})
	if err != nil || o.ExitCode != 0 || out.String() != "10\n" {
		t.Errorf("python3 main.py: %v exit %d output %q", err, o.ExitCode, out.String())
	}
}

func TestUnenforced(t *testing.T) {
	got := Unenforced()
	if os.Geteuid() != 0 && len(got) == 0 {
		t.Errorf("rootless, Unenforced() says everything holds")
	}
	if h := hostCgroups(); os.Geteuid() == 0 && h.version == 1 && len(h.ctrls) == 3 && len(got) != 0 {
		t.Errorf("root with v1 memory, pids and cpuacct, Unenforced() = %q", got)
	}
}

// An output flood is read and dropped past the cap: the host's memory does not grow with it.
func TestOutputFloodHostMemory(t *testing.T) {
	s := newSandbox(t, Config{})
	l := testLimits
	l.Output = 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var out bytes.Buffer
	o, err := s.Run(context.Background(), Cmd{Args: sh(`head -c 300000000 /dev/zero; echo done >&2`), Env: testEnv,
		Stdout: &out, Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if !o.OutputLimit || out.Len() != 1<<20 {
		t.Errorf("OutputLimit=%v, %d bytes kept, want true and exactly 1 MiB", o.OutputLimit, out.Len())
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("the host allocated %d MiB while a 300 MB flood was capped at 1 MiB", grew>>20)
	}
}

// A command that cannot start (a memory limit below what is already in use, a missing
// program) is an error, and the sandbox runs the next command normally.
func TestRecoversFromFailedStart(t *testing.T) {
	s := newSandbox(t, Config{})
	tiny := testLimits
	tiny.Memory = 4096
	if o, err := s.Run(context.Background(), Cmd{Args: []string{"true"}, Env: testEnv, Limits: tiny}); err == nil && o.ExitCode == 0 && !o.MemoryLimit {
		t.Errorf("a 4 KiB memory limit: %+v, want an error or a failed outcome", o)
	}
	if _, err := s.Run(context.Background(), Cmd{Args: []string{"no-such-program"}, Env: testEnv, Limits: testLimits}); err == nil ||
		!strings.Contains(err.Error(), "no-such-program") {
		t.Errorf("missing program: %v, want an error naming it", err)
	}
	for i := 0; i < 3; i++ {
		if r := run(t, s, Cmd{Args: []string{"echo", "again"}}); r.stdout != "again\n" {
			t.Errorf("after failed starts: %q %q", r.stdout, r.stderr)
		}
	}
}
