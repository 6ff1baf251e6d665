package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/sandbox"
)

// TestMain lets the test binary act as sandrun itself: as the sandbox init when re-executed by
// the sandbox, and as the CLI when SANDRUN_CLI_TEST is set (see sandrunCLI).
func TestMain(m *testing.M) {
	if sandbox.MaybeInit() {
		return
	}
	if os.Getenv("SANDRUN_CLI_TEST") == "1" {
		os.Exit(mainExit(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// sandrunCLI runs "sandrun args…" (this test binary in CLI mode) with stdin and returns its
// stdout, stderr and exit code.
func sandrunCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run sandrun %v: %v", args, err)
	}
	return out.String(), withoutNote(errb.String()), code
}

// withoutNote drops the once-per-process note on limits a rootless host enforces in a weaker
// way (noteUnenforced), so that these tests hold when run as an unprivileged user too.
func withoutNote(stderr string) string {
	var keep []string
	inNote := false
	for _, line := range strings.SplitAfter(stderr, "\n") {
		switch {
		case strings.HasPrefix(line, "sandrun: note: "):
			inNote = true
		case inNote && strings.HasPrefix(line, "  - "):
		default:
			inNote = false
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "")
}

// waitExit waits for cmd (started) to exit and returns what Wait returned. When it has not
// exited after within, a generous bound that only catches a hang, it kills cmd and fails the
// test naming what.
func waitExit(t *testing.T, cmd *exec.Cmd, within time.Duration, what string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not exit within %s", what, within)
		return nil
	}
}

func hello(name string) string { return filepath.Join("..", "..", "testdata", "hello", name) }

// requireSandbox skips when this host cannot run the sandbox at all; on CI (root, Linux) it runs.
func requireSandbox(t *testing.T) {
	t.Helper()
	_, stderr, code := sandrunCLI(t, "", "run", "--json", hello("hello.py"))
	if code != 0 {
		t.Fatalf("sandbox unusable: %s", stderr)
	}
}

func TestRunLive(t *testing.T) {
	requireSandbox(t)
	stdout, stderr, code := sandrunCLI(t, "Ada\n", "run", hello("hello.py"))
	if code != 0 || stdout != "Hello, Ada!\n" || stderr != "" {
		t.Fatalf("got exit %d stdout %q stderr %q; want 0, %q, nothing", code, stdout, stderr, "Hello, Ada!\n")
	}
	stdout, _, code = sandrunCLI(t, "", "run", hello("args.py"), "--", "a", "--json", "c")
	if code != 3 || stdout != "a --json c\n" {
		t.Fatalf("args: exit %d stdout %q; want 3 and %q", code, stdout, "a --json c\n")
	}
	stdout, _, code = sandrunCLI(t, "", "run", hello("script"))
	if code != 0 || !strings.Contains(stdout, "shebang") {
		t.Fatalf("shebang: exit %d stdout %q", code, stdout)
	}
	stdinFile := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(stdinFile, []byte("file\n"), 0o644)
	stdout, _, _ = sandrunCLI(t, "pipe\n", "run", "--stdin", stdinFile, hello("hello.py"))
	if stdout != "Hello, file!\n" {
		t.Fatalf("--stdin: stdout %q, want the file to win over the pipe", stdout)
	}
}

func TestRunJSONStatuses(t *testing.T) {
	requireSandbox(t)
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		args   []string
		status executor.Status
		check  func(r executor.Result) string
	}{
		{"ok", []string{hello("hello.py")}, executor.StatusOK, func(r executor.Result) string {
			if r.Stdout != "Hello, world!\n" || r.Language != "python" || r.Version == "" || r.Compile != nil {
				return "wrong fields"
			}
			return ""
		}},
		{"exit 3", []string{write("exit.py", "import sys; sys.exit(3)")}, executor.StatusRuntimeError, func(r executor.Result) string {
			if r.ExitCode != 3 {
				return "exit code not 3"
			}
			return ""
		}},
		{"invalid utf-8", []string{write("bytes.py", "import sys; sys.stdout.buffer.write(b'ok\\xff\\xfe\\n')")}, executor.StatusOK, func(r executor.Result) string {
			if r.Stdout != "ok\uFFFD\uFFFD\n" {
				return "invalid bytes not replaced"
			}
			return ""
		}},
		// The wall clock only catches hangs: on a loaded machine a loop gets a few percent of a
		// core, and the default 2×CPU+1s ended it before its CPU limit did.
		{"cpu", []string{"--time-limit", "300ms", "--wall-limit", "2m", write("spin.py", "while True: pass")}, executor.StatusTimeLimit, func(r executor.Result) string {
			if !strings.Contains(r.Message, "CPU time limit of 300ms") {
				return "not ended by its CPU limit"
			}
			return ""
		}},
		{"wall", []string{"--wall-limit", "300ms", write("sleep.py", "import time; time.sleep(30)")}, executor.StatusTimeLimit, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := sandrunCLI(t, "", append([]string{"run", "--json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("--json exit %d (stderr %q), want 0 whenever a Result is printed", code, stderr)
			}
			var r executor.Result
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("stdout is not one Result: %v\n%s", err, stdout)
			}
			if r.Status != tt.status {
				t.Fatalf("status %s (%s), want %s", r.Status, r.Message, tt.status)
			}
			if tt.status != executor.StatusOK && r.Message == "" {
				t.Errorf("no message for status %s", r.Status)
			}
			if tt.check != nil {
				if msg := tt.check(r); msg != "" {
					t.Errorf("%s: %+v", msg, r)
				}
			}
		})
	}
}

// TestRunInteractiveTerminal: with a terminal as stdin, what the person types reaches the program
// while it runs, after its prompt, and Ctrl-D ends its input.
func TestRunInteractiveTerminal(t *testing.T) {
	requireSandbox(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	p := filepath.Join(t.TempDir(), "ask.py")
	os.WriteFile(p, []byte("import sys\nname = input('name? ')\nprint('hi', name, flush=True)\nprint('rest', repr(sys.stdin.read()))\n"), 0o644)
	cmd := exec.Command(os.Args[0], "run", p)
	cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	cmd.Stdin = tty
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	go io.Copy(io.Discard, ptmx) // the terminal's echo
	var seen bytes.Buffer
	buf := make([]byte, 256)
	for !strings.Contains(seen.String(), "name? ") {
		n, err := stdout.Read(buf)
		if err != nil {
			t.Fatalf("waiting for the prompt: %v (stdout %q, stderr %q)", err, seen.String(), stderr.String())
		}
		seen.Write(buf[:n])
	}
	ptmx.Write([]byte("Ada\n"))
	for !strings.Contains(seen.String(), "hi Ada\n") {
		n, err := stdout.Read(buf)
		if err != nil {
			t.Fatalf("waiting for the answer: %v (stdout %q)", err, seen.String())
		}
		seen.Write(buf[:n])
	}
	ptmx.Write([]byte("more\n\x04")) // Ctrl-D: end of input
	rest, _ := io.ReadAll(stdout)
	seen.Write(rest)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sandrun run: %v (stderr %q)", err, stderr.String())
	}
	if want := "name? hi Ada\nrest 'more\\n'\n"; seen.String() != want {
		t.Fatalf("stdout %q, want %q", seen.String(), want)
	}
}

// TestRunJSONFieldTypes: `run --json` prints the Result with every field of the contract
// (docs/architecture.md, "Result") and its JSON type, the compile stage's Result too: a client
// that reads compile.diagnostics as a list found null there.
func TestRunJSONFieldTypes(t *testing.T) {
	requireSandbox(t)
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc here")
	}
	want := map[string]string{
		"language": "string", "version": "string", "status": "string", "exit_code": "number",
		"signal": "string", "stdout": "string", "stderr": "string", "stdout_truncated": "bool",
		"stderr_truncated": "bool", "cpu_time_ms": "number", "wall_time_ms": "number",
		"memory_kib": "number", "message": "string", "runtime": "string", "diagnostics": "array",
	}
	kind := func(v any) string {
		switch v.(type) {
		case string:
			return "string"
		case float64:
			return "number"
		case bool:
			return "bool"
		case []any:
			return "array"
		case map[string]any:
			return "object"
		case nil:
			return "null"
		}
		return fmt.Sprintf("%T", v)
	}
	check := func(what string, r map[string]any) {
		t.Helper()
		for field, k := range want {
			v, ok := r[field]
			if !ok {
				t.Errorf("%s: no field %q in %v", what, field, r)
			} else if kind(v) != k {
				t.Errorf("%s: %q is %s (%v), want %s", what, field, kind(v), v, k)
			}
		}
	}
	for _, tt := range []struct {
		file     string
		compiled bool
	}{{"hello.py", false}, {"hello.c", true}, {"broken.c", true}} {
		stdout, stderr, code := sandrunCLI(t, "Ada\n", "run", "--json", hello(tt.file))
		if code != 0 {
			t.Fatalf("%s: --json exit %d (stderr %q), want 0", tt.file, code, stderr)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%s: stdout is not one JSON object: %v\n%s", tt.file, err, stdout)
		}
		check(tt.file, r)
		c, ok := r["compile"]
		switch {
		case !ok:
			t.Errorf("%s: no field \"compile\"", tt.file)
		case !tt.compiled && c != nil:
			t.Errorf("%s: compile is %v, want null for an interpreted language", tt.file, c)
		case tt.compiled:
			cm, ok := c.(map[string]any)
			if !ok {
				t.Fatalf("%s: compile is %s, want an object", tt.file, kind(c))
			}
			check(tt.file+" compile", cm)
		}
	}
}
