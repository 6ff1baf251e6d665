package lsp

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestGarbageFramesKeepServing(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		wantID   string
		wantCode int
		wantMsg  string
	}{
		{"invalid JSON body", "Content-Length: 9\r\n\r\n{not json", "null", -32700, "a message is not valid JSON: {not json"},
		{"not JSON-RPC", "Content-Length: 13\r\n\r\n{\"hello\": 1}\n", "null", -32600, `is not a JSON-RPC 2.0 request, notification or response: its "jsonrpc" is missing, not "2.0"`},
		{"wrong version keeps the id", `Content-Length: 50` + "\r\n\r\n" + `{"jsonrpc":"1.0","id":7,"method":"initialize"}    `, "7", -32600, `its "jsonrpc" is "1.0", not "2.0"`},
		{"not an object", "Content-Length: 2\r\n\r\n[]", "null", -32600, "response: it is not a JSON object: []"},
		{"an object as id", `Content-Length: 50` + "\r\n\r\n" + `{"jsonrpc":"2.0","id":{"a":1},"method":"shutdown"}`, "null", -32600, `its "id" is neither a number nor a string`},
		{"no header", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"shutdown\"}\r\n", "null", -32700, "bad header line"},
		{"bad length", "Content-Length: lots\r\n\r\n{}", "null", -32700, `bad Content-Length "lots"`},
		{"no length", "Content-Type: application/json\r\n\r\n{}\n", "null", -32700, "no Content-Length header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newSession(t, nil)
			c.sendRaw(tt.raw)
			m := c.response(json.RawMessage(tt.wantID))
			if m.Error == nil || m.Error.Code != tt.wantCode || !strings.Contains(m.Error.Message, tt.wantMsg) {
				t.Errorf("answer = %+v, want error %d containing %q", m.Error, tt.wantCode, tt.wantMsg)
			}
			// The session goes on.
			reply := c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:g", "languageId": "python", "text": "out alive\n"}))
			if reply.Result.Stdout != "alive\n" {
				t.Errorf("after garbage: stdout %q", reply.Result.Stdout)
			}
		})
	}
}

func TestShutdownExit(t *testing.T) {
	c, f := newSession(t, nil)
	run := c.command(CommandRun, map[string]any{"uri": "untitled:a", "languageId": "python", "text": "block\n"})
	waitStarted(t, f)
	c.call("shutdown", nil, nil)
	if m := c.response(run); m.Error == nil || m.Error.Code != -32800 || m.Error.Message != "stopped: the LSP session ended" {
		t.Errorf("run in flight at shutdown: %+v", m)
	}
	e := c.callErr("workspace/executeCommand", map[string]any{"command": CommandLanguages})
	if e.Code != -32600 || !strings.Contains(e.Message, "after shutdown") {
		t.Errorf("request after shutdown: %d %q", e.Code, e.Message)
	}
	c.notify("exit", nil)
	select {
	case err := <-c.served:
		if err != nil {
			t.Errorf("Serve after shutdown+exit = %v, want nil", err)
		}
		c.served <- err // for the cleanup
	case <-time.After(wait):
		t.Fatal("Serve did not return after exit")
	}
}

func TestExitWithoutShutdown(t *testing.T) {
	c, _ := newSession(t, nil)
	c.notify("exit", nil)
	select {
	case err := <-c.served:
		if !errors.Is(err, ErrExitWithoutShutdown) {
			t.Errorf("Serve = %v, want ErrExitWithoutShutdown", err)
		}
		c.served <- err
	case <-time.After(wait):
		t.Fatal("Serve did not return after exit")
	}
}

func TestClientHangsUp(t *testing.T) {
	c, f := newSession(t, nil)
	c.command(CommandRun, map[string]any{"uri": "untitled:a", "languageId": "python", "text": "block\n"})
	waitStarted(t, f)
	c.conn.Close()
	select {
	case err := <-c.served:
		if err != nil {
			t.Errorf("Serve after the client hung up = %v, want nil", err)
		}
		c.served <- err
	case <-time.After(wait):
		t.Fatal("Serve did not return after the client hung up")
	}
	if err := waitEnded(t, f); err == nil {
		t.Error("the run in flight was not cancelled when the session ended")
	}
}

func TestEditorProcessGone(t *testing.T) {
	editor := exec.Command("sleep", "60")
	if err := editor.Start(); err != nil {
		t.Fatal(err)
	}
	c := startServer(t, Options{Open: (&fakeOpener{f: newFake()}).open})
	c.call("initialize", map[string]any{"processId": editor.Process.Pid, "capabilities": map[string]any{}}, nil)
	c.call("workspace/executeCommand", map[string]any{"command": CommandLanguages}, nil)
	editor.Process.Kill()
	editor.Wait()
	select {
	case err := <-c.served:
		if !errors.Is(err, ErrExitWithoutShutdown) {
			t.Errorf("Serve = %v, want ErrExitWithoutShutdown once the editor is gone", err)
		}
		c.served <- err
	case <-time.After(wait):
		t.Fatal("the session did not end after the editor process died")
	}
}
