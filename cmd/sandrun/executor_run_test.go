package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The README's two-terminal example: an executor in one process, `sandrun run --executor` in
// another, with the same output and exit code as a local run.
func TestRunOnRemoteExecutor(t *testing.T) {
	dir := t.TempDir()
	tok := writeFile(t, dir, "t", "s3cret-token-for-tests\n")
	addr, _ := startExecutor(t, "--token-file", tok)
	hello, _ := filepath.Abs(hello("hello.py"))

	out, stderr, code := sandrunCLI(t, "", "run", "--executor", addr, "--token-file", tok, hello)
	if code != 0 || out != "Hello, world!\n" {
		t.Fatalf("sandrun run over tcp: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	prog := writeFile(t, dir, "exit.py", "import sys\nprint(sys.stdin.read().upper(), end='')\nsys.exit(4)\n")
	out, _, code = sandrunCLI(t, "piped in\n", "run", "--executor", addr, "--token-file", tok, prog)
	if code != 4 || out != "PIPED IN\n" {
		t.Errorf("stdin and exit code over tcp: exit %d, stdout %q; want 4 and %q", code, out, "PIPED IN\n")
	}
}

// SIGTERM lets a run in flight finish, then the executor exits 0.
func TestExecutorGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	tok := writeFile(t, dir, "t", "s3cret-token-for-tests\n")
	addr, ex := startExecutor(t, "--token-file", tok, "--grace", "20s")
	prog := writeFile(t, dir, "slow.py", "import time\nprint('start', flush=True)\ntime.sleep(1)\nprint('done')\n")

	client := exec.Command(os.Args[0], "run", "--executor", addr, "--token-file", tok, prog)
	client.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	stdout, err := client.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "start\n" {
		t.Fatalf("first output: %q, %v", buf, err)
	}
	if err := ex.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	if err := client.Wait(); err != nil || string(rest) != "done\n" {
		t.Errorf("run in flight during shutdown: %v, rest of stdout %q; want exit 0 and \"done\\n\"", err, rest)
	}
	if err := waitExit(t, ex, 30*time.Second, "the executor after its last run ended"); err != nil {
		t.Errorf("executor after a graceful shutdown: %v, want exit 0", err)
	}
}
