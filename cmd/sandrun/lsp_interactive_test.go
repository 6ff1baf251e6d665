package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sandrun/sandrun/executor"
)

// TestLSPInteractiveOnRemoteExecutor: the whole chain of an editor's interactive run, each part
// its own process: "sandrun lsp --executor tcp://…" runs a Python program on "sandrun executor";
// the program's prompt streams back, the answer typed after it reaches the program, and its
// greeting comes back.
func TestLSPInteractiveOnRemoteExecutor(t *testing.T) {
	tok := writeFile(t, t.TempDir(), "t", "s3cret-token-for-tests\n")
	addr, _ := startExecutor(t, "--token-file", tok)
	p := startLSP(t, "--executor", addr, "--token-file", tok)
	p.call("initialize", map[string]any{"capabilities": map[string]any{}})
	p.send(map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}})

	const runID, stdinID = 100, 101
	p.send(map[string]any{"jsonrpc": "2.0", "id": runID, "method": "workspace/executeCommand", "params": map[string]any{
		"command": "sandrun.run", "arguments": []any{map[string]any{"uri": "file:///nowhere/ask.py", "languageId": "python",
			"interactive": true, "text": "name = input('What is your name? ')\nprint(f'Hello, {name}!')\n"}}}})
	var streamed string
	for !strings.Contains(streamed, "What is your name? ") {
		m := p.read()
		if m["id"] != nil {
			t.Fatalf("answered before the prompt: %s %s", m["result"], m["error"])
		}
		var params struct{ Data string }
		json.Unmarshal(m["params"], &params)
		streamed += params.Data
	}
	p.send(map[string]any{"jsonrpc": "2.0", "id": stdinID, "method": "workspace/executeCommand", "params": map[string]any{
		"command": "sandrun.stdin", "arguments": []any{map[string]any{"uri": "file:///nowhere/ask.py", "data": "Ada\n"}}}})
	answers := map[string]map[string]json.RawMessage{}
	for len(answers) < 2 {
		if m := p.read(); m["id"] != nil {
			answers[string(m["id"])] = m
		}
	}
	if a := answers["101"]; a["error"] != nil {
		t.Errorf("sandrun.stdin: %s", a["error"])
	}
	var reply struct{ Result executor.Result }
	if err := json.Unmarshal(answers["100"]["result"], &reply); err != nil || reply.Result.Stdout != "What is your name? Hello, Ada!\n" {
		t.Errorf("sandrun.run = %s %s", answers["100"]["result"], answers["100"]["error"])
	}
}
