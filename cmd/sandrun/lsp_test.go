package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/spec"
	"github.com/sandrun/sandrun/lsp"
)

// lspProc is "sandrun lsp --stdio" (this test binary in CLI mode) driven over its stdin/stdout.
type lspProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
	nextID int
	notes  []map[string]json.RawMessage // notifications read so far
}

func startLSP(t *testing.T, args ...string) *lspProc {
	t.Helper()
	p := &lspProc{t: t}
	p.cmd = exec.Command(os.Args[0], append([]string{"lsp", "--stdio"}, args...)...)
	p.cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	p.cmd.Stderr = &p.stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.in.Close()
		p.cmd.Process.Kill()
		p.cmd.Wait()
	})
	return p
}

func (p *lspProc) send(v any) {
	p.t.Helper()
	data, _ := json.Marshal(v)
	if _, err := fmt.Fprintf(p.in, "Content-Length: %d\r\n\r\n%s", len(data), data); err != nil {
		p.t.Fatalf("write to sandrun lsp: %v", err)
	}
}

// read returns the next message; every byte on stdout must be a frame.
func (p *lspProc) read() map[string]json.RawMessage {
	p.t.Helper()
	length := -1
	for {
		line, err := p.out.ReadString('\n')
		if err != nil {
			p.t.Fatalf("read from sandrun lsp: %v (stderr: %s)", err, p.stderr.String())
		}
		if line == "\r\n" {
			break
		}
		v, ok := strings.CutPrefix(line, "Content-Length: ")
		if !ok {
			p.t.Fatalf("stdout holds something that is not a frame header: %q", line)
		}
		length, _ = strconv.Atoi(strings.TrimSpace(v))
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(p.out, body); err != nil {
		p.t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		p.t.Fatalf("frame %q: %v", body, err)
	}
	return m
}

// call sends a request and returns its answer, skipping notifications.
func (p *lspProc) call(method string, params any) map[string]json.RawMessage {
	p.t.Helper()
	p.nextID++
	id := strconv.Itoa(p.nextID)
	p.send(map[string]any{"jsonrpc": "2.0", "id": p.nextID, "method": method, "params": params})
	for {
		m := p.read()
		switch {
		case string(m["id"]) == id && m["method"] == nil:
			return m
		case m["id"] == nil:
			p.notes = append(p.notes, m)
		}
	}
}

// exitCode closes stdin's end of the session and waits for the process.
func (p *lspProc) wait() int {
	p.t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			p.t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		p.t.Fatal("sandrun lsp did not exit")
		return -1
	}
}

func TestLSPStdio(t *testing.T) {
	p := startLSP(t, "--clientProcessId=1")
	init := p.call("initialize", map[string]any{"processId": os.Getpid(), "capabilities": map[string]any{}})
	if !strings.Contains(string(init["result"]), `"commands":["sandrun.run","sandrun.watch","sandrun.stop","sandrun.languages","sandrun.stdin"]`) {
		t.Errorf("initialize = %s", init["result"])
	}
	p.send(map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}})
	langs := p.call("workspace/executeCommand", map[string]any{"command": "sandrun.languages"})
	if !strings.Contains(string(langs["result"]), `"id":"python"`) {
		t.Errorf("sandrun.languages = %s %s", langs["result"], langs["error"])
	}
	bad := p.call("workspace/executeCommand", map[string]any{"command": "sandrun.run",
		"arguments": []any{map[string]any{"uri": "untitled:x", "text": "hello"}}})
	if !strings.Contains(string(bad["error"]), `"code":-32602`) || !strings.Contains(string(bad["error"]), "cannot tell which language untitled:x is in") {
		t.Errorf("run of an unknown language = %s", bad["error"])
	}
	// A real run in the sandbox, through the front door.
	run := p.call("workspace/executeCommand", map[string]any{"command": "sandrun.run", "arguments": []any{map[string]any{
		"uri": "file:///nowhere/up.py", "languageId": "python", "stdin": "abc\n",
		"text": "import sys\nprint(sys.stdin.read().strip().upper())\n"}}})
	var reply struct {
		RunID  string          `json:"runId"`
		Result executor.Result `json:"result"`
	}
	if err := json.Unmarshal(run["result"], &reply); err != nil || reply.Result.Status != executor.StatusOK || reply.Result.Stdout != "ABC\n" {
		t.Fatalf("sandrun.run = %s %s", run["result"], run["error"])
	}
	// sandrun/start, the output in chunks (python writes the newline separately), sandrun/result.
	var methods []string
	var streamed string
	for _, n := range p.notes {
		var m string
		var params struct{ RunID, Data string }
		json.Unmarshal(n["method"], &m)
		json.Unmarshal(n["params"], &params)
		if !strings.HasPrefix(m, "sandrun/") || params.RunID != reply.RunID {
			continue
		}
		if m != "sandrun/output" || len(methods) == 0 || methods[len(methods)-1] != m {
			methods = append(methods, m)
		}
		streamed += params.Data
	}
	if want := "sandrun/start sandrun/output sandrun/result"; strings.Join(methods, " ") != want || streamed != "ABC\n" {
		t.Errorf("notifications = %v streaming %q, want %s streaming \"ABC\\n\"", methods, streamed, want)
	}
	if m := p.call("shutdown", nil); string(m["result"]) != "null" {
		t.Errorf("shutdown = %v", m)
	}
	p.send(map[string]any{"jsonrpc": "2.0", "method": "exit"})
	if code := p.wait(); code != 0 {
		t.Errorf("exit code after shutdown and exit = %d, want 0 (stderr: %s)", code, p.stderr.String())
	}
}

func TestLSPExitWithoutShutdown(t *testing.T) {
	p := startLSP(t)
	p.call("initialize", map[string]any{"capabilities": map[string]any{}})
	p.send(map[string]any{"jsonrpc": "2.0", "method": "exit"})
	if code := p.wait(); code != 1 {
		t.Errorf("exit code after exit without shutdown = %d, want 1", code)
	}
}

func TestLSPBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"lsp", "extra"}, `unexpected argument "extra"`},
		{[]string{"lsp", "--memory-limit", "lots"}, "--memory-limit"},
		{[]string{"lsp", "--bogus"}, "unknown flag --bogus"}, // one sentence, as every command says it
	}
	for _, tt := range tests {
		_, stderr, code := sandrunCLI(t, "", tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestLSPExecutorUnreachable: an executor that cannot be reached is one sentence naming the
// address and the cause, not Go's layers of error text.
func TestLSPExecutorUnreachable(t *testing.T) {
	_, _, err := openForLSP(spec.Options{})(context.Background(), lsp.ExecutorConfig{Spec: "tcp://127.0.0.1:1"})
	if want := "cannot reach the executor at 127.0.0.1:1: connection refused"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
