package lsp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages/diagnose"
)

// diagnosticsAfter waits for the publishDiagnostics of uri sent after notification index from.
func (c *client) diagnosticsAfter(from int, uri string) PublishDiagnosticsParams {
	c.t.Helper()
	_, m := c.waitNote(from, MethodPublishDiagnostics, forURI(uri))
	// LSP's diagnostics is an array, also when it clears them: a client may not take null.
	if raw := decode[map[string]json.RawMessage](c.t, m.Params)["diagnostics"]; !strings.HasPrefix(string(raw), "[") {
		c.t.Errorf("publishDiagnostics for %s: diagnostics is %s, want an array", uri, raw)
	}
	return decode[PublishDiagnosticsParams](c.t, m.Params)
}

// TestLocalDiagnostics runs broken programs on the real sandbox: each run is followed by
// publishDiagnostics with the problem on the right line, and running the fixed text clears it.
func TestLocalDiagnostics(t *testing.T) {
	c := localSession(t)
	tests := []struct {
		uri, lang, broken, fixed string
		line                     int // 0-based, as LSP counts
		code                     string
	}{
		{"file:///nowhere/undeclared.c", "c", "#include <stdio.h>\n\nint main(void) {\n    printf(\"%d\\n\", x);\n}\n",
			"#include <stdio.h>\n\nint main(void) {\n    printf(\"%d\\n\", 1);\n}\n", 3, "gcc"},
		{"file:///nowhere/main.go", "go", "package main\n\nfunc main() {\n\tprintln(x)\n}\n",
			"package main\n\nfunc main() {\n\tprintln(1)\n}\n", 3, "go"},
		{"file:///nowhere/main.rs", "rust", "fn main() {\n    println!(\"{}\", x);\n}\n",
			"fn main() {\n    println!(\"{}\", 1);\n}\n", 1, "rustc"},
		{"file:///nowhere/Main.java", "java", "public class Main {\n    public static void main(String[] a) {\n        System.out.println(x);\n    }\n}\n",
			"public class Main {\n    public static void main(String[] a) {\n        System.out.println(1);\n    }\n}\n", 2, "javac"},
		{"file:///nowhere/ratio.py", "python", "def ratio(a, b):\n    return a / b\n\nprint(ratio(1, 0))\n",
			"def ratio(a, b):\n    return a / b\n\nprint(ratio(1, 2))\n", 1, "python3"},
		{"file:///nowhere/throw.js", "javascript", "const user = {};\n\nconsole.log(user.profile.name);\n",
			"const user = {profile: {name: 'a'}};\n\nconsole.log(user.profile.name);\n", 2, "node"},
		{"file:///nowhere/throw.ts", "typescript", "interface U { p?: { n: string } }\nconst u: U = {};\n\nconsole.log(u.p!.n);\n",
			"interface U { p?: { n: string } }\nconst u: U = { p: { n: 'a' } };\n\nconsole.log(u.p!.n);\n", 3, "node"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			c.didOpen(tt.uri, tt.lang, tt.broken)
			from := c.noteCount()
			reply := c.runDone(c.command(CommandRun, map[string]any{"uri": tt.uri}))
			if len(reply.Result.Diagnostics) == 0 {
				t.Fatalf("no diagnostics in the result: %+v", reply.Result)
			}
			p := c.diagnosticsAfter(from, tt.uri)
			if len(p.Diagnostics) == 0 {
				t.Fatalf("publishDiagnostics is empty; result %+v", reply.Result)
			}
			d := p.Diagnostics[0]
			if d.Range.Start.Line != tt.line || d.Severity != 1 || d.Source != "sandrun" || d.Code != tt.code || d.Message == "" {
				t.Errorf("diagnostic = %+v, want an error on line %d from %s", d, tt.line, tt.code)
			}
			if p.Version == nil || *p.Version != 1 {
				t.Errorf("version = %v, want the open document's 1", p.Version)
			}
			from = c.noteCount()
			reply = c.runDone(c.command(CommandRun, map[string]any{"uri": tt.uri, "text": tt.fixed}))
			if reply.Result.Status != "ok" {
				t.Fatalf("fixed program: %+v", reply.Result)
			}
			if p := c.diagnosticsAfter(from, tt.uri); len(p.Diagnostics) != 0 {
				t.Errorf("a clean run left %+v", p.Diagnostics)
			}
		})
	}
}

// TestLocalDiagnosticsSelection runs an indented selection: the problem lands on the selected
// line of the document, at the column of the document's text; closing the document clears it.
func TestLocalDiagnosticsSelection(t *testing.T) {
	c := localSession(t)
	uri := "file:///nowhere/sel.py"
	doc := "import sys\n\ndef main():\n    a = 1\n    print(a)\n    print(undefined_name)\n"
	c.didOpen(uri, "python", doc)
	from := c.noteCount()
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": uri, "range": rng(3, 4, 6, 0)}))
	if len(reply.Result.Diagnostics) != 1 || reply.Result.Diagnostics[0].Line != 3 {
		t.Fatalf("result diagnostics = %+v, want one on line 3 of the selection", reply.Result.Diagnostics)
	}
	p := c.diagnosticsAfter(from, uri)
	want := []Diagnostic{{Range: textRange{Start: position{5, 10}, End: position{5, 24}}, Severity: 1, Code: "python3", Source: "sandrun",
		Message: "NameError: name 'undefined_name' is not defined"}}
	if diff := cmp.Diff(want, p.Diagnostics); diff != "" {
		t.Errorf("selection diagnostics (-want +got):\n%s", diff)
	}
	from = c.noteCount()
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
	if p := c.diagnosticsAfter(from, uri); len(p.Diagnostics) != 0 {
		t.Errorf("closing left %+v", p.Diagnostics)
	}
}

// TestOriginRange maps source positions of a dedented selection back to the document.
func TestOriginRange(t *testing.T) {
	doc := "x\n  if a:\n      print(é + b)\n"
	sel := "  if a:\n      print(é + b)\n"
	src := dedent(sel)
	o := selectionOrigin(doc, textRange{Start: position{1, 2}, End: position{3, 0}}, sel, src)
	if o != (origin{line: 1, first: 0, indent: 2}) {
		t.Fatalf("origin = %+v", o)
	}
	got := o.rangeOf(diagnose.Diagnostic{Line: 2, Column: 15, EndLine: 2, EndColumn: 16}, strings.Split(src, "\n"), strings.Split(doc, "\n"))
	// "    print(é + b)" in the source: column 15 is b; in the document it is character 16.
	if want := (textRange{Start: position{2, 16}, End: position{2, 17}}); got != want {
		t.Errorf("range = %v, want %v", got, want)
	}
	// An end past the line's end (a caret under the newline) stops at the end of the line.
	if got := o.rangeOf(diagnose.Diagnostic{Line: 2, Column: 16, EndLine: 2, EndColumn: 40}, strings.Split(src, "\n"), strings.Split(doc, "\n")); got.End != (position{2, 18}) {
		t.Errorf("range to the end = %v, want it to end at 2:18", got)
	}
	// A line the document does not have (it changed since the run) gives no panic.
	o.rangeOf(diagnose.Diagnostic{Line: 9, Column: 3, EndLine: 9, EndColumn: 5}, nil, nil)
	raw, _ := json.Marshal(got)
	if string(raw) != `{"start":{"line":2,"character":16},"end":{"line":2,"character":17}}` {
		t.Errorf("json = %s", raw)
	}
}

// TestStoppedRunClearsDiagnostics: a new run clears the previous run's problems when it starts,
// so that a run stopped before it has a Result leaves none behind.
func TestStoppedRunClearsDiagnostics(t *testing.T) {
	c, f := newSession(t, nil)
	blocked := make(chan struct{}, 1)
	f.RunFunc = func(ctx context.Context, req executor.Request, _ func(executor.Event)) (executor.Result, error) {
		if string(req.Files[0].Content) == "block\n" {
			blocked <- struct{}{}
			<-ctx.Done()
			return executor.Result{}, ctx.Err()
		}
		return executor.Result{Language: "python", Status: executor.StatusRuntimeError, ExitCode: 1,
			Diagnostics: []executor.Diagnostic{{File: req.Files[0].Name, Line: 1, Column: 1, EndLine: 1, EndColumn: 2,
				Severity: diagnose.Error, Message: "NameError: name 'x' is not defined", Source: "python3"}}}, nil
	}
	uri := "untitled:stale"
	from := c.noteCount()
	c.runDone(c.command(CommandRun, map[string]any{"uri": uri, "languageId": "python", "text": "x\n"}))
	if p := c.diagnosticsAfter(from, uri); len(p.Diagnostics) != 1 {
		t.Fatalf("first run published %+v, want its one problem", p.Diagnostics)
	}
	from = c.noteCount()
	id := c.command(CommandRun, map[string]any{"uri": uri, "languageId": "python", "text": "block\n"})
	select {
	case <-blocked:
	case <-time.After(wait):
		t.Fatal("the second run never started")
	}
	if p := c.diagnosticsAfter(from, uri); len(p.Diagnostics) != 0 {
		t.Errorf("the second run's start left %+v", p.Diagnostics)
	}
	var stopped map[string][]string
	c.call("workspace/executeCommand", map[string]any{"command": CommandStop, "arguments": []any{map[string]any{"uri": uri}}}, &stopped)
	if m := c.response(id); m.Error == nil || m.Error.Code != -32800 {
		t.Errorf("stopped run's answer = %+v, want cancelled", m)
	}
	c.waitNote(from, NotifyResult, forURI(uri))
	n := 0
	c.mu.Lock()
	for _, m := range c.notes[from:] {
		if m.Method == MethodPublishDiagnostics {
			n++
		}
	}
	c.mu.Unlock()
	if n != 1 {
		t.Errorf("%d publishDiagnostics after the stopped run began, want the one that cleared", n)
	}
}
