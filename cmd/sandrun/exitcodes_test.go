package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sandrun/sandrun/executor"
)

// exitCase is one end-to-end run of the built CLI and the exit code it must give. row is the
// README's "exit code" cell the case stands for (TestREADMEExitCodes checks that each row has
// cases and each case a row).
type exitCase struct {
	row     string // "0", "N", "2", "125", "128+N", "130"
	name    string
	args    []string
	stdin   string
	sandbox bool // needs a working sandbox (skipped with a reason otherwise)
	// run replaces the plain sandrunCLI call (executors, signals, a shared stdout and stderr).
	run    func(t *testing.T) (stdout, stderr string, code int)
	codes  []int  // accepted exit codes
	stdout string // exact stdout, when not ""
	want   string // a part of stderr (or of stdout for help)
	// oneLine: stderr is a single line (a sentence, no usage dump).
	oneLine bool
	check   func(t *testing.T, stdout, stderr string)
}

// exitCases covers each row of the README's exit-code table and each case of the CLI's issue
// list: a new user's mistakes, sources on stdin, limits, remote executors, Ctrl-C.
func exitCases(t *testing.T) []exitCase {
	dir := t.TempDir()
	write := func(name, text string) string { return writeFile(t, dir, name, text) }
	bin := write("garbage.py", "\x7fELF\x00\x00\x01")
	big := write("big.py", "import sys\nsys.stdout.write('x' * 10_000_000)\n")
	alternate := write("alternate.py", "import sys\nfor i in range(50):\n    print('out', i, flush=True)\n    print('err', i, file=sys.stderr, flush=True)\n")
	var interleaved strings.Builder
	var outs, errs strings.Builder
	for i := range 50 {
		interleaved.WriteString("out " + strconv.Itoa(i) + "\nerr " + strconv.Itoa(i) + "\n")
		outs.WriteString("out " + strconv.Itoa(i) + "\n")
		errs.WriteString("err " + strconv.Itoa(i) + "\n")
	}
	py := hello("hello.py")
	return []exitCase{
		{row: "0", name: "hello", args: []string{"run", py}, sandbox: true, codes: []int{0}, stdout: "Hello, world!\n"},
		{row: "0", name: "source on stdin", args: []string{"run", "--lang", "python", "-"}, stdin: "print(1)\n", sandbox: true, codes: []int{0}, stdout: "1\n"},
		{row: "0", name: "source on stdin, --stdin for the program", args: []string{"run", "--lang", "python", "--stdin", write("in.txt", "Ada\n"), "-"},
			stdin: "print('hi', input())\n", sandbox: true, codes: []int{0}, stdout: "hi Ada\n"},
		{row: "0", name: "bare memory limit is MiB", args: []string{"run", "--memory-limit", "64", "--json", py}, sandbox: true, codes: []int{0},
			check: func(t *testing.T, stdout, _ string) {
				if r := decodeResult(t, stdout); r.Status != executor.StatusOK {
					t.Errorf("status %s (%s), want ok with 64 MiB", r.Status, r.Message)
				}
			}},
		{row: "0", name: "--json after a limit", args: []string{"run", "--json", "--time-limit", "200ms", write("spin.py", "while True: pass\n")}, sandbox: true, codes: []int{0},
			check: func(t *testing.T, stdout, _ string) {
				if r := decodeResult(t, stdout); r.Status != executor.StatusTimeLimit {
					t.Errorf("status %s, want time_limit", r.Status)
				}
			}},
		// The wall clocks of minutes below only catch hangs: on a loaded machine writing 10 MB,
		// or even starting Python, passed the default 2×CPU+1s, and the limit under test is another.
		{row: "0", name: "--output-limit 20MiB", args: []string{"run", "--output-limit", "20MiB", "--wall-limit", "2m", "--json", big}, sandbox: true, codes: []int{0},
			check: func(t *testing.T, stdout, _ string) {
				if r := decodeResult(t, stdout); r.Status != executor.StatusOK || len(r.Stdout) != 10_000_000 {
					t.Errorf("status %s, %d bytes of stdout; want ok and all 10 MB", r.Status, len(r.Stdout))
				}
			}},
		{row: "0", name: "run --help", args: []string{"run", "--help"}, codes: []int{0},
			check: func(t *testing.T, stdout, stderr string) {
				if !strings.HasPrefix(stdout, "usage: sandrun run ") || !strings.Contains(stdout, "\nflags:\n") || !strings.Contains(stdout, "-output-limit SIZE") || stderr != "" {
					t.Errorf("help: stdout %q stderr %q", stdout, stderr)
				}
			}},
		{row: "0", name: "languages -h", args: []string{"languages", "-h"}, codes: []int{0},
			check: func(t *testing.T, stdout, _ string) {
				if !strings.HasPrefix(stdout, "usage: sandrun languages") || !strings.Contains(stdout, "\nflags:\n") {
					t.Errorf("help: stdout %q", stdout)
				}
			}},
		{row: "0", name: "languages --json --installed", args: []string{"languages", "--json", "--installed"}, codes: []int{0},
			check: func(t *testing.T, stdout, _ string) {
				var langs []executor.LanguageInfo
				if err := json.Unmarshal([]byte(stdout), &langs); err != nil || len(langs) == 0 {
					t.Fatalf("not a list of languages: %v", err)
				}
				for _, l := range langs {
					if !l.Available {
						t.Errorf("%s is listed but not installed", l.ID)
					}
				}
			}},
		{row: "0", name: "2>&1 keeps the written order", sandbox: true, codes: []int{0}, stdout: interleaved.String(),
			run: func(t *testing.T) (string, string, int) { return sandrunMerged(t, "run", alternate) }},
		{row: "0", name: "apart when stdout and stderr differ", args: []string{"run", alternate}, sandbox: true, codes: []int{0}, stdout: outs.String(),
			check: func(t *testing.T, _, stderr string) {
				if stderr != errs.String() {
					t.Errorf("stderr %q, want %q", stderr, errs.String())
				}
			}},

		{row: "N", name: "exit 3", args: []string{"run", write("exit.py", "import sys; sys.exit(3)\n")}, sandbox: true, codes: []int{3}},
		{row: "N", name: "compile error", args: []string{"run", hello("broken.c")}, sandbox: true, codes: []int{1}, oneLine: false,
			check: func(t *testing.T, _, stderr string) {
				if !regexp.MustCompile(`(?m)^sandrun: compile error \(gcc, \d+\.\d\d s\)$`).MatchString(stderr) {
					t.Errorf("no footer like \"compile error (gcc, 0.21 s)\": %q", stderr)
				}
			}},

		{row: "2", name: "missing file", args: []string{"run", filepath.Join(dir, "nope.py")}, codes: []int{2}, want: "nope.py: no such file", oneLine: true},
		{row: "2", name: "directory as FILE", args: []string{"run", dir}, codes: []int{2}, want: "is a directory", oneLine: true},
		{row: "2", name: "missing --stdin file", args: []string{"run", "--stdin", filepath.Join(dir, "nope.txt"), py}, codes: []int{2}, want: "--stdin " + filepath.Join(dir, "nope.txt") + ": no such file", oneLine: true},
		{row: "2", name: "directory as --stdin", args: []string{"run", "--stdin", dir, py}, codes: []int{2}, want: "is a directory", oneLine: true},
		{row: "2", name: "binary", args: []string{"run", bin}, codes: []int{2}, want: "looks binary", oneLine: true},
		{row: "2", name: "source on stdin without --lang", args: []string{"run", "-"}, stdin: "print(1)\n", codes: []int{2}, want: "pass --lang", oneLine: true},
		{row: "2", name: "unknown extension", args: []string{"run", hello("notes.xyz")}, codes: []int{2}, want: "pass --lang", oneLine: true},
		{row: "2", name: "unknown language", args: []string{"run", "--lang", "klingon", py}, codes: []int{2}, want: `unknown language "klingon"`, oneLine: true},
		{row: "2", name: "bad memory", args: []string{"run", "--memory-limit", "lots", py}, codes: []int{2}, want: "--memory-limit lots is not a size", oneLine: true},
		{row: "2", name: "memory too large", args: []string{"run", "--memory-limit", "1TiB", py}, codes: []int{2}, want: "--memory-limit 1TiB is out of range (at most 8 GiB)", oneLine: true},
		{row: "2", name: "bare memory below the least", args: []string{"run", "--memory-limit", "2", py}, codes: []int{2}, want: "--memory-limit 2 is out of range (at least 4 MiB)", oneLine: true},
		{row: "2", name: "time out of range", args: []string{"run", "--time-limit", "100s", py}, codes: []int{2}, want: "--time-limit 100s is out of range (at most 60s)", oneLine: true},
		{row: "2", name: "time without a unit", args: []string{"run", "--time-limit", "1", py}, codes: []int{2}, want: "write 1s or 1500ms", oneLine: true},
		{row: "2", name: "flag written with one dash", args: []string{"run", "-wall-limit", "soon", py}, codes: []int{2}, want: "-wall-limit soon is not a time", oneLine: true},
		{row: "2", name: "unknown flag", args: []string{"run", "--frobnicate", py}, codes: []int{2}, want: `unknown flag --frobnicate ("sandrun run --help" lists the flags)`, oneLine: true},
		{row: "2", name: "no file", args: []string{"run"}, codes: []int{2}, want: "exactly one FILE", oneLine: true},
		{row: "2", name: "unknown command", args: []string{"frobnicate"}, codes: []int{2}, want: `unknown command "frobnicate"`, oneLine: true},
		{row: "2", name: "bad executor", args: []string{"run", "--executor", "udp://x", py}, codes: []int{2}, want: "tcp://HOST:PORT", oneLine: true},

		{row: "125", name: "executor unreachable", args: []string{"run", "--executor", "tcp://127.0.0.1:1", py}, codes: []int{125}, want: "cannot reach the executor at 127.0.0.1:1", oneLine: true},
		{row: "125", name: "wrong token", sandbox: true, codes: []int{125}, want: "refused the token", oneLine: true,
			run: func(t *testing.T) (string, string, int) {
				addr, _ := startExecutor(t, "--token-file", write("tok", "s3cret-token-for-tests\n"))
				return sandrunCLI(t, "", "run", "--executor", addr, "--token-file", write("wrong", "a-wrong-guess-of-the-token\n"), py)
			}},
		{row: "125", name: "executor busy", sandbox: true, codes: []int{125}, want: "busy", oneLine: true,
			run: func(t *testing.T) (string, string, int) {
				tok := write("tok2", "s3cret-token-for-tests\n")
				addr, _ := startExecutor(t, "--token-file", tok, "--slots", "1", "--queue", "0")
				hold := exec.Command(os.Args[0], "run", "--executor", addr, "--token-file", tok, "--wall-limit", "60s", write("hold.py", "import time\nprint('holding', flush=True)\ntime.sleep(60)\n"))
				hold.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
				started := startAndWaitFor(t, hold, "holding")
				defer started()
				return sandrunCLI(t, "", "run", "--executor", addr, "--token-file", tok, "--wall-limit", "1s", py)
			}},

		{row: "128+N", name: "CPU limit", args: []string{"run", "--time-limit", "200ms", "--wall-limit", "2m", write("spin2.py", "print('start', flush=True)\nwhile True: pass\n")}, sandbox: true,
			// 137: SIGKILL from the CPU watch on the cgroup; 152: SIGXCPU from RLIMIT_CPU, the
			// backstop that is all a rootless host without cgroups has.
			codes: []int{137, 152}, stdout: "start\n", want: "sandrun: time_limit: "},
		{row: "128+N", name: "output limit", args: []string{"run", "--wall-limit", "2m", big}, sandbox: true, codes: []int{137}, want: "sandrun: output_limit: stdout passed the output limit of 1 MiB"},
		{row: "128+N", name: "signal", args: []string{"run", write("segv.py", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")}, sandbox: true, codes: []int{139}, want: "SIGSEGV"},

		{row: "130", name: "Ctrl-C", sandbox: true, codes: []int{130}, stdout: "start\n",
			run: func(t *testing.T) (string, string, int) {
				return sandrunInterrupted(t, "run", "--wall-limit", "60s", write("sleep.py", "import time\nprint('start', flush=True)\ntime.sleep(60)\n"))
			},
			check: func(t *testing.T, _, stderr string) {
				if stderr != "stopped\n" {
					t.Errorf("stderr %q, want only %q", stderr, "stopped\n")
				}
			}},
		{row: "130", name: "Ctrl-C stops watch during a run", sandbox: true, codes: []int{130}, stdout: "start\n", want: "── stopped ──",
			run: func(t *testing.T) (string, string, int) {
				return sandrunInterrupted(t, "watch", "--wall-limit", "60s", write("watch-sleep.py", "import time\nprint('start', flush=True)\ntime.sleep(60)\n"))
			}},
		// The interrupt comes while the run ends or after, while watch waits for a change:
		// 130 either way.
		{row: "130", name: "Ctrl-C stops watch between runs", sandbox: true, codes: []int{130}, stdout: "start\n",
			run: func(t *testing.T) (string, string, int) {
				return sandrunInterrupted(t, "watch", write("watch-quick.py", "print('start')\n"))
			}},
	}
}

// TestExitCodes drives the built CLI through every case of exitCases.
func TestExitCodes(t *testing.T) {
	sandboxOK := sandboxWorks(t)
	for _, tc := range exitCases(t) {
		t.Run(tc.row+"/"+tc.name, func(t *testing.T) {
			if tc.sandbox && !sandboxOK {
				t.Skip("the sandbox does not work on this host (requireSandbox says why)")
			}
			var stdout, stderr string
			var code int
			if tc.run != nil {
				stdout, stderr, code = tc.run(t)
			} else {
				stdout, stderr, code = sandrunCLI(t, tc.stdin, tc.args...)
			}
			if !containsInt(tc.codes, code) {
				t.Errorf("exit %d, want one of %v (stdout %.300q, stderr %.300q)", code, tc.codes, stdout, stderr)
			}
			if tc.stdout != "" && stdout != tc.stdout {
				t.Errorf("stdout %.300q, want %.300q", stdout, tc.stdout)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want it to hold %q", stderr, tc.want)
			}
			if tc.oneLine && strings.Count(strings.TrimSuffix(stderr, "\n"), "\n") > 0 {
				t.Errorf("stderr has more than one line: %q", stderr)
			}
			if tc.check != nil {
				tc.check(t, stdout, stderr)
			}
		})
	}
}

// TestREADMEExitCodes: the README's exit-code table and the cases above list the same rows.
func TestREADMEExitCodes(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "### Exit codes\n")
	if !ok {
		t.Fatal("README.md has no \"### Exit codes\" section")
	}
	rowRE := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	documented := map[string]bool{}
	for _, m := range rowRE.FindAllStringSubmatch(strings.SplitN(table, "\n\n", 2)[0], -1) {
		documented[m[1]] = true
	}
	tested := map[string]bool{}
	for _, tc := range exitCases(t) {
		tested[tc.row] = true
		if !documented[tc.row] {
			t.Errorf("case %q is for exit code %q, which the README's table does not list", tc.name, tc.row)
		}
	}
	for row := range documented {
		if !tested[row] {
			t.Errorf("the README lists exit code %q, which no case of TestExitCodes drives", row)
		}
	}
	if len(documented) < 6 {
		t.Errorf("the README's exit-code table has %d rows, want 6: %v", len(documented), documented)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func decodeResult(t *testing.T, stdout string) executor.Result {
	t.Helper()
	var r executor.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not one Result: %v\n%.300s", err, stdout)
	}
	return r
}

// sandboxWorks reports whether the sandbox runs hello.py here.
func sandboxWorks(t *testing.T) bool {
	_, _, code := sandrunCLI(t, "", "run", "--json", hello("hello.py"))
	return code == 0
}

// sandrunMerged runs sandrun with one pipe as both its stdout and stderr ("2>&1") and returns
// what came out of it.
func sandrunMerged(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	var both bytes.Buffer
	cmd.Stdout, cmd.Stderr = &both, &both // one writer: exec gives both the same pipe
	err := cmd.Run()
	return withoutNote(both.String()), "", exitOf(t, err)
}

// sandrunInterrupted starts sandrun, waits for its first line of output, sends it SIGINT (as
// Ctrl-C does) and returns what it printed and its exit code.
func sandrunInterrupted(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 6)
	if _, err := io.ReadFull(out, first); err != nil {
		t.Fatalf("no output before the interrupt: %v (stderr %q)", err, stderr.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(out)
	err = cmd.Wait()
	return string(first) + string(rest), withoutNote(stderr.String()), exitOf(t, err)
}

// startAndWaitFor starts cmd and waits until its stdout holds want; the returned func kills it.
func startAndWaitFor(t *testing.T, cmd *exec.Cmd, want string) func() {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }
	buf := make([]byte, len(want))
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != want {
		stop()
		t.Fatalf("the holding run printed %q, %v", buf, err)
	}
	go io.Copy(io.Discard, out)
	return stop
}

func exitOf(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	t.Fatalf("run sandrun: %v", err)
	return -1
}
