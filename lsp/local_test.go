package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/sandbox/sandboxtest"
)

// TestMain lets the test binary serve as the sandbox's init when the real local executor
// re-executes it.
func TestMain(m *testing.M) { sandboxtest.Main(m) }

// shared is one real local executor shared by the tests, so that toolchain detection (slow on a
// busy machine) happens once.
var shared struct {
	once sync.Once
	ex   *local.Executor
	err  error
}

// slackWall is the wall clock of the local runs and compiles that leave theirs out, in place of
// 2×CPU+1s: on a loaded CI machine tsc's compile passed its default 31 s. The CPU limits stay
// the defaults; the wall clock only catches hangs.
const slackWall = 10 * 60 * 1000

// slackWalls gives a request's run and compile stages slackWall where they set no wall clock.
type slackWalls struct{ executor.Executor }

func (s slackWalls) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	if req.Limits.WallTimeMs == 0 {
		req.Limits.WallTimeMs = slackWall
	}
	if req.CompileLimits.WallTimeMs == 0 {
		req.CompileLimits.WallTimeMs = slackWall
	}
	return s.Executor.Run(ctx, req, onEvent)
}

// localSession starts a server on the real local executor (the sandbox on this machine).
func localSession(t *testing.T) *client {
	t.Helper()
	shared.once.Do(func() {
		shared.ex, shared.err = local.New(local.Options{Slots: 2, Caps: local.Caps{Max: executor.Limits{WallTimeMs: slackWall}}})
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	open := func(ctx context.Context, cfg ExecutorConfig) (executor.Executor, func() error, error) {
		return slackWalls{shared.ex}, func() error { return nil }, nil
	}
	c := startServer(t, Options{Open: open, Debounce: 50 * time.Millisecond})
	c.initialize(map[string]any{"window": map[string]any{"workDoneProgress": true}}, nil)
	return c
}

func TestLocalRunBufferWithStdin(t *testing.T) {
	c := localSession(t)
	uri := "file:///nowhere/greet.py" // not on disk: the buffer runs
	c.didOpen(uri, "python", "import sys\nprint('Hello, ' + sys.stdin.readline().strip() + '!')\nprint('é' * 3, file=sys.stderr)\n")
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": uri, "stdin": "Ada\n", "separateStreams": true}))
	if reply.Result.Status != executor.StatusOK || reply.Result.Stdout != "Hello, Ada!\n" || reply.Result.Stderr != "ééé\n" {
		t.Errorf("result = %+v", reply.Result)
	}
	_, streams := output(t, c.runNotes(reply.RunID))
	if streams[executor.Stdout] != "Hello, Ada!\n" || streams[executor.Stderr] != "ééé\n" {
		t.Errorf("streamed = %q", streams)
	}
}

// TestLocalOutputInWrittenOrder: the panel shows stdout and stderr in the order the program
// wrote them (one descriptor for both), not in the order two pipes happened to be read.
func TestLocalOutputInWrittenOrder(t *testing.T) {
	c := localSession(t)
	uri := "file:///nowhere/order.py"
	var src, want strings.Builder
	src.WriteString("import sys\n")
	for i := range 20 {
		fmt.Fprintf(&src, "print('hello %d')\nprint('oops %d', file=sys.stderr)\n", i, i)
		fmt.Fprintf(&want, "hello %d\noops %d\n", i, i)
	}
	c.didOpen(uri, "python", src.String())
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": uri}))
	if reply.Result.Status != executor.StatusOK || reply.Result.Stdout != want.String() || reply.Result.Stderr != "" {
		t.Errorf("result = %+v", reply.Result)
	}
	_, streams := output(t, c.runNotes(reply.RunID))
	if streams[executor.Stdout] != want.String() || streams[executor.Stderr] != "" {
		t.Errorf("streamed = %q, want all of it in order on stdout", streams)
	}
}

func TestLocalSelectionDedented(t *testing.T) {
	c := localSession(t)
	uri := "file:///nowhere/body.py"
	c.didOpen(uri, "python", "def main():\n    for i in range(3):\n        print(i * i)\n    print('done')\n")
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": uri, "range": rng(1, 4, 4, 0)}))
	if reply.Result.Status != executor.StatusOK || reply.Result.Stdout != "0\n1\n4\ndone\n" {
		t.Errorf("indented selection: %+v", reply.Result)
	}
}

func TestLocalCancelKillsAtOnce(t *testing.T) {
	c := localSession(t)
	id := c.command(CommandRun, map[string]any{"uri": "untitled:spin", "languageId": "python",
		"text": "print('spinning', flush=True)\nwhile True:\n    pass\n"})
	c.waitNote(0, NotifyOutput, func(p json.RawMessage) bool { return strings.Contains(string(p), "spinning") })
	c.notify("$/cancelRequest", map[string]any{"id": id})
	m := c.response(id)
	if m.Error == nil || m.Error.Code != -32800 {
		t.Fatalf("answer = %+v, want -32800", m)
	}
	// The slot is free again: another run goes through.
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:after", "languageId": "python", "text": "print(6 * 7)\n"}))
	if reply.Result.Stdout != "42\n" {
		t.Errorf("run after a cancel: %+v", reply.Result)
	}
}

func TestLocalWatchOutsideEdit(t *testing.T) {
	c := localSession(t)
	path := filepath.Join(t.TempDir(), "w.py")
	writeFile(t, path, "print('v1')\n")
	uri := "file://" + path
	c.watch(uri, true, nil)
	from := c.noteCount()
	writeInPlace(t, path, "print('v2')\n")
	start, res := c.nextRun(from, uri)
	if start.Trigger != TriggerDisk || res.Result == nil || res.Result.Stdout != "v2\n" {
		t.Errorf("disk run: start %+v, result %+v", start, res)
	}
}

func TestLocalCompiled(t *testing.T) {
	c := localSession(t)
	uri := "file:///nowhere/main.c"
	c.didOpen(uri, "c", "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 6 * 7); return 0; }\n")
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": uri}))
	if reply.Result.Status != executor.StatusOK || reply.Result.Stdout != "42\n" || reply.Result.Compile == nil {
		t.Errorf("C run: %+v", reply.Result)
	}
	reply = c.runDone(c.command(CommandRun, map[string]any{"uri": uri, "text": "int main(void) { return nope; }\n"}))
	if reply.Result.Status != executor.StatusCompileError || reply.Result.Compile == nil || !strings.Contains(reply.Result.Compile.Stderr, "nope") {
		t.Errorf("C compile error: %+v", reply.Result)
	}
	var compileOut string
	for _, m := range c.runNotes(reply.RunID) {
		if m.Method == NotifyOutput {
			if o := decode[OutputParams](t, m.Params); o.Stage == executor.StageCompile {
				compileOut += o.Data
			}
		}
	}
	if !strings.Contains(compileOut, "nope") {
		t.Errorf("the compiler's message was not streamed with stage compile: %q", compileOut)
	}
}

// TestLocalInteractive: a real Python program asks for a name with input(); the name is sent
// with sandrun.stdin only after the prompt arrived, and the greeting comes back.
func TestLocalInteractive(t *testing.T) {
	c := localSession(t)
	uri := "file:///nowhere/ask.py"
	c.didOpen(uri, "python", "name = input('What is your name? ')\nprint(f'Hello, {name}!')\nprint(input('Again? '))\n")
	id := c.command(CommandRun, map[string]any{"uri": uri, "interactive": true})
	_, m := c.waitNote(0, NotifyStart, forURI(uri))
	runID := decode[StartParams](t, m.Params).RunID
	c.waitOutput(runID, "What is your name? ")
	c.stdin(map[string]any{"uri": uri, "data": "Ada\n"})
	c.waitOutput(runID, "Again? ")
	c.stdin(map[string]any{"runId": runID, "data": "yes", "eof": true})
	reply := c.runDone(id)
	if reply.Result.Status != executor.StatusOK || reply.Result.Stdout != "What is your name? Hello, Ada!\nAgain? yes\n" {
		t.Errorf("result = %+v", reply.Result)
	}
}
