package lsp

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

// newSession starts a server with a fake executor and does the handshake.
func newSession(t testing.TB, caps any) (*client, *executortest.Fake) {
	t.Helper()
	f := newFake()
	o := &fakeOpener{f: f}
	c := startServer(t, Options{Open: o.open})
	c.initialize(caps, nil)
	return c, f
}

func TestInitializeAdvertises(t *testing.T) {
	c := startServer(t, Options{Open: (&fakeOpener{f: newFake()}).open})
	res := c.initialize(nil, nil)
	caps, _ := json.Marshal(res["capabilities"])
	want := `{"executeCommandProvider":{"commands":["sandrun.run","sandrun.watch","sandrun.stop","sandrun.languages","sandrun.stdin"]},"textDocumentSync":{"change":1,"openClose":true,"save":{"includeText":true}}}`
	if diff := cmp.Diff(want, normalize(t, caps)); diff != "" {
		t.Errorf("capabilities (-want +got):\n%s", diff)
	}
	info := res["serverInfo"].(map[string]any)
	if info["name"] != "sandrun" || info["version"] != executor.Version {
		t.Errorf("serverInfo = %v, want sandrun %s", info, executor.Version)
	}
	if e := c.callErr("initialize", map[string]any{"capabilities": map[string]any{}}); e.Code != -32600 {
		t.Errorf("second initialize: code %d (%s), want -32600", e.Code, e.Message)
	}
}

// normalize re-encodes JSON with sorted keys.
func normalize(t testing.TB, data []byte) string {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestBeforeInitialize(t *testing.T) {
	c := startServer(t, Options{Open: (&fakeOpener{f: newFake()}).open})
	e := c.callErr("workspace/executeCommand", map[string]any{"command": CommandLanguages})
	if e.Code != -32002 || !strings.Contains(e.Message, "initialize first") {
		t.Errorf("error = %d %q, want -32002 saying to initialize first", e.Code, e.Message)
	}
}

func TestRunBuffer(t *testing.T) {
	c, f := newSession(t, nil)
	uri := "file:///nowhere/hello.py" // never on disk: the unsaved buffer is what runs
	c.didOpen(uri, "python", "out old\n")
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{"text": "out hello\nerr oops\nout world\n"}},
	})
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": uri, "separateStreams": true}))

	want := executor.Result{Language: "python", Version: "3.11.2", Status: executor.StatusOK, Stdout: "hello\nworld\n",
		Stderr: "oops\n", CPUTimeMs: 5, WallTimeMs: 7, MemoryKiB: 2048}
	if diff := cmp.Diff(want, reply.Result); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	notes := c.runNotes(reply.RunID)
	var methods []string
	for _, m := range notes {
		methods = append(methods, m.Method)
	}
	wantMethods := []string{NotifyStart, NotifyOutput, NotifyOutput, NotifyOutput, NotifyResult}
	if diff := cmp.Diff(wantMethods, methods); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
	start := decode[StartParams](t, notes[0].Params)
	wantStart := StartParams{RunID: reply.RunID, URI: uri, Language: "python", LanguageName: "Python", Version: "3.11.2",
		Executor: "local", File: "hello.py", Trigger: TriggerCommand}
	if diff := cmp.Diff(wantStart, start); diff != "" {
		t.Errorf("sandrun/start (-want +got):\n%s", diff)
	}
	if o := decode[OutputParams](t, notes[2].Params); o != (OutputParams{RunID: reply.RunID, URI: uri, Stream: executor.Stderr, Stage: executor.StageRun, Data: "oops\n"}) {
		t.Errorf("second sandrun/output = %+v", o)
	}
	res := decode[ResultParams](t, notes[4].Params)
	if res.Result == nil || res.Result.Stdout != "hello\nworld\n" || res.Error != "" || res.Cancelled {
		t.Errorf("sandrun/result = %+v", res)
	}
	req := f.Requests()[0]
	wantReq := executor.Request{Language: "python", Files: []executor.File{{Name: "hello.py", Content: []byte("out hello\nerr oops\nout world\n")}}}
	if diff := cmp.Diff(wantReq, req); diff != "" {
		t.Errorf("executor request (-want +got):\n%s", diff)
	}
}

func TestRunSources(t *testing.T) {
	const doc = "import sys\n\ndef main():\n    out first\n\n    out second\n    if True:\n        out third\n"
	tests := []struct {
		name     string
		open     bool // didOpen the document first
		args     map[string]any
		wantName string
		wantSrc  string
		wantOut  string
	}{
		{"whole buffer", true, map[string]any{}, "prog.py", doc, "first\nsecond\nthird\n"},
		{"text wins over the buffer", true, map[string]any{"text": "out given\n"}, "prog.py", "out given\n", "given\n"},
		{"selection is dedented", true, map[string]any{"range": rng(3, 4, 7, 17)}, "prog.py",
			"out first\n\nout second\nif True:\n    out third", "first\nsecond\nthird\n"},
		{"selection from column 0", true, map[string]any{"range": rng(5, 0, 6, 0)}, "prog.py", "out second\n", "second\n"},
		{"empty range runs everything", true, map[string]any{"range": rng(2, 3, 2, 3)}, "prog.py", doc, "first\nsecond\nthird\n"},
		{"stdin and args", true, map[string]any{"text": "stdin\nargs\n", "stdin": "line 1\nline 2\n", "args": []string{"-v", "x y"}},
			"prog.py", "stdin\nargs\n", "line 1\nline 2\n-v\nx y\n"},
		{"untitled buffer by languageId", false, map[string]any{"uri": "untitled:Untitled-1", "languageId": "python", "text": "out u\n"},
			"main.py", "out u\n", "u\n"},
		{"shebang", false, map[string]any{"uri": "untitled:Untitled-2", "languageId": "plaintext", "text": "#!/usr/bin/env python3\nout s\n"},
			"main.py", "#!/usr/bin/env python3\nout s\n", "s\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newSession(t, nil)
			uri := "file:///nowhere/prog.py"
			if tt.open {
				c.didOpen(uri, "python", doc)
			}
			args := map[string]any{"uri": uri}
			for k, v := range tt.args {
				args[k] = v
			}
			reply := c.runDone(c.command(CommandRun, args))
			if reply.Result.Stdout != tt.wantOut {
				t.Errorf("stdout = %q, want %q", reply.Result.Stdout, tt.wantOut)
			}
			req := f.Requests()[0]
			if req.Files[0].Name != tt.wantName {
				t.Errorf("file name = %q, want %q", req.Files[0].Name, tt.wantName)
			}
			if diff := cmp.Diff(tt.wantSrc, string(req.Files[0].Content)); diff != "" {
				t.Errorf("source (-want +got):\n%s", diff)
			}
			all, _ := output(t, c.runNotes(reply.RunID))
			if all != tt.wantOut {
				t.Errorf("streamed output = %q, want %q", all, tt.wantOut)
			}
		})
	}
}

func rng(l1, c1, l2, c2 int) map[string]any {
	return map[string]any{"start": map[string]int{"line": l1, "character": c1}, "end": map[string]int{"line": l2, "character": c2}}
}

func TestRunFromDisk(t *testing.T) {
	c, f := newSession(t, nil)
	path := t.TempDir() + "/disk.py"
	writeFile(t, path, "out from disk\n")
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": "file://" + path}))
	if reply.Result.Stdout != "from disk\n" {
		t.Errorf("stdout = %q, want %q", reply.Result.Stdout, "from disk\n")
	}
	if got := f.Requests()[0].Files[0].Name; got != "disk.py" {
		t.Errorf("file name = %q, want disk.py", got)
	}
}

func TestStreamedOutputOrder(t *testing.T) {
	c, _ := newSession(t, nil)
	var src, want strings.Builder
	for i := range 200 {
		stream := "out"
		if i%3 == 0 {
			stream = "err"
		}
		line := stream + " line " + strings.Repeat("x", i%7) + string(rune('a'+i%26))
		src.WriteString(line + "\n")
		want.WriteString(line[4:] + "\n")
	}
	src.WriteString("split\n")
	want.WriteString("é")
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:x", "languageId": "python", "text": src.String()}))
	notes := c.runNotes(reply.RunID)
	all, _ := output(t, notes)
	if diff := cmp.Diff(want.String(), all); diff != "" {
		t.Errorf("output order (-want +got):\n%s", diff)
	}
	if notes[0].Method != NotifyStart || notes[len(notes)-1].Method != NotifyResult {
		t.Errorf("first %s, last %s: want sandrun/start first and sandrun/result last", notes[0].Method, notes[len(notes)-1].Method)
	}
	// The character split across two chunks arrives whole, in one notification.
	last := decode[OutputParams](t, notes[len(notes)-2].Params)
	if !strings.HasSuffix(last.Data, "é") {
		t.Errorf("last chunk = %q, want it to end with the whole character %q", last.Data, "é")
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []any
		wantCode int
		wantMsg  string
	}{
		{"unknown language", []any{map[string]any{"uri": "untitled:notes", "languageId": "plaintext", "text": "hello"}},
			-32602, `cannot tell which language untitled:notes is in (languageId "plaintext", no file extension, no known shebang line): pass "languageId" (a VS Code language id or sandrun language such as python or cpp; "sandrun languages" lists them), give the file a known extension, or start it with a shebang line such as "#!/usr/bin/env python3"`},
		{"unknown extension", []any{map[string]any{"uri": "file:///x/notes.txt", "text": "hello"}},
			-32602, `extension ".txt"`},
		{"no uri", []any{map[string]any{"text": "out x"}}, -32602, `"uri" is missing`},
		{"no argument", []any{}, -32602, "sandrun.run takes one argument {uri, languageId?, text?, range?, stdin?, args?, interactive?}, got 0"},
		{"argument not an object", []any{"file:///x.py"}, -32602, "sandrun.run takes one argument"},
		{"not open, not on disk", []any{map[string]any{"uri": "file:///nowhere/x.py"}}, -32602, "is not open in the editor and cannot be read from disk"},
		{"backwards range", []any{map[string]any{"uri": "untitled:a", "languageId": "python", "text": "a\nb\n", "range": rng(1, 0, 0, 0)}},
			-32602, "range 1:0-0:0 ends before it starts"},
		{"blank selection", []any{map[string]any{"uri": "untitled:a", "languageId": "python", "text": "a\n\n\nb\n", "range": rng(1, 0, 3, 0)}},
			-32602, "holds no code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newSession(t, nil)
			m := c.response(c.request("workspace/executeCommand", map[string]any{"command": CommandRun, "arguments": tt.args}))
			if m.Error == nil {
				t.Fatalf("want error, got %s", m.Result)
			}
			if m.Error.Code != tt.wantCode || !strings.Contains(m.Error.Message, tt.wantMsg) {
				t.Errorf("error = %d %q, want %d containing %q", m.Error.Code, m.Error.Message, tt.wantCode, tt.wantMsg)
			}
			// The server keeps serving.
			var langs []executor.LanguageInfo
			c.call("workspace/executeCommand", map[string]any{"command": CommandLanguages}, &langs)
		})
	}
}

func TestUnknownCommandAndMethod(t *testing.T) {
	c, _ := newSession(t, nil)
	e := c.callErr("workspace/executeCommand", map[string]any{"command": "sandrun.frobnicate"})
	if e.Code != -32602 || e.Message != `unknown command "sandrun.frobnicate": the commands are sandrun.run, sandrun.watch, sandrun.stop, sandrun.languages, sandrun.stdin` {
		t.Errorf("unknown command: %d %q", e.Code, e.Message)
	}
	e = c.callErr("textDocument/hover", map[string]any{})
	if e.Code != -32601 || !strings.Contains(e.Message, `unknown method "textDocument/hover"`) {
		t.Errorf("unknown method: %d %q", e.Code, e.Message)
	}
	c.notify("$/setTrace", map[string]any{"value": "off"}) // unknown notifications are ignored
	e = c.callErr("workspace/executeCommand", "not an object")
	if e.Code != -32602 {
		t.Errorf("bad executeCommand params: %d %q, want -32602", e.Code, e.Message)
	}
	var langs []executor.LanguageInfo
	c.call("workspace/executeCommand", map[string]any{"command": CommandLanguages}, &langs)
	if len(langs) != 1 || langs[0].ID != "python" {
		t.Errorf("languages = %+v", langs)
	}
}

func TestExecutorPanicIsAnswered(t *testing.T) {
	c, _ := newSession(t, nil)
	e := c.callErr("workspace/executeCommand", map[string]any{"command": CommandRun,
		"arguments": []any{map[string]any{"uri": "untitled:p", "languageId": "python", "text": "panic\n"}}})
	if e.Code != -32603 || !strings.Contains(e.Message, "panic asked for") {
		t.Errorf("error = %d %q, want -32603 naming the panic", e.Code, e.Message)
	}
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:p", "languageId": "python", "text": "out still here\n"}))
	if reply.Result.Stdout != "still here\n" {
		t.Errorf("after a panic: stdout = %q", reply.Result.Stdout)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeInPlace rewrites path in place, as an editor's save does, with data (at least as long as
// what path holds) in one write at its start. os.WriteFile truncates first: a watch whose
// debounce ran out between the truncation and the write (a starved test) ran an empty file.
func writeInPlace(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() > int64(len(data)) {
		t.Fatalf("writeInPlace %s: %v; or it holds more than the %d bytes written over it", path, err, len(data))
	}
	if _, err := f.WriteAt([]byte(data), 0); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
