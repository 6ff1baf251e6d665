package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

// started waits until the fake executor runs something.
func waitStarted(t *testing.T, f *executortest.Fake) string {
	t.Helper()
	select {
	case src := <-f.Started:
		return src
	case <-time.After(wait):
		t.Fatal("the executor was never asked to run")
		return ""
	}
}

func waitEnded(t *testing.T, f *executortest.Fake) error {
	t.Helper()
	select {
	case err := <-f.Ended:
		return err
	case <-time.After(wait):
		t.Fatal("the run never ended")
		return nil
	}
}

func TestCancelRequestKillsRun(t *testing.T) {
	tests := []struct {
		name string
		id   json.RawMessage
	}{
		{"numeric id", json.RawMessage(`41`)},
		{"string id", json.RawMessage(`"run-abc"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newSession(t, nil)
			c.requestID(tt.id, "workspace/executeCommand", map[string]any{"command": CommandRun,
				"arguments": []any{map[string]any{"uri": "untitled:a", "languageId": "python", "text": "out before\nblock\n"}}})
			waitStarted(t, f)
			c.notify("$/cancelRequest", map[string]any{"id": tt.id})
			if err := waitEnded(t, f); !errors.Is(err, context.Canceled) {
				t.Errorf("the executor's run ended with %v, want context.Canceled", err)
			}
			m := c.response(tt.id)
			if m.Error == nil || m.Error.Code != -32800 || m.Error.Message != "cancelled by the client ($/cancelRequest)" {
				t.Errorf("answer = %+v, want error -32800 saying the client cancelled it", m)
			}
			_, note := c.waitNote(0, NotifyResult, nil)
			res := decode[ResultParams](t, note.Params)
			if res.Result != nil || !res.Cancelled || res.Error != "cancelled by the client ($/cancelRequest)" {
				t.Errorf("sandrun/result = %+v, want cancelled with no result", res)
			}
		})
	}
}

func TestRequestsAnsweredWhileRunInFlight(t *testing.T) {
	c, f := newSession(t, nil)
	runID := c.command(CommandRun, map[string]any{"uri": "untitled:long", "languageId": "python", "text": "block\n"})
	waitStarted(t, f)

	// Another document's run, the language list and a stop of nothing all answer meanwhile.
	other := c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:short", "languageId": "python", "text": "out quick\n"}))
	if other.Result.Stdout != "quick\n" {
		t.Errorf("second run: stdout %q", other.Result.Stdout)
	}
	var langs []executor.LanguageInfo
	c.call("workspace/executeCommand", map[string]any{"command": CommandLanguages}, &langs)
	if len(langs) == 0 {
		t.Error("sandrun.languages answered no languages")
	}
	var stopped map[string][]string
	c.call("workspace/executeCommand", map[string]any{"command": CommandStop, "arguments": []any{map[string]any{"uri": "untitled:none"}}}, &stopped)
	if diff := cmp.Diff(map[string][]string{"stopped": {}}, stopped); diff != "" {
		t.Errorf("stop of a document with no run (-want +got):\n%s", diff)
	}
	select {
	case m := <-func() chan wireMsg { c.mu.Lock(); defer c.mu.Unlock(); return c.responseChan(string(runID)) }():
		t.Fatalf("the blocked run answered early: %+v", m)
	default:
	}

	// sandrun.stop ends it.
	c.call("workspace/executeCommand", map[string]any{"command": CommandStop, "arguments": []any{map[string]any{"uri": "untitled:long"}}}, &stopped)
	if len(stopped["stopped"]) != 1 {
		t.Errorf("stop: %v, want one run stopped", stopped)
	}
	m := c.response(runID)
	if m.Error == nil || m.Error.Code != -32800 || m.Error.Message != "stopped by sandrun.stop" {
		t.Errorf("stopped run's answer = %+v", m)
	}
}

func TestNewRunSupersedesOld(t *testing.T) {
	c, f := newSession(t, nil)
	uri := "untitled:same"
	first := c.command(CommandRun, map[string]any{"uri": uri, "languageId": "python", "text": "block\n"})
	waitStarted(t, f)
	second := c.runDone(c.command(CommandRun, map[string]any{"uri": uri, "languageId": "python", "text": "out second\n"}))
	if second.Result.Stdout != "second\n" {
		t.Errorf("second run stdout = %q", second.Result.Stdout)
	}
	m := c.response(first)
	if m.Error == nil || m.Error.Code != -32800 || m.Error.Message != "stopped: a newer run of the same document started" {
		t.Errorf("first run's answer = %+v, want cancelled because superseded", m)
	}
}

func TestStopAll(t *testing.T) {
	c, f := newSession(t, nil)
	a := c.command(CommandRun, map[string]any{"uri": "untitled:a", "languageId": "python", "text": "block\n"})
	b := c.command(CommandRun, map[string]any{"uri": "untitled:b", "languageId": "python", "text": "block\n"})
	waitStarted(t, f)
	waitStarted(t, f)
	var stopped map[string][]string
	c.call("workspace/executeCommand", map[string]any{"command": CommandStop}, &stopped)
	if len(stopped["stopped"]) != 2 {
		t.Errorf("stop all: %v, want two runs", stopped)
	}
	for _, id := range []json.RawMessage{a, b} {
		if m := c.response(id); m.Error == nil || m.Error.Code != -32800 {
			t.Errorf("run %s: answer %+v, want cancelled", id, m)
		}
	}
}

func TestWorkDoneProgress(t *testing.T) {
	caps := map[string]any{"window": map[string]any{"workDoneProgress": true}}
	t.Run("server-created token", func(t *testing.T) {
		c, _ := newSession(t, caps)
		reply := c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:a", "languageId": "python", "text": "out x\n"}))
		token := `"sandrun-` + reply.RunID + `"`
		_, end := c.waitNote(0, "$/progress", func(p json.RawMessage) bool {
			v := decode[progressParams](t, p)
			return string(v.Token) == token && v.Value.(map[string]any)["kind"] == "end"
		})
		c.mu.Lock()
		created := c.serverReq
		c.mu.Unlock()
		if len(created) != 1 || created[0].Method != "window/workDoneProgress/create" || normalize(t, created[0].Params) != `{"token":`+token+`}` {
			t.Errorf("server requests = %+v, want one window/workDoneProgress/create for %s", created, token)
		}
		_, begin := c.waitNote(0, "$/progress", nil)
		if normalize(t, begin.Params) != `{"token":`+token+`,"value":{"cancellable":true,"kind":"begin","message":"running main.py (Python)","title":"Sandrun"}}` {
			t.Errorf("first $/progress = %s", begin.Params)
		}
		if v := decode[progressParams](t, end.Params).Value.(map[string]any); v["message"] != "ok · exit 0 · 5 ms CPU · 7 ms wall · 2.0 MiB" {
			t.Errorf("end message = %v", v["message"])
		}
	})
	t.Run("client token and cancel button", func(t *testing.T) {
		c, f := newSession(t, caps)
		id := c.request("workspace/executeCommand", map[string]any{"command": CommandRun, "workDoneToken": 77,
			"arguments": []any{map[string]any{"uri": "untitled:a", "languageId": "python", "text": "block\n"}}})
		waitStarted(t, f)
		c.waitNote(0, "$/progress", nil)
		c.notify("window/workDoneProgress/cancel", map[string]any{"token": 77})
		m := c.response(id)
		if m.Error == nil || m.Error.Code != -32800 || m.Error.Message != "cancelled by the user (window/workDoneProgress/cancel)" {
			t.Errorf("answer = %+v", m)
		}
		c.mu.Lock()
		n := len(c.serverReq)
		c.mu.Unlock()
		if n != 0 {
			t.Errorf("server made %d requests; with the client's token it must create none", n)
		}
	})
}
